"""TensorFlow's oneDNN kernels: the choice made before TensorFlow loads, its
record, and the CPU-sensitive behaviour on both sides on any machine (each
side in a fresh process: TensorFlow reads the setting when it loads)."""

import json
import os
import subprocess
import sys

import pytest

from keras_resnet import cpu

RUN = [sys.executable, "-c"]


def _python(code, onednn=None, timeout=600):
    """Runs `code` in a fresh interpreter with TF_ENABLE_ONEDNN_OPTS unset or
    set to `onednn`; returns its last stdout line as JSON."""
    env = {k: v for k, v in os.environ.items()
           if k not in (cpu.ONEDNN_VARIABLE, "KERAS_RESNET_ONEDNN_REASON")}
    if onednn is not None:
        env[cpu.ONEDNN_VARIABLE] = onednn
    done = subprocess.run(RUN + [code], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=os.path.dirname(__file__))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("flags,machine,decision", [
    ({"avx2", "fma"}, "x86_64", True),                     # AVX2-only EPYC: TF leaves it off
    ({"avx2", "avx512f", "avx512_vnni"}, "x86_64", True),  # TF's default is on already
    ({"asimd", "asimddp"}, "aarch64", None),               # ARM: TensorFlow decides
    ({"sse4_2", "avx"}, "x86_64", None),                   # no AVX2: TensorFlow decides
])
def test_the_rule_turns_onednn_on_for_avx2(monkeypatch, tmp_path, flags, machine, decision):
    monkeypatch.setenv("KERAS_RESNET_CACHE", str(tmp_path))
    monkeypatch.setattr(cpu, "cpu_flags", lambda: flags)
    monkeypatch.setattr(cpu.platform, "machine", lambda: machine)
    enabled, reason = cpu._onednn_decision()
    assert enabled is decision
    assert ("rule for x86 CPUs with AVX2" in reason) == (decision is True)


