"""torchvision and timm state dicts → our Keras models: the logits of the real
PyTorch models (recorded by tests/pytorch_fixtures.py with torchvision 0.29.1
and timm 1.0.31, weights rebuilt here from the same seed), the no-torch
.safetensors path, errors that name the tensor, and torchvision's transforms."""

import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_sample_images

from keras_resnet.converters.pytorch import from_state_dict
from keras_resnet.specs import TORCH_ARCHITECTURES
from pytorch_fixtures import CASES, HERE, seeded_inputs, seeded_state_dict


def _fixture(name):
    with open(os.path.join(HERE, f"{name}.json")) as f:
        fixture = json.load(f)
    state = seeded_state_dict(fixture["keys"], fixture["seed"])
    logits = np.load(os.path.join(HERE, f"{name}-logits.npy"))
    return fixture, state, logits


def _keras_logits(model, seed):
    x = seeded_inputs(seed).transpose(0, 2, 3, 1)  # NCHW → NHWC
    return np.asarray(model(x, training=False))


def _live_logits(fixture, state):
    """The same model in PyTorch where torchvision and timm import (the
    committed logits stand in for it elsewhere)."""
    try:
        import torch
        from pytorch_fixtures import _model
        model = _model(fixture["library"], fixture["architecture"]).eval()
    except ImportError:
        return None
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    with torch.no_grad():
        return model(torch.from_numpy(seeded_inputs(fixture["seed"]))).numpy()


@pytest.mark.parametrize("name", sorted(CASES))
def test_converted_logits_match_pytorch(name):
    fixture, state, reference = _fixture(name)
    model = from_state_dict(state, fixture["architecture"], input_shape=(64, 64, 3),
                            classifier_activation=None)
    ours = _keras_logits(model, fixture["seed"])
    scale = np.abs(reference).max()
    # Measured: 0.8e-6 to 1.4e-6 of the logits' scale (float32 sums in another order).
    assert np.abs(ours - reference).max() <= 1e-4 * scale
    live = _live_logits(fixture, state)
    if live is not None:
        assert np.abs(live - reference).max() <= 1e-5 * scale


def _key_sets():
    with gzip.open(os.path.join(HERE, "state_dict_keys.json.gz"), "rt") as f:
        return json.load(f)


def test_timm_and_torchvision_name_their_shared_architectures_alike():
    sets = _key_sets()
    shared = [k[len("timm:"):] for k in sets if k.startswith("timm:")
              and "torchvision:" + k[len("timm:"):] in sets]
    assert len(shared) == 9
    for architecture in shared:
        assert sets["timm:" + architecture] == sets["torchvision:" + architecture], architecture


@pytest.mark.parametrize("architecture", sorted(TORCH_ARCHITECTURES))
def test_every_covered_architecture_takes_its_real_state_dict_whole(architecture):
    """Every tensor of the real state dict (names and shapes recorded from
    torchvision, else timm) finds its place, and nothing is missing."""
    sets = _key_sets()
    keys = sets.get(f"torchvision:{architecture}") or sets[f"timm:{architecture}"]
    state = seeded_state_dict(keys, 0)
    model = from_state_dict(state, architecture, input_shape=(32, 32, 3))
    conv = state["layer4.0.conv1.weight"]
    layer = model.get_layer("conv5_block1_1_conv")
    np.testing.assert_array_equal(layer.get_weights()[0], conv.transpose(2, 3, 1, 0))


