"""Precision and XLA defaults per kind of device: the decision from measured
step times, the cache `resnet calibrate` writes, and what "auto" resolves to."""

import json
import os
import subprocess
import sys

import pytest

from keras_resnet import cpu
from keras_resnet.training import calibration, device_defaults, hardware

F32, F32_XLA = ("float32", False), ("float32", True)
BF16, BF16_XLA = ("mixed_bfloat16", False), ("mixed_bfloat16", True)
F16, F16_XLA = ("mixed_float16", False), ("mixed_float16", True)


def times(f32=1.0, f32_xla=1.0, bf16=1.0, bf16_xla=1.0, f16=1.0, f16_xla=1.0):
    return {F32: f32, F32_XLA: f32_xla, BF16: bf16, BF16_XLA: bf16_xla, F16: f16,
            F16_XLA: f16_xla}


@pytest.mark.parametrize("measured,decision", [
    # This machine (benchmarks/train_speed.py): XLA slower, bfloat16 1.15× faster.
    (times(1.0, 1.35, 0.87, 1.25, 4.95, 1.6), ("float32", False)),
    (times(1.0, 0.85, 1.0, 0.9, 2.0, 2.0), ("float32", True)),      # XLA 1.18× faster
    (times(1.0, 0.95, 1.0, 1.0, 2.0, 2.0), ("float32", False)),     # 1.05×: within noise
    (times(1.0, 0.8, 0.7, 0.5, 0.6, 0.55), ("mixed_bfloat16", True)),  # tensor cores
    (times(1.0, 0.8, 0.9, 0.7, 0.5, 0.45), ("mixed_float16", True)),   # fp16 but no bf16
    (times(1.0, 1.0, 0.82, 0.85, 3.0, 3.0), ("float32", False)),    # 1.22×: 16-bit not worth it
    (times(1.0, 1.0, 0.78, 0.85, 3.0, 3.0), ("mixed_bfloat16", False)),
])
def test_the_fastest_setting_wins_by_a_margin(measured, decision):
    precision, jit, reason = device_defaults.choose(measured)
    assert (precision, jit) == decision
    assert "float32 +XLA" in reason and "16-bit compute 1.25×" in reason


def test_auto_follows_the_rule_until_this_device_is_calibrated(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_RESNET_CACHE", str(tmp_path))
    ruled = device_defaults.resolve("auto", "auto")
    assert (ruled["precision"], ruled["jit_compile"]) == ("float32", False)  # the CPU rule
    assert "CPU rule" in ruled["reason"] and "resnet calibrate" in ruled["reason"]
    assert device_defaults.resolve("mixed_bfloat16", "on")["reason"] == "set by the recipe"

    # Another kind of device's entry stays; this kind's measurement is used.
    (tmp_path / "device_defaults.json").write_text(json.dumps(
        {"GPU elsewhere": {"precision": "mixed_float16", "jit_compile": True,
                           "reason": "r", "measured": "2026-01-01"}}))
    kind, measured, entry = calibration.calibrate(settings=(F32, BF16), rounds=2, batch=8)
    assert kind == hardware.device_kind() and set(measured) == {F32, BF16}
    assert all(t > 0 for t in measured.values())
    cache = json.loads((tmp_path / "device_defaults.json").read_text())
    assert set(cache) == {"GPU elsewhere", kind} and cache[kind] == entry
    assert (entry["precision"], entry["jit_compile"]) == device_defaults.choose(measured)[:2]

    # A measured decision that differs from the rule shows that the cache is read.
    cache[kind].update(precision="mixed_bfloat16", jit_compile=True)
    (tmp_path / "device_defaults.json").write_text(json.dumps(cache))
    measured_default = device_defaults.resolve("auto", "auto")
    assert (measured_default["precision"], measured_default["jit_compile"]) == (
        "mixed_bfloat16", True)
    assert "measured on" in measured_default["reason"]
    assert device_defaults.resolve("float32", "auto")["precision"] == "float32"


@pytest.mark.parametrize("affinity,quota,cores", [
    ({0, 1}, None, 2),             # this machine
    (set(range(64)), 2.0, 2),      # a container that sees 64 host CPUs and may use 2
    (set(range(64)), 1.5, 2),      # a fractional quota rounds up, as the JVM does
    ({3}, None, 1),                # pinned to one CPU (taskset)
    ({0, 1}, 8.0, 2),              # a quota above the affinity does not add CPUs
])
def test_thread_pools_never_exceed_the_cores_the_process_may_use(monkeypatch, affinity,
                                                                 quota, cores):
    monkeypatch.setattr(cpu.os, "sched_getaffinity", lambda pid: affinity)
    monkeypatch.setattr(cpu, "_cgroup_quota", lambda: quota)
    settings = hardware.thread_settings()
    assert settings["cores"] == cores
    assert 1 <= settings["inter_op"] <= settings["intra_op"] <= cores


@pytest.mark.parametrize("files,quota", [
    ({"/sys/fs/cgroup/cpu.max": "200000 100000\n"}, 2.0),
    ({"/sys/fs/cgroup/cpu.max": "max 100000\n"}, None),
    ({"/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "150000\n",
      "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"}, 1.5),
    ({"/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n",
      "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"/sys/fs/cgroup/cpu.max": "garbage"}, None),
    ({}, None),
])
def test_cgroup_cpu_quota_v1_and_v2(monkeypatch, files, quota):
    monkeypatch.setattr(cpu, "_read_text", files.get)
    assert cpu._cgroup_quota() == quota


def test_a_process_pinned_to_one_cpu_runs_tensorflow_on_one_thread():
    """The real pools of a fresh TensorFlow in a process whose affinity is one CPU."""
    code = ("import json, os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from training import hardware; import tensorflow as tf; "
            "applied = hardware.apply_threads(); tf.constant(1.0) + 1; "
            "print(json.dumps([applied, tf.config.threading.get_intra_op_parallelism_threads(), "
            "tf.config.threading.get_inter_op_parallelism_threads()]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    applied, intra, inter = json.loads(done.stdout.strip().splitlines()[-1])
    assert applied["cores"] == 1 and intra == inter == 1
    assert "sized to this process's 1 usable core;" in applied["reason"]


def test_cpu_description_names_the_model_and_the_usable_cores():
    text = cpu.cpu_description()
    assert cpu.cpu_model() in text
    assert f"{len(os.sched_getaffinity(0))} usable cores of {os.cpu_count()}" in text


def test_calibrate_measures_onednn_in_fresh_processes_and_caches_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_RESNET_CACHE", str(tmp_path))
    kind, measured, entry = calibration.calibrate_onednn(batch=8, rounds=2, repeats=1)
    assert set(measured) == {True, False} and all(t > 0 for t in measured.values())
    assert entry["enabled"] == (measured[True] <= measured[False])
    assert kind == cpu.onednn_kind() and cpu.cached_onednn() == entry
    assert "images/s with oneDNN" in entry["reason"]
