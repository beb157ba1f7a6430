"""Image files read and decoded inside tf.data: the streaming path's reader.

`FileImages` stands where an in-memory source holds an N×H×W×C array: the
paths of a split, indexed like the array. Its images are decoded in the
pipeline's threads, never up front:

- JPEGs of one or three components (nearly every photo) by TensorFlow: whole
  files (evaluation) with libjpeg's accurate integer DCT, the one PIL uses;
  the training crop alone (`tf.io.decode_and_crop_jpeg`), with the fast DCT,
  at a DCT scale of 1/2, 1/4 or 1/8 when the crop is at least that many times
  the model's input;
- every other file (PNG, GIF, BMP, CMYK JPEG, 16-bit) by
  `keras_resnet.edge.images.decode`, the decoder of the in-memory path and the
  edge runtime,

then through the input contract's channel rule, so that a file reaches the
model as it would from memory or on a phone.

A file that fails to decode in the stream does not stop it: `guarded` turns
the error into a black placeholder with weight 0 (no loss, no metric), and
`DecodeLog` names the file.
"""

import io
import threading

import numpy as np
import tensorflow as tf

from keras_resnet.edge import images as edge_images
from keras_resnet.edge import preprocess as edge_preprocess
from keras_resnet.training.augment import (augment_for_train, finish_for_train, imagenet_box,
                                            to_channels)

DCT_RATIOS = (8, 4, 2)  # libjpeg's scaled decodes


class FileImages:
    """The image files of a split: `len`, and indexing by an int array like a
    numpy array of images; `log` is shared by every subset of one folder."""

    def __init__(self, paths, log=None):
        self.paths = np.asarray(paths, dtype=object)
        self.log = log if log is not None else DecodeLog(self.paths)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        return FileImages(self.paths[index], self.log)

    def positions(self):
        """Each file's index in the folder (what `DecodeLog` records)."""
        return np.array([self.log.index[p] for p in self.paths], np.int64)


class DecodeLog:
    """How many files of a folder this process's streams decoded, and which
    failed, by index."""

    def __init__(self, paths):
        self.paths = list(paths)
        self.index = {p: i for i, p in enumerate(self.paths)}
        self.failed = set()
        self.decoded = 0
        self._lock = threading.Lock()

    def record(self, indices, ok):
        """Called from the stream (tf.numpy_function) with a batch's file indices
        and decode flags; returns `ok` unchanged."""
        with self._lock:
            self.decoded += len(indices)
            self.failed.update(int(i) for i in indices[~ok])
        return ok

    def failed_paths(self):
        return sorted(self.paths[i] for i in self.failed)


def _decode_other(contents, channels):
    """Any format through the edge decoder and the contract's channel rule."""
    image = edge_images.decode(io.BytesIO(contents))
    return edge_preprocess.to_channels(image, channels)


def _decode_jpeg(contents, channels, window=None, ratio=1, exact=True):
    """A JPEG (or its `window`: top, left, height, width) as float32 with
    `channels`; grey files stay exact for a grey model, colour ones go through
    the contract's grey weights. `exact`: PIL's accurate integer DCT (the
    contract); else libjpeg's fast one (training crops: 1.3× faster on 2 MP
    photos)."""
    dct = "INTEGER_ACCURATE" if exact else "INTEGER_FAST"

    def decode(to):
        if window is None:
            return tf.io.decode_jpeg(contents, channels=to, ratio=ratio, dct_method=dct)
        return tf.io.decode_and_crop_jpeg(contents, window, channels=to, ratio=ratio,
                                          dct_method=dct)

    if channels == 3:
        return tf.cast(decode(3), tf.float32)
    components = tf.io.extract_jpeg_shape(contents)[2]
    return tf.cond(components == 1, lambda: tf.cast(decode(1), tf.float32),
                   lambda: to_channels(decode(3), 1))


def _plain_jpeg(contents):
    """Whether TensorFlow decodes this file as the edge decoder does."""
    is_jpeg = tf.io.is_jpeg(contents)
    return tf.cond(is_jpeg, lambda: tf.reduce_any(
        tf.io.extract_jpeg_shape(contents)[2] == tf.constant([1, 3])), lambda: False)


