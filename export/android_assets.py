"""The Android demo's assets from an exported `.tflite` with our metadata
(`resnet android-assets`, `make android-assets`): model.tflite,
metadata.json, samples/*.png and golden.json (each sample's top-3 as the app
must compute it: the PNG decoded to RGBA as Android's BitmapFactory does,
then `keras_resnet.edge`'s preprocessing and the interpreter).
"""

import hashlib
import os
import shutil
import tempfile
import warnings

import numpy as np
from PIL import Image

from keras_resnet.arguments import invalid
from keras_resnet.atomic_files import make_readable, write_bytes, write_json
from keras_resnet.edge import metadata
from keras_resnet.edge.images import EXTENSIONS, UNREADABLE, decode
from keras_resnet.edge.predictor import Predictor, top_indices
from keras_resnet.training import fashion_mnist

# The app in a source checkout (an installed package has none; pass assets_dir).
ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "android_demo", "app", "src", "main", "assets")
TOP_K = 3


def _fashion_mnist_samples(labels):
    """(name, image, true label): the first Fashion-MNIST test image of each class."""
    _, (x, y) = fashion_mnist.load()
    return [(f"{k:02d}", x[np.flatnonzero(y == k)[0]], labels[k]) for k in range(len(labels))]


def _folder_samples(directory, labels, limit=12):
    """(name, image, true label or None): up to `limit` readable images of a
    folder, or of a folder tree with one subfolder per class (the subfolder's
    name is the truth when it is one of `labels`); unreadable files are
    skipped with a warning that names them."""
    files = sorted(os.path.join(root, name) for root, _, names in os.walk(directory)
                   for name in names if name.lower().endswith(EXTENSIONS))
    samples, skipped = [], []
    for path in files:
        if len(samples) == limit:
            break
        try:
            image = decode(path)
        except UNREADABLE:
            skipped.append(path)
            continue
        truth = os.path.basename(os.path.dirname(path))
        samples.append((f"{len(samples):02d}", image, truth if truth in labels else None))
    if skipped:
        warnings.warn(f"skipped {len(skipped)} unreadable file(s): {', '.join(skipped)}",
                      stacklevel=2)
    if not samples:
        raise invalid("samples", directory, "a folder holding readable JPEG, PNG, BMP or "
                      "GIF images")
    return samples


def top_k_as_the_app_does(predictor, rgba):
    """[(index, probability)] of an H×W×4 uint8 image, best first."""
    probabilities = predictor.probabilities(rgba)
    return [(i, float(probabilities[i])) for i in top_indices(probabilities, TOP_K)]


def _save_sample(predictor, labels, directory, name, image, truth):
    """Writes one sample as NAME.png; returns its golden entry."""
    image = np.asarray(image)
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[image.shape[-1]]
    picture = Image.fromarray(image[..., 0] if mode == "L" else image, mode)
    picture.save(os.path.join(directory, f"{name}.png"))
    top = top_k_as_the_app_does(predictor, np.asarray(picture.convert("RGBA")))
    return {"file": f"samples/{name}.png", "truth": truth, "top": [
        {"index": i, "label": labels[i], "probability": round(p, 6)} for i, p in top]}


def write_assets(model_path, assets_dir=ASSETS, samples_dir=None):
    """Replace the app's model, metadata, samples and golden file; returns
    the golden dict. Files are written under temporary names, then renamed."""
    with open(model_path, "rb") as f:
        content = f.read()
    try:
        meta = metadata.read(content)
    except Exception:  # not a flatbuffer at all
        meta = None
    if meta is None:
        raise invalid("model", model_path, "a .tflite file that `resnet export` wrote (it "
                      "carries keras_resnet metadata)")
    labels = meta["labels"]
    if samples_dir:
        samples = _folder_samples(samples_dir, labels)
    elif labels == list(fashion_mnist.CLASSES):
        samples = _fashion_mnist_samples(labels)
    else:
        raise ValueError("--samples is needed: the model is not a Fashion-MNIST classifier, "
                         "so pass a folder of images it can recognise")
    predictor = Predictor(model_path)
    os.makedirs(assets_dir, exist_ok=True)
    staging = tempfile.mkdtemp(dir=assets_dir, prefix=".samples-")
    try:
        make_readable(staging, 0o777)
        golden = {"model_sha256": hashlib.sha256(content).hexdigest(), "top_k": TOP_K,
                  "samples": [_save_sample(predictor, labels, staging, *sample)
                              for sample in samples]}
        write_bytes(os.path.join(assets_dir, "model.tflite"), content)
        write_json(os.path.join(assets_dir, "metadata.json"), meta)
        old = os.path.join(assets_dir, "samples")
        if os.path.isdir(old):
            shutil.rmtree(old)
        os.replace(staging, old)
        write_json(os.path.join(assets_dir, "golden.json"), golden)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)
    return golden
