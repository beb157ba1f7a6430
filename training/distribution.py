"""Where a run's work goes: one process (TensorFlow's default strategy, or a
MirroredStrategy over the GPUs or logical CPUs with distribute = "mirrored"),
or several JAX processes (distribute = "jax", `multi_process`), of which
process 0 writes the run directory and the others a scratch copy."""

import dataclasses
import shutil
from dataclasses import dataclass

import keras
import tensorflow as tf

from keras_resnet.training import multi_process
from keras_resnet.training.data import EVAL_BATCH
from keras_resnet.training.run_dir import RunDir


@dataclass
class Placement:
    distribute: str  # the recipe's setting: "none", "mirrored" or "jax"
    process: int  # this process's index (0 writes the run directory)
    run: RunDir  # the directory this process writes
    shared: RunDir  # the run directory itself
    strategy: object  # the tf.distribute strategy models are built under

    def replicas(self):
        """How many copies of the model share each batch."""
        if self.distribute == "jax":
            return len(keras.distribution.list_devices())
        return self.strategy.num_replicas_in_sync

    def shard(self):
        """(process, processes): this process's share of every batch it reads."""
        if self.distribute != "jax":
            return 0, 1
        return self.process, multi_process.processes()

    def validation(self, splits):
        """`splits` with a validation split every JAX process can batch alike."""
        if self.distribute != "jax":
            return splits
        return dataclasses.replace(splits, validation=multi_process.even_batches(
            splits.validation, EVAL_BATCH))

    def end_training(self):
        """After fit: JAX processes part, each evaluates the test set on its own."""
        if self.distribute == "jax":
            multi_process.stop()

    def close(self):
        """Removes the scratch copy of a process that does not write the run."""
        if self.process != 0:
            shutil.rmtree(self.run.path)


def place(recipe, output_dir, resume, overwrite):
    """The `Placement` of a run of `recipe` into `output_dir` (checked there)."""
    process = multi_process.start() if recipe.distribute == "jax" else 0
    run = shared = RunDir(output_dir)
    if process == 0:
        run.check(resume, overwrite)
    else:
        run = RunDir(multi_process.scratch_copy(run.path, resume))
    return Placement(recipe.distribute, process, run, shared, _strategy(recipe))


def _strategy(recipe):
    """MirroredStrategy over the GPUs, else over the logical CPU devices (one
    unless configured, as the tests do); the default strategy otherwise."""
    if recipe.distribute != "mirrored":
        return tf.distribute.get_strategy()
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy(devices=[d.name for d in devices])
