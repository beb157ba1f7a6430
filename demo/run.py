"""The demo's steps, each a function, and `run_demo`, which runs them in turn.

Trains a ResNet through `model.fit` (recipe "demo"), evaluates it on the test
set, exports float32, int8 and uint8 `.tflite` files (RGB input, standard
TFLite metadata: MediaPipe Tasks runs them), checks them with the LiteRT
interpreter on the test set, and writes a summary:

    RUN/                  the training run (layout in keras_resnet.training.run_dir)
    RUN/export/           model_{float32,int8,uint8}.tflite with metadata (.json
                          and inside the file), saved_model/, report.json, report.md
    RUN/predictions.png   test images with the deployable int8 model's prediction
    RUN/demo.json, RUN/demo.md   the figures of the table printed at the end

The deployable int8 file is uint8 (raw bytes in) when it is at least as
accurate as int8. The demo fails (status 1) when that file's test accuracy is
more than report.MAX_INT8_DROP below the float model's.
"""

import os
import sys
import time
from dataclasses import dataclass

import keras
import numpy as np

import keras_resnet
from keras_resnet.atomic_files import write_text
from keras_resnet.cpu import cpu_description
from keras_resnet.demo.report import (MAX_INT8_DROP, QUANTIZATIONS, deployable_int8,
                                      estimate_disk, estimate_seconds, markdown,
                                      seconds_per_step_from_epoch, summary)
from keras_resnet.edge.tflite import TFLiteModel
from keras_resnet.export.from_run import export_checkpoint, preprocessed
from keras_resnet.training import fashion_mnist, hardware, plots
from keras_resnet.training.callbacks import SteadyEpochTimer, StepTimer
from keras_resnet.training.data import SMALL_FOLDER, load_splits
from keras_resnet.training.fit import plan_steps, train
from keras_resnet.training.run_dir import RunDir

GRID_IMAGES = 32


@dataclass
class Trained:
    summary: dict  # training's summary.json
    expected_seconds: float  # the estimate made over the first steps (None if none)
    expected_after_epoch: float  # the estimate made after this session's second epoch
    started: float  # time.time() when training started


def run_demo(recipe, run_path, resume=False, out=print):
    """Runs every step into `run_path`; returns the exit status (0, 1 or 130)."""
    start = time.time()
    threads = hardware.apply_threads()  # before TensorFlow's runtime starts
    run = RunDir(run_path)
    splits = load_data(recipe, out)
    recipe = splits.applied_to(recipe)
    plan = plan_training(recipe, splits, run, threads, out)
    trained = train_with_estimate(recipe, splits, plan, run, resume, out)
    if trained is None:
        return 130
    exported = export_and_check(run, resume, out)
    plot_predictions(recipe, splits, run, exported)
    result = write_report(recipe, run, trained, exported, time.time() - start, out)
    if result["int8_drop"] > MAX_INT8_DROP:
        print(f"resnet: failed: the {result['deployable']} model's test accuracy "
              f"{result['accuracy'][result['deployable']]:.4f} is "
              f"{100 * result['int8_drop']:.2f} points below the float model's "
              f"{result['accuracy']['keras']:.4f}; allowed: at most "
              f"{100 * MAX_INT8_DROP:.0f}", file=sys.stderr)
        return 1
    return 0


def load_data(recipe, out=print):
    """Step 1: the recipe's splits; ValueError when there is no test split."""
    out(f"[1/5] data: {_source(recipe)}")
    splits = load_splits(recipe)
    if not len(splits.test[0]):
        raise ValueError(f"data_dir={recipe.data_dir!r} is too small for the demo, which "
                         "tests and exports on a held-out split; allowed: a folder with at "
                         f"least {SMALL_FOLDER} images per class (smaller ones: resnet train "
                         "or resnet finetune)")
    out(f"      {len(splits.train[0])} training, {len(splits.validation[0])} validation "
        f"and {len(splits.test[0])} test images of {splits.size[0]}×{splits.size[1]}×"
        f"{splits.channels}, {len(splits.class_names)} classes")
    return splits


def plan_training(recipe, splits, run, threads, out=print):
    """The step plan, with the model's size and the expected disk said."""
    plan = plan_steps(recipe, len(splits.train[0]))
    model = getattr(keras_resnet, recipe.model)(
        input_shape=(*splits.size, splits.channels), classes=len(splits.class_names))
    macs, params = keras_resnet.count_macs(model), model.count_params()
    keras.backend.clear_session()
    out(f"      {recipe.model}: {params:,} parameters, {macs / 1e6:.1f} M MACs per image")
    out(f"      expected: {estimate_disk(params) / 1e6:.0f} MB of disk in {run.path}; the time "
        f"from the first training steps on this machine ({cpu_description()}; "
        f"{threads['cores']} threads)")
    return plan


