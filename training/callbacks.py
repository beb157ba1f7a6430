"""Callbacks of a training run: epoch checkpoints with resume state, a clean
stop on a NaN loss, and training throughput."""

import math
import os
import time

import keras

from keras_resnet.atomic_files import write_csv


class RunCheckpoint(keras.callbacks.Callback):
    """At each epoch end: saves the latest checkpoint, the best one on
    validation accuracy (and above the state's "replace_above", if any), then
    state.json naming them (in that order, each atomically, so state.json
    always names complete files), then log.csv rewritten from state.json's
    history (one row per epoch, 0-based as Keras' CSVLogger writes them; a
    kill before it is repaired at the next epoch end). On a NaN or infinite
    loss it stops training and saves nothing more."""

    def __init__(self, run_dir, state, steps_per_epoch, monitor="val_accuracy"):
        super().__init__()
        self.run_dir = run_dir
        self.state = state
        self.steps_per_epoch = steps_per_epoch
        self.monitor = monitor
        self.failure = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.failure = (f"the loss became {float(loss)} at epoch {self._epoch + 1}, "
                            f"step {batch + 1}")
            self.model.stop_training = True

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.failure:
            return
        logs = {k: float(v) for k, v in (logs or {}).items()}
        name = f"epoch-{epoch + 1:04d}.keras"
        self.run_dir.save_model(self.model, name)
        score = logs.get(self.monitor, -math.inf)
        # "replace_above": a bar a starting model (epoch 0) set above its own score.
        if score > max(self.state.get("best_score", -math.inf),
                       self.state.get("replace_above", -math.inf)):
            self.run_dir.save_model(self.model, "best.keras")
            self.state.update(best_score=score, best_epoch=epoch + 1)
        previous = self.state.get("checkpoint")
        self.state.update(epoch=epoch + 1, step=(epoch + 1) * self.steps_per_epoch,
                          checkpoint=name, monitor=self.monitor)
        self.state.setdefault("history", []).append({"epoch": epoch + 1, **logs})
        self.run_dir.write_json("state.json", self.state)
        write_csv(self.run_dir.file("log.csv"), [
            {"epoch": h["epoch"] - 1, **{k: h[k] for k in sorted(h) if k != "epoch"}}
            for h in self.state["history"]])
        if previous and previous != name:
            old = os.path.join(self.run_dir.checkpoints, previous)
            if os.path.exists(old):
                os.remove(old)


class Throughput(keras.callbacks.Callback):
    """Seconds spent on training batches (validation excluded), per epoch."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_test_begin(self, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()  # no validation this epoch

    def _stop(self):
        if self._start is not None:
            self.seconds.append(time.perf_counter() - self._start)
            self._start = None


class StepTimer(keras.callbacks.Callback):
    """Times up to `count` training steps of the first epoch after its first
    `skip`, then calls `report(seconds_per_step)` once. The first steps run
    faster than the steady state (the input pipeline's buffers start full:
    in the demo, steps 10-29 took 0.151 s, the run's average 0.2 s), so the
    window opens late; a short first epoch is timed over its last MIN_STEPS
    or more steps, and one shorter than that reports nothing."""

    MIN_STEPS = 10

    def __init__(self, report, skip=50, count=100):
        super().__init__()
        self.report, self.skip, self.count = report, skip, count
        self._start, self._timed, self._done = None, 0, False

    def on_epoch_begin(self, epoch, logs=None):
        steps = self.params.get("steps") or 0
        self._open = (self.skip if steps >= self.skip + self.MIN_STEPS
                      else max(0, min(self.MIN_STEPS, steps - self.MIN_STEPS)))
        if self._open == 0:
            self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self._done:
            return
        if batch == self._open - 1:
            self._start = time.perf_counter()
        elif self._start is not None:
            self._timed += 1
            self._stamp = time.perf_counter()
            if self._timed == self.count:
                self._finish()

    def on_test_begin(self, logs=None):  # validation: this epoch's training steps are over
        self._finish()

    def on_epoch_end(self, epoch, logs=None):
        self._finish()

    def _finish(self):
        if not self._done and self._timed >= self.MIN_STEPS:
            self.report((self._stamp - self._start) / self._timed)
        self._done = True


class SteadyEpochTimer(keras.callbacks.Callback):
    """Calls `report(epoch, seconds)` once, when the second epoch this `fit`
    runs has ended: its training steps and validation pass, timed whole. The
    first epoch also traces the train and test steps (in the demo it took 41
    s, the next ones 36-40 s), so it is not timed."""

    def __init__(self, report):
        super().__init__()
        self.report, self._seen, self._start = report, 0, None

    def on_epoch_begin(self, epoch, logs=None):
        self._seen += 1
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if self._seen == 2:
            self.report(epoch, time.perf_counter() - self._start)