def test_a_calibrated_decision_overrides_the_rule(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_RESNET_CACHE", str(tmp_path))
    (tmp_path / "device_defaults.json").write_text(json.dumps({
        cpu.onednn_kind(): {"enabled": False, "reason": "off 600, on 500 images/s",
                            "measured": "2026-12-01"},
        "oneDNN on another CPU": {"enabled": True, "reason": "r", "measured": "2026-01-01"}}))
    assert cpu._onednn_decision() == (
        False, "measured on 2026-12-01 by resnet calibrate: off 600, on 500 images/s")
    (tmp_path / "device_defaults.json").write_text("{not json")
    assert cpu.cached_onednn() is None  # unreadable: the rule again


def test_entry_points_set_onednn_before_tensorflow_and_keep_the_users_choice():
    code = ("import json; from keras_resnet import cpu; chosen = cpu.choose_onednn(); "
            "import tensorflow; print(json.dumps([chosen, cpu.onednn_state()]))")
    chosen, loaded = _python(code)
    if {"avx2"} <= cpu.cpu_flags():  # the x86 machines this project runs on
        assert chosen["enabled"] and loaded["enabled"]
    assert chosen == loaded  # what was recorded is what TensorFlow did
    chosen, loaded = _python(code, onednn="0")
    assert not chosen["enabled"] and not loaded["enabled"]
    assert loaded["reason"] == "TF_ENABLE_ONEDNN_OPTS=0 set before TensorFlow started"


CHANNELS_FIRST = """
import json, numpy as np, keras, keras_resnet as kr
from helpers import randomize
try:
    first = kr.ResNet20(input_shape=(3, 28, 28), classes=10, data_format="channels_first")
except ValueError as error:
    print(json.dumps({"error": str(error)})); raise SystemExit
rng = np.random.default_rng(0)
last = randomize(kr.ResNet20(input_shape=(28, 28, 3), classes=10), rng)
for layer in first.layers:
    layer.set_weights(last.get_layer(layer.name).get_weights())
x = rng.uniform(size=(2, 28, 28, 3)).astype("float32")
diff = np.abs(np.asarray(first(x.transpose(0, 3, 1, 2))) - np.asarray(last(x))).max()
print(json.dumps({"difference": float(diff)}))
"""


@pytest.mark.slow
def test_channels_first_with_onednn_on_and_off():
    """On: the same function as channels_last. Off (TensorFlow's default on
    AVX2-only CPUs): one clear error at build, naming the setting and the fix."""
    on = _python(CHANNELS_FIRST, onednn="1")
    assert on.get("difference", 1) < 1e-5, on
    off = _python(CHANNELS_FIRST, onednn="0")
    assert off["error"].startswith("data_format='channels_first' is not valid; allowed: "
                                   "'channels_last' here")
    assert "TF_ENABLE_ONEDNN_OPTS=1" in off["error"]


SHORT_RUN = """
import json, tempfile
from keras_resnet.training.fit import train
from keras_resnet.training.recipe import load_recipe
recipe = load_recipe("fashion_mnist", {"train_limit": 4096, "validation_size": 1000,
                                       "test_limit": 2000, "epochs": 3, "warmup_epochs": 0.5})
summary = train(recipe, tempfile.mkdtemp() + "/run", verbose=0)
print(json.dumps({"accuracy": summary["test"]["accuracy"],
                  "onednn": summary["device"]["onednn"]}))
"""


@pytest.mark.slow
def test_resnet20_learns_with_onednn_off(short_run):
    """The short run (conftest, oneDNN on) again with oneDNN off: the Eigen
    kernels learn as well. Thresholds: see test_training.py."""
    off = _python(SHORT_RUN, onednn="0")
    assert off["onednn"] == {"enabled": False, "reason":
                             "TF_ENABLE_ONEDNN_OPTS=0 set before TensorFlow started"}
    assert short_run["device"]["onednn"]["enabled"]
    assert off["accuracy"] > 0.65


FUSED_BATCH_NORM = """
import json, numpy as np, keras, tensorflow as tf
from keras_resnet.layers import BatchNormalization
rng = np.random.default_rng(0)
result = {}
for axis, shape in ((3, (8, 5, 6, 7)), (1, (8, 7, 5, 6))):
    x = tf.constant(rng.normal(2, 3, shape).astype("float32"))
    weight = tf.constant(rng.normal(size=shape).astype("float32"))
    outputs, ops = [], None
    for cls in (keras.layers.BatchNormalization, BatchNormalization):
        bn = cls(axis=axis, momentum=0.9, epsilon=1e-5,
                 gamma_initializer=keras.initializers.RandomNormal(seed=1),
                 beta_initializer=keras.initializers.RandomNormal(seed=2))
        bn.build(shape)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = bn(x, training=True)
            loss = tf.reduce_sum(y * weight)
        grads = tape.gradient(loss, [x, bn.gamma.value, bn.beta.value])
        outputs.append([y, *grads, bn.moving_mean, bn.moving_variance, bn(x, training=False)])
        graph = tf.function(lambda t: bn(t, training=True)).get_concrete_function(x).graph
        ops = {op.type for op in graph.get_operations()}
    result[axis] = {"difference": max(float(np.abs(np.asarray(a) - np.asarray(b)).max()
                                            / (np.abs(np.asarray(a)).max() + 1e-12))
                                      for a, b in zip(*outputs)),
                    "fused": "FusedBatchNormV3" in ops}
print(json.dumps(result))
"""


@pytest.mark.parametrize("onednn", ["1", "0"])
def test_fused_batch_norm_is_keras_batch_norm_with_onednn_on_and_off(onednn):
    """The library's BatchNormalization trains through TensorFlow's fused op
    and gives Keras' outputs, gradients and moving statistics (relative
    difference at float32 rounding), channels_last and channels_first."""
    for axis, seen in _python(FUSED_BATCH_NORM, onednn=onednn).items():
        assert seen["fused"], axis
        assert seen["difference"] < 1e-5, (axis, seen)
