"""This CPU and what TensorFlow does on it, without importing TensorFlow.

- `cpu_description()`: the line every figure of the project is quoted with.
- `int8_capability()`: the instructions that make int8 inference fast here.
- oneDNN: TensorFlow 2.21 on Linux x86 turns its oneDNN kernels on by itself
  only on CPUs with AVX512-VNNI, AVX512-BF16, AVX-VNNI or AMX
  (`onednn_by_default`). Off, convolutions take the slower Eigen path and NCHW
  convolutions do not exist on CPU: on a 2-core AVX2-only EPYC a ResNet-20
  train step ran at 306–359 images/s off and 505–532 on. The setting is read
  once, when TensorFlow loads, from `TF_ENABLE_ONEDNN_OPTS`; so every entry
  point that starts TensorFlow for the user calls `choose_onednn()` first.
  It keeps a value the user set, else takes `resnet calibrate`'s measured
  decision for this CPU kind, else turns oneDNN on for x86 CPUs with AVX2.
  Child processes inherit the variable and the reason.
"""

import json
import math
import os
import platform
import sys
from importlib import metadata

ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"
_ONEDNN_REASON = "KERAS_RESNET_ONEDNN_REASON"  # why the variable has its value
# TensorFlow's own default on Linux (tensorflow/core/util/port.cc, DefaultOneDnnPolicy).
ONEDNN_DEFAULT_FLAGS = ("avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8",
                        "amx_bf16")
# CPU flags that decide which kernels oneDNN and XNNPACK can use.
SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni",
               "amx_bf16", "amx_int8", "amx_tile", "asimddp", "i8mm")
# Flag → the name of the int8 dot-product instructions it stands for, best first.
INT8_INSTRUCTIONS = (("amx_int8", "AMX"), ("avx512_vnni", "AVX-512 VNNI"),
                     ("avx_vnni", "AVX-VNNI"), ("i8mm", "ARM i8mm"),
                     ("asimddp", "ARM dotprod"))


def cpu_model():
    """The CPU's model name, e.g. "AMD EPYC 9R14"."""
    names = [line.split(":", 1)[1].strip() for line in _cpuinfo().splitlines()
             if line.startswith("model name")]
    return names[0] if names else platform.processor() or platform.machine()


def cpu_flags():
    """The CPU's feature flags (/proc/cpuinfo's `flags`, or `Features` on ARM)."""
    for line in _cpuinfo().splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.split(":", 1)[1].split())
    return set()


def _cpuinfo():
    return _read_text("/proc/cpuinfo") or ""  # empty where there is none (not Linux)


def usable_cores():
    """CPUs this process may run on: its affinity mask, capped by a cgroup CPU
    quota (a container may see every host CPU and be allowed two)."""
    cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
             else os.cpu_count() or 1)
    quota = _cgroup_quota()
    return max(1, min(cores, math.ceil(quota))) if quota else cores


