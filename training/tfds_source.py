"""TensorFlow Datasets by name ("tfds:cifar10", "tfds:imagenet2012", ...).

Small datasets are read into memory in the input contract's store form
(`keras_resnet.training.augment.store_image`), like the other sources; a
dataset whose decoded images would not fit (ImageNet) is streamed:
`TfdsRecords` reads its encoded images at every step and they are decoded in
the pipeline (`keras_resnet.training.image_files`), the random crop of a JPEG
decoded alone.

A streamed training split cannot be indexed, so its validation split is
carved by record id: a record belongs to it when a seeded hash of its TFDS id
falls below the validation fraction (per class in expectation; choosing per
class would need a pass over every record). Each data epoch reads the
training records in a file order and shuffle seeded by (seed, epoch), so the
stream stays a function of (seed, step); a resumed run skips, undecoded, the
records of its epoch already trained.

A dataset that is not prepared in `data_dir` is downloaded by TFDS only when
its servers answer a quick probe; manual-download datasets (imagenet2012)
must be prepared first, with the command the error names.
"""

import math

import numpy as np
import tensorflow as tf

from keras_resnet.arguments import invalid
from keras_resnet.training.augment import store_image
from keras_resnet.training.fashion_mnist import TFDS_HOST, reachable
from keras_resnet.training.image_folder import fits_in_memory

HASH_BUCKETS = 1 << 20
SHUFFLE_BUFFER = 10_000  # records shuffled together within a data epoch


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


def prepared_builder(name, data_dir):
    """The dataset's builder, prepared (downloaded here only when TFDS's
    servers answer and the dataset is no manual download)."""
    builder = _builder(name, data_dir)
    if builder.is_prepared():
        return builder
    directory = data_dir or "~/tensorflow_datasets"
    if getattr(builder, "MANUAL_DOWNLOAD_INSTRUCTIONS", None):
        raise FileNotFoundError(
            f"TFDS dataset {name!r} is not prepared in {directory!r}; it is a manual "
            f"download: put its files in {directory}/downloads/manual (for imagenet2012: "
            "ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar), then run: tfds build "
            f"{name} --data_dir {directory} --manual_dir {directory}/downloads/manual")
    if not reachable(*TFDS_HOST):
        raise FileNotFoundError(
            f"TFDS dataset {name!r} is not prepared in {directory!r} and its download "
            f"servers do not answer: run `tfds build {name} --data_dir {directory}` on a "
            "connected machine and pass --data-dir")
    builder.download_and_prepare()
    return builder


def test_split(info):
    """The split held out for the final test: "validation" where there is one
    (TFDS's validation splits are labelled; some test splits, ImageNet's, are
    not), else "test"."""
    return "validation" if "validation" in info.splits else "test"


def load(name, data_dir, spec, loading="auto", validation_size=0, seed=0):
    """((x_train, y_train), validation or None, (x_test, y_test), class_names,
    note): uint8 arrays in the InputSpec `spec`'s store form (validation None:
    the caller carves it), or `TfdsRecords` with labels None when streamed
    (validation carved here, `validation_size` a count or fraction)."""
    import tensorflow_datasets as tfds

    builder = prepared_builder(name, data_dir)
    info = builder.info
    class_names = tuple(info.features[info.supervised_keys[1]].names)
    splits = ("train", test_split(info))
    counts = [info.splits[split].num_examples for split in splits]
    fits, size = fits_in_memory(sum(counts), spec)
    if loading == "stream" or (loading == "auto" and not fits):
        why = f"loading='stream' in the recipe ({size})" if loading == "stream" else size
        fraction = validation_size / counts[0] if validation_size >= 1 else validation_size
        train = TfdsRecords(builder, "train", counts[0], fraction, seed, "train")
        validation = TfdsRecords(builder, "train", counts[0], fraction, seed, "validation")
        test = TfdsRecords(builder, splits[1], counts[1])
        return ((train, None), (validation, None) if fraction else None, (test, None),
                class_names, f"streaming the records: {why}")
    arrays = []
    for split in splits:
        ds = builder.as_dataset(split=split, as_supervised=True)
        ds = ds.map(lambda image, label: (store_image(image, spec), label),
                    num_parallel_calls=tf.data.AUTOTUNE).batch(1024)
        images, labels = zip(*tfds.as_numpy(ds))
        arrays.append((np.concatenate(images), np.concatenate(labels).astype(np.int64)))
    return arrays[0], None, arrays[1], class_names, f"in memory: {size}"


class TfdsRecords:
    """The records of a prepared TFDS split, read in order or shuffled, their
    images left encoded: (encoded image, label) elements. `part` "train" or
    "validation" keeps the records on its side of the seeded id hash (see the
    module's notes); a pass reads `len` of them: for a side of the hash, 3
    standard deviations below the expected count, so that every pass has them."""

    def __init__(self, builder, split, total, fraction=0.0, seed=0, part="all", limit=0):
        self.builder, self.split, self.total = builder, split, total
        self.fraction, self.seed, self.part, self.limit = fraction, seed, part, limit
        spread = 3 * math.sqrt(total * fraction * (1 - fraction))
        count = {"all": total, "validation": math.floor(total * fraction - spread),
                 "train": math.floor(total * (1 - fraction) - spread)}[part]
        self.count = max(min(count, limit) if limit else count, 0)

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        """A slice from the start (train_limit, test_limit, whole batches)."""
        if not isinstance(index, slice) or index.start not in (None, 0) or index.step:
            raise TypeError("streamed TFDS records take only a leading slice [:n]")
        return TfdsRecords(self.builder, self.split, self.total, self.fraction, self.seed,
                           self.part, min(filter(None, (index.stop, self.limit or None)),
                                          default=0))

    def dataset(self, shuffle_seed=None):
        """(encoded image, label) of the records, in the stored order, or with
        files and records shuffled by `shuffle_seed` (a Python int)."""
        import tensorflow_datasets as tfds

        info = self.builder.info
        image_key, label_key = info.supervised_keys
        config = tfds.ReadConfig(add_tfds_id=True, shuffle_seed=shuffle_seed,
                                 interleave_cycle_length=16)
        ds = self.builder.as_dataset(split=self.split, shuffle_files=shuffle_seed is not None,
                                     read_config=config,
                                     decoders={image_key: tfds.decode.SkipDecoding()})
        if self.part != "all":
            salt = tf.constant(f"{self.seed}:")
            bound = int(self.fraction * HASH_BUCKETS)
            validation = self.part == "validation"
            ds = ds.filter(lambda r: (tf.strings.to_hash_bucket_fast(
                salt + r["tfds_id"], HASH_BUCKETS) < bound) == validation)
        if shuffle_seed is not None:
            ds = ds.shuffle(SHUFFLE_BUFFER, seed=shuffle_seed)
        return ds.map(lambda r: (r[image_key], r[label_key])).take(self.count)
