"""`resnet demo`, what `make demo` runs: the whole promise on one dataset.

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
accurate as int8. The demo fails (exit 1) when any step fails or when that
file's test accuracy is more than MAX_INT8_DROP below the float model's.
"""

import os
import sys
import time

import numpy as np

from keras_resnet.cli.options import new_run_dir, recipe_overrides, resumed_recipe
from keras_resnet.cpu import cpu_description, int8_note
from keras_resnet.models import list_models

MAX_INT8_DROP = 0.01
QUANTIZATIONS = ("float32", "int8", "uint8")
GRID_IMAGES = 32
EXPORT_SECONDS = 30  # conversions, checks on the test set, latency runs


def add_parser(sub):
    parser = sub.add_parser(
        "demo", help="the main job (make demo): train, test, export float32 and int8, verify",
        description="Trains a ResNet with the demo recipe (2,000 steps, about 10 minutes on "
                    "2 CPU cores), evaluates it on the test set, exports float32 and int8 "
                    ".tflite files, checks both with LiteRT and prints a summary. Each run "
                    "goes to a new directory OUTPUT/demo-<time>. Example: resnet demo "
                    "--steps 500")
    parser.add_argument("--model", choices=list_models(), metavar="MODEL",
                        help="default ResNet20; any name from `resnet models`")
    schedule = parser.add_mutually_exclusive_group()
    schedule.add_argument("--steps", type=int, help="optimizer steps (default 2000)")
    schedule.add_argument("--epochs", type=int, help="passes over the training images")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--dataset", help="fashion_mnist (default), tfds:<name>, or a folder "
                        "with one subfolder of images per class")
    parser.add_argument("--data-dir", help="where the dataset's files are")
    parser.add_argument("--output", default="runs", help="parent of the run directory")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue an interrupted demo run")