def _cgroup_quota():
    """CPUs allowed by the cgroup (v2 cpu.max, else v1 cfs quota), or None."""
    v2 = _read_text("/sys/fs/cgroup/cpu.max")  # "200000 100000" or "max 100000"
    if v2 is not None:
        fields = v2.split()
    else:
        quota = _read_text("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")  # -1: none
        period = _read_text("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
        if quota is None or period is None:
            return None
        fields = [quota.strip(), period.strip()]
    try:
        quota, period = fields
        return None if quota in ("max", "-1") else int(quota) / int(period)
    except ValueError:  # unexpected format: no quota known
        return None


def _read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def cpu_description():
    """The CPU every benchmark figure is quoted with, e.g. "AMD EPYC 9R14, 2
    usable cores of 2, flags avx2 fma avx512f avx512_bf16"."""
    flags = cpu_flags()
    shown = " ".join(f for f in SPEED_FLAGS if f in flags) or "unknown"
    return (f"{cpu_model()}, {usable_cores()} usable cores of {os.cpu_count()}, "
            f"flags {shown}")


def int8_capability():
    """The int8 dot-product instructions of this CPU ("AVX-512 VNNI", "AMX",
    "AVX-VNNI", "ARM dotprod", ...), or None: then int8 inference has no fast
    path here and is often slower than float32."""
    flags = cpu_flags()
    return next((name for flag, name in INT8_INSTRUCTIONS if flag in flags), None)


def int8_note(int8_ms, float_ms):
    """An int8 model's latency here, in one line: the ratio to float32, this
    CPU's int8 instructions, and plainly where int8 pays when it does not here."""
    ratio = int8_ms / float_ms
    capability = int8_capability()
    line = (f"{ratio:.2f}× float32's latency on this CPU "
            f"({capability or 'no int8 dot-product instructions'})")
    if ratio >= 0.95:
        line += ("; not faster here: int8 pays on phones (ARM dotprod) and on x86 CPUs "
                 "with VNNI or AMX, and still makes the file 4× smaller")
    return line


def cache_file():
    """Where `resnet calibrate` keeps its decisions per kind of device."""
    root = os.environ.get("KERAS_RESNET_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "keras3-resnet")
    return os.path.join(root, "device_defaults.json")


def onednn_kind():
    """The key of oneDNN decisions: the CPU and the TensorFlow release."""
    try:
        version = metadata.version("tensorflow")
    except metadata.PackageNotFoundError:
        version = "none"
    return f"oneDNN on {cpu_description()}, TensorFlow {version}"


def onednn_by_default():
    """Whether TensorFlow turns oneDNN on by itself on this CPU (Linux x86)."""
    return bool(cpu_flags() & set(ONEDNN_DEFAULT_FLAGS))


def cached_onednn():
    """`resnet calibrate`'s {"enabled", "reason", "measured"} for this CPU, or None."""
    try:
        with open(cache_file()) as f:
            entry = json.load(f).get(onednn_kind())
    except (OSError, ValueError, AttributeError):  # none yet, or unreadable
        return None
    if isinstance(entry, dict) and {"enabled", "reason", "measured"} <= set(entry):
        return entry
    return None


def choose_onednn():
    """Sets TF_ENABLE_ONEDNN_OPTS for this process and its children before
    TensorFlow loads, unless the user set it; returns `onednn_state()`."""
    if ONEDNN_VARIABLE not in os.environ and "tensorflow" not in sys.modules:
        enabled, reason = _onednn_decision()
        if enabled is not None:
            os.environ[ONEDNN_VARIABLE] = "1" if enabled else "0"
            os.environ[_ONEDNN_REASON] = reason
    return onednn_state()


def _onednn_decision():
    """(enabled or None for TensorFlow's default, reason) for this CPU."""
    cached = cached_onednn()
    if cached:
        return bool(cached["enabled"]), (f"measured on {cached['measured']} by resnet "
                                         f"calibrate: {cached['reason']}")
    if platform.machine().lower() in ("x86_64", "amd64") and "avx2" in cpu_flags():
        return True, ("rule for x86 CPUs with AVX2: on (ResNet-20 train step 1.6× faster on an "
                      "AVX2-only EPYC; TensorFlow's own default already on with VNNI/BF16/AMX)")
    return None, "TensorFlow's default for this CPU"


def onednn_state():
    """{"enabled": bool, "reason": str}: whether TensorFlow's oneDNN kernels are
    on in this process (or will be, when TensorFlow loads) and why."""
    value = os.environ.get(ONEDNN_VARIABLE)
    if "tensorflow" in sys.modules:
        from tensorflow.python.util import _pywrap_util_port

        enabled = bool(_pywrap_util_port.IsMklEnabled())
    elif value is not None:
        enabled = value.strip().lower() in ("1", "true")
    else:
        enabled = onednn_by_default()
    if value is None:
        reason = "TensorFlow's default for this CPU"
    elif os.environ.get(_ONEDNN_REASON):
        reason = os.environ[_ONEDNN_REASON]
    else:
        reason = f"{ONEDNN_VARIABLE}={value} set before TensorFlow started"
    return {"enabled": enabled, "reason": reason}
