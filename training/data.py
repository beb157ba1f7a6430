"""Dataset sources as in-memory splits: train, a seeded validation split carved
from the training set (used for model selection), and test (evaluated once)."""

from dataclasses import dataclass, field, replace

import numpy as np

from keras_resnet.arguments import invalid
from keras_resnet.edge.input_spec import InputSpec
from keras_resnet.training import fashion_mnist, image_folder
from keras_resnet.training.image_files import FileImages
from keras_resnet.training.pipeline import eval_dataset


@dataclass
class Splits:
    train: tuple  # (images N×H×W×C uint8, labels N int64)
    validation: tuple
    test: tuple
    class_names: tuple
    spec: InputSpec  # the model's input and how an image becomes one
    skipped: tuple = ()  # unreadable files left out
    notes: tuple = ()  # defaults adapted to the data, one line each
    adapted: dict = field(default_factory=dict)  # the recipe's "auto" settings resolved

    def applied_to(self, recipe):
        """`recipe` with its "auto" settings as resolved for this data."""
        return replace(recipe, **{key: value for key, value in self.adapted.items()
                                  if getattr(recipe, key) == AUTO[key]})

    def skipped_files(self):
        """Files left out: unreadable headers, failed up-front decodes, and
        files that failed to decode in a stream so far."""
        streamed = (self.train[0].log.failed_paths()
                    if isinstance(self.train[0], FileImages) else [])
        return sorted({*self.skipped, *streamed})

    def files_decoded(self):
        """Files this process's streams have read and decoded so far (None
        when the images are in memory)."""
        return self.train[0].log.decoded if isinstance(self.train[0], FileImages) else None

    @property
    def streaming(self):
        """Whether the images are read at every step (else arrays in memory)."""
        return not isinstance(self.train[0], np.ndarray)

    @property
    def size(self):
        return self.spec.size

    @property
    def channels(self):
        return self.spec.channels


def input_spec(recipe, size, channels):
    """The input contract of a recipe's model: `size` × `channels`, the
    recipe's crop fraction, else its augmentation style's."""
    spec = InputSpec.for_style(size, channels, recipe.augment)
    return (replace(spec, crop_fraction=recipe.crop_fraction)
            if recipe.crop_fraction else spec)


FOLDER_VALIDATION = 0.2  # a folder's validation fraction when the recipe's count does not fit
PHOTO_SIZE = 64  # inputs from this size up get the photo defaults (auto_choices)
PHOTO_INPUT = 112  # a photo folder's default input size, chosen for speed
SMALL_FOLDER = 30  # images per class below which a folder keeps no test split


def fit_batch(recipe, n_train):
    """(recipe, notes): the batch size capped by the training split."""
    if recipe.batch_size <= n_train:
        return recipe, []
    return replace(recipe, batch_size=n_train), [
        f"batch size {n_train}: the recipe's {recipe.batch_size} is more than the "
        f"{n_train} training images"]


