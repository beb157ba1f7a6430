"""Quantization-aware training in a child process (see `export.qat_worker`),
so that tfmot's switch of `tf.keras` to `tf_keras` (TF_USE_LEGACY_KERAS=1)
never reaches this process or the processes it starts later."""

import os
import subprocess
import sys

import numpy as np

LEGACY = "TF_USE_LEGACY_KERAS"


def qat_int8(model_path, run_dir, calibration, work_dir, epochs=1):
    """int8 `.tflite` bytes of `model_path` after `epochs` of QAT on the run's data."""
    from export.convert import ExportError

    calibration_path = os.path.join(work_dir, "qat-calibration.npy")
    out_path = os.path.join(work_dir, "qat.tflite")
    np.save(calibration_path, calibration)
    env = {k: v for k, v in os.environ.items() if k != LEGACY}
    try:
        result = subprocess.run(
            [sys.executable, "-m", "export.qat_worker", os.path.abspath(model_path), run_dir,
             out_path, calibration_path, str(epochs)],
            env=env, capture_output=True, text=True)
        if result.returncode != 0:
            lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
            raise ExportError("quantization-aware training failed: "
                              + (lines[-1] if lines else f"exit code {result.returncode}"))
        with open(out_path, "rb") as f:
            return f.read()
    finally:
        for path in (calibration_path, out_path):
            if os.path.exists(path):
                os.remove(path)
