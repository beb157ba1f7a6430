"""The edge runtime (resnet_edge, `resnet predict`) against the training side."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_sample_images

from resnet_edge import Predictor, preprocess
from resnet_edge.images import decode
from resnet_edge.tflite import TFLiteModel
from training.augment import preprocess_for_eval

PHOTOS = load_sample_images().filenames  # two real 427×640 RGB photos


@pytest.fixture(scope="module")
def models(exported):
    out, _ = exported
    return {q: str(out / f"model_{q}.tflite") for q in ("float32", "int8-io")}


@pytest.mark.parametrize("size,channels,style", [
    ((28, 28), 1, "cifar"), ((224, 224), 3, "imagenet"), ((64, 48), 3, "cifar"),
    ((96, 96), 1, "imagenet")])
def test_numpy_preprocessing_equals_the_training_side(size, channels, style, folder):
    inputs = [decode(p) for p in PHOTOS]
    inputs += [decode(str(folder / "bag" / n)) for n in ("alpha.png", "deep.png", "cmyk.jpg")]
    for image in inputs:
        expected = np.asarray(preprocess_for_eval(image, size, channels, style))
        actual = preprocess.preprocess_for_eval(image, size, channels, style)
        assert actual.shape == expected.shape == (*size, channels)
        assert np.abs(actual - expected).max() / 255 <= 1e-5


def test_predictor_matches_the_interpreter_on_real_photos(models):
    for quantization, path in models.items():
        predictor = Predictor(path)
        reference = TFLiteModel(path)
        for photo in PHOTOS:
            tf_input = np.asarray(preprocess_for_eval(decode(photo), (28, 28), 1, "cifar"))
            expected = reference.predict_one(tf_input)
            actual = predictor.probabilities(photo)
            assert actual.argmax() == expected.argmax(), quantization
            if quantization == "int8-io":  # quantized inputs within one step
                scale, zero = reference.input["quantization"]
                q = lambda x: np.clip(np.round(x / scale) + zero, -128, 127)  # noqa: E731
                assert np.abs(q(predictor.preprocess(photo)) - q(tf_input)).max() <= 1
        labels = [label for label, _ in predictor.top_k(PHOTOS[0], k=3)]
        assert len(labels) == 3 and set(labels) <= set(predictor.labels)


def test_predict_command(models, folder, tmp_path):
    cli = [sys.executable, "-c", "import sys; from resnet_cli import main; sys.exit(main())"]
    ok = subprocess.run(cli + ["predict", models["int8-io"], str(folder / "bag" / "000.png"),
                               PHOTOS[1], "--top", "2"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(str(folder / "bag" / "000.png") + ": Bag ")
    bad = subprocess.run(cli + ["predict", models["float32"], str(folder / "trouser" / "notes.png")],
                         capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith("is not valid; allowed: a readable JPEG, PNG, BMP or GIF file")
    assert "Traceback" not in bad.stderr


def test_tflite_without_our_metadata_warns_and_uses_indices(tmp_path):
    import tensorflow as tf

    import keras_resnet as kr

    model = kr.ResNet20(input_shape=(16, 16, 3), classes=4)
    (tmp_path / "plain.tflite").write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    with pytest.warns(UserWarning, match="has no keras_resnet metadata"):
        predictor = Predictor(str(tmp_path / "plain.tflite"))
    image = np.asarray(Image.open(PHOTOS[0]))
    assert [label for label, _ in predictor.top_k(image, k=4)] != [] and predictor.labels == [
        "0", "1", "2", "3"]
    with pytest.raises(ValueError, match=r"image of shape \(4, 4, 2\) is not valid"):
        predictor.probabilities(np.zeros((4, 4, 2), np.uint8))


def test_edge_extra_installs_and_runs_without_tensorflow(models, tmp_path):
    """pip install ".[edge]" into a new virtual environment: no TensorFlow comes
    with it, and `resnet predict` gives the in-process interpreter's top-1."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    venv = tmp_path / "edge-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", os.path.join(root, "constraints.txt"), f"{root}[edge]"],
        capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    probe = subprocess.run([python, "-c", "import tensorflow"], capture_output=True, text=True)
    assert probe.returncode != 0 and "No module named 'tensorflow'" in probe.stderr
    result = subprocess.run([str(venv / "bin" / "resnet"), "predict", models["int8-io"],
                             *PHOTOS, "--top", "1"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    reference, predictor = TFLiteModel(models["int8-io"]), Predictor(models["int8-io"])
    for line, photo in zip(result.stdout.strip().splitlines(), PHOTOS):
        tf_input = np.asarray(preprocess_for_eval(decode(photo), (28, 28), 1, "cifar"))
        expected = predictor.labels[int(reference.predict_one(tf_input).argmax())]
        assert line.startswith(f"{photo}: {expected} ")
