"""TensorFlow Datasets by name ("tfds:cifar10", "tfds:imagenet2012", ...).

The splits are read into memory in the input contract's store form
(`keras_resnet.training.augment.store_image`), like the other sources, so the training
stream stays a pure function of seed and step.
A dataset that is not prepared in `data_dir` is downloaded by TFDS only when
its servers answer a quick probe; manual-download datasets (imagenet2012)
must be prepared first, as TFDS documents.
"""

import numpy as np
import tensorflow as tf

from keras_resnet.arguments import invalid
from keras_resnet.training.augment import store_image
from keras_resnet.training.fashion_mnist import TFDS_HOST, reachable
from keras_resnet.training.image_folder import MAX_BYTES


def _builder(name, data_dir):
    import tensorflow_datasets as tfds

    try:
        return tfds.builder(name, data_dir=data_dir or None)
    except tfds.core.registered.DatasetNotFoundError:
        raise invalid("dataset", f"tfds:{name}", "a TFDS dataset name "
                      "(tfds.list_builders())") from None


def image_shape(name, data_dir):
    """(height, width, channels) of the dataset's images; None where they vary."""
    builder = _builder(name, data_dir)
    return tuple(builder.info.features[builder.info.supervised_keys[0]].shape)


def load(name, data_dir, spec, loading="auto"):
    """((x_train, y_train), (x_test, y_test), class_names, note) as uint8 arrays
    in the InputSpec `spec`'s store form."""
    import tensorflow_datasets as tfds

    builder = _builder(name, data_dir)
    if not builder.is_prepared():
        if not reachable(*TFDS_HOST):
            raise FileNotFoundError(
                f"TFDS dataset {name!r} is not prepared in {builder.data_dir!r} and its "
                "download servers do not answer: prepare it on a connected machine "
                "(tfds build) and pass --data-dir")
        builder.download_and_prepare()
    info = builder.info
    label_feature = info.features[info.supervised_keys[1]]
    class_names = tuple(label_feature.names)
    splits = ("train", "test") if "test" in info.splits else ("train", "validation")
    arrays = []
    for split in splits:
        count = info.splits[split].num_examples
        height, width = spec.enlarged
        if count * height * width * spec.channels > MAX_BYTES:
            raise ValueError(f"dataset='tfds:{name}' is too large for the in-memory "
                             f"pipeline at {height}×{width} ({count} images in "
                             f"{split}); allowed: up to {MAX_BYTES >> 30} GiB")
        ds = builder.as_dataset(split=split, as_supervised=True)
        ds = ds.map(lambda image, label: (store_image(image, spec), label),
                    num_parallel_calls=tf.data.AUTOTUNE).batch(1024)
        images, labels = zip(*tfds.as_numpy(ds))
        arrays.append((np.concatenate(images), np.concatenate(labels).astype(np.int64)))
    return arrays[0], arrays[1], class_names, "in memory"

