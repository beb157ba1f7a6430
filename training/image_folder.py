"""An image folder tree as a dataset: ROOT/<class name>/<image files>.

`scan` lists the files and reads the first bytes of each (cheap: no pixel
is decoded): files that are empty or not images are skipped, with one
warning naming them; a file whose body is broken is named when decoding it
fails. `choose_loading` then picks the path, from the decoded size against the
memory available and from how long decoding everything up front would take:

- in memory (`decode_all`): every file decoded once (`keras_resnet.edge.images.decode`,
  the edge runtime's decoder), kept as uint8 in the input contract's store
  form (`keras_resnet.training.augment.store_image`): fastest per step;
- streaming (`keras_resnet.training.image_files.FileImages`): files read and
  decoded inside tf.data at every step, in parallel; memory does not grow with
  the folder.
"""

import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from keras_resnet.arguments import invalid
from keras_resnet.edge import images
from keras_resnet.training.augment import store_image

MAX_BYTES = 8 << 30  # in-memory sources hold at most 8 GiB of decoded images
MEMORY_SHARE = 0.25  # ... and at most this share of the memory available
MAX_DECODE_SECONDS = 15  # the longest up-front decode the in-memory path may take
DECODE_SAMPLE = 24  # files decoded to time the up-front decode
SAMPLED = 500  # image headers read to choose the defaults
READERS = 8  # threads reading file headers
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")


def scan(root):
    """(paths, labels, class_names, skipped) of ROOT/<class>/<file> with image
    extensions; `skipped` are the files whose header is not an image's."""
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
    with ThreadPoolExecutor(READERS) as pool:  # parallel reads: a cold disk waits on each
        parts = pool.map(lambda part: [_header_ok(p) for p in part],
                         [paths[k::READERS] for k in range(READERS)])
    readable = np.empty(len(paths), bool)
    for k, part in enumerate(parts):
        readable[k::READERS] = part
    skipped = [p for p, ok in zip(paths, readable) if not ok]
    _warn_skipped(skipped)
    keep = np.flatnonzero(readable)
    labels = np.array(labels, np.int64)[keep]
    _check_classes(root, class_names, labels)
    return [paths[i] for i in keep], labels, tuple(class_names), skipped


MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


def _header_ok(path):
    """Whether the file starts as a JPEG, PNG, GIF or BMP does: one small read
    (a full header parse took 150 µs a file, 7 s for 50,000, most of it Python)."""
    try:
        with open(path, "rb") as f:
            return f.read(8).startswith(MAGIC)
    except OSError:
        return False


def _warn_skipped(skipped):
    if skipped:
        warnings.warn(f"skipped {len(skipped)} unreadable image file(s): " + ", ".join(skipped),
                      stacklevel=3)


def _check_classes(root, class_names, labels):
    empty = sorted(set(range(len(class_names))) - set(labels.tolist()))
    if empty:
        raise ValueError(f"class folder {os.path.join(root, class_names[empty[0]])!r} holds "
                         "no readable images")


def default_shape(paths):
    """(median shorter side, channels, reason) of the headers of up to SAMPLED
    of `paths`: 1 channel when every one is grey, else 3."""
    from PIL import Image

    sides, grey = [], True
    for path in paths[::max(1, len(paths) // SAMPLED)]:
        try:
            with Image.open(path) as image:
                sides.append(min(image.size))
                grey = grey and image.mode in GREY_MODES
        except (OSError, ValueError):  # unreadable: load() names it
            continue
    if not sides:
        return 224, 3, "no readable image to measure: the ImageNet default"
    median = int(np.median(sides))
    reason = (f"the median shorter side of {len(sides)} images is {median} px; "
              f"{'every image is grey' if grey else 'colour images'} "
              "(set image_size/channels to choose)")
    return median, 1 if grey else 3, reason


def choose_loading(paths, spec, setting="auto"):
    """("memory" or "stream", reason) for decoding `paths` into `spec`'s store
    form: in memory when forced, or when the decoded images take at most
    MEMORY_SHARE of the memory available (and MAX_BYTES) and decoding them all
    takes at most MAX_DECODE_SECONDS (timed on a sample)."""
    if setting != "auto":
        return setting, f"loading={setting!r} in the recipe ({decoded_size(len(paths), spec)[1]})"
    fits, reason = fits_in_memory(len(paths), spec)
    if not fits:
        return "stream", reason
    sample = paths[::max(1, len(paths) // DECODE_SAMPLE)][:DECODE_SAMPLE]
    start = time.perf_counter()
    decode_all(sample, spec)
    seconds = (time.perf_counter() - start) * len(paths) / len(sample)
    if seconds > MAX_DECODE_SECONDS:
        return "stream", (f"decoding {len(paths)} images up front would take about "
                          f"{seconds:.0f} s (more than {MAX_DECODE_SECONDS} s before the "
                          "first step)")
    return "memory", f"{reason}, about {seconds:.0f} s to decode up front"


def decoded_size(count, spec):
    """(bytes, words) of `count` images in `spec`'s store form."""
    height, width = spec.enlarged
    decoded = count * height * width * spec.channels
    return decoded, f"{count} images decode to {decoded / 2**30:.2f} GiB at {height}×{width}"


def fits_in_memory(count, spec):
    """(fits, reason): whether `count` decoded images take at most MEMORY_SHARE
    of the memory available (and MAX_BYTES)."""
    from keras_resnet.training.hardware import available_memory

    decoded, size = decoded_size(count, spec)
    available = available_memory()
    if decoded > min(MAX_BYTES, MEMORY_SHARE * available):
        return False, (f"{size}, more than {MEMORY_SHARE:.0%} of the "
                       f"{available / 2**30:.1f} GiB available")
    return True, size


def decode_all(paths, spec, workers=4):
    """(images N×H'×W'×C uint8 in the InputSpec `spec`'s store form, indices of
    the files that decoded, paths of those that did not)."""

    def one(path):
        try:
            image = images.decode(path)
        except images.UNREADABLE:
            return None
        return store_image(image, spec).numpy()

    with ThreadPoolExecutor(workers) as pool:
        decoded = list(pool.map(one, paths))
    keep = [i for i, image in enumerate(decoded) if image is not None]
    failed = [paths[i] for i, image in enumerate(decoded) if image is None]
    stacked = np.empty((len(keep), *decoded[keep[0]].shape), np.uint8) if keep else None
    for row, i in enumerate(keep):
        stacked[row] = decoded[i]
        decoded[i] = None
    return stacked, np.array(keep, np.int64), failed


def source(root, paths, labels, class_names, spec, setting="auto"):
    """(images, labels, failed paths, note): `paths` as an N×H'×W'×C uint8
    array (in memory) or as `FileImages` (streaming), per `choose_loading`;
    files that fail to decode up front are left out and named."""
    from keras_resnet.training.image_files import FileImages

    loading, reason = choose_loading(paths, spec, setting)
    if loading == "stream":
        return FileImages(paths), labels, [], f"streaming the files: {reason}"
    decoded, keep, failed = decode_all(paths, spec)
    _warn_skipped(failed)
    labels = labels[keep]
    _check_classes(root, class_names, labels)
    return decoded, labels, failed, f"in memory: {reason}"