def load_splits(recipe):
    """The recipe's dataset, split and (for quick runs) limited. Validation (and
    a folder's test split) are carved per class, at least one image of every
    class that has two. What was adapted to the data is in `Splits.notes`."""
    rng = np.random.default_rng(recipe.split_seed)
    notes = []
    validation_size = recipe.validation_size
    if recipe.dataset == "folder":
        paths, y, class_names, skipped = image_folder.scan(recipe.data_dir)
        size, channels = recipe.image_size, recipe.channels
        if not size or not channels:
            side, found_channels, reason = image_folder.default_shape(paths)
            channels = channels or found_channels
            if not size:
                size = min(side, PHOTO_INPUT) if side >= PHOTO_SIZE else side
                if size < side:
                    reason += f"; photos get {size} px, chosen for speed"
            notes.append(f"input {size}×{size}×{channels}: {reason}")
        adapted, choice_notes = auto_choices(recipe, size)
        notes += choice_notes
        spec = input_spec(replace(recipe, **adapted), size, channels)
        x, y, failed, how = image_folder.source(recipe.data_dir, paths, y, class_names, spec,
                                                recipe.loading)
        skipped = [*skipped, *failed]
        notes.append(how)
        test_size = recipe.test_size
        per_class = len(y) / len(class_names)
        if test_size and per_class < SMALL_FOLDER:
            notes.append(f"no test split: {per_class:.0f} images per class are too few to "
                         "hold some out (the validation split is the estimate; test on "
                         "another folder)")
            test_size = 0
        test, rest = _carve(y, test_size, rng, "test_size")
        test = (x[test], y[test])
        x, y = x[rest], y[rest]
        if validation_size >= 1 and validation_size > FOLDER_VALIDATION * len(x):
            notes.append(f"validation {FOLDER_VALIDATION:.0%} of the training images, per "
                         f"class: validation_size={validation_size:g} would leave too few "
                         f"of the {len(x)} to train on")
            validation_size = FOLDER_VALIDATION
    elif recipe.dataset.startswith("tfds:"):
        from keras_resnet.training import tfds_source

        name = recipe.dataset[len("tfds:"):]
        height, _, native_channels = tfds_source.image_shape(name, recipe.data_dir)
        size = recipe.image_size or height or 224
        adapted, notes = auto_choices(recipe, size)
        spec = input_spec(replace(recipe, **adapted), size,
                          recipe.channels or (1 if native_channels == 1 else 3))
        (x, y), carved, test, class_names, how = tfds_source.load(
            name, recipe.data_dir, spec, recipe.loading, validation_size, recipe.split_seed)
        notes.append(how)
        skipped = ()
        if y is None:  # streamed: the validation split is carved by record id
            empty = (np.zeros((0, *spec.size, spec.channels), np.uint8), np.zeros(0, np.int64))
            return _limited(recipe, Splits((x, None), carved or empty, test,
                                           class_names, spec, (), tuple(notes), adapted))
    else:
        (x, y), test = fashion_mnist.load(recipe.data_dir or None)
        class_names, skipped = fashion_mnist.CLASSES, ()
        size = recipe.image_size or 28
        adapted, notes = auto_choices(recipe, size)
        spec = input_spec(replace(recipe, **adapted), size, recipe.channels or 1)
    val, train = _carve(y, validation_size, rng, "validation_size")
    return _limited(recipe, Splits((x[train], y[train]), (x[val], y[val]), test,
                                   tuple(class_names), spec, tuple(skipped), tuple(notes),
                                   adapted))


def _limited(recipe, splits):
    """`splits` with the recipe's train_limit and test_limit applied."""
    train, test = splits.train, splits.test
    if recipe.train_limit:
        train = tuple(a if a is None else a[:recipe.train_limit] for a in train)
    if recipe.test_limit:
        test = tuple(a if a is None else a[:recipe.test_limit] for a in test)
    return replace(splits, train=train, test=test)


AUTO = {"model": "auto", "augment": "auto", "batch_size": 0}  # the settings' "choose" values


def auto_choices(recipe, size):
    """({setting: value}, notes) for the recipe's "auto" model, augment and
    batch size (0): below PHOTO_SIZE, the CIFAR ResNet-20 with padded crops in
    batches of 128; from it up, an ImageNet-style ResNet-18 (strided stem and
    pooling) with random resized crops in batches of 32 (four times the steps
    of an epoch: on 5,000 photos, 0.99 and 0.69 validation accuracy after the
    first epoch in two runs, where 128 gave 0.19; README, "Your own photos")."""
    photo = size >= PHOTO_SIZE
    choices = {"model": "ResNet18" if photo else "ResNet20",
               "augment": "imagenet" if photo else "cifar",
               "batch_size": 32 if photo else 128}
    adapted = {key: value for key, value in choices.items()
               if getattr(recipe, key) == AUTO[key]}
    why = (f"an input of {size} px is photo-sized (>= {PHOTO_SIZE})" if photo else
           f"an input of {size} px is small (< {PHOTO_SIZE})")
    return adapted, [f"{key} {value}: {why}" for key, value in adapted.items()]


def _carve(labels, size, rng, name):
    """(carved, rest) indices in a seeded random order: `size` images (a count,
    or a fraction below 1) taken class by class in proportion, at least one of
    every class that has two or more."""
    total = _count(size, len(labels), name)
    order = rng.permutation(len(labels))
    if total == 0:
        return order[:0], order
    carved = []
    for k in np.unique(labels):
        members = order[labels[order] == k]
        share = round(total * len(members) / len(labels))
        carved += list(members[:min(max(share, 1), len(members) - 1)])
    chosen = np.zeros(len(labels), bool)
    chosen[carved] = True
    return order[chosen[order]], order[~chosen[order]]


EVAL_BATCH = 256


def eval_split(splits, which, recipe, batch_size=EVAL_BATCH, shard=(0, 1)):
    """The "train", "validation" or "test" split through the evaluation preprocessing."""
    images, labels = getattr(splits, which)
    return eval_dataset(images, labels, len(splits.class_names), batch_size=batch_size,
                        spec=splits.spec, shard=shard)


def _count(size, total, name):
    """A split size given as a count or (below 1) a fraction of `total`."""
    count = round(size * total) if size < 1 else int(size)
    if count >= total:
        raise invalid(name, size, f"fewer than the {total} images available (or a "
                      "fraction below 1)")
    return count
