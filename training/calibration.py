"""`resnet calibrate`'s measurements: a few ResNet-20 train steps timed in
every precision and XLA setting on this kind of device (its model name, core
count, TensorFlow, Keras and backend), and TensorFlow's oneDNN kernels on
and off (in subprocesses: the setting is read when TensorFlow loads). The
decisions go into the cache (`device_cache`): precision and XLA for
`device_defaults.resolve`, oneDNN for `keras_resnet.cpu.choose_onednn` at
the next start.
"""

import datetime
import os
import statistics
import subprocess
import sys
import time

import keras
import numpy as np
import tensorflow as tf

import keras_resnet
from keras_resnet import cpu
from keras_resnet.training.device_cache import store
from keras_resnet.training.device_defaults import choose
from keras_resnet.training.hardware import device_kind

SETTINGS = (("float32", False), ("float32", True), ("mixed_bfloat16", False),
            ("mixed_bfloat16", True), ("mixed_float16", False), ("mixed_float16", True))


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


def calibrate(**measure_args):
    """Measures this kind of device, caches and returns (kind, times, decision)."""
    kind, times = device_kind(), measure(**measure_args)
    precision, jit, reason = choose(times)
    entry = {"precision": precision, "jit_compile": jit, "reason": reason,
             "measured": datetime.date.today().isoformat()}
    store(kind, entry)
    return kind, times, entry


def measure_onednn(*, batch=128, rounds=10, repeats=2, input_shape=(28, 28, 1)):
    """{True: seconds, False: seconds}: median float32 train-step time with
    TensorFlow's oneDNN kernels on and off. The setting is read when TensorFlow
    loads, so each measurement is a fresh process; on and off alternate
    `repeats` times so that the machine's noise hits both alike."""
    code = ("import json; from keras_resnet.training import calibration; "
            "print(json.dumps(calibration.measure(((\"float32\", False),), batch=%d, rounds=%d, "
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
    store(kind, entry)
    return kind, times, entry


def speed_table(times, batch):
    """A Markdown table of measured images/s per setting."""
    base = times["float32", False]
    rows = [f"| {p} | {'on' if jit else 'off'} | {batch / t:.0f} | {t / base:.2f} |"
            for (p, jit), t in times.items()]
    return "\n".join(["| precision | XLA | images/s | step time vs float32 without XLA |",
                      "|---|---|--:|--:|", *rows])
