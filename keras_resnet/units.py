"""Conv, BatchNorm and ReLU units that carry the build settings and the names.

Every layer gets the model's `dtype` and `data_format`. A unit called with a
prefix `p` names its layers `p_pad`, `p_conv`, `p_bn`, `p_relu` (the
keras.applications scheme, so weights map across by name).
"""

from dataclasses import dataclass

import keras
from keras import layers

from keras_resnet.layers import BatchNormalization

# torchvision's initialisation: He normal, fan-out.
KERNEL_INIT = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal"},
}


@dataclass
class Units:
    data_format: str
    dtype: object
    bn_momentum: float
    bn_epsilon: float
    bn_synchronized: bool = False
    batch_norm: bool = True  # False: no BatchNorm layers, biases on every conv

    @property
    def channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def channels(self, x):
        return x.shape[self.channel_axis]

    def conv(self, x, filters, kernel, strides, prefix, use_bias=False, groups=1,
             zero_init=False, explicit_pad=False):
        """Convolution; a strided (or `explicit_pad`) k×k conv pads k//2 on
        every side first, as torchvision does, instead of TF's uneven "same"."""
        padding = "same"
        if kernel > 1 and (strides > 1 or explicit_pad):
            x = layers.ZeroPadding2D(
                kernel // 2, data_format=self.data_format, dtype=self.dtype,
                name=f"{prefix}_pad",
            )(x)
            padding = "valid"
        return layers.Conv2D(
            filters, kernel, strides=strides, padding=padding,
            use_bias=use_bias or not self.batch_norm,
            groups=groups, data_format=self.data_format, dtype=self.dtype,
            kernel_initializer="zeros" if zero_init else KERNEL_INIT,
            name=f"{prefix}_conv",
        )(x)

    def bn(self, x, prefix, zero_gamma=False):
        if not self.batch_norm:
            return x
        return BatchNormalization(
            axis=self.channel_axis, momentum=self.bn_momentum,
            epsilon=self.bn_epsilon, gamma_initializer="zeros" if zero_gamma else "ones",
            synchronized=self.bn_synchronized, dtype=self.dtype, name=f"{prefix}_bn",
        )(x)

    def relu(self, x, prefix):
        return layers.Activation("relu", dtype=self.dtype, name=f"{prefix}_relu")(x)

    def bn_relu(self, x, prefix):
        return self.relu(self.bn(x, prefix), prefix)

    def max_pool(self, x, prefix):
        """3×3 stride-2 max pool after a one-pixel zero pad (keras.applications')."""
        x = layers.ZeroPadding2D(
            1, data_format=self.data_format, dtype=self.dtype, name=f"{prefix}_pad"
        )(x)
        return layers.MaxPooling2D(
            3, strides=2, data_format=self.data_format, dtype=self.dtype,
            name=f"{prefix}_pool",
        )(x)

    def squeeze_excite(self, x, ratio, prefix):
        """Squeeze-and-excitation (Hu et al. 2018) with `ratio` × channels inside."""
        channels = self.channels(x)
        s = layers.GlobalAveragePooling2D(
            data_format=self.data_format, keepdims=True, dtype=self.dtype,
            name=f"{prefix}_se_pool",
        )(x)
        s = layers.Conv2D(
            max(1, int(channels * ratio)), 1, activation="relu",
            data_format=self.data_format, dtype=self.dtype, name=f"{prefix}_se_reduce",
        )(s)
        s = layers.Conv2D(
            channels, 1, activation="sigmoid", data_format=self.data_format,
            dtype=self.dtype, name=f"{prefix}_se_expand",
        )(s)
        return layers.Multiply(dtype=self.dtype, name=f"{prefix}_se_scale")([x, s])


def is_mixed(policy):
    """True for a mixed policy (float32 variables, 16-bit compute)."""
    policy = keras.dtype_policies.get(policy or keras.config.dtype_policy())
    return policy.variable_dtype == "float32" and policy.compute_dtype != "float32"
