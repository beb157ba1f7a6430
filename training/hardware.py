"""Precision and XLA defaults per kind of device, and the reasons for them.

`resnet calibrate` times a few ResNet-20 train steps in every setting on this
kind of device (its model name, core count, TensorFlow, Keras and backend)
and caches the fastest, under two margins: XLA must make steps at least
XLA_GAIN times faster, 16-bit compute (which changes the numbers) at least
HALF_GAIN times. The cache is `$KERAS_RESNET_CACHE/device_defaults.json`
(default `~/.cache/keras3-resnet`). A recipe's "auto" settings take the
cached decision for this kind of device when there is one, and otherwise
a rule per kind of device (`_rule`, with where its numbers come from); either
way the choice and its reason go into the run's config.json and summary.json.
Nothing is measured during a run: a run's settings must not depend on how
busy the machine was when it started. `resnet calibrate` also times
TensorFlow's oneDNN kernels on and off (`measure_onednn`, in subprocesses:
the setting is read when TensorFlow loads) and caches the faster for this
CPU, which `keras_resnet.cpu.choose_onednn` applies at the next start.

TensorFlow's thread pools are sized from the cores this process may use
(`usable_cores`: the affinity mask, capped by a cgroup CPU quota), not from
the machine's CPU count, and recorded beside the precision decision.
"""

import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import keras
import numpy as np
import tensorflow as tf
from filelock import FileLock

import keras_resnet
from keras_resnet import cpu
from keras_resnet.atomic_files import write_json
from keras_resnet.cpu import cache_file, cpu_model, usable_cores

SETTINGS = (("float32", False), ("float32", True), ("mixed_bfloat16", False),
            ("mixed_bfloat16", True), ("mixed_float16", False), ("mixed_float16", True))
XLA_GAIN = 1.1
HALF_GAIN = 1.25


def device_kind():
    """What defaults are measured for, e.g. "CPU AMD EPYC ×2, TensorFlow 2.21.0, ..."."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        capability = ".".join(map(str, details.get("compute_capability", ("?",))))
        name = f"GPU {details.get('device_name', 'unknown')} (compute capability {capability})"
    else:
        name = f"CPU {cpu_model()} ×{usable_cores()}"
    return (f"{name}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
            f"{keras.backend.backend()} backend")


# benchmarks/thread_speed.py on a 2-core AMD EPYC (README, "Threads"): one
# inter-op thread trained at 572 images/s, one per core at 636.
INTER_OP_REASON = "one intra- and one inter-op thread per core (one inter-op thread was slower)"


def onednn():
    """`cpu.onednn_state()` for a run's config.json. Warns (once) when the
    oneDNN kernels are off on a CPU and nobody chose so: a script that imported
    TensorFlow itself on a CPU where TensorFlow leaves them off."""
    state = cpu.onednn_state()
    if (not state["enabled"] and cpu.ONEDNN_VARIABLE not in os.environ
            and keras.backend.backend() == "tensorflow"
            and not tf.config.list_physical_devices("GPU")):
        warnings.warn(f"TensorFlow's oneDNN kernels are off on this CPU ({cpu.cpu_model()}): "
                      "training runs about 1.6× slower (measured on an AVX2 EPYC); set "
                      f"{cpu.ONEDNN_VARIABLE}=1 before importing TensorFlow (the resnet "
                      "command does)", stacklevel=2)
    return state


def thread_settings():
    """TensorFlow's pool sizes for this process's usable cores: one intra-op
    and one inter-op thread per core. TensorFlow's
    own default counts CPUs without a cgroup quota, so a container that sees
    more CPUs than it may use would run more threads than cores."""
    cores = usable_cores()
    return {"cores": cores, "intra_op": cores, "inter_op": cores}


def apply_threads():
    """Sizes TensorFlow's thread pools (before its runtime starts; once it has,
    they stay as they are) and returns the sizes in effect, with the reason."""
    wanted = thread_settings()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(wanted["intra_op"])
        tf.config.threading.set_inter_op_parallelism_threads(wanted["inter_op"])
        cores = wanted["cores"]
        plural = "s" * (cores != 1)
        reason = f"sized to this process's {cores} usable core{plural}; {INTER_OP_REASON}"
    except RuntimeError:  # the runtime is already running: its pools are fixed
        reason = "TensorFlow was already initialised; its pools were left as they were"
    return {"cores": wanted["cores"],
            "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            "reason": reason}


def measure(settings=SETTINGS, *, batch=128, rounds=20, input_shape=(28, 28, 1)):
    """Median seconds per ResNet-20 train step for each (precision, jit) setting,
    timed in interleaved rounds so that the machine's noise hits all alike. A
    setting over twice as slow as the fastest in the first round (it cannot win)
    keeps that one time and leaves the remaining rounds."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (batch, *input_shape)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, batch)]
    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel("ERROR")  # one trace per model is expected here, not a retracing problem
    try:
        models = {setting: _probe(*setting, input_shape, x, y) for setting in settings}
        times = {setting: [] for setting in settings}
        for round_ in range(rounds):
            for setting, model in models.items():
                start = time.perf_counter()
                model.train_on_batch(x, y)
                times[setting].append(time.perf_counter() - start)
            if round_ == 0:
                fastest = min(values[0] for values in times.values())
                models = {s: m for s, m in models.items() if times[s][0] <= 2 * fastest}
    finally:
        logger.setLevel(level)
    return {setting: statistics.median(values) for setting, values in times.items()}


