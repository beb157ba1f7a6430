"""Training on a photo folder with default settings: time to the first step,
step time, accuracy after each epoch and peak memory, from one process.

    .venv/bin/python benchmarks/photo_training.py FOLDER [--epochs 1] [--set KEY=VALUE ...]

Make a folder with `tests/photos.py` (5,000 or 50,000 generated JPEGs with a
class signal). Prints the run's "adapted to the data" lines, then a table.
"""

import argparse
import json
import os
import resource
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_resnet.cpu import choose_onednn, cpu_description  # noqa: E402

choose_onednn()  # as the resnet command does, before TensorFlow loads

import keras  # noqa: E402

from keras_resnet.cli.options import setting  # noqa: E402
from keras_resnet.training.fit import train  # noqa: E402
from keras_resnet.training.recipe import load_recipe  # noqa: E402


class FirstSteps(keras.callbacks.Callback):
    """Seconds from `start` to the end of the first step, and the median step."""

    def __init__(self, start):
        super().__init__()
        self.start, self.first, self.steps, self._last = start, None, [], None

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self.first is None:
            self.first = now - self.start
        elif self._last is not None:
            self.steps.append(now - self._last)
        self._last = now

    def on_epoch_end(self, epoch, logs=None):
        self._last = None  # validation is not a step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--steps", type=int, default=0, help="instead of --epochs")
    parser.add_argument("--set", type=setting, action="append", default=[])
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    schedule = {"steps": args.steps, "epochs": 0} if args.steps else {"epochs": args.epochs}
    recipe = load_recipe("fashion_mnist", {"dataset": "folder", "data_dir": args.folder,
                                           **schedule, **dict(args.set)})
    timer = FirstSteps(start)
    output = args.output or tempfile.mkdtemp(prefix="photo-run-")
    summary = train(recipe, output, verbose=2, callbacks=[timer], overwrite=True)
    steps = sorted(timer.steps)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
    print(f"\nCPU: {cpu_description()}")
    print(f"| images | model | input | batch | loading | first step (s) | median step (s) "
          "| images/s | val. accuracy by epoch | test accuracy | peak RSS (GiB) |")
    print("|---|---|---|---|---|--:|--:|--:|---|--:|--:|")
    config = summary["recipe"]
    with open(os.path.join(output, "config.json")) as f:
        notes = json.load(f)["adapted_to_data"]
    loading = next((n.split(":")[0] for n in notes
                    if n.startswith(("streaming", "in memory"))), "?")
    history = ", ".join(f"{h['val_accuracy']:.3f}" for h in summary["history"])
    median = steps[len(steps) // 2] if steps else float("nan")
    images = sum(len(files) for _, _, files in os.walk(args.folder))
    test = summary["test"]["accuracy"] if summary["test"] else float("nan")
    print(f"| {images} | {config['model']} | {summary_size(notes)} | {config['batch_size']} "
          f"| {loading} | {timer.first:.1f} | {median:.2f} | {config['batch_size'] / median:.0f} "
          f"| {history} | {test:.3f} | {peak:.2f} |")


def summary_size(notes):
    """The input size an "input H×W×C" note chose."""
    return next((n.split()[1].rstrip(":") for n in notes if n.startswith("input ")), "?")


if __name__ == "__main__":
    main()
