"""The demo's figures: its time and disk estimates, the summary it writes to
demo.json and the table it prints (demo.md). No TensorFlow."""

import os

from keras_resnet.cpu import cpu_description, int8_note

MAX_INT8_DROP = 0.01  # the deployable int8 file may lose at most this test accuracy
QUANTIZATIONS = ("float32", "int8", "uint8")
EXPORT_SECONDS = 30  # conversions, checks on the test set, latency runs


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


def seconds_per_step_from_epoch(plan, batch_size, epoch_seconds, validation_images):
    """The step time that makes `estimate_seconds`' model of an epoch (its
    steps and a validation pass) take `epoch_seconds`: a whole epoch's
    measurement, steadier than the first steps'."""
    return epoch_seconds / (plan["steps_per_epoch"] + validation_images / batch_size / 3)


def estimate_disk(params):
    """Bytes a demo run writes: best.keras and the latest checkpoint hold
    weights and momentum, the SavedModel and the float32 file one copy each,
    the int8 and uint8 files a quarter each; plus plots, logs and TensorBoard."""
    return int(params * 4 * (2 * 2 + 2 + 0.5) + 2e6)


def deployable_int8(variants):
    """uint8 (raw camera bytes in, what MediaPipe and ML Kit feed) when it is at
    least as accurate as int8 (float input), else int8."""
    return "uint8" if variants["uint8"]["accuracy"] >= variants["int8"]["accuracy"] else "int8"


def summary(recipe, run, trained, exported, wall):
    """demo.json's figures from training's summary and the export's report."""
    variants = exported["variants"]
    deployable = deployable_int8(variants)
    files = {
        "model": run.best,
        **{f"tflite_{q}": variants[q]["file"] for q in QUANTIZATIONS},
        "reports": [run.file("summary.json"), run.file("export/report.json"),
                    run.file("export/report.md"), run.file("demo.json"), run.file("demo.md")],
        "plots": [run.file(n) for n in ("curves.png", "confusion.png", "predictions.png")],
    }
    keras_accuracy = trained["test"]["accuracy"]
    disk = sum(os.path.getsize(os.path.join(d, f))
               for d, _, names in os.walk(run.path) for f in names)
    return {
        "run_dir": run.path,
        "model": recipe.model,
        "dataset": recipe.dataset,
        "steps": trained["total_steps"],
        "batch_size": recipe.batch_size,
        "best_validation_accuracy": trained["best_validation_accuracy"],
        "test_images": trained["test"]["images"],
        "accuracy": {"keras": keras_accuracy,
                     **{q: variants[q]["accuracy"] for q in QUANTIZATIONS}},
        "deployable": deployable,
        "int8_drop": keras_accuracy - variants[deployable]["accuracy"],
        "bytes": {"keras": os.path.getsize(run.best),
                  **{q: variants[q]["bytes"] for q in QUANTIZATIONS}},
        "latency_ms": {"keras": exported["keras"]["latency"]["median_ms"],
                       **{q: {t: variants[q]["latency"][f"{t}_thread"]["median_ms"]
                              for t in (1, 2)} for q in QUANTIZATIONS}},
        "train_seconds": trained["wall_seconds_this_session"],
        "train_images_per_second": trained["train_images_per_second"],
        "demo_seconds": wall,
        "disk_bytes": disk,
        "files": files,
        # The app feeds float32 and int8 inputs (not uint8 yet): its file is int8.
        "android": f"make android-assets TFLITE={_show(variants['int8']['file'])}",
        "cpu": cpu_description(),
        "onednn": trained["device"]["onednn"],
        "int8_speed": int8_note(variants[deployable]["latency"]["1_thread"]["median_ms"],
                                variants["float32"]["latency"]["1_thread"]["median_ms"]),
    }


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
    line = (f"time from the start of training: {actual / 60:.1f} min, against "
            f"{expected / 60:.1f} min expected ({actual / expected - 1:+.0%})")
    again = result.get("expected_seconds_after_epoch")
    if again:
        line += f"; {again / 60:.1f} min re-estimated after two epochs ({actual / again - 1:+.0%})"
    return line


def _show(path):
    """`path` relative to the working directory when it lies below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
