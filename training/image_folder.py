"""An image folder tree as a dataset: ROOT/<class name>/<image files>.

Every file is decoded once (`keras_resnet.edge.images.decode`, the decoder the edge
runtime uses too), before any pipeline runs: a decode error inside tf.data
would abort the iteration, and `ignore_errors()` would drop files without
naming them. Files that cannot be read are skipped and counted, with one
warning naming them. Decoded images go through the input contract's store
form (`keras_resnet.training.augment.store_image`: the model's channels, the aspect ratio
kept, the window centred on the evaluation crop) and are kept in memory as
uint8, so that evaluating a stored image gives what the edge runtime computes
from the file.
"""

import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from keras_resnet.arguments import invalid
from keras_resnet.edge import images
from keras_resnet.training.augment import store_image

MAX_BYTES = 8 << 30  # in-memory sources hold at most 8 GiB of decoded images
MAX_DEFAULT_SIZE = 224  # the largest input size chosen from a folder's images
SAMPLED = 500  # image headers read to choose the defaults
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")


def scan(root):
    """(paths, labels, class_names) of ROOT/<class>/<file> with image extensions."""
    if not os.path.isdir(root):
        raise invalid("data_dir", root, "a folder with one subfolder of images per class")
    class_names = sorted(d for d in os.listdir(root)
                         if os.path.isdir(os.path.join(root, d)) and not d.startswith("."))
    if len(class_names) < 2:
        raise invalid("data_dir", root, f"a folder with at least two class subfolders "
                      f"(found {len(class_names)})")
    paths, labels = [], []
    for label, name in enumerate(class_names):
        files = sorted(f for f in os.listdir(os.path.join(root, name))
                       if f.lower().endswith(images.EXTENSIONS) and not f.startswith("."))
        if not files:
            raise ValueError(f"class folder {os.path.join(root, name)!r} holds no images "
                             f"({', '.join(images.EXTENSIONS)})")
        paths += [os.path.join(root, name, f) for f in files]
        labels += [label] * len(files)
    return paths, np.array(labels, np.int64), tuple(class_names)


def default_shape(root):
    """(size, channels, reason): a folder's default input, from the headers of
    up to SAMPLED of its images: the median shorter side (capped at
    MAX_DEFAULT_SIZE) and 1 channel when every one is grey, else 3."""
    from PIL import Image

    paths, _, _ = scan(root)
    sides, grey = [], True
    for path in paths[::max(1, len(paths) // SAMPLED)]:
        try:
            with Image.open(path) as image:
                sides.append(min(image.size))
                grey = grey and image.mode in GREY_MODES
        except (OSError, ValueError):  # unreadable: load() names it
            continue
    if not sides:
        return MAX_DEFAULT_SIZE, 3, "no readable image to measure: the ImageNet default"
    median = int(np.median(sides))
    size = min(median, MAX_DEFAULT_SIZE)
    reason = (f"the median shorter side of {len(sides)} images is {median} px"
              f"{f', capped at {MAX_DEFAULT_SIZE}' if median > size else ''}; "
              f"{'every image is grey' if grey else 'colour images'} "
              "(set image_size/channels to choose)")
    return size, 1 if grey else 3, reason


def load(root, spec, workers=4):
    """(images N×H'×W'×C uint8 in the InputSpec `spec`'s store form, labels,
    class_names, skipped paths)."""
    paths, labels, class_names = scan(root)
    height, width = spec.enlarged
    if len(paths) * height * width * spec.channels > MAX_BYTES:
        raise ValueError(f"data_dir={root!r} is too large to hold in memory at "
                         f"{height}×{width}; allowed: up to {MAX_BYTES >> 30} GiB "
                         "of decoded images (use a TFDS dataset for more)")

    def one(path):
        try:
            image = images.decode(path)
        except images.UNREADABLE:
            return None
        return store_image(image, spec).numpy()

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
