"""Precision and XLA defaults per kind of device, and the reasons for them.

A recipe's "auto" settings take the decision `resnet calibrate` measured and
cached for this kind of device (`keras_resnet.training.calibration`), and
otherwise a rule per kind of device (`_rule`, with where its numbers come
from); either way the choice and its reason go into the run's config.json
and summary.json. Nothing is measured during a run: a run's settings must
not depend on how busy the machine was when it started. A measured setting
wins over float32 without XLA only by a margin: XLA must make steps at least
XLA_GAIN times faster, 16-bit compute (which changes the numbers) at least
HALF_GAIN times.
"""

import keras
import tensorflow as tf

from keras_resnet.training.device_cache import read_cache
from keras_resnet.training.hardware import device_kind

XLA_GAIN = 1.1
HALF_GAIN = 1.25


def choose(times):
    """(precision, jit_compile, reason) from measured seconds per step."""
    def jit_for(precision):
        on, off = times.get((precision, True)), times[precision, False]
        return on is not None and on * XLA_GAIN <= off

    def best(precision):
        return times[precision, jit_for(precision)]

    precision = "float32"
    for candidate in ("mixed_bfloat16", "mixed_float16"):
        if ((candidate, False) in times and best(candidate) * HALF_GAIN <= best("float32")
                and best(candidate) < best(precision)):
            precision = candidate
    base = times["float32", False]
    speeds = ", ".join(f"{p}{' +XLA' if jit else ''} {base / t:.2f}×"
                       for (p, jit), t in times.items())
    reason = (f"measured train-step speed vs float32 without XLA: {speeds}; XLA needs "
              f"{XLA_GAIN}×, 16-bit compute {HALF_GAIN}× over float32")
    return precision, jit_for(precision), reason


def device_defaults():
    """(precision, jit_compile, reason): this kind of device's measured decision
    if `resnet calibrate` cached one, otherwise the rule for its kind."""
    kind = device_kind()
    entry = read_cache().get(kind)
    if isinstance(entry, dict) and {"precision", "jit_compile", "reason", "measured"} <= set(entry):
        return (entry["precision"], entry["jit_compile"],
                f"{kind}, measured on {entry['measured']} by resnet calibrate: {entry['reason']}")
    precision, jit, reason = _rule()
    return precision, jit, f"{kind}: {reason} (resnet calibrate measures this device)"


def _rule():
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return ("float32", False,
                "CPU rule: float32 without XLA; XLA made train steps slower and bfloat16 only "
                "1.15× faster on a 2-core AVX512-BF16 EPYC (benchmarks/train_speed.py)")
    capability = tf.config.experimental.get_device_details(gpus[0]).get(
        "compute_capability", (0, 0))
    if capability >= (8, 0):
        return "mixed_bfloat16", True, "GPU rule: bfloat16 tensor cores, XLA fusion"
    if capability >= (7, 0):
        return "mixed_float16", True, "GPU rule: float16 tensor cores, XLA fusion"
    return "float32", True, "GPU rule: no tensor cores, XLA fusion"


def resolve(precision, jit_compile):
    """The recipe's "auto" settings replaced by this kind of device's defaults."""
    if "auto" in (precision, jit_compile):
        auto_precision, auto_jit, reason = device_defaults()
    else:
        auto_precision, auto_jit, reason = precision, jit_compile == "on", "set by the recipe"
    if keras.backend.backend() == "jax" and jit_compile == "auto":
        auto_jit, reason = True, reason + "; the JAX backend always compiles"
    return {
        "precision": auto_precision if precision == "auto" else precision,
        "jit_compile": auto_jit if jit_compile == "auto" else jit_compile == "on",
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
        "reason": reason,
    }
