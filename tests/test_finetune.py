"""LP-FT from a trained checkpoint onto image folders, down to 10 images a class."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_resnet  # noqa: F401 (registers the layers that checkpoints hold)
from keras_resnet.training.finetune import MIN_STEPS, WARMUP_EPOCHS, finetune
from keras_resnet.training.data import load_splits
from keras_resnet.training.recipe import load_recipe

pytestmark = pytest.mark.slow  # end to end: real training

CLI = [sys.executable, "-c", "import sys; from keras_resnet.cli import main; sys.exit(main())"]


SETTINGS = {"validation_size": 0.15, "test_size": 0.15, "batch_size": 32, "epochs": 4}


def _weights(model, keep):
    return {w.path: np.asarray(w) for layer in model.layers if keep(layer)
            for w in layer.weights}


@pytest.fixture(scope="module")
def phases(short_run, folder, tmp_path_factory):
    source = f"{short_run['run_dir']}/checkpoints/best.keras"
    recipe = load_recipe("fashion_mnist", {"dataset": "folder", "data_dir": str(folder),
                                           **SETTINGS})
    out = tmp_path_factory.mktemp("finetune")
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):  # notes.png, then truncated.jpg
        result = finetune(recipe, source, str(out), stages=1, verbose=0)
    load = lambda p: keras.saving.load_model(p, compile=False)  # noqa: E731
    with open(out / "finetune" / "state.json") as f:
        last = json.load(f)["checkpoint"]  # phase 2's last epoch, whichever is best
    return (load(source), load(out / "probe" / "model.keras"),
            load(out / "finetune" / "checkpoints" / last), result,
            load(out / "finetune" / "checkpoints" / "best.keras"))


def test_the_linear_probe_trains_only_the_head(phases):
    source, probe, _, result, _ = phases
    backbone = lambda layer: layer.name != "predictions"  # noqa: E731
    before = _weights(source, backbone)
    after = _weights(probe, backbone)
    assert before.keys() == after.keys() and len(before) > 50
    for path in before:  # kernels, γ, β and the BatchNorm moving statistics
        np.testing.assert_array_equal(after[path], before[path], err_msg=path)
    # 3 classes, chance 1/3; measured 1.0 on 32 test images.
    assert result["probe"]["test"]["accuracy"] > 0.8
    assert result["probe"]["weight_decay"] in (1e-1, 1e-2, 1e-3, 1e-4)


def test_phase_two_tunes_the_top_stage_from_the_probe_with_batchnorm_frozen(phases):
    source, probe, tuned, result, _ = phases
    start = _weights(probe, lambda layer: True)
    end = _weights(tuned, lambda layer: True)
    changed = {p for p in start if not np.array_equal(start[p], end[p])}
    assert any(p.startswith("conv4_") and p.endswith("kernel") for p in changed)
    assert not [p for p in changed if not p.startswith(("conv4_", "predictions"))]
    bn = _weights(tuned, lambda layer: isinstance(layer, keras.layers.BatchNormalization))
    original = _weights(source, lambda layer: isinstance(layer, keras.layers.BatchNormalization))
    for path in bn:
        np.testing.assert_array_equal(bn[path], original[path], err_msg=path)
    second = result["finetune"]
    assert second["test"]["accuracy"] > 0.8
    # Phase 2's schedule: at least MIN_STEPS steps planned, whatever the epochs
    # asked, warmed up over the first epoch.
    assert second["total_steps"] >= MIN_STEPS
    assert second["recipe"]["warmup_epochs"] == WARMUP_EPOCHS
    assert any(note.startswith(f"fine-tuning {second['total_steps']} steps")
               for note in result["notes"])


def test_phase_two_keeps_the_probe_unless_an_epoch_beats_it_by_a_standard_error(phases, folder):
    _, probe, _, result, best = phases
    second = result["finetune"]
    epochs = [h["val_accuracy"] for h in second["history"]]
    accuracy = result["probe"]["validation_accuracy"]
    with open(os.path.join(second["run_dir"], "state.json")) as f:
        bar = json.load(f)["replace_above"]
    with pytest.warns(UserWarning):  # the fixture folder's unreadable files
        splits = load_splits(load_recipe("fashion_mnist", {
            "dataset": "folder", "data_dir": str(folder), **SETTINGS}))
    n = len(splits.validation[0])
    assert bar == pytest.approx(accuracy + (accuracy * (1 - accuracy) / n) ** 0.5)
    if max(epochs) > bar:
        assert second["best_epoch"] == 1 + epochs.index(max(epochs))
        assert second["best_validation_accuracy"] == pytest.approx(max(epochs))
    else:  # the probe is the best checkpoint, weight for weight
        assert (second["best_epoch"], second["best_validation_accuracy"]) == (0, accuracy)
        start, end = _weights(probe, lambda layer: True), _weights(best, lambda layer: True)
        for path in start:
            np.testing.assert_array_equal(end[path], start[path], err_msg=path)


def _small_folder(root, classes, per_class, split):
    """`per_class` real Fashion-MNIST images of each class as PNG files."""
    from PIL import Image

    from keras_resnet.training import fashion_mnist

    (x, y), (xt, yt) = fashion_mnist.load()
    images, labels = (x, y) if split == "train" else (xt, yt)
    for k in classes:
        os.makedirs(root / f"class{k}")
        for i, index in enumerate(np.flatnonzero(labels == k)[:per_class]):
            Image.fromarray(images[index, ..., 0]).save(root / f"class{k}" / f"{i:03d}.png")
    return root


def test_no_default_fails_on_20_images_in_2_classes(short_run, tmp_path):
    """`resnet train` and `resnet finetune` with no settings on a tiny folder:
    each adapted default is printed, nothing fails."""
    data = _small_folder(tmp_path / "small", (5, 7), 10, "train")
    source = f"{short_run['run_dir']}/checkpoints/best.keras"
    tuned = subprocess.run(CLI + ["finetune", source, "--data-dir", str(data), "--quiet",
                                  "--output", str(tmp_path / "ft")],
                           capture_output=True, text=True, timeout=900)
    assert tuned.returncode == 0, tuned.stderr[-3000:]
    assert "adapted to the data: no test split: 10 images per class are too few" in tuned.stdout
    assert "adapted to the data: validation 20% of the training images" in tuned.stdout
    assert "adapted to the data: batch size 16: the recipe's 128" in tuned.stdout
    assert "linear probe: no test split, validation accuracy " in tuned.stdout
    assert "fine-tuned: no test split, validation accuracy " in tuned.stdout
    trained = subprocess.run(CLI + ["train", "--set", "dataset=folder", "--set",
                                    f"data_dir={data}", "--set", "epochs=1", "--output",
                                    str(tmp_path / "tr")], capture_output=True, text=True,
                             timeout=900)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert ("adapted to the data: input 28×28×1: the median shorter side of 20 images is "
            "28 px; every image is grey") in trained.stdout
    assert "; no test split; run directory: " in trained.stdout


def test_ten_images_per_class_learn_from_the_probe(short_run, tmp_path):
    """The small-data case on real images, default settings: 10 training images
    of each of 4 classes; accuracy on 400 held-out test images."""
    from keras_resnet.edge.input_spec import InputSpec
    from keras_resnet.training.image_folder import decode_all, scan
    from keras_resnet.training.pipeline import eval_dataset

    train = _small_folder(tmp_path / "train", (0, 1, 8, 9), 10, "train")
    held_out = _small_folder(tmp_path / "test", (0, 1, 8, 9), 100, "test")
    recipe = load_recipe("fashion_mnist", {"dataset": "folder", "data_dir": str(train)})
    out = tmp_path / "out"
    finetune(recipe, f"{short_run['run_dir']}/checkpoints/best.keras", str(out), verbose=0)
    paths, labels, _, _ = scan(str(held_out))
    images, kept, _ = decode_all(paths, InputSpec(28, 28, 1))
    labels = labels[kept]
    accuracy = {}
    for name, path in (("probe", out / "probe" / "model.keras"),
                       ("fine-tuned", out / "finetune" / "checkpoints" / "best.keras")):
        model = keras.saving.load_model(path, compile=False)
        top1 = model.predict(eval_dataset(images, labels, 4, batch_size=256,
                                          spec=InputSpec(28, 28, 1)), verbose=0).argmax(1)
        accuracy[name] = float(np.mean(top1 == labels))
    print(accuracy)
    assert accuracy["probe"] > 0.7 and accuracy["fine-tuned"] > 0.7  # chance 0.25
