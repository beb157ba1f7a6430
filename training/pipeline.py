"""tf.data pipelines: one shape for every source (read → augment → batch → prefetch).

The training stream is a pure function of (seed, global step): data epoch e
is the permutation `stateless_shuffle(range(N), seed=(seed, e))`, cut into
N // batch_size batches, and the element at global position k is augmented
with a seed folded from (seed, k). A run resumed after step s starts the
stream at step s and sees exactly the batches an uninterrupted run would.

The images come from memory (an array indexed by the permutation), from
files (`FileImages`: read and decoded in the stream, the random crop of a
JPEG decoded alone) or from TFDS records (`TfdsRecords`: each data epoch in
an order seeded by (seed, e)). Streamed batches carry weights: 0 for an image
that failed to decode. With several processes, each keeps only its share of
every batch's positions before anything is read.
"""

import math
from dataclasses import dataclass

import tensorflow as tf

from keras_resnet.arguments import invalid
from keras_resnet.training import image_files
from keras_resnet.training.augment import augment_for_train, mix_batch, preprocess_for_eval
from keras_resnet.training.image_files import FileImages
from keras_resnet.training.tfds_source import TfdsRecords

AUTOTUNE = tf.data.AUTOTUNE
CHUNK = 16  # streamed elements decoded together (a divisor of the batch)
PARALLEL_CHUNKS = 4  # chunks decoded at once


@dataclass
class Augmentation:
    style: str = "cifar"  # "cifar", "imagenet" or "none"
    pad: int = 4
    erase: float = 0.0
    mixup: float = 0.0
    cutmix: float = 0.0


