"""A saved model reloads in a fresh process on every Keras backend."""

import os
import subprocess
import sys

import numpy as np
import pytest

import keras_resnet as kr

HERE = os.path.dirname(__file__)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A model using every custom layer and option, saved under TensorFlow."""
    directory = tmp_path_factory.mktemp("saved")
    model = kr.ResNet20(input_shape=(28, 28, 1), classes=10, drop_path_rate=0.2,
                        se_ratio=0.25, preprocessing="unit", seed=3)
    x = np.random.default_rng(0).uniform(0, 255, (3, 28, 28, 1)).astype("float32")
    # Move the BatchNorm statistics off their defaults, so they must be saved.
    model(x, training=True)
    np.save(directory / "x.npy", x)
    np.save(directory / "y.npy", np.asarray(model(x, training=False)))
    model.save(directory / "model.keras")
    return directory


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
@pytest.mark.slow
def test_fresh_process_reload_and_smoke(backend, saved_model, tmp_path):
    env = dict(os.environ, KERAS_BACKEND=backend)
    d = saved_model
    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "backend_smoke.py"), str(d / "model.keras"),
         str(d / "x.npy"), str(d / "y.npy"), str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"backend {backend} ok" in result.stdout
