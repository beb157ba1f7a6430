"""`evaluate_run`: a run's best checkpoint on one split → accuracy, per-class
accuracy, confusion matrix (JSON and PNG in the run directory)."""

import json

import keras

import keras_resnet  # noqa: F401 (registers the layers that checkpoints hold)

from training import report
from training.data import load_splits
from training.pipeline import eval_dataset
from training.recipe import make_recipe


def evaluate_run(run, split="test"):
    with open(run.file("config.json")) as f:
        recipe = make_recipe(json.load(f)["recipe"])
    splits = load_splits(recipe)
    images, labels = getattr(splits, split)
    model = keras.saving.load_model(run.best, compile=False)
    dataset = eval_dataset(images, labels, len(splits.class_names), batch_size=256,
                           size=splits.image_shape[:2], channels=splits.image_shape[2])
    result = report.evaluate(model, dataset, labels, splits.class_names)
    result["checkpoint"] = run.best
    result["report"] = run.file(f"evaluation-{split}.json")
    run.write_json(f"evaluation-{split}.json", result)
    report.plot_confusion(result["confusion_matrix"], splits.class_names,
                          run.file(f"confusion-{split}.png"))
    return result