def test_safetensors_file_converts_in_a_process_without_torch(tmp_path):
    from safetensors.numpy import save_file

    fixture, state, reference = _fixture("torchvision-resnet18")
    save_file(state, str(tmp_path / "resnet18.safetensors"))
    out = tmp_path / "resnet18.keras"
    script = (
        "import sys; from keras_resnet.cli import main; code = main(sys.argv[1:]); "
        "assert 'torch' not in sys.modules, 'torch was imported'; sys.exit(code)")
    run = subprocess.run([sys.executable, "-c", script, "import-weights",
                          str(tmp_path / "resnet18.safetensors"), str(out), "--architecture",
                          "resnet18", "--input-shape", "64,64,3", "--no-softmax",
                          "--no-normalisation"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    import keras
    model = keras.saving.load_model(str(out))
    ours = _keras_logits(model, fixture["seed"])
    assert np.abs(ours - reference).max() <= 1e-4 * np.abs(reference).max()
    with open(tmp_path / "resnet18.json") as f:
        meta = json.load(f)
    assert meta["architecture"] == "resnet18" and meta["source"].endswith("resnet18.safetensors")


@pytest.mark.parametrize("name,target,message", [
    ("torchvision-resnet18", "resnet34", "no tensor 'layer1.2.conv1.weight'"),
    ("torchvision-resnet50", "resnet18", "tensor 'layer1.0.conv1.weight' has shape (64, 64, 1, 1)"),
    ("torchvision-resnet50", "resnet50d", "no tensor 'conv1.0.weight'"),
    ("timm-resnet50d", "resnet50", "no tensor 'conv1.weight'"),
    ("torchvision-resnext50_32x4d", "resnet50",
     "tensor 'layer1.0.conv1.weight' has shape (128, 64, 1, 1), this model needs (64, 64, 1, 1)"),
    ("torchvision-resnet50", "resnext50_32x4d", "tensor 'layer1.0.conv1.weight' has shape "
                                                "(64, 64, 1, 1), this model needs (128, 64, 1, 1)"),
])
def test_wrong_depth_or_variant_names_the_tensor(name, target, message):
    _, state, _ = _fixture(name)
    with pytest.raises(ValueError) as error:
        from_state_dict(state, target, input_shape=(64, 64, 3))
    assert message in str(error.value)


def test_a_deeper_source_names_the_first_tensor_left_over():
    _, state, _ = _fixture("torchvision-resnet50")
    state = dict(state)
    state["layer4.3.conv1.weight"] = np.zeros((512, 2048, 1, 1), np.float32)
    with pytest.raises(ValueError, match="has tensor 'layer4.3.conv1.weight', which this "
                                         "resnet50 model lacks"):
        from_state_dict(state, "resnet50", input_shape=(64, 64, 3))


def test_head_dropped_or_replaced():
    fixture, state, _ = _fixture("torchvision-resnet18")
    backbone = from_state_dict(state, "resnet18", include_top=False, pooling="avg",
                               input_shape=(64, 64, 3))
    assert backbone.output_shape == (None, 512)
    ten = from_state_dict(state, "resnet18", classes=10, input_shape=(64, 64, 3))
    assert ten.output_shape == (None, 10)
    np.testing.assert_array_equal(ten.get_layer("conv1_conv").get_weights()[0],
                                  state["conv1.weight"].transpose(2, 3, 1, 0))
    assert not np.allclose(ten.get_layer("predictions").get_weights()[0][:, :10],
                           state["fc.weight"][:10].T)


def test_our_preprocessing_against_torchvision_transforms_on_real_photos():
    """torchvision's PIL path (Resize with antialiasing, CenterCrop, uint8)
    against the input contract (keras_resnet.training.augment.preprocess_for_eval) on the
    same photos."""
    from keras_resnet.edge.input_spec import InputSpec
    from keras_resnet.training.augment import preprocess_for_eval

    with open(os.path.join(HERE, "transforms.json")) as f:
        photos = json.load(f)["photos"]
    expected = np.load(os.path.join(HERE, "transforms.npz"))
    images = dict(zip(("china", "flower"), load_sample_images().images))
    for photo, sizes in photos.items():
        spec = InputSpec.for_resize_crop(sizes["resize"], sizes["crop"])
        ours = np.asarray(preprocess_for_eval(images[photo], spec))
        theirs = expected[photo].astype(np.float32)
        assert ours.shape == theirs.shape == (sizes["crop"], sizes["crop"], 3)
        difference = np.abs(ours - theirs)
        # Measured on both photos: mean 0.28, max 1.0 of 255 (PIL rounds to
        # uint8 and computes its kernel in fixed point). With rounding instead
        # of torchvision's floor for the long side: mean 4.9, max 90.
        assert difference.mean() <= 0.5 and difference.max() <= 2.0


def test_import_weights_command_rejects_bad_arguments(tmp_path, capsys):
    from keras_resnet.cli import main

    source = tmp_path / "x.safetensors"
    source.write_bytes(b"")
    for argv, message in [
        ([str(source), "y.keras"], "--architecture is needed"),
        ([str(source), "y.keras", "--weights", "torchvision:resnet50.V9"],
         "--weights='torchvision:resnet50.V9' is not valid"),
        ([str(source), "y.keras", "--weights", "torchvision:resnet50.IMAGENET1K_V2",
          "--architecture", "resnet18"], "allowed: resnet50"),
        ([str(tmp_path / "missing.pth"), "y.keras", "--architecture", "resnet18"],
         "is not valid; allowed: an existing .safetensors"),
        ([str(source), "y.h5", "--architecture", "resnet18"], "a path ending in .keras"),
    ]:
        assert main(["import-weights", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    # The old name still works for one release, and says so.
    assert main(["convert", str(source), "y.keras"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("resnet convert is now resnet import-weights")
    assert "--architecture is needed" in err[1]


def test_pth_checkpoint_with_a_wrapped_state_dict(tmp_path):
    import torch

    from keras_resnet.converters.pytorch import load_state_dict

    fixture, state, reference = _fixture("torchvision-resnet18")
    path = tmp_path / "checkpoint.pth"
    torch.save({"state_dict": {k: torch.from_numpy(v) for k, v in state.items()}}, path)
    loaded = load_state_dict(str(path))
    assert sorted(loaded) == sorted(state)
    model = from_state_dict(loaded, "resnet18", input_shape=(64, 64, 3),
                            classifier_activation=None)
    ours = _keras_logits(model, fixture["seed"])
    assert np.abs(ours - reference).max() <= 1e-4 * np.abs(reference).max()
