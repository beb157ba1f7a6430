"""Run in a fresh process: `python backend_smoke.py MODEL.keras INPUTS.npy EXPECTED.npy OUT_DIR`.

Imports only keras and keras_resnet (the backend comes from KERAS_BACKEND),
loads a model saved by another process with safe_mode=True and checks its
outputs, then builds, runs, saves and reloads a model on this backend.
"""

import sys

import keras
import numpy as np

import keras_resnet

model_path, inputs_path, expected_path, out_dir = sys.argv[1:5]
x = np.load(inputs_path)
loaded = keras.saving.load_model(model_path, safe_mode=True)
np.testing.assert_allclose(
    keras.ops.convert_to_numpy(loaded(x, training=False)), np.load(expected_path),
    rtol=1e-4, atol=1e-5)

model = keras_resnet.ResNet(50, variant="d", se_ratio=0.25, drop_path_rate=0.1,
                            input_shape=(32, 32, 3), classes=4)
y = keras.ops.convert_to_numpy(model(np.ones((2, 32, 32, 3), "float32")))
assert y.shape == (2, 4) and np.all(np.isfinite(y))
model.save(f"{out_dir}/own.keras")
again = keras.saving.load_model(f"{out_dir}/own.keras", safe_mode=True)
np.testing.assert_array_equal(
    keras.ops.convert_to_numpy(again(np.ones((2, 32, 32, 3), "float32"))), y)
print("backend", keras.backend.backend(), "ok")
