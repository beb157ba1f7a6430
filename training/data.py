"""Dataset sources as in-memory splits: train, a seeded validation split carved
from the training set (used for model selection), and test (evaluated once)."""

from dataclasses import dataclass, replace

import numpy as np

from keras_resnet.edge.input_spec import InputSpec
from keras_resnet.training import fashion_mnist, image_folder
from keras_resnet.training.pipeline import eval_dataset


@dataclass
class Splits:
    train: tuple  # (images N×H×W×C uint8, labels N int64)
    validation: tuple
    test: tuple
    class_names: tuple
    spec: InputSpec  # the model's input and how an image becomes one
    skipped: tuple = ()  # unreadable files left out

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


def load_splits(recipe):
    """The recipe's dataset, split and (for quick runs) limited."""
    rng = np.random.default_rng(recipe.split_seed)
    if recipe.dataset == "folder":
        spec = input_spec(recipe, recipe.image_size or 224, recipe.channels or 3)
        x, y, class_names, skipped = image_folder.load(recipe.data_dir, spec)
        order = rng.permutation(len(x))
        n_test = _count(recipe.test_size, len(x), "test_size")
        test = (x[order[:n_test]], y[order[:n_test]])
        x, y = x[order[n_test:]], y[order[n_test:]]
    elif recipe.dataset.startswith("tfds:"):
        from keras_resnet.training import tfds_source

        name = recipe.dataset[len("tfds:"):]
        height, _, native_channels = tfds_source.image_shape(name, recipe.data_dir)
        spec = input_spec(recipe, recipe.image_size or height or 224,
                          recipe.channels or (1 if native_channels == 1 else 3))
        (x, y), test, class_names = tfds_source.load(name, recipe.data_dir, spec)
        skipped = ()
    else:
        (x, y), test = fashion_mnist.load(recipe.data_dir or None)
        class_names, skipped = fashion_mnist.CLASSES, ()
        spec = input_spec(recipe, recipe.image_size or 28, recipe.channels or 1)
    n_val = _count(recipe.validation_size, len(x), "validation_size")
    order = rng.permutation(len(x))
    val, train = order[:n_val], order[n_val:]
    if recipe.train_limit:
        train = train[:recipe.train_limit]
    if recipe.test_limit:
        test = (test[0][:recipe.test_limit], test[1][:recipe.test_limit])
    return Splits((x[train], y[train]), (x[val], y[val]), test, tuple(class_names),
                  spec, tuple(skipped))


EVAL_BATCH = 256


def eval_split(splits, which, recipe, batch_size=EVAL_BATCH):
    """The "train", "validation" or "test" split through the evaluation preprocessing."""
    images, labels = getattr(splits, which)
    return eval_dataset(images, labels, len(splits.class_names), batch_size=batch_size,
                        spec=splits.spec)


def _count(size, total, name):
    """A split size given as a count or (below 1) a fraction of `total`."""
    count = round(size * total) if size < 1 else int(size)
    if count >= total:
        raise ValueError(f"{name}={size} is not valid; allowed: fewer than the {total} "
                         "images available (or a fraction below 1)")
    return count
