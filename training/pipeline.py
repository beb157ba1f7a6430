"""tf.data pipelines: one shape for every source (read → augment → batch → prefetch).

The training stream is a pure function of (seed, global step): data epoch e
is the permutation `stateless_shuffle(range(N), seed=(seed, e))`, cut into
N // batch_size batches, and the element at global position k is augmented
with a seed folded from (seed, k). A run resumed after step s starts the
stream at step s and sees exactly the batches an uninterrupted run would.
"""

from dataclasses import dataclass

import tensorflow as tf

from keras_resnet.arguments import invalid
from keras_resnet.training.augment import augment_for_train, mix_batch, preprocess_for_eval

AUTOTUNE = tf.data.AUTOTUNE


@dataclass
class Augmentation:
    style: str = "cifar"  # "cifar", "imagenet" or "none"
    pad: int = 4
    erase: float = 0.0
    mixup: float = 0.0
    cutmix: float = 0.0


def train_stream(images, labels, num_classes, *, batch_size, seed, start_step,
                 total_steps, spec, augmentation=Augmentation(),
                 deterministic=True):
    """Batches (images, one-hot labels) for global steps start_step..total_steps-1.

    `images` is an N×H×W×C uint8 array held in memory, `labels` N integers;
    `spec` the model's InputSpec.
    """
    n = len(images)
    batches_per_epoch = batches_per_pass(n, batch_size)
    images = tf.constant(images)
    labels = tf.constant(labels, tf.int64)
    per_epoch = batches_per_epoch * batch_size
    seed = tf.constant(seed, tf.int64)

    def epoch_elements(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([seed, epoch]))[:per_epoch]
        position = epoch * per_epoch + tf.range(per_epoch, dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices((position, order))

    def load(position, index):
        element_seed = tf.random.experimental.stateless_fold_in(
            tf.stack([seed, tf.constant(0x5EED, tf.int64)]), position)
        image = augment_for_train(images[index], element_seed, spec,
                                  augmentation.style, augmentation.pad, augmentation.erase)
        return image, tf.one_hot(labels[index], num_classes)

    first_epoch = start_step // batches_per_epoch
    skip = (start_step % batches_per_epoch) * batch_size
    stream = (tf.data.Dataset.range(first_epoch, tf.int64.max)
              .flat_map(epoch_elements)
              .skip(skip)
              .take((total_steps - start_step) * batch_size)
              .map(load, num_parallel_calls=AUTOTUNE, deterministic=deterministic)
              .batch(batch_size, drop_remainder=True))
    if augmentation.mixup > 0 or augmentation.cutmix > 0:
        steps = tf.data.Dataset.range(start_step, total_steps)
        stream = tf.data.Dataset.zip((stream, steps)).map(
            lambda batch, step: mix_batch(
                batch[0], batch[1],
                tf.random.experimental.stateless_fold_in(tf.stack([seed, step]), 1),
                augmentation.mixup, augmentation.cutmix),
            num_parallel_calls=AUTOTUNE, deterministic=deterministic)
    return _with_options(stream.prefetch(AUTOTUNE), deterministic)


def batches_per_pass(n, batch_size):
    """Whole batches in one pass over `n` training images; at least one."""
    if batch_size > n:
        raise invalid("batch_size", batch_size, f"at most the {n} training images")
    return n // batch_size


def eval_dataset(images, labels, num_classes, *, batch_size, spec):
    """Batches (images, one-hot labels) through `preprocess_for_eval`, in order."""
    ds = tf.data.Dataset.from_tensor_slices((images, tf.constant(labels, tf.int64)))
    ds = ds.map(lambda image, label: (preprocess_for_eval(image, spec),
                                      tf.one_hot(label, num_classes)),
                num_parallel_calls=AUTOTUNE)
    return _with_options(ds.batch(batch_size).cache().prefetch(AUTOTUNE), True)


def _with_options(ds, deterministic):
    options = tf.data.Options()
    options.deterministic = deterministic
    return ds.with_options(options)
