"""Two-phase fine-tuning from a trained checkpoint onto an image folder."""

import keras
import numpy as np
import pytest

import keras_resnet  # noqa: F401 (registers the layers that checkpoints hold)
from keras_resnet.training.finetune import finetune
from keras_resnet.training.recipe import load_recipe

pytestmark = pytest.mark.slow  # end to end: real training


def _weights(model, keep):
    return {w.path: np.asarray(w) for layer in model.layers if keep(layer)
            for w in layer.weights}


@pytest.fixture(scope="module")
def phases(short_run, folder, tmp_path_factory):
    source = f"{short_run['run_dir']}/checkpoints/best.keras"
    recipe = load_recipe("fashion_mnist", {
        "dataset": "folder", "data_dir": str(folder), "validation_size": 0.15,
        "test_size": 0.15, "batch_size": 32, "epochs": 4, "warmup_epochs": 0.5})
    out = tmp_path_factory.mktemp("finetune")
    with pytest.warns(UserWarning, match="skipped 2 unreadable"):
        summaries = finetune(recipe, source, str(out), head_epochs=4, stages=1, verbose=0)
    load = lambda p: keras.saving.load_model(p, compile=False)  # noqa: E731
    return (load(source), load(out / "head" / "checkpoints" / "epoch-0004.keras"),
            load(out / "finetune" / "checkpoints" / "epoch-0004.keras"), summaries)


def test_phase_one_trains_only_the_head(phases):
    source, head, _, (first, _) = phases
    backbone = lambda layer: layer.name not in ("avg_pool", "predictions")  # noqa: E731
    before = _weights(source, backbone)
    after = _weights(head, backbone)
    assert before.keys() == after.keys() and len(before) > 50
    for path in before:  # kernels, γ, β and the BatchNorm moving statistics
        np.testing.assert_array_equal(after[path], before[path], err_msg=path)
    # The new head learned (3 classes, chance 1/3; measured 1.0 on 32 test images).
    assert first["test"]["accuracy"] > 0.8


def test_phase_two_tunes_the_top_stage_with_batchnorm_frozen(phases):
    source, head, tuned, (_, second) = phases
    start = _weights(head, lambda layer: True)
    end = _weights(tuned, lambda layer: True)
    changed = {p for p in start if not np.array_equal(start[p], end[p])}
    assert any(p.startswith("conv4_") and p.endswith("kernel") for p in changed)
    assert not [p for p in changed if not p.startswith(("conv4_", "predictions"))]
    bn = _weights(tuned, lambda layer: isinstance(layer, keras.layers.BatchNormalization))
    original = _weights(source, lambda layer: isinstance(layer, keras.layers.BatchNormalization))
    for path in bn:
        np.testing.assert_array_equal(bn[path], original[path], err_msg=path)
    assert second["test"]["accuracy"] > 0.8
