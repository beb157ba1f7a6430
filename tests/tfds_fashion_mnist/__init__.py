"""A TFDS dataset built offline, with TFDS's own builder API, from the real
Fashion-MNIST IDX files (the first 3,000 training and 1,000 test images)."""

import tensorflow_datasets as tfds

from keras_resnet.training import fashion_mnist
from keras_resnet.training.fashion_mnist import CLASSES

SIZES = {"train": 3000, "test": 1000}


class FashionMnistIdxSubset(tfds.core.GeneratorBasedBuilder):
    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(28, 28, 1)),
                "label": tfds.features.ClassLabel(names=CLASSES),
            }),
            supervised_keys=("image", "label"),
        )

    def _split_generators(self, dl_manager):
        train, test = fashion_mnist.load()
        return {"train": self._generate_examples(train, SIZES["train"]),
                "test": self._generate_examples(test, SIZES["test"])}

    def _generate_examples(self, split, count):
        images, labels = split
        for i in range(count):
            yield i, {"image": images[i], "label": int(labels[i])}