def decode(contents, channels):
    """A whole file as an H×W×`channels` float32 image in 0..255."""

    def other():
        image = tf.numpy_function(lambda c: _decode_other(c, channels), [contents],
                                  tf.float32, stateful=False)
        return tf.ensure_shape(image, (None, None, channels))

    return tf.cond(_plain_jpeg(contents), lambda: _decode_jpeg(contents, channels), other)


def augment(contents, seed, spec, augmentation):
    """A file through `augment_for_train` (same seeds, same styles); the
    ImageNet-style crop of a JPEG is decoded alone (see the module's notes)."""
    if augmentation.style != "imagenet":
        return augment_for_train(decode(contents, spec.channels), seed, spec,
                                 augmentation.style, augmentation.pad, augmentation.erase)
    seeds = tf.random.experimental.stateless_split(seed, num=4)

    def jpeg():
        begin, size = imagenet_box(tf.io.extract_jpeg_shape(contents), seeds[0])
        return _jpeg_window(contents, begin, size, spec)

    def other():
        image = decode(contents, spec.channels)
        begin, size = imagenet_box(tf.shape(image), seeds[0])
        return tf.slice(image, begin, size)

    crop = tf.cond(_plain_jpeg(contents), jpeg, other)
    return finish_for_train(crop, seeds, spec, augmentation.erase)


def _jpeg_window(contents, begin, size, spec):
    """The window (begin, size) of a JPEG, decoded alone, or from the coarsest
    DCT scale that keeps it at least the input's size."""

    def at(ratio):
        if ratio == 1:
            window = tf.stack([begin[0], begin[1], size[0], size[1]])
            return lambda: _decode_jpeg(contents, spec.channels, window, exact=False)
        return lambda: _scaled_window(contents, begin, size, spec.channels, ratio)

    branch = at(1)
    for ratio in reversed(DCT_RATIOS):  # 2, then 4, then 8 where it fits
        fits = tf.logical_and(size[0] // ratio >= spec.height, size[1] // ratio >= spec.width)
        branch = _either(fits, at(ratio), branch)
    return branch()


def _either(predicate, true_fn, false_fn):
    return lambda: tf.cond(predicate, true_fn, false_fn)


def _scaled_window(contents, begin, size, channels, ratio):
    image = _decode_jpeg(contents, channels, ratio=ratio, exact=False)
    top, left = begin[0] // ratio, begin[1] // ratio
    height = tf.maximum(tf.minimum(size[0] // ratio, tf.shape(image)[0] - top), 1)
    width = tf.maximum(tf.minimum(size[1] // ratio, tf.shape(image)[1] - left), 1)
    return image[top:top + height, left:left + width]


def guarded(elements, load, placeholder_shape, chunk, parallel, deterministic):
    """`elements` (tuples whose first field is unique, e.g. a stream position)
    → (*element, image, ok), `load(*element)` → image decoded for `parallel`
    chunks of `chunk` elements at once. A chunk whose load fails for some
    elements keeps them, after the others, with a black `placeholder_shape`
    image and ok False: every chunk keeps its elements, so batches that are
    whole chunks keep theirs (an error per element would cost a dataset per
    element: 40% of the pipeline's time on small photos)."""

    def one_chunk(*fields):
        survivors = (tf.data.Dataset.from_tensor_slices(fields)
                     .map(lambda *e: (*e, load(*e))).ignore_errors().batch(chunk))
        nothing = tf.data.Dataset.from_tensors((*tf.nest.map_structure(lambda f: f[:0], fields),
                                                tf.zeros((0, *placeholder_shape))))

        def complete(*batch):
            *kept, images = batch
            lost = tf.reduce_all(fields[0][:, None] != kept[0][None, :], axis=1)
            missing = tf.reduce_sum(tf.cast(lost, tf.int32))
            rows = tf.nest.map_structure(
                lambda k, f: tf.concat([k, tf.boolean_mask(f, lost)], 0), tuple(kept), fields)
            ok = tf.concat([tf.ones_like(kept[0], tf.bool), tf.zeros([missing], tf.bool)], 0)
            images = tf.concat([images, tf.zeros((missing, *placeholder_shape))], 0)
            return (*rows, images, ok)

        return survivors.concatenate(nothing).take(1).map(complete).unbatch()

    return elements.batch(chunk).interleave(one_chunk, cycle_length=parallel,
                                            block_length=chunk,
                                            num_parallel_calls=tf.data.AUTOTUNE,
                                            deterministic=deterministic)
