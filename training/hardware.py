"""Precision and XLA defaults per kind of device, and the reasons for them."""

import keras
import tensorflow as tf


def device_defaults():
    """(precision, jit_compile, reason) for the first device Keras trains on."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return ("float32", False,
                "CPU: float32 without XLA; XLA made train steps slower on CPUs "
                "(benchmarks/train_speed.py), and 16-bit math is fast only on some")
    capability = tf.config.experimental.get_device_details(gpus[0]).get(
        "compute_capability", (0, 0))
    if capability >= (8, 0):
        return ("mixed_bfloat16", True,
                f"GPU compute capability {capability}: bfloat16 tensor cores, XLA fusion")
    if capability >= (7, 0):
        return ("mixed_float16", True,
                f"GPU compute capability {capability}: float16 tensor cores, XLA fusion")
    return "float32", True, f"GPU compute capability {capability}: no tensor cores"


def resolve(precision, jit_compile):
    """The recipe's "auto" settings replaced by the device's defaults."""
    auto_precision, auto_jit, reason = device_defaults()
    if keras.backend.backend() == "jax":  # without jit the JAX backend runs op by op
        auto_jit, reason = True, reason + "; the JAX backend always compiles"
    return {
        "precision": auto_precision if precision == "auto" else precision,
        "jit_compile": auto_jit if jit_compile == "auto" else jit_compile == "on",
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
        "reason": reason if "auto" in (precision, jit_compile) else "set by the recipe",
    }
