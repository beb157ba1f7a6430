"""int8 variants fine-tuned with tfmot, made in a child process (see
`keras_resnet.export.tuned_worker`) so that tfmot's switch of `tf.keras` to `tf_keras`
(TF_USE_LEGACY_KERAS=1) never reaches this process or those it starts later.

    int8-qat        quantization-aware training
    int8-pruned     magnitude pruning to a sparsity (`prune_low_magnitude`)
    int8-clustered  weight clustering to a number of shared values per kernel
"""

import os
import subprocess
import sys

import numpy as np

from keras_resnet.export.variants import ExportError, Tuning

LEGACY = "TF_USE_LEGACY_KERAS"


def tuned_int8(variants, model_path, run_dir, calibration, work_dir, tuning=Tuning()):
    """{variant: int8 `.tflite` bytes} after `tuning.epochs` of fine-tuning
    each on the training data of the run in `run_dir`."""
    calibration_path = os.path.join(work_dir, "tuned-calibration.npy")
    np.save(calibration_path, calibration)
    env = {k: v for k, v in os.environ.items() if k != LEGACY}
    outputs = [os.path.join(work_dir, f"tuned-{v}.tflite") for v in variants]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "keras_resnet.export.tuned_worker",
             os.path.abspath(model_path), run_dir, calibration_path, work_dir,
             str(tuning.epochs), str(tuning.sparsity), str(tuning.clusters), *variants],
            env=env, capture_output=True, text=True)
        if result.returncode != 0:
            lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
            raise ExportError(f"fine-tuning for {', '.join(variants)} failed: "
                              + (lines[-1] if lines else f"exit code {result.returncode}"))
        tuned = {}
        for variant, path in zip(variants, outputs):
            with open(path, "rb") as f:
                tuned[variant] = f.read()
        return tuned
    finally:
        for path in (calibration_path, *outputs):
            if os.path.exists(path):
                os.remove(path)
