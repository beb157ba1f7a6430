"""A finished run's report: summary.json (recipe, device, versions, schedule,
best epoch, test evaluation, speed) and its plots."""

import dataclasses
import platform

import keras
import numpy as np
import tensorflow as tf

import keras_resnet
from keras_resnet.training import plots


def versions():
    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__,
            "keras_resnet": keras_resnet.__version__, "platform": platform.platform()}


def summarise(run_path, recipe, device, plan, model, state, evaluation, splits, seconds,
              images_per_second):
    """summary.json's content."""
    return {
        "run_dir": run_path,
        "recipe": dataclasses.asdict(recipe),
        "device": device,
        "versions": versions(),
        **plan,
        "optimizer_steps": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
        "final_learning_rate": float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)),
        "best_epoch": state.get("best_epoch"),
        "best_validation_accuracy": state.get("best_score"),
        "test": evaluation,
        "skipped_files": splits.skipped_files(),
        "files_decoded": splits.files_decoded(),
        "history": state.get("history", []),
        "wall_seconds_this_session": seconds,
        "train_images_per_second": images_per_second,
    }


def write_report(run, summary, class_names):
    """summary.json, the learning curves and, with a test split, the confusion matrix."""
    run.write_json("summary.json", summary)
    plots.plot_curves(summary["history"], run.file("curves.png"))
    if summary["test"]:  # a small folder keeps no test split
        plots.plot_confusion(summary["test"]["confusion_matrix"], class_names,
                             run.file("confusion.png"))
