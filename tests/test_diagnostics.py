"""The gradient-flow recorder: what it records is the gradient model.fit
applies, recomputed here independently with tf.GradientTape."""

import csv

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_resnet
from keras_resnet.experiments.diagnostics import GradientFlow, main_path_kernels
from keras_resnet.training import fashion_mnist


class Snapshots(keras.callbacks.Callback):
    """The weights before each step."""

    def __init__(self):
        super().__init__()
        self.before = []

    def on_train_batch_begin(self, batch, logs=None):
        self.before.append([np.array(w) for w in self.model.get_weights()])


@pytest.mark.slow
def test_recorded_norms_are_the_applied_gradients(tmp_path):
    (x, y), _ = fashion_mnist.load()
    x, y = x[:6 * 32].astype("float32"), keras.utils.to_categorical(y[:6 * 32], 10)
    keras.utils.set_random_seed(0)
    model = keras_resnet.ResNet20(shortcut="none", input_shape=(28, 28, 1), classes=10,
                                  preprocessing="unit")
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss="categorical_crossentropy")
    flow, snapshots = GradientFlow(str(tmp_path), x[:64], every=3), Snapshots()
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0,
              callbacks=[snapshots, flow])

    with open(tmp_path / "gradients.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted({int(r["step"]) for r in rows}) == [1, 3, 6]
    kernels = main_path_kernels(model)
    assert len(kernels) == 20 and kernels[-1][1] == "predictions"
    twin = keras.models.clone_model(model)
    for step in (1, 3, 6):
        twin.set_weights(snapshots.before[step - 1])
        batch = slice(32 * (step - 1), 32 * step)
        with tf.GradientTape() as tape:
            loss = keras.losses.categorical_crossentropy(
                y[batch], twin(x[batch], training=True))
            loss = tf.reduce_mean(loss)
        variables = [twin.get_layer(name).kernel for _, name, _ in kernels]
        expected = [float(tf.norm(g)) for g in tape.gradient(loss, variables)]
        recorded = [float(r["grad_norm"]) for r in rows if int(r["step"]) == step]
        np.testing.assert_allclose(recorded, expected, rtol=1e-4)
    with open(tmp_path / "activations.csv") as f:
        stats = list(csv.DictReader(f))
    assert {r["stage"] for r in stats} == {"C2", "C3", "C4"}
    assert {int(r["step"]) for r in stats} == {0, 1, 3, 6}
    assert all(0 <= float(r["zero_fraction"]) <= 1 for r in stats)
    assert (tmp_path / "gradients.png").stat().st_size > 0