def run(args):
    from keras_resnet.training.recipe import load_recipe

    if args.resume:
        recipe = resumed_recipe(args.resume, args.data_dir, (
            ("--model", args.model), ("--steps", args.steps), ("--epochs", args.epochs),
            ("--batch-size", args.batch_size), ("--dataset", args.dataset)))
        return run_demo(recipe, args.resume, resume=True)
    overrides = recipe_overrides(args, ("model", "batch_size", "data_dir"))
    if args.epochs is not None:
        overrides["steps_per_epoch"] = 0  # an epoch is a pass over the images
    if args.steps is not None and args.steps > 0:  # equal epochs of at most the recipe's
        epochs = -(-args.steps // load_recipe("demo").steps_per_epoch)
        overrides["steps_per_epoch"] = -(-args.steps // epochs)
    if args.dataset:
        folder = os.path.isdir(args.dataset)
        overrides["dataset"] = "folder" if folder else args.dataset
        if folder:
            overrides["data_dir"] = args.dataset
    return run_demo(load_recipe("demo", overrides), new_run_dir(args.output, "demo"))


def estimate_seconds(plan, done_epochs, batch_size, seconds_per_step, validation_images,
                     test_images):
    """Expected seconds of this session's training (the epochs after
    `done_epochs`), evaluation and export, from the measured time of a
    training step on this machine: an image's forward pass (the validation
    split every epoch, the test set three times) at a third of its share of
    a step."""
    epochs = plan["epochs"] - done_epochs
    evaluation = (epochs * validation_images + 3 * test_images) * (
        seconds_per_step / batch_size / 3)
    steps = plan["total_steps"] - done_epochs * plan["steps_per_epoch"]
    return steps * seconds_per_step + evaluation + EXPORT_SECONDS


def estimate_disk(params):
    """Bytes a demo run writes: best.keras and the latest checkpoint hold
    weights and momentum, the SavedModel and the float32 file one copy each,
    the int8 and uint8 files a quarter each; plus plots, logs and TensorBoard."""
    return int(params * 4 * (2 * 2 + 2 + 0.5) + 2e6)


def run_demo(recipe, run_path, resume=False, out=print):
    """Runs every step into `run_path`; returns the exit status (0, 1 or 130)."""
    import keras

    import keras_resnet
    from keras_resnet.atomic_files import write_text
    from keras_resnet.edge.tflite import TFLiteModel
    from keras_resnet.export.from_run import export_checkpoint, preprocessed
    from keras_resnet.training import hardware, plots
    from keras_resnet.training.callbacks import StepTimer
    from keras_resnet.training.data import SMALL_FOLDER, load_splits
    from keras_resnet.training.fit import plan_steps, train
    from keras_resnet.training.run_dir import RunDir

    start = time.time()
    threads = hardware.apply_threads()  # before TensorFlow's runtime starts
    run = RunDir(run_path)
    out(f"[1/5] data: {_source(recipe)}")
    splits = load_splits(recipe)
    if not len(splits.test[0]):
        raise ValueError(f"data_dir={recipe.data_dir!r} is too small for the demo, which "
                         "tests and exports on a held-out split; allowed: a folder with at "
                         f"least {SMALL_FOLDER} images per class (smaller ones: resnet train "
                         "or resnet finetune)")
    plan = plan_steps(recipe, len(splits.train[0]))
    probe = getattr(keras_resnet, recipe.model)(
        input_shape=(*splits.size, splits.channels), classes=len(splits.class_names))
    macs, params = keras_resnet.count_macs(probe), probe.count_params()
    keras.backend.clear_session()
    out(f"      {len(splits.train[0])} training, {len(splits.validation[0])} validation "
        f"and {len(splits.test[0])} test images of {splits.size[0]}×{splits.size[1]}×"
        f"{splits.channels}, {len(splits.class_names)} classes")
    out(f"      {recipe.model}: {params:,} parameters, {macs / 1e6:.1f} M MACs per image")
    out(f"      expected: {estimate_disk(params) / 1e6:.0f} MB of disk in {run.path}; the time "
        f"from the first training steps on this machine ({cpu_description()}; "
        f"{threads['cores']} threads)")
    out(f"[2/5] training: {plan['total_steps']} steps of {recipe.batch_size} images "
        f"({plan['epochs']} epochs of {plan['steps_per_epoch']} steps), selecting on "
        "the validation split")
    expected = {}
    done_epochs = run.read_state()["epoch"] if resume else 0
    timer = StepTimer(lambda step: expected.update(_announce(
        out, step, recipe.batch_size,
        estimate_seconds(plan, done_epochs, recipe.batch_size, step,
                         len(splits.validation[0]), len(splits.test[0])))))
    training_start = time.time()
    try:
        summary = train(recipe, run.path, resume=resume, verbose="auto", splits=splits,
                        callbacks=[timer])
    except KeyboardInterrupt:
        if os.path.exists(run.file("state.json")):
            out(f"interrupted; continue with: make demo RESUME={run.path} "
                f"(or: resnet demo --resume {run.path})")
        else:
            out("interrupted before the first epoch ended: nothing to resume")
        return 130
    out(f"[3/5] test set: Keras accuracy {summary['test']['accuracy']:.4f} on "
        f"{summary['test']['images']} images (best epoch {summary['best_epoch']}, "
        f"validation {summary['best_validation_accuracy']:.4f})")
    out(f"[4/5] export: {', '.join(QUANTIZATIONS)} .tflite, checked with LiteRT on the test set")
    export_dir = run.file("export")
    exported = export_checkpoint(run.best, export_dir, list(QUANTIZATIONS), overwrite=resume)
    deployable = deployable_int8(exported["variants"])
    int8 = TFLiteModel(exported["variants"][deployable]["file"])
    grid = np.arange(min(GRID_IMAGES, len(splits.test[0])))
    shown, _ = preprocessed(splits, "test", recipe, grid)
    if shown.shape[-1] != int8.input["shape"][-1]:  # a grey model is exported with RGB input
        shown = np.repeat(shown, 3, axis=-1)
    plots.plot_predictions(splits.test[0][grid], splits.test[1][grid],
                           int8.predict(shown).argmax(1), splits.class_names,
                           run.file("predictions.png"),
                           title=f"{deployable} TFLite model: predicted (true) label; red: wrong")
    out("[5/5] report")
    result = _summary(recipe, run, summary, exported, time.time() - start)
    result["expected_seconds"] = expected.get("seconds")
    result["seconds_from_training_start"] = time.time() - training_start
    table = markdown(result)
    run.write_json("demo.json", result)
    write_text(run.file("demo.md"), table)
    out(table)
    if result["int8_drop"] > MAX_INT8_DROP:
        print(f"resnet: failed: the {result['deployable']} model's test accuracy "
              f"{result['accuracy'][result['deployable']]:.4f} is {100 * result['int8_drop']:.2f} points "
              f"below the float model's {result['accuracy']['keras']:.4f}; allowed: at most "
              f"{100 * MAX_INT8_DROP:.0f}", file=sys.stderr)
        return 1
    return 0


def _announce(out, seconds_per_step, batch_size, seconds):
    """Prints the time estimate measured over the first steps; returns it."""
    out(f"\n      expected: about {seconds / 60:.1f} min from the start of training to the "
        f"report (a training step took {seconds_per_step:.3f} s here, "
        f"{batch_size / seconds_per_step:.0f} images/s)")
    return {"seconds": seconds}


def _source(recipe):
    if recipe.dataset == "fashion_mnist":
        from keras_resnet.training import fashion_mnist

        directory = fashion_mnist.find_directory(recipe.data_dir or None)
        return (f"Fashion-MNIST from {directory}" if directory
                else "Fashion-MNIST through TFDS (download)")
    if recipe.dataset == "folder":
        return f"image folder {recipe.data_dir}"
    return f"TFDS {recipe.dataset[len('tfds:'):]}"


def _summary(recipe, run, summary, exported, wall):
    variants = exported["variants"]
    deployable = deployable_int8(variants)
    files = {
        "model": run.best,
        **{f"tflite_{q}": variants[q]["file"] for q in QUANTIZATIONS},
        "reports": [run.file("summary.json"), run.file("export/report.json"),
                    run.file("export/report.md"), run.file("demo.json"), run.file("demo.md")],
        "plots": [run.file(n) for n in ("curves.png", "confusion.png", "predictions.png")],
    }
    keras_accuracy = summary["test"]["accuracy"]
    disk = sum(os.path.getsize(os.path.join(d, f))
               for d, _, names in os.walk(run.path) for f in names)
    return {
        "run_dir": run.path,
        "model": recipe.model,
        "dataset": recipe.dataset,
        "steps": summary["total_steps"],
        "batch_size": recipe.batch_size,
        "best_validation_accuracy": summary["best_validation_accuracy"],
        "test_images": summary["test"]["images"],
        "accuracy": {"keras": keras_accuracy,
                     **{q: variants[q]["accuracy"] for q in QUANTIZATIONS}},
        "deployable": deployable,
        "int8_drop": keras_accuracy - variants[deployable]["accuracy"],
        "bytes": {"keras": os.path.getsize(run.best),
                  **{q: variants[q]["bytes"] for q in QUANTIZATIONS}},
        "latency_ms": {"keras": exported["keras"]["latency"]["median_ms"],
                       **{q: {t: variants[q]["latency"][f"{t}_thread"]["median_ms"]
                              for t in (1, 2)} for q in QUANTIZATIONS}},
        "train_seconds": summary["wall_seconds_this_session"],
        "train_images_per_second": summary["train_images_per_second"],
        "demo_seconds": wall,
        "disk_bytes": disk,
        "files": files,
        # The app feeds float32 and int8 inputs (not uint8 yet): its file is int8.
        "android": f"make android-assets TFLITE={_show(variants['int8']['file'])}",
        "cpu": cpu_description(),
        "onednn": summary["device"]["onednn"],
        "int8_speed": int8_note(variants[deployable]["latency"]["1_thread"]["median_ms"],
                                variants["float32"]["latency"]["1_thread"]["median_ms"]),
    }


def deployable_int8(variants):
    """uint8 (raw camera bytes in, what MediaPipe and ML Kit feed) when it is at
    least as accurate as int8 (float input), else int8."""
    return "uint8" if variants["uint8"]["accuracy"] >= variants["int8"]["accuracy"] else "int8"


def markdown(result):
    """The summary table that the demo prints and writes to demo.md."""
    acc, size, latency = result["accuracy"], result["bytes"], result["latency_ms"]
    rows = [("Keras float32 (best.keras)", acc["keras"], size["keras"], None)]
    rows += [(f"TFLite {q}", acc[q], size[q], latency[q]) for q in QUANTIZATIONS]
    lines = [f"## Demo: {result['model']} on {result['dataset']}, {result['steps']} steps "
             f"of {result['batch_size']} images", "",
             f"| model | test accuracy ({result['test_images']} images) | size (KiB) | "
             "latency 1 thread (ms) | latency 2 threads (ms) |",
             "|---|--:|--:|--:|--:|"]
    for name, accuracy, nbytes, ms in rows:
        times = (f"{ms[1]:.3f} | {ms[2]:.3f}" if ms
                 else f"{latency['keras']:.3f} (TensorFlow, all cores) | –")
        lines.append(f"| {name} | {accuracy:.4f} | {nbytes / 1024:.1f} | {times} |")
    files = result["files"]
    lines += ["",
              f"{result['deployable']} (the deployable int8 file) against float: "
              f"{-100 * result['int8_drop']:+.2f} points "
              f"(allowed: -{100 * MAX_INT8_DROP:.0f}); best validation accuracy "
              f"{result['best_validation_accuracy']:.4f}",
              f"training: {result['train_seconds'] / 60:.1f} min "
              f"({result['train_images_per_second']:.0f} images/s); whole demo "
              f"{result['demo_seconds'] / 60:.1f} min; {result['disk_bytes'] / 1e6:.1f} MB "
              "on disk",
              _estimate_line(result),
              f"CPU: {result['cpu']}; TensorFlow's oneDNN kernels "
              f"{'on' if result['onednn']['enabled'] else 'off'} ({result['onednn']['reason']})",
              f"{result['deployable']} latency: {result['int8_speed']}",
              "",
              f"- run directory: {_show(result['run_dir'])}",
              f"- Keras model: {_show(files['model'])}",
              *(f"- {q} model: {_show(files[f'tflite_{q}'])}" for q in QUANTIZATIONS),
              f"- reports: {', '.join(map(_show, files['reports']))}",
              f"- plots: {', '.join(map(_show, files['plots']))}",
              f"- to the Android demo: {result['android']}",
              ""]
    return "\n".join(lines)


def _estimate_line(result):
    expected = result.get("expected_seconds")
    if expected is None:
        return "time estimate: none (the first epoch was too short to time)"
    actual = result["seconds_from_training_start"]
    return (f"time from the start of training: {actual / 60:.1f} min, against "
            f"{expected / 60:.1f} min expected ({actual / expected - 1:+.0%})")


def _show(path):
    """`path` relative to the working directory when it lies below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
