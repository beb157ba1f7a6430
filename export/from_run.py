"""Exporting a checkpoint of a training run: the run's own data give the
calibration images, the labels and the test set, all through the training
side's evaluation preprocessing (`keras_resnet.training.augment.preprocess_for_eval`)."""

import dataclasses

import numpy as np

from keras_resnet.export.convert import export_model
from keras_resnet.export.variants import Tuning
from keras_resnet.training.data import eval_split, load_splits
from keras_resnet.training.recipe import make_recipe
from keras_resnet.training.run_dir import RunDir, run_of_checkpoint


def preprocessed(splits, which, recipe, indices=None):
    """Images of one split after the evaluation preprocessing, as float32 arrays."""
    images, labels = getattr(splits, which)
    if indices is not None:
        images, labels = images[indices], labels[indices]
    subset = dataclasses.replace(splits, **{which: (images, labels)})
    batches = [batch[0] for batch in eval_split(subset, which, recipe)]
    return np.concatenate([np.asarray(b) for b in batches]), labels


def export_checkpoint(model_path, out_dir, quantizations, *, calibration_images=300,
                      calibration_seed=0, test_limit=0, verify=True, batch_size=1,
                      overwrite=False, latency_runs=50, tuning=Tuning()):
    """export_model with the run's data; see keras_resnet.export.convert.export_model.
    Verification uses the whole test split (or its first `test_limit` images)."""
    run = run_of_checkpoint(model_path)
    if run is None:
        return export_model(model_path, out_dir, quantizations, batch_size=batch_size,
                            overwrite=overwrite)
    recipe = make_recipe({**RunDir(run).read_config()["recipe"], "test_limit": test_limit})
    splits = load_splits(recipe)
    rng = np.random.default_rng(calibration_seed)
    chosen = rng.choice(len(splits.train[0]), min(calibration_images, len(splits.train[0])),
                        replace=False)
    calibration, _ = preprocessed(splits, "train", recipe, np.sort(chosen))
    test = preprocessed(splits, "test", recipe) if verify else None
    return export_model(model_path, out_dir, quantizations, calibration=calibration,
                        labels=splits.class_names, calibration_seed=calibration_seed,
                        test=test, batch_size=batch_size, overwrite=overwrite,
                        latency_runs=latency_runs,
                        input_spec=splits.spec,
                        run_dir=run, tuning=tuning)
