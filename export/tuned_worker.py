"""Fine-tuning with tfmot, run as its own process by `keras_resnet.export.tuned`.

tfmot 0.8 accepts only `tf_keras` models, and importing it switches `tf.keras`
to `tf_keras` for the whole process (TF_USE_LEGACY_KERAS=1). So this module
runs in a child process: it rebuilds the Keras 3 model as a `tf_keras` twin
layer by layer (same names, configs and weights), wraps it for one of
    int8-qat        8-bit quantization-aware training (the option-A shortcut
                    and the input normalisation get a QuantizeConfig that
                    quantizes their output only),
    int8-pruned     `prune_low_magnitude` on every convolution and the dense
                    head, sparsity rising from 0 to SPARSITY over the first
                    two thirds of the steps,
    int8-clustered  `cluster_weights` on the same layers (k-means++ centroids),
fine-tunes it with `model.fit` on the run's training stream (at a fraction
of the recipe's learning rate: LEARNING_RATE_FACTOR), strips the wrappers and
converts it to an int8 `.tflite` calibrated on the export's calibration images.

    python -m keras_resnet.export.tuned_worker MODEL.keras RUN_DIR CALIBRATION.npy WORK_DIR \
        EPOCHS SPARSITY CLUSTERS VARIANT...      (writes WORK_DIR/tuned-VARIANT.tflite)
"""

import inspect
import sys

import numpy as np
import tensorflow as tf
import tensorflow_model_optimization as tfmot
import tf_keras

from keras_resnet.arguments import invalid

# QAT only adapts to rounding noise (measured on a short run: 1/1000 kept
# PTQ's accuracy, 1/100 lost 0.3 points); pruning and clustering must
# recover from changed weights.
LEARNING_RATE_FACTOR = {"int8-qat": 0.001, "int8-pruned": 0.01, "int8-clustered": 0.01}
NO_COPY = {"dtype", "kernel_initializer", "bias_initializer", "gamma_initializer",
           "beta_initializer", "moving_mean_initializer", "moving_variance_initializer",
           "kernel_regularizer", "bias_regularizer", "activity_regularizer",
           "beta_regularizer", "gamma_regularizer", "kernel_constraint", "bias_constraint",
           "beta_constraint", "gamma_constraint"}


class TwinZeroPadShortcut(tf_keras.layers.Layer):
    """tf_keras twin of keras_resnet.ZeroPadShortcut (channels last)."""

    def __init__(self, filters, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.strides = filters, strides

    def call(self, x):
        x = x[:, ::self.strides, ::self.strides, :]
        extra = self.filters - x.shape[-1]
        return tf.pad(x, [[0, 0], [0, 0], [0, 0], [0, extra]]) if extra > 0 else x

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "strides": self.strides}


class OutputQuantizeConfig(tfmot.quantization.keras.QuantizeConfig):
    """No weights to quantize; an 8-bit moving-average quantizer on the output."""

    def get_weights_and_quantizers(self, layer):
        return []

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_weights(self, layer, quantize_weights):
        pass

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        return [tfmot.quantization.keras.quantizers.MovingAverageQuantizer(
            num_bits=8, per_axis=False, symmetric=False, narrow_range=False)]

    def get_config(self):
        return {}


def twin_layer(layer):
    kind = type(layer).__name__
    config = {k: v for k, v in layer.get_config().items() if k not in NO_COPY}
    if kind == "ZeroPadShortcut":
        if config["data_format"] != "channels_last":
            raise ValueError("QAT needs a channels_last model")
        return TwinZeroPadShortcut(config["filters"], config["strides"], name=layer.name)
    if kind == "DropPath":  # the identity at inference; QAT fine-tunes without it
        return tf_keras.layers.Activation("linear", name=layer.name)
    cls = getattr(tf_keras.layers, kind)
    accepted = set(inspect.signature(cls.__init__).parameters) | {"name", "trainable"}
    config = {k: v for k, v in config.items() if k in accepted}
    if kind == "Normalization":
        config.update(mean=np.ravel(layer.mean).tolist(),
                      variance=np.ravel(layer.variance).tolist())
    return cls(**config)


def tf_keras_twin(model):
    """The same functional graph built from tf_keras layers, weights copied."""
    first = model.layers[0]
    tensors = {first.name: tf_keras.Input(model.input_shape[1:], name=first.name)}
    for layer in model.layers[1:]:
        inputs = layer.input if isinstance(layer.input, list) else [layer.input]
        args = [tensors[t._keras_history.operation.name] for t in inputs]
        tensors[layer.name] = twin_layer(layer)(args if len(args) > 1 else args[0])
    twin = tf_keras.Model(tensors[first.name], tensors[model.layers[-1].name], name=model.name)
    for layer in model.layers:
        if layer.weights:
            twin.get_layer(layer.name).set_weights(layer.get_weights())
    return twin


def quantization_aware(twin):
    annotate = tfmot.quantization.keras.quantize_annotate_layer

    def apply(layer):
        if isinstance(layer, tf_keras.layers.InputLayer):
            return layer
        if isinstance(layer, (TwinZeroPadShortcut, tf_keras.layers.Normalization)):
            return annotate(layer, quantize_config=OutputQuantizeConfig())
        return annotate(layer)

    annotated = tf_keras.models.clone_model(twin, clone_function=apply)
    with tfmot.quantization.keras.quantize_scope({
            "OutputQuantizeConfig": OutputQuantizeConfig,
            "TwinZeroPadShortcut": TwinZeroPadShortcut}):
        return tfmot.quantization.keras.quantize_apply(annotated)


