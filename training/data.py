"""Dataset sources as in-memory splits: train, a seeded validation split carved
from the training set (used for model selection), and test (evaluated once)."""

from dataclasses import dataclass

import numpy as np

from keras_resnet.preprocessing import FASHION_MNIST_CLASSES
from training import fashion_mnist


@dataclass
class Splits:
    train: tuple  # (images N×H×W×C uint8, labels N int64)
    validation: tuple
    test: tuple
    class_names: tuple

    @property
    def image_shape(self):
        return tuple(self.train[0].shape[1:])


def load_splits(recipe):
    """The recipe's dataset, split and (for quick runs) limited."""
    (x, y), test = fashion_mnist.load(recipe.data_dir or None)
    class_names = FASHION_MNIST_CLASSES
    if recipe.validation_size >= len(x):
        raise ValueError(f"validation_size={recipe.validation_size} is not valid; "
                         f"allowed: fewer than the {len(x)} training images")
    order = np.random.default_rng(recipe.split_seed).permutation(len(x))
    val, train = order[:recipe.validation_size], order[recipe.validation_size:]
    if recipe.train_limit:
        train = train[:recipe.train_limit]
    if recipe.test_limit:
        test = (test[0][:recipe.test_limit], test[1][:recipe.test_limit])
    return Splits((x[train], y[train]), (x[val], y[val]), test, class_names)
