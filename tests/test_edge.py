"""The edge runtime (keras_resnet.edge, `resnet predict`) against the training side."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_sample_images

from keras_resnet.edge import Predictor, preprocess
from keras_resnet.edge.images import decode
from keras_resnet.edge.input_spec import InputSpec
from keras_resnet.edge.tflite import TFLiteModel, quantize
from keras_resnet.training.augment import preprocess_for_eval

from helpers import randomize, venv_with

PHOTOS = load_sample_images().filenames  # two real 427×640 RGB photos


@pytest.fixture(scope="module")
def models(exported):
    out, _ = exported
    return {q: str(out / f"model_{q}.tflite") for q in ("float32", "int8-io")}


FASHION = InputSpec(28, 28, 1)
DEPLOYED = InputSpec(28, 28, 3)  # the grey Fashion-MNIST model is exported with an RGB input


@pytest.mark.parametrize("spec", [
    FASHION, InputSpec.for_style(224, 3, "imagenet"), InputSpec(64, 48, 3),
    InputSpec.for_style(96, 1, "imagenet"), InputSpec(40, 56, 3, 224 / 232)])
def test_numpy_preprocessing_equals_the_training_side(spec, folder):
    inputs = [decode(p) for p in PHOTOS]
    inputs += [decode(str(folder / "bag" / n)) for n in ("alpha.png", "deep.png", "cmyk.jpg")]
    for image in inputs:
        expected = np.asarray(preprocess_for_eval(image, spec))
        actual = preprocess.preprocess_for_eval(image, spec)
        assert actual.shape == expected.shape == (*spec.size, spec.channels)
        assert np.abs(actual - expected).max() / 255 <= 1e-5


@pytest.mark.slow
def test_predictor_matches_the_interpreter_on_real_photos(models):
    for quantization, path in models.items():
        predictor = Predictor(path)
        reference = TFLiteModel(path)
        assert predictor.spec == DEPLOYED
        for photo in PHOTOS:
            tf_input = np.asarray(preprocess_for_eval(decode(photo), DEPLOYED))
            expected = reference.predict_one(tf_input)
            actual = predictor.probabilities(photo)
            assert actual.argmax() == expected.argmax(), quantization
            if quantization == "int8-io":  # quantized inputs within one step
                scale, zero = reference.input["quantization"]
                ours, theirs = (quantize(x, scale, zero).astype(int)
                                for x in (predictor.preprocess(photo), tf_input))
                assert np.abs(ours - theirs).max() <= 1
        labels = [label for label, _ in predictor.top_k(PHOTOS[0], k=3)]
        assert len(labels) == 3 and set(labels) <= set(predictor.labels)


@pytest.mark.slow
def test_predict_command(models, folder, tmp_path):
    cli = [sys.executable, "-c", "import sys; from keras_resnet.cli import main; sys.exit(main())"]
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

    model = randomize(kr.ResNet20(input_shape=(16, 16, 3), classes=4), np.random.default_rng(0))
    (tmp_path / "plain.tflite").write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    with pytest.warns(UserWarning, match="has no keras_resnet metadata"):
        predictor = Predictor(str(tmp_path / "plain.tflite"))
    assert predictor.labels == ["0", "1", "2", "3"]
    image = np.asarray(Image.open(PHOTOS[0]))
    # The input is the model's size at crop fraction 1; labels are the output indices.
    x = preprocess.preprocess_for_eval(image, InputSpec(16, 16, 3))
    np.testing.assert_array_equal(predictor.preprocess(image), x)
    expected = np.asarray(model(x[None]))[0]
    ranked = predictor.top_k(image, k=4)
    assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)
    for label, probability in ranked:
        assert probability == pytest.approx(expected[int(label)], abs=1e-4), label
    with pytest.raises(ValueError, match=r"image shape=\(4, 4, 2\) is not valid"):
        predictor.probabilities(np.zeros((4, 4, 2), np.uint8))


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _expected_top1(model_path):
    reference, labels = TFLiteModel(model_path), Predictor(model_path).labels
    return [labels[int(reference.predict_one(np.asarray(
        preprocess_for_eval(decode(photo), DEPLOYED))).argmax())] for photo in PHOTOS]


def _predict_top1(bin_dir, model_path, cwd):
    result = subprocess.run([str(bin_dir / "resnet"), "predict", model_path, *PHOTOS, "--top", "1"],
                            capture_output=True, text=True, cwd=cwd)
    assert result.returncode == 0, result.stderr[-2000:]
    return [line.split(": ", 1)[1].rsplit(" ", 1)[0] for line in result.stdout.strip().splitlines()]


@pytest.mark.slow
@pytest.mark.venv
def test_edge_extra_installs_and_runs_without_tensorflow(models, tmp_path):
    """pip install ".[edge]" into a new virtual environment: one namespace and
    the command are installed, no TensorFlow comes with them, and `resnet
    predict` gives the in-process interpreter's top-1."""
    bin_dir = venv_with(tmp_path, "-c", os.path.join(ROOT, "constraints.txt"), f"{ROOT}[edge]")
    probe = subprocess.run([str(bin_dir / "python"), "-c", "import tensorflow"],
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "No module named 'tensorflow'" in probe.stderr
    listing = subprocess.run([str(bin_dir / "python"), "-c", "import importlib.metadata as m; "
                              "print('\\n'.join(map(str, m.files('keras3-resnet'))))"],
                             capture_output=True, text=True, cwd=tmp_path)  # not the checkout's
    files = listing.stdout.split()
    tops = {f.split("/")[0] for f in files if not f.startswith("..")}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"keras_resnet"}, tops
    assert [f for f in files if f.startswith("..")] == ["../../../bin/resnet"]
    for package in ("training", "export", "edge", "experiments", "demo", "cli"):
        assert f"keras_resnet/{package}/__init__.py" in files, package
    assert "keras_resnet/training/recipes/demo.toml" in files
    assert "keras_resnet/converters/pytorch_weights.json" in files
    assert _predict_top1(bin_dir, models["int8-io"], tmp_path) == _expected_top1(models["int8-io"])


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="tflite-runtime 2.14, its last "
                    "release, has wheels for Python 3.11 at the newest")
@pytest.mark.slow
@pytest.mark.venv
def test_tflite_runtime_fallback_gives_litert_top1(models, tmp_path):
    bin_dir = venv_with(tmp_path, "tflite-runtime==2.14.0", "numpy<2", "pillow", "flatbuffers")
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--no-deps",
                    ROOT], check=True, capture_output=True, timeout=300)
    probe = subprocess.run([str(bin_dir / "python"), "-c", "import ai_edge_litert"],
                           capture_output=True, text=True)
    assert probe.returncode != 0  # so the fallback is what runs
    for quantization in ("float32", "int8-io"):
        assert _predict_top1(bin_dir, models[quantization], tmp_path) == _expected_top1(
            models[quantization])
