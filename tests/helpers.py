"""Helpers that several test files import (fixtures live in conftest.py)."""

import subprocess
import sys

import numpy as np

EXPORT_VARIANTS = ["float32", "float16", "dynamic", "int8", "uint8", "int8-io"]


def randomize(model, rng, bias_scale=0.1):
    """Random non-default weights everywhere, BatchNorm statistics included, so
    that a conversion that drops or misplaces any of them shows in outputs."""
    import keras

    for layer in model.layers:
        if not layer.weights:
            continue
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = (w.shape for w in layer.weights)
            values = [rng.uniform(0.5, 1.5, gamma), rng.normal(0, 0.1, beta),
                      rng.normal(0, 0.1, mean), rng.uniform(0.5, 1.5, var)]
        else:
            values = [w.numpy() if hasattr(w, "numpy") else np.asarray(w)
                      for w in layer.weights]
            if isinstance(layer, keras.layers.Conv2D) and layer.use_bias:
                values[1] = rng.normal(0, bias_scale, values[1].shape)
        layer.set_weights([np.asarray(v, "float32") for v in values])
    return model


def venv_with(tmp_path, *requirements):
    """A new virtual environment with `requirements` installed; its bin/ path."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", *requirements],
        capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    return venv / "bin"
