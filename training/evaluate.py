"""`evaluate_run`: a run's best checkpoint on one split → accuracy, per-class
accuracy, confusion matrix (JSON and PNG in the run directory)."""

import keras

import keras_resnet  # noqa: F401 (registers the layers that checkpoints hold)

from training import report
from training.data import eval_split, load_splits
from training.recipe import make_recipe


def evaluate_run(run, split="test"):
    recipe = make_recipe(run.read_config()["recipe"])
    splits = load_splits(recipe)
    model = keras.saving.load_model(run.best, compile=False)
    result = report.evaluate(model, eval_split(splits, split, recipe),
                             getattr(splits, split)[1], splits.class_names)
    result["checkpoint"] = run.best
    result["report"] = run.file(f"evaluation-{split}.json")
    run.write_json(f"evaluation-{split}.json", result)
    report.plot_confusion(result["confusion_matrix"], splits.class_names,
                          run.file(f"confusion-{split}.png"))
    return result