def start_ranges(model, twin, images, batch_size=8):
    """Sets the moving-average activation ranges of the QAT `model` to those
    the float `twin` shows on `images`. tfmot starts them at -6..6 and moves
    them 0.1% a step, so a short QAT run would otherwise keep ranges far
    wider than the activations (coarse steps) or clip them."""
    layers = twin.layers[1:]
    dense = [layer for layer in layers if isinstance(layer, tf_keras.layers.Dense)]
    probe = tf_keras.Model(twin.input, [layer.output for layer in layers] +
                           [layer.input for layer in dense])
    low, high = {}, {}
    for start in range(0, len(images), batch_size):
        tensors = probe(images[start:start + batch_size], training=False)
        found = {f"quant_{layer.name}/output": y for layer, y in zip(layers, tensors)}
        for layer, x in zip(dense, tensors[len(layers):]):  # logits before the softmax
            found[f"quant_{layer.name}/pre_activation"] = tf.matmul(x, layer.kernel) + layer.bias
        for key, value in found.items():
            low[key] = min(low.get(key, 0.0), float(tf.reduce_min(value)))
            high[key] = max(high.get(key, 0.0), float(tf.reduce_max(value)))
    count = 0
    for variable in model.variables:
        key, _, bound = variable.name.rpartition("_")
        if key in low and bound in ("min:0", "max:0"):
            variable.assign(low[key] if bound == "min:0" else high[key])
            count += 1
    if not count:
        raise RuntimeError("no activation range of the QAT model matched the float model's layers")


def _wrap_kernels(twin, wrap):
    """A clone of `twin` whose convolutions and dense layers are wrap(layer)."""
    kinds = (tf_keras.layers.Conv2D, tf_keras.layers.Dense)
    return tf_keras.models.clone_model(
        twin, clone_function=lambda layer: wrap(layer) if isinstance(layer, kinds) else layer)


def tune(variant, twin, stream, steps, learning_rate, sparsity, clusters, calibration):
    """The fine-tuned tf_keras model of `variant`, wrappers stripped."""
    callbacks, strip = [], lambda model: model
    if variant == "int8-qat":
        model = quantization_aware(twin)
        start_ranges(model, twin, calibration)
    elif variant == "int8-pruned":
        sparse = tfmot.sparsity.keras
        schedule = sparse.PolynomialDecay(0.0, sparsity, begin_step=0,
                                          end_step=max(1, 2 * steps // 3),
                                          frequency=max(1, steps // 20))
        model = _wrap_kernels(twin, lambda layer: sparse.prune_low_magnitude(
            layer, pruning_schedule=schedule))
        callbacks, strip = [sparse.UpdatePruningStep()], sparse.strip_pruning
    elif variant == "int8-clustered":
        clustering = tfmot.clustering.keras
        model = _wrap_kernels(twin, lambda layer: clustering.cluster_weights(
            layer, number_of_clusters=clusters,
            cluster_centroids_init=clustering.CentroidInitialization.KMEANS_PLUS_PLUS))
        strip = clustering.strip_clustering
    else:
        raise invalid("variant", variant, "int8-qat, int8-pruned, int8-clustered")
    model.compile(optimizer=tf_keras.optimizers.SGD(learning_rate, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(stream, steps_per_epoch=steps, callbacks=callbacks, verbose=2)
    return strip(model)


def to_int8(model, calibration):
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([image[None]] for image in calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter.convert()


def main(model_path, run_dir, calibration_path, work_dir, epochs, sparsity, clusters,
         variants):
    import keras

    import keras_resnet  # noqa: F401 (registers the layers the model holds)
    from keras_resnet.atomic_files import write_bytes
    from keras_resnet.specs import DEEPEST_GRAPH_RECURSION_LIMIT
    from keras_resnet.training.data import load_splits
    from keras_resnet.training.pipeline import train_stream
    from keras_resnet.training.recipe import make_recipe
    from keras_resnet.training.run_dir import RunDir

    sys.setrecursionlimit(max(sys.getrecursionlimit(), DEEPEST_GRAPH_RECURSION_LIMIT))
    source = keras.saving.load_model(model_path, compile=False)
    recipe = make_recipe(RunDir(run_dir).read_config()["recipe"])
    splits = load_splits(recipe)
    steps = epochs * (len(splits.train[0]) // recipe.batch_size)
    calibration = np.load(calibration_path)
    for variant in variants:
        stream = train_stream(*splits.train, len(splits.class_names),
                              batch_size=recipe.batch_size, seed=recipe.seed, start_step=0,
                              total_steps=steps, spec=splits.spec)
        model = tune(variant, tf_keras_twin(source), stream, steps,
                     recipe.learning_rate * LEARNING_RATE_FACTOR[variant], sparsity, clusters,
                     calibration)
        write_bytes(f"{work_dir}/tuned-{variant}.tflite", to_int8(model, calibration))


if __name__ == "__main__":
    main(*sys.argv[1:5], int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]),
         sys.argv[8:])
