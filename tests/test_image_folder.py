"""An image folder of real images with broken and unusual files trains."""

import os

import numpy as np
import pytest
from PIL import Image

from keras_resnet.edge.images import decode
from keras_resnet.edge.input_spec import InputSpec
from keras_resnet.training import image_folder
from keras_resnet.training.augment import to_channels
from keras_resnet.training.recipe import load_recipe

def test_unusual_files_decode_and_broken_ones_are_named(folder):
    # The header names what is no image; the truncated JPEG's header is intact,
    # so decoding names it.
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image file\(s\): .*notes.png"):
        paths, labels, names, skipped = image_folder.scan(str(folder))
    assert names == ("bag", "sneaker", "trouser") and len(paths) == 3 * 70 + 5
    assert [os.path.basename(p) for p in skipped] == ["notes.png"]
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image file\(s\): .*truncated.jpg"):
        images, keep, failed = image_folder.source(str(folder), paths, labels, names,
                                                   InputSpec(32, 32, 3))[:3]
    assert [os.path.basename(p) for p in failed] == ["truncated.jpg"]
    assert images.shape == (3 * 70 + 4, 32, 32, 3) and images.dtype == np.uint8
    grey = decode(str(folder / "bag" / "deep.png"))
    plain = decode(str(folder / "bag" / "000.png"))
    assert grey.shape == plain.shape == (28, 28, 1)
    assert grey.max() > 200  # scaled down from 16 bits, not clipped
    rgba = decode(str(folder / "bag" / "alpha.png"))
    assert rgba.shape == (28, 28, 4)
    composited = np.asarray(to_channels(rgba, 3))
    assert composited.shape == (28, 28, 3) and composited.max() <= 200 + 1e-3  # alpha 200
    assert decode(str(folder / "bag" / "cmyk.jpg")).shape == (28, 28, 3)


@pytest.mark.slow
def test_folder_trains_and_the_summary_names_skipped_files(folder, tmp_path):
    from keras_resnet.training.fit import train

    recipe = load_recipe("fashion_mnist", {
        "dataset": "folder", "data_dir": str(folder), "image_size": 32, "channels": 3,
        "validation_size": 0.15, "test_size": 0.15, "batch_size": 32, "epochs": 15,
        "warmup_epochs": 0.5})
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        summary = train(recipe, str(tmp_path / "run"), verbose=0)
    assert sorted(os.path.basename(p) for p in summary["skipped_files"]) == [
        "notes.png", "truncated.jpg"]
    assert summary["test"]["images"] == round(0.15 * (3 * 70 + 4))
    # Measured 1.0 on the 32 test images (validation 0.96); chance is 1/3.
    assert summary["test"]["accuracy"] > 0.8


@pytest.mark.parametrize("layout,message", [
    ({"only": ["a.png"]}, r"at least two class subfolders \(found 1\)"),
    ({"a": ["a.png"], "b": []}, r"class folder '.*b' holds no images"),
])
def test_bad_folders_are_clear_errors(tmp_path, layout, message):
    for name, files in layout.items():
        os.makedirs(tmp_path / name)
        for f in files:
            Image.new("L", (8, 8)).save(tmp_path / name / f)
    with pytest.raises(ValueError, match=message):
        image_folder.scan(str(tmp_path))
