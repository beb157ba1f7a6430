"""An image folder tree as a dataset: ROOT/<class name>/<image files>.

Every file is decoded once (`resnet_edge.images.decode`, the decoder the edge
runtime uses too), before any pipeline runs: a decode error inside tf.data
would abort the iteration, and `ignore_errors()` would drop files without
naming them. Files that cannot be read are skipped and counted, with one
warning naming them. Decoded images are converted to the model's channel
count (`training.augment.to_channels`: grey ↔ RGB, alpha composited onto
black), resized so the shorter side is `store_size`, centre-cropped to a
square, and kept in memory as uint8.
"""

import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from resnet_edge import images
from training.augment import resize_shorter_and_crop, to_channels

EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
MAX_BYTES = 8 << 30  # in-memory sources hold at most 8 GiB of decoded images


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


def load(root, store_size, channels, workers=4):
    """(images N×S×S×C uint8, labels, class_names, skipped paths)."""
    paths, labels, class_names = scan(root)
    if len(paths) * store_size * store_size * channels > MAX_BYTES:
        raise ValueError(f"data_dir={root!r} is too large to hold in memory at "
                         f"{store_size}×{store_size}; allowed: up to {MAX_BYTES >> 30} GiB "
                         "of decoded images (use a TFDS dataset for more)")

    def one(path):
        try:
            image = to_channels(images.decode(path), channels)
        except images.UNREADABLE:
            return None
        image = resize_shorter_and_crop(image, store_size, store_size)
        return np.round(image.numpy()).astype(np.uint8)

    with ThreadPoolExecutor(workers) as pool:
        decoded = list(pool.map(one, paths))
    keep = [i for i, image in enumerate(decoded) if image is not None]
    skipped = [paths[i] for i, image in enumerate(decoded) if image is None]
    if skipped:
        warnings.warn(f"skipped {len(skipped)} unreadable image file(s): " + ", ".join(skipped),
                      stacklevel=2)
    empty = sorted(set(class_names) - {class_names[labels[i]] for i in keep})
    if empty:
        raise ValueError(f"class folder {os.path.join(root, empty[0])!r} holds no "
                         "readable images")
    return np.stack([decoded[i] for i in keep]), labels[keep], class_names, skipped