def train_with_estimate(recipe, splits, plan, run, resume, out=print):
    """Step 2: training, with the time estimate printed after the first
    steps and again after the second epoch (when more are left); a `Trained`,
    or None when interrupted (how to resume is said)."""
    out(f"[2/5] training: {plan['total_steps']} steps of {recipe.batch_size} images "
        f"({plan['epochs']} epochs of {plan['steps_per_epoch']} steps), selecting on "
        "the validation split")
    expected = {}
    done_epochs = run.read_state()["epoch"] if resume else 0

    def announce(seconds_per_step):
        seconds = estimate_seconds(plan, done_epochs, recipe.batch_size, seconds_per_step,
                                   len(splits.validation[0]), len(splits.test[0]))
        out(f"\n      expected: about {seconds / 60:.1f} min from the start of training to "
            f"the report (a training step took {seconds_per_step:.3f} s here, "
            f"{recipe.batch_size / seconds_per_step:.0f} images/s)")
        expected["seconds"] = seconds

    def announce_again(epoch, epoch_seconds):
        if epoch + 1 >= plan["epochs"]:
            return
        seconds_per_step = seconds_per_step_from_epoch(plan, recipe.batch_size, epoch_seconds,
                                                       len(splits.validation[0]))
        left = estimate_seconds(plan, epoch + 1, recipe.batch_size, seconds_per_step,
                                len(splits.validation[0]), len(splits.test[0]))
        expected["after_epoch"] = time.time() - start + left
        out(f"\n      expected after epoch {epoch + 1} ({epoch_seconds:.0f} s): about "
            f"{expected['after_epoch'] / 60:.1f} min from the start of training to the report, "
            f"{left / 60:.1f} min left")

    start = time.time()
    try:
        result = train(recipe, run.path, resume=resume, verbose="auto", splits=splits,
                       callbacks=[StepTimer(announce), SteadyEpochTimer(announce_again)])
    except KeyboardInterrupt:
        if os.path.exists(run.file("state.json")):
            out(f"interrupted; continue with: make demo RESUME={run.path} "
                f"(or: resnet demo --resume {run.path})")
        else:
            out("interrupted before the first epoch ended: nothing to resume")
        return None
    out(f"[3/5] test set: Keras accuracy {result['test']['accuracy']:.4f} on "
        f"{result['test']['images']} images (best epoch {result['best_epoch']}, "
        f"validation {result['best_validation_accuracy']:.4f})")
    return Trained(result, expected.get("seconds"), expected.get("after_epoch"), start)


def export_and_check(run, resume, out=print):
    """Step 4: the float32, int8 and uint8 files, checked with LiteRT."""
    out(f"[4/5] export: {', '.join(QUANTIZATIONS)} .tflite, checked with LiteRT on the test set")
    return export_checkpoint(run.best, run.file("export"), list(QUANTIZATIONS), overwrite=resume)


def plot_predictions(recipe, splits, run, exported):
    """A grid of test images with the deployable int8 file's predictions."""
    deployable = deployable_int8(exported["variants"])
    int8 = TFLiteModel(exported["variants"][deployable]["file"])
    grid = np.arange(min(GRID_IMAGES, len(splits.test[0])))
    shown, _ = preprocessed(splits, "test", recipe, grid)
    if shown.shape[-1] != int8.input["shape"][-1]:  # a grey model is exported with RGB input
        shown = np.repeat(shown, 3, axis=-1)
    pictures = (np.round(shown).astype(np.uint8) if splits.streaming  # files, not arrays
                else splits.test[0][grid])
    plots.plot_predictions(pictures, splits.test[1][grid],
                           int8.predict(shown).argmax(1), splits.class_names,
                           run.file("predictions.png"),
                           title=f"{deployable} TFLite model: predicted (true) label; red: wrong")


def write_report(recipe, run, trained, exported, wall, out=print):
    """Step 5: demo.json and demo.md, the table printed; returns the figures."""
    out("[5/5] report")
    result = summary(recipe, run, trained.summary, exported, wall)
    result["expected_seconds"] = trained.expected_seconds
    result["expected_seconds_after_epoch"] = trained.expected_after_epoch
    result["seconds_from_training_start"] = time.time() - trained.started
    table = markdown(result)
    run.write_json("demo.json", result)
    write_text(run.file("demo.md"), table)
    out(table)
    return result


def _source(recipe):
    if recipe.dataset == "fashion_mnist":
        directory = fashion_mnist.find_directory(recipe.data_dir or None)
        return (f"Fashion-MNIST from {directory}" if directory
                else "Fashion-MNIST through TFDS (download)")
    if recipe.dataset == "folder":
        return f"image folder {recipe.data_dir}"
    return f"TFDS {recipe.dataset[len('tfds:'):]}"
