"""A client no one here wrote: MediaPipe Tasks' ImageClassifier runs the
deployable exports unmodified (standard TFLite metadata, RGB input, labels
from the associated file) and agrees with `resnet predict`'s runtime."""

import json
import os
import subprocess

import numpy as np
import pytest

from helpers import venv_with
from keras_resnet.edge import Predictor

# mediapipe needs absl-py 2, which tfmot 0.8.1's pin excludes: its own venv.
MEDIAPIPE = "mediapipe>=1.2,<2"
DEPLOYABLE = ("float32", "int8", "uint8")
IMAGES = 600

CLASSIFY = """
import json, sys
import numpy as np
import mediapipe as mp
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python.vision import ImageClassifier, ImageClassifierOptions
images = np.load(sys.argv[1])
result = {}
for path in sys.argv[2:]:
    options = ImageClassifierOptions(base_options=BaseOptions(model_asset_path=path), max_results=1)
    with ImageClassifier.create_from_options(options) as classifier:
        result[path] = [classifier.classify(mp.Image(image_format=mp.ImageFormat.SRGB, data=image))
                        .classifications[0].categories[0].category_name for image in images]
print(json.dumps(result))
"""


@pytest.mark.slow
@pytest.mark.venv
def test_mediapipe_image_classifier_runs_every_deployable_export(exported, tmp_path):
    from keras_resnet.training import fashion_mnist

    out, report = exported
    _, (test_images, test_labels) = fashion_mnist.load()
    rgb = np.repeat(test_images[:IMAGES], 3, axis=-1)  # a camera gives RGB; the model converts
    np.save(tmp_path / "images.npy", rgb)
    paths = {q: str(out / f"model_{q}.tflite") for q in DEPLOYABLE}
    bin_dir = venv_with(tmp_path, MEDIAPIPE)
    done = subprocess.run([str(bin_dir / "python"), "-c", CLASSIFY, str(tmp_path / "images.npy"),
                           *paths.values()], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "GLOG_minloglevel": "2"})
    assert done.returncode == 0, done.stderr[-3000:]
    labels = json.loads(done.stdout.strip().splitlines()[-1])
    for q, path in paths.items():
        predictor = Predictor(path)
        ours = [predictor.top_k(image, 1)[0][0] for image in rgb]
        agreement = np.mean([a == b for a, b in zip(labels[path], ours)])
        accuracy = np.mean([predictor.labels.index(a) == k
                            for a, k in zip(labels[path], test_labels[:IMAGES])])
        print(f"{q}: MediaPipe agrees with resnet predict on {agreement:.4f} of {IMAGES} "
              f"test images; MediaPipe accuracy {accuracy:.4f}")
        assert agreement >= 0.99, q
        assert set(labels[path]) <= set(predictor.labels)  # names, not indices
    keras_accuracy = report["keras"]["accuracy"]
    assert abs(report["variants"]["uint8"]["accuracy"] - keras_accuracy) <= 0.005
