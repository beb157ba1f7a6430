"""A model on one split → accuracy, per-class accuracy and confusion matrix
(`evaluate`); a run's best checkpoint the same way, written into the run
directory as JSON and PNG (`evaluate_run`)."""

import keras
import numpy as np

import keras_resnet  # noqa: F401 (registers the layers that checkpoints hold)
from keras_resnet.training import plots
from keras_resnet.training.data import eval_split, load_splits
from keras_resnet.training.recipe import make_recipe


def evaluate(model, dataset, class_names):
    """Accuracy, per-class accuracy and confusion matrix (rows: true class) of
    an evaluation dataset's (images, one-hot labels[, weights]) batches; images
    of weight 0 (files that failed to decode in a stream) are left out."""
    predicted, labels, kept = [], [], []
    for batch in dataset.as_numpy_iterator():
        predicted.append(np.argmax(model.predict_on_batch(batch[0]), axis=-1))
        labels.append(np.argmax(batch[1], axis=-1))
        kept.append(batch[2] > 0 if len(batch) == 3 else np.ones(len(labels[-1]), bool))
    kept = np.concatenate(kept)
    predicted, labels = np.concatenate(predicted)[kept], np.concatenate(labels)[kept]
    k = len(class_names)
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "images": int(len(labels)),
        "accuracy": float(np.mean(predicted == labels)),
        "per_class_accuracy": {name: float(a) for name, a in zip(class_names, per_class)},
        "confusion_matrix": confusion.tolist(),
    }


def evaluate_run(run, split="test"):
    recipe = make_recipe(run.read_config()["recipe"])
    splits = load_splits(recipe)
    recipe = splits.applied_to(recipe)
    model = keras.saving.load_model(run.best, compile=False)
    result = evaluate(model, eval_split(splits, split, recipe), splits.class_names)
    result["checkpoint"] = run.best
    result["report"] = run.file(f"evaluation-{split}.json")
    run.write_json(f"evaluation-{split}.json", result)
    plots.plot_confusion(result["confusion_matrix"], splits.class_names,
                         run.file(f"confusion-{split}.png"))
    return result
