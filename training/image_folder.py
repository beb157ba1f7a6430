"""An image folder tree as a dataset: ROOT/<class name>/<image files>.

Every file is decoded once, before any pipeline runs (a decode error inside
tf.data would abort the iteration, and `ignore_errors()` would drop files
without naming them). Files that cannot be read are skipped and counted, with
one warning naming them. Decoded images are converted to the model's channel
count (grey ↔ RGB; alpha composited onto black, the background of
Fashion-MNIST-style models; 16-bit images scaled to 8 bits), resized so the
shorter side is `store_size` and centre-cropped to a square, and kept in
memory as uint8.
"""

import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image, UnidentifiedImageError

from training.augment import resize_shorter_and_crop

EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
MAX_BYTES = 8 << 30  # refuse to hold more than 8 GiB of decoded images


def scan(root):
    """(paths, labels, class_names) of ROOT/<class>/<file> with image extensions."""
    if not os.path.isdir(root):
        raise ValueError(f"data_dir={root!r} is not valid; allowed: a folder with one "
                         "subfolder of images per class")
    class_names = sorted(d for d in os.listdir(root)
                         if os.path.isdir(os.path.join(root, d)) and not d.startswith("."))
    if len(class_names) < 2:
        raise ValueError(f"data_dir={root!r} is not valid; allowed: a folder with at least "
                         f"two class subfolders (found {len(class_names)})")
    paths, labels = [], []
    for label, name in enumerate(class_names):
        files = sorted(f for f in os.listdir(os.path.join(root, name))
                       if f.lower().endswith(EXTENSIONS) and not f.startswith("."))
        if not files:
            raise ValueError(f"class folder {os.path.join(root, name)!r} holds no images "
                             f"({', '.join(EXTENSIONS)})")
        paths += [os.path.join(root, name, f) for f in files]
        labels += [label] * len(files)
    return paths, np.array(labels, np.int64), tuple(class_names)


def decode(path, channels):
    """An image file as an H×W×channels uint8 array (see the module doc)."""
    with Image.open(path) as image:
        image.load()  # decodes fully: a truncated file fails here
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            array = np.asarray(image, np.uint32)
            array = (array >> 8 if array.max() > 255 else array).astype(np.uint8)
            image = Image.fromarray(array, "L")
        if image.mode in ("P", "PA", "LA") or "transparency" in image.info:
            image = image.convert("RGBA")
        if image.mode == "RGBA":
            rgb = np.asarray(image, np.float32)
            array = rgb[..., :3] * (rgb[..., 3:] / 255.0)
            image = Image.fromarray(np.round(array).astype(np.uint8), "RGB")
        image = image.convert("L" if channels == 1 else "RGB")
        array = np.asarray(image)
    return array[..., None] if array.ndim == 2 else array


def load(root, store_size, channels, workers=4):
    """(images N×S×S×C uint8, labels, class_names, skipped paths)."""
    paths, labels, class_names = scan(root)
    if len(paths) * store_size * store_size * channels > MAX_BYTES:
        raise ValueError(f"data_dir={root!r} is too large to hold in memory at "
                         f"{store_size}×{store_size}; allowed: up to {MAX_BYTES >> 30} GiB "
                         "of decoded images (use a TFDS dataset for more)")

    def one(path):
        try:
            image = decode(path, channels)
        except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
            return None
        return resize_shorter_and_crop(image, store_size, store_size).numpy().round().astype(np.uint8)

    with ThreadPoolExecutor(workers) as pool:
        images = list(pool.map(one, paths))
    keep = [i for i, image in enumerate(images) if image is not None]
    skipped = [paths[i] for i, image in enumerate(images) if image is None]
    if skipped:
        warnings.warn(f"skipped {len(skipped)} unreadable image file(s): " + ", ".join(skipped),
                      stacklevel=2)
    empty = sorted(set(class_names) - {class_names[labels[i]] for i in keep})
    if empty:
        raise ValueError(f"class folder {os.path.join(root, empty[0])!r} holds no "
                         "readable images")
    return np.stack([images[i] for i in keep]), labels[keep], class_names, skipped
