"""The device a run trains on: what kind it is (`device_kind`, the key of
the defaults cache), TensorFlow's thread pools sized to the usable cores,
and the state of TensorFlow's oneDNN kernels.

TensorFlow's thread pools are sized from the cores this process may use
(`usable_cores`: the affinity mask, capped by a cgroup CPU quota), not from
the machine's CPU count, and recorded beside the precision decision
(`keras_resnet.training.device_defaults`).
"""

import os
import warnings

import keras
import tensorflow as tf

from keras_resnet import cpu
from keras_resnet.cpu import _read_text, cpu_model, usable_cores


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


def available_memory():
    """Bytes this process may still allocate: the kernel's MemAvailable, or
    less under a cgroup (container) memory limit."""
    meminfo = (_read_text("/proc/meminfo") or "").splitlines()
    kib = [int(line.split()[1]) for line in meminfo if line.startswith("MemAvailable:")]
    available = (kib[0] * 1024 if kib else
                 os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        limit, usage = (_read_text(path) for path in (limit_file, usage_file))
        if limit is None or usage is None:
            continue
        if limit.strip().isdigit() and int(limit) < 1 << 60:
            available = min(available, int(limit) - int(usage))
        break
    return available