def train_stream(images, labels, num_classes, *, batch_size, seed, start_step,
                 total_steps, spec, augmentation=Augmentation(), deterministic=True,
                 shard=(0, 1), class_weights=None):
    """Batches (images, one-hot labels) for global steps start_step..total_steps-1,
    and weights (0 for a file that failed to decode) when streaming files.

    `images` is an N×H×W×C uint8 array held in memory, or the `FileImages` of
    the training files (read and decoded in the stream); `labels` N integers;
    `spec` the model's InputSpec. `shard` = (process, processes): this
    process's share of every global batch, chosen before anything is read.
    `class_weights` (one per class) multiply a streamed element's weight.
    """
    n = len(images)
    batches_per_epoch = batches_per_pass(n, batch_size)
    labels = None if labels is None else tf.constant(labels, tf.int64)
    per_epoch = batches_per_epoch * batch_size
    seed = tf.constant(seed, tf.int64)
    process, processes = shard
    local = batch_size // processes
    weights = tf.constant(class_weights if class_weights is not None else
                          [1.0] * num_classes, tf.float32)

    def epoch_elements(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([seed, epoch]))[:per_epoch]
        position = epoch * per_epoch + tf.range(per_epoch, dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices((position, order))

    def element_seed(position):
        return tf.random.experimental.stateless_fold_in(
            tf.stack([seed, tf.constant(0x5EED, tf.int64)]), position)

    first_epoch = start_step // batches_per_epoch
    skip = (start_step % batches_per_epoch) * batch_size
    if isinstance(images, TfdsRecords):
        elements = _record_elements(images, seed, first_epoch,
                                    -(-total_steps // batches_per_epoch), per_epoch)
    else:
        elements = tf.data.Dataset.range(first_epoch, tf.int64.max).flat_map(epoch_elements)
    stream = elements.skip(skip).take((total_steps - start_step) * batch_size)
    if processes > 1:
        stream = stream.filter(lambda position, *_: position % batch_size // local == process)
    if isinstance(images, TfdsRecords):
        def load_record(position, contents, label):
            return image_files.augment(contents, element_seed(position), spec, augmentation)

        stream = _decoded(stream, load_record, spec, deterministic, local).map(
            lambda position, contents, label, image, ok: (
                image, tf.one_hot(label, num_classes), tf.cast(ok, tf.float32) * weights[label]),
            num_parallel_calls=AUTOTUNE).batch(local, drop_remainder=True)
    elif isinstance(images, FileImages):
        stream = _decoded_files(stream, images, labels, num_classes, spec, augmentation,
                                element_seed, deterministic, weights, local).batch(
                                    local, drop_remainder=True).map(_logged(images.log))
    else:
        pixels = tf.constant(images)

        def load(position, index):
            image = augment_for_train(pixels[index], element_seed(position), spec,
                                      augmentation.style, augmentation.pad, augmentation.erase)
            return image, tf.one_hot(labels[index], num_classes)

        stream = (stream.map(load, num_parallel_calls=AUTOTUNE, deterministic=deterministic)
                  .batch(local, drop_remainder=True))
    if augmentation.mixup > 0 or augmentation.cutmix > 0:
        steps = tf.data.Dataset.range(start_step, total_steps)
        stream = tf.data.Dataset.zip((stream, steps)).map(
            lambda batch, step: (*mix_batch(
                batch[0], batch[1],
                tf.random.experimental.stateless_fold_in(tf.stack([seed, step]), 1),
                augmentation.mixup, augmentation.cutmix), *batch[2:]),
            num_parallel_calls=AUTOTUNE, deterministic=deterministic)
    return _with_options(stream.prefetch(AUTOTUNE), deterministic)


def _record_elements(records, seed, first_epoch, end_epoch, per_epoch):
    """(position, encoded image, label) of data epochs first_epoch..end_epoch-1
    of streamed TFDS records, each epoch's order seeded by (seed, epoch)."""
    epochs = [records.dataset(shuffle_seed=(int(seed) * 1_000_003 + epoch) % 2**31)
              .take(per_epoch) for epoch in range(first_epoch, end_epoch)]
    records_in_order = epochs[0]
    for epoch in epochs[1:]:
        records_in_order = records_in_order.concatenate(epoch)
    positions = tf.data.Dataset.range(first_epoch * per_epoch, tf.int64.max)
    return tf.data.Dataset.zip((positions, records_in_order)).map(
        lambda position, record: (position, *record))


def _decoded(stream, load, spec, deterministic, local_batch):
    """Elements → (*element, image, ok), a failed `load(*element)` giving a
    black image and ok False (`image_files.guarded`, in chunks that divide
    the batch)."""
    return image_files.guarded(stream, load, (spec.height, spec.width, spec.channels),
                               math.gcd(local_batch, CHUNK), PARALLEL_CHUNKS, deterministic)


def _decoded_files(stream, files, labels, num_classes, spec, augmentation, element_seed,
                   deterministic, weights, local):
    """(position, index) elements → (image, one-hot label, weight, file, ok), each
    file read and augmented in parallel; the weight is the class's in `weights`,
    0 for a failed decode."""
    paths = tf.constant(files.paths.astype(str))
    folder_index = tf.constant(files.positions())

    def load(position, index):
        return image_files.augment(tf.io.read_file(paths[index]), element_seed(position),
                                   spec, augmentation)

    def label(position, index, image, ok):
        return (image, tf.one_hot(labels[index], num_classes),
                tf.cast(ok, tf.float32) * weights[labels[index]], folder_index[index], ok)

    return _decoded(stream, load, spec, deterministic, local).map(
        label, num_parallel_calls=AUTOTUNE, deterministic=deterministic)


def _logged(log):
    """A batch map that hands (file, ok) to `log` and keeps (image, label, weight)."""

    def record(images, labels, weights, files, ok):
        ok = tf.numpy_function(log.record, [files, ok], tf.bool, stateful=True)
        with tf.control_dependencies([ok]):
            return tf.identity(images), labels, weights

    return record


def batches_per_pass(n, batch_size):
    """Whole batches in one pass over `n` training images; at least one."""
    if batch_size > n:
        raise invalid("batch_size", batch_size, f"at most the {n} training images")
    return n // batch_size


def eval_dataset(images, labels, num_classes, *, batch_size, spec, shard=(0, 1)):
    """Batches (images, one-hot labels) through `preprocess_for_eval`, in order;
    streamed (`FileImages`, `TfdsRecords`), (images, labels, weights) with
    weight 0 for an image that failed to decode. `shard` as in `train_stream`: this process's share of
    every batch."""
    process, processes = shard
    local = batch_size // processes
    index = tf.data.Dataset.range(len(images))
    if processes > 1:
        index = index.filter(lambda i: i % batch_size // local == process)
    if isinstance(images, TfdsRecords):
        records = tf.data.Dataset.zip((tf.data.Dataset.range(tf.int64.max), images.dataset()))
        if processes > 1:
            records = records.filter(lambda i, _: i % batch_size // local == process)

        def load_record(i, record):
            return preprocess_for_eval(image_files.decode(record[0], spec.channels), spec)

        ds = _decoded(records, load_record, spec, True, local).map(
            lambda i, record, image, ok: (image, tf.one_hot(record[1], num_classes),
                                          tf.cast(ok, tf.float32)))
        return _with_options(_counted(ds.batch(local), len(images), batch_size, shard)
                             .prefetch(AUTOTUNE), True)
    labels = tf.constant(labels, tf.int64)
    if isinstance(images, FileImages):
        paths = tf.constant(images.paths.astype(str))
        folder_index = tf.constant(images.positions())

        def load(i):
            return preprocess_for_eval(image_files.decode(tf.io.read_file(paths[i]),
                                                          spec.channels), spec)

        singles = index.map(lambda i: (i,))
        ds = (_decoded(singles, load, spec, True, local)
              .map(lambda i, image, ok: (image, tf.one_hot(labels[i], num_classes),
                                         tf.cast(ok, tf.float32), folder_index[i], ok))
              .batch(local).map(_logged(images.log)))
        return _with_options(_counted(ds, len(images), batch_size, shard).prefetch(AUTOTUNE),
                             True)
    pixels = tf.constant(images)
    ds = index.map(lambda i: (preprocess_for_eval(pixels[i], spec),
                              tf.one_hot(labels[i], num_classes)),
                   num_parallel_calls=AUTOTUNE)
    return _with_options(ds.batch(local).cache().prefetch(AUTOTUNE), True)


def _counted(batches, n, batch_size, shard):
    """`batches` of this process's share of `n` elements, with their count
    stated (an interleaved dataset's is unknown, and Keras warns that such a
    validation set "ran out of data" when it ends)."""
    process, processes = shard
    local = batch_size // processes
    mine = n // batch_size * local + max(0, min(local, n % batch_size - process * local))
    return batches.apply(tf.data.experimental.assert_cardinality(-(-mine // local)))


def _with_options(ds, deterministic):
    options = tf.data.Options()
    options.deterministic = deterministic
    return ds.with_options(options)