def _probe(precision, jit, input_shape, x, y):
    """ResNet-20 in `precision`, compiled with or without XLA, past its first steps."""
    model = keras_resnet.ResNet20(input_shape=input_shape, classes=10, preprocessing="unit",
                                  dtype=precision)
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
                  loss="categorical_crossentropy", jit_compile=jit)
    for _ in range(2):  # tracing, compiling, first allocations
        model.train_on_batch(x, y)
    return model


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


def calibrate(**measure_args):
    """Measures this kind of device, caches and returns (kind, times, decision)."""
    kind, times = device_kind(), measure(**measure_args)
    precision, jit, reason = choose(times)
    entry = {"precision": precision, "jit_compile": jit, "reason": reason,
             "measured": datetime.date.today().isoformat()}
    _store(kind, entry)
    return kind, times, entry


def measure_onednn(*, batch=128, rounds=10, repeats=2, input_shape=(28, 28, 1)):
    """{True: seconds, False: seconds}: median float32 train-step time with
    TensorFlow's oneDNN kernels on and off. The setting is read when TensorFlow
    loads, so each measurement is a fresh process; on and off alternate
    `repeats` times so that the machine's noise hits both alike."""
    code = ("import json; from keras_resnet.training import hardware; "
            "print(json.dumps(hardware.measure(((\"float32\", False),), batch=%d, rounds=%d, "
            "input_shape=%r)[\"float32\", False]))" % (batch, rounds, tuple(input_shape)))
    times = {True: [], False: []}
    for _ in range(repeats):
        for enabled in (True, False):
            env = {**os.environ, cpu.ONEDNN_VARIABLE: str(int(enabled)),
                   "TF_CPP_MIN_LOG_LEVEL": "3"}
            done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                  text=True)
            if done.returncode:
                raise RuntimeError(f"the oneDNN {'on' if enabled else 'off'} probe failed: "
                                   f"{done.stderr.strip().splitlines()[-1:]}")
            times[enabled].append(float(done.stdout.strip().splitlines()[-1]))
    return {enabled: statistics.median(values) for enabled, values in times.items()}


def calibrate_onednn(batch=128, **measure_args):
    """Measures oneDNN on/off on this CPU, caches the faster for `cpu.choose_onednn`
    and returns (kind, times, decision)."""
    times = measure_onednn(batch=batch, **measure_args)
    enabled = times[True] <= times[False]
    reason = (f"float32 ResNet-20 train step {batch / times[True]:.0f} images/s with oneDNN, "
              f"{batch / times[False]:.0f} without")
    kind = cpu.onednn_kind()
    entry = {"enabled": enabled, "reason": reason,
             "measured": datetime.date.today().isoformat()}
    _store(kind, entry)
    return kind, times, entry


def _store(kind, entry):
    path = cache_file()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with FileLock(path + ".lock"):
        cache = _read(path)
        cache[kind] = entry
        write_json(path, cache)


def speed_table(times, batch):
    """A Markdown table of measured images/s per setting."""
    base = times["float32", False]
    rows = [f"| {p} | {'on' if jit else 'off'} | {batch / t:.0f} | {t / base:.2f} |"
            for (p, jit), t in times.items()]
    return "\n".join(["| precision | XLA | images/s | step time vs float32 without XLA |",
                      "|---|---|--:|--:|", *rows])


def device_defaults():
    """(precision, jit_compile, reason): this kind of device's measured decision
    if `resnet calibrate` cached one, otherwise the rule for its kind."""
    kind = device_kind()
    entry = _read(cache_file()).get(kind)
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


def _read(path):
    try:
        with open(path) as f:
            cache = json.load(f)
        return cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):  # none yet, or unreadable: nothing cached
        return {}


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
