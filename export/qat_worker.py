"""Quantization-aware training, run as its own process by `export.qat`.

tfmot 0.8 accepts only `tf_keras` models, and importing it switches `tf.keras`
to `tf_keras` for the whole process (TF_USE_LEGACY_KERAS=1). So this module
runs in a child process: it rebuilds the Keras 3 model as a `tf_keras` twin
layer by layer (same names, configs and weights), annotates it for 8-bit QAT
— the option-A shortcut and the input normalisation get a QuantizeConfig that
quantizes their output only — fine-tunes it with `model.fit` on the run's
training stream (learning rate 1/100 of the recipe's), and
converts it to an int8 `.tflite`.

    python -m export.qat_worker MODEL.keras RUN_DIR OUT.tflite CALIBRATION.npy EPOCHS
"""

import inspect
import json
import sys

import numpy as np
import tensorflow as tf
import tensorflow_model_optimization as tfmot
import tf_keras

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


def main(model_path, run_dir, out_path, calibration_path, epochs):
    import keras

    import keras_resnet  # noqa: F401 (registers the layers the model holds)
    from training.data import load_splits
    from training.pipeline import train_stream
    from training.recipe import make_recipe

    source = keras.saving.load_model(model_path, compile=False)
    with open(f"{run_dir}/config.json") as f:
        recipe = make_recipe(json.load(f)["recipe"])
    splits = load_splits(recipe)
    steps = len(splits.train[0]) // recipe.batch_size
    stream = train_stream(*splits.train, len(splits.class_names), batch_size=recipe.batch_size,
                          seed=recipe.seed, start_step=0, total_steps=epochs * steps,
                          size=splits.size, channels=splits.channels)
    model = quantization_aware(tf_keras_twin(source))
    model.compile(optimizer=tf_keras.optimizers.SGD(recipe.learning_rate * 0.01, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(stream, epochs=epochs, steps_per_epoch=steps, verbose=2)
    calibration = np.load(calibration_path)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([image[None]] for image in calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    with open(out_path, "wb") as f:
        f.write(converter.convert())


if __name__ == "__main__":
    main(*sys.argv[1:5], int(sys.argv[5]))
