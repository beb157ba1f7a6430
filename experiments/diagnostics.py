"""Gradient flow and activation statistics recorded during `model.fit`.

    fit(..., callbacks=[GradientFlow(run_dir, probe_images, every=50)])

Every `every` optimizer steps (and before the first) it records the norm of
the loss gradient that the optimizer applied to the kernel of each layer on
the main path (convolutions and the dense head, in depth order; projection
shortcuts left out), and the mean, standard deviation and fraction of zeros
of each stage's output on a fixed probe batch (inference mode). It writes
gradients.csv, activations.csv and gradients.png into `out_dir`.

The gradients are taken where `model.fit` hands them to the optimizer
(`apply_gradients`, TensorFlow backend), so they are the ones applied, before
any clipping; under a float16 loss scale they would be scaled (use float32).
"""

import os

import keras
import numpy as np
import tensorflow as tf

from keras_resnet.atomic_files import write_csv
from keras_resnet.features import feature_layers
from keras_resnet.network import is_shortcut, layer_prefix
from keras_resnet.training import plots


def main_path_kernels(model):
    """[(depth, layer name, kernel variable)] of the convolutions and dense
    layers on the main path, depth counted from 1 at the input."""
    prefix = layer_prefix(model)
    layers = [l for l in model.layers if isinstance(l, (keras.layers.Conv2D, keras.layers.Dense))
              and not is_shortcut(l.name, prefix)]
    return [(depth, layer.name, layer.kernel) for depth, layer in enumerate(layers, start=1)]


class GradientFlow(keras.callbacks.Callback):
    def __init__(self, out_dir, probe_images, every=50):
        super().__init__()
        self.out_dir, self.probe, self.every = out_dir, probe_images, every
        self.gradients, self.activations = [], []  # CSV rows

    def set_model(self, model):
        super().set_model(model)
        self.kernels = main_path_kernels(model)
        self._norms = tf.Variable(tf.zeros(len(self.kernels)), trainable=False)
        stages = feature_layers(model)
        self._stages = keras.Model(model.input, [model.get_layer(n).output
                                                 for n in stages.values()])
        self._stage_names = list(stages)
        optimizer = model.optimizer
        apply = optimizer.apply_gradients
        paths = [kernel.path for _, _, kernel in self.kernels]

        def recording_apply(grads_and_vars):
            grads_and_vars = list(grads_and_vars)
            by_path = {v.path: g for g, v in grads_and_vars}
            self._norms.assign(tf.stack([tf.norm(by_path[p]) for p in paths]))
            return apply(grads_and_vars)

        optimizer.apply_gradients = recording_apply  # this optimizer only
        model.train_function = None  # traced anew, with the recording

    def on_train_begin(self, logs=None):
        self._record_activations(self._step())

    def on_train_batch_end(self, batch, logs=None):
        step = self._step()
        if step % self.every == 0 or step == 1:
            for (depth, name, _), norm in zip(self.kernels, self._norms.numpy()):
                self.gradients.append({"step": step, "depth": depth, "layer": name,
                                       "grad_norm": float(norm)})
            self._record_activations(step)

    def _step(self):
        return int(self.model.optimizer.iterations.numpy())

    def on_train_end(self, logs=None):
        os.makedirs(self.out_dir, exist_ok=True)
        write_csv(os.path.join(self.out_dir, "gradients.csv"), self.gradients)
        write_csv(os.path.join(self.out_dir, "activations.csv"), self.activations)
        plot_gradient_norms({self.model.name: self.gradients},
                            os.path.join(self.out_dir, "gradients.png"))

    def _record_activations(self, step):
        outputs = self._stages(self.probe, training=False)
        for name, y in zip(self._stage_names, outputs):
            y = np.asarray(y)
            self.activations.append({"step": step, "stage": name,
                                     "mean": float(y.mean()), "std": float(y.std()),
                                     "zero_fraction": float(np.mean(y == 0))})


def plot_gradient_norms(records, path):
    """Gradient norm against depth: one panel per model, a line for the first
    and the last recorded step. `records`: {model name: gradient rows}."""
    figure, axes = plots.plt.subplots(1, len(records), figsize=(5 * len(records), 3.6),
                                      squeeze=False)
    for ax, (name, rows) in zip(axes[0], records.items()):
        steps = sorted({r["step"] for r in rows})
        for step in dict.fromkeys([steps[0], steps[-1]]) if steps else []:
            chosen = [r for r in rows if r["step"] == step]
            ax.plot([r["depth"] for r in chosen], [r["grad_norm"] for r in chosen],
                    label=f"step {step}" + (" (initial weights)" if step == 1 else ""))
        ax.set_yscale("log")
        ax.set_xlabel("layer depth")
        ax.set_ylabel("gradient norm")
        ax.set_title(name)
        ax.legend()
        ax.grid(alpha=0.3)
    plots.save_figure(figure, path)

