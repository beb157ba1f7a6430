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


@keras.saving.register_keras_serializable(package="keras_resnet")
class GridPooling2D(keras.layers.Layer):
    """Average pooling over a `grid` × `grid` partition of a feature map,
    flattened: output (batch, grid·grid·channels), cell by cell in row order,
    all channels of a cell together. Cell i of a side of n pixels spans
    floor(i·n/grid) … ceil((i+1)·n/grid) (the bins of PyTorch's adaptive
    average pooling), so any static size of at least `grid` works; grid 1 is
    global average pooling. Keeps where in the image a feature was, which a
    global average loses (He et al. 2014, spatial pyramid pooling).
    """

    def __init__(self, grid, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.grid = int(grid)
        self.data_format = data_format or keras.config.image_data_format()

    def _bins(self, size):
        g = self.grid
        return [(i * size // g, -(-(i + 1) * size // g)) for i in range(g)]

    def call(self, x):
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        cells = [ops.mean(x[:, top:bottom, left:right, :], axis=(1, 2))
                 for top, bottom in self._bins(x.shape[1])
                 for left, right in self._bins(x.shape[2])]
        return ops.concatenate(cells, axis=-1)

    def compute_output_shape(self, input_shape):
        channels = input_shape[3 if self.data_format == "channels_last" else 1]
        return (input_shape[0], self.grid * self.grid * channels)

    def get_config(self):
        config = super().get_config()
        config.update(grid=self.grid, data_format=self.data_format)
        return config


@keras.saving.register_keras_serializable(package="keras_resnet")
class BatchNormalization(keras.layers.BatchNormalization):
    """Keras' BatchNormalization, with TensorFlow's fused kernel in training.

    Same arguments, weights, config and results (the batch variance is the
    biased one, as Keras keeps it); on the TensorFlow backend a training call
    on a 4-D input runs one FusedBatchNormV3 op (and one op for its gradient)
    instead of Keras' moments and arithmetic: about 1.2× the ResNet-20 train
    step on CPU with oneDNN (benchmarks/peers.py; no gain on Eigen's kernels).
    Other backends, inference, masks,
    renorm, synchronized statistics and epsilons below cuDNN's 1e-5 take
    Keras' own path.
    """

    def _fusable(self, inputs, training, mask):
        return (training and self.trainable and mask is None and len(inputs.shape) == 4
                and self.axis % 4 in (1, 3) and self.center and self.scale
                and not (self.renorm or self.synchronized) and self.epsilon >= 1e-5
                and keras.backend.backend() == "tensorflow")

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        x = ops.cast(inputs, "float32")
        y, mean, variance, *_ = tf.raw_ops.FusedBatchNormV3(
            x=x, scale=ops.cast(self.gamma, "float32"), offset=ops.cast(self.beta, "float32"),
            mean=tf.zeros([0]), variance=tf.zeros([0]), epsilon=self.epsilon,
            data_format="NHWC" if self.axis % 4 == 3 else "NCHW", is_training=True)
        count = ops.cast(ops.size(x) // ops.shape(x)[self.axis], "float32")
        variance = variance * (count - 1) / count  # the op's is Bessel-corrected
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            moving.assign(ops.cast(moving, "float32") * self.momentum
                          + batch * (1.0 - self.momentum))
        return ops.cast(y, self.compute_dtype)


from keras_resnet.network import ResNetModel  # noqa: E402,F401 (registers the model class)
