import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The suite runs with TensorFlow's oneDNN kernels on, as the resnet command
# sets them on x86 (keras_resnet.cpu.choose_onednn), whatever TensorFlow's own
# default for this CPU; tests marked for it run the other side in subprocesses
# (tests/test_onednn.py).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from helpers import EXPORT_VARIANTS  # noqa: E402


def _shared_temp(tmp_path_factory):
    """The temporary folder of this run that every xdist worker sees."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _once_across_workers(tmp_path_factory, name, make):
    """make(directory) → JSON-able result, computed by the first pytest-xdist
    worker that asks (`make test` runs two) while the others wait, then read
    back by every worker."""
    from filelock import FileLock

    root = _shared_temp(tmp_path_factory)
    result = root / f"{name}.json"
    with FileLock(str(root / f"{name}.lock")):
        if not result.exists():
            result.write_text(json.dumps(make(root / name)))
    return json.loads(result.read_text())


@pytest.fixture(scope="session", autouse=True)
def _no_device_calibration(tmp_path_factory):
    """An empty `resnet calibrate` cache, so that "auto" settings follow the
    built-in rules here, whatever this machine's user has measured."""
    os.environ["KERAS_RESNET_CACHE"] = str(tmp_path_factory.mktemp("device-cache"))


@pytest.fixture(scope="session")
def resnet1202():
    """ResNet-1202 (option A, 32×32×3, 10 classes): 15 s to build, built once."""
    import keras_resnet

    return keras_resnet.ResNet1202(input_shape=(32, 32, 3), classes=10)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def short_run(tmp_path_factory):
    """ResNet-20 trained for 3 epochs on 4,096 real Fashion-MNIST images."""
    from keras_resnet.training.fit import train
    from keras_resnet.training.recipe import load_recipe

    recipe = load_recipe("fashion_mnist", {
        "train_limit": 4096, "validation_size": 1000, "test_limit": 2000,
        "epochs": 3, "warmup_epochs": 0.5})
    return _once_across_workers(tmp_path_factory, "short_run",
                                lambda directory: train(recipe, str(directory), verbose=0))


FOLDER_CLASSES = {1: "trouser", 7: "sneaker", 8: "bag"}  # Fashion-MNIST labels used


@pytest.fixture(scope="session")
def folder(tmp_path_factory):
    """70 real Fashion-MNIST images per class as PNG, JPEG, BMP and GIF files,
    plus the unusual files of the issue."""
    root = tmp_path_factory.mktemp("images")
    from keras_resnet.training import fashion_mnist

    (x, y), _ = fashion_mnist.load()
    formats = ("png", "jpg", "bmp", "gif")
    for label, name in FOLDER_CLASSES.items():
        os.makedirs(root / name)
        for i, index in enumerate(np.flatnonzero(y == label)[:70]):
            image = Image.fromarray(x[index, ..., 0], "L")
            image.save(root / name / f"{i:03d}.{formats[i % 4]}")
    bag = x[np.flatnonzero(y == 8)[100], ..., 0]
    Image.fromarray(bag.astype(np.uint16) * 257).save(root / "bag" / "deep.png")  # 16-bit
    rgba = np.dstack([np.repeat(bag[..., None], 3, axis=2), np.full_like(bag, 200)])
    Image.fromarray(rgba, "RGBA").save(root / "bag" / "alpha.png")
    Image.fromarray(bag, "L").convert("CMYK").save(root / "bag" / "cmyk.jpg")
    whole = root / "sneaker" / "whole.jpg"
    Image.fromarray(bag, "L").resize((200, 200)).save(whole, quality=95)
    (root / "sneaker" / "truncated.jpg").write_bytes(whole.read_bytes()[:900])
    (root / "trouser" / "notes.png").write_text("this is not an image\n")
    (root / "trouser" / "readme.txt").write_text("ignored: not an image extension\n")
    return root


@pytest.fixture(scope="session")
def exported(short_run, tmp_path_factory):
    """The short run's best checkpoint exported in five variants, verified on
    the run's 2,000 test images."""
    from keras_resnet.export.from_run import export_checkpoint

    model = os.path.join(short_run["run_dir"], "checkpoints", "best.keras")
    report = _once_across_workers(tmp_path_factory, "exported", lambda out: export_checkpoint(
        model, str(out), EXPORT_VARIANTS, test_limit=2000, latency_runs=10))
    return _shared_temp(tmp_path_factory) / "exported", report

