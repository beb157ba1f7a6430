"""Training on several processes (machines) with Keras 3's own engine:
`keras.distribution.DataParallel` on the JAX backend (the recipe setting
distribute = "jax").

Start the same command once per process with

    KERAS_BACKEND=jax
    KERAS_DISTRIBUTION_JOB_ADDRESSES=host0:port,host1:port   (host0 coordinates)
    KERAS_DISTRIBUTION_NUM_PROCESSES=2
    KERAS_DISTRIBUTION_PROCESS_ID=0 (or 1, ...)

Every process builds the same seeded model and reads only its own share of
each global batch of the same global training stream (chosen before any file
is read or decoded: `keras_resnet.training.pipeline`, `shard`); Keras joins the
shares into the global batch, so the gradients (and BatchNorm statistics)
are those of the whole global batch.
Process 0 writes the run directory; the others write to a scratch copy
(resuming needs the run directory on storage every process can read).
"""

import os
import shutil
import tempfile

import keras

_joined = False
ENV = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
       "KERAS_DISTRIBUTION_PROCESS_ID")


def start():
    """Joins the processes and sets DataParallel over all their devices;
    returns this process's index."""
    if keras.backend.backend() != "jax":
        raise ValueError("distribute='jax' is not valid with the "
                         f"{keras.backend.backend()!r} backend; allowed: KERAS_BACKEND=jax")
    missing = [name for name in ENV if not os.environ.get(name)]
    if missing:
        raise ValueError(f"distribute='jax' needs the environment variables {', '.join(ENV)}; "
                         f"missing: {', '.join(missing)}")
    import jax

    global _joined
    if not _joined:  # once per process
        jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU-only hosts
        keras.distribution.initialize()
        _joined = True
    keras.distribution.set_distribution(keras.distribution.DataParallel(
        devices=keras.distribution.list_devices(), auto_shard_dataset=False))
    return jax.process_index()


def processes():
    """How many processes share the run."""
    import jax

    return jax.process_count()


def stop():
    """Back to one process's devices, e.g. for the final local evaluation."""
    keras.distribution.set_distribution(None)


def scratch_copy(run_path, resume):
    """A private directory for a process other than 0, holding a copy of the
    run to resume from (when resuming)."""
    scratch = tempfile.mkdtemp(prefix="resnet-process-")
    if resume:
        shutil.copytree(run_path, scratch, dirs_exist_ok=True)
    return scratch


def even_batches(images_and_labels, batch_size):
    """The first images of a split that fill whole batches: a last, partial
    batch could not be split evenly between the processes."""
    images, labels = images_and_labels
    n = len(images) // batch_size * batch_size
    return images[:n], labels[:n]
