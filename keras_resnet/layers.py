"""The library's own layers, registered so `.keras` files load with safe_mode
(the model class registers in `keras_resnet.network`, imported at the end)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_resnet")
class ZeroPadShortcut(keras.layers.Layer):
    """Option-A shortcut of He et al. 2015: parameter-free.

    Subsamples the input with `strides` (keeps every `strides`-th pixel, as a
    1×1 convolution with that stride would) and appends zero channels up to
    `filters`.
    """

    def __init__(self, filters, strides=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.strides = int(strides)
        self.data_format = data_format or keras.config.image_data_format()

    def call(self, x):
        s = self.strides
        if self.data_format == "channels_last":
            x, channel_axis = x[:, ::s, ::s, :], 3
        else:
            x, channel_axis = x[:, :, ::s, ::s], 1
        extra = self.filters - x.shape[channel_axis]
        if extra <= 0:
            return x
        pad = [[0, 0]] * 4
        pad[channel_axis] = [0, extra]
        return ops.pad(x, pad)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        last = self.data_format == "channels_last"
        for axis in (1, 2) if last else (2, 3):
            if shape[axis] is not None:
                shape[axis] = -(-shape[axis] // self.strides)
        channel_axis = 3 if last else 1
        shape[channel_axis] = max(self.filters, shape[channel_axis])
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, strides=self.strides, data_format=self.data_format
        )
        return config


@keras.saving.register_keras_serializable(package="keras_resnet")
class DropPath(keras.layers.Layer):
    """Stochastic depth: drops the whole residual branch of a sample in training.

    Kept branches are scaled by 1 / (1 - rate), so inference is the identity.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if not training or self.rate == 0.0:
            return x
        keep = 1.0 - self.rate
        shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        mask = keras.random.uniform(shape, seed=self.seed_generator, dtype=x.dtype)
        mask = ops.floor(mask + ops.cast(keep, x.dtype))
        return x * mask / ops.cast(keep, x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


from keras_resnet.network import ResNetModel  # noqa: E402,F401 (registers the model class)
