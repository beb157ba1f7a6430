"""Training from a TFDS dataset loaded through tfds.load's machinery, offline."""

import numpy as np
import pytest

from keras_resnet.edge.input_spec import InputSpec
from keras_resnet.training import fashion_mnist
from keras_resnet.training.recipe import load_recipe


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    import tfds_fashion_mnist

    directory = str(tmp_path_factory.mktemp("tfds"))
    builder = tfds_fashion_mnist.FashionMnistIdxSubset(data_dir=directory)
    builder.download_and_prepare()
    return directory


def test_tfds_source_reads_the_real_images(data_dir):
    import tensorflow_datasets as tfds

    from keras_resnet.training import tfds_source

    (x, y), (xt, yt), names = tfds_source.load("fashion_mnist_idx_subset", data_dir,
                                             InputSpec(28, 28, 1))
    (x0, y0), (xt0, yt0) = fashion_mnist.load()
    assert x.shape == (3000, 28, 28, 1) and xt.shape == (1000, 28, 28, 1)
    # Same pixels and labels as the IDX files, whatever order TFDS stored them in.
    order = np.argsort([hash(img.tobytes()) for img in x])
    expected = np.argsort([hash(img.tobytes()) for img in x0[:3000]])
    np.testing.assert_array_equal(x[order], x0[:3000][expected])
    np.testing.assert_array_equal(y[order], y0[:3000][expected])
    assert names[9] == "Ankle boot"
    assert len(tfds.load("fashion_mnist_idx_subset", split="test", data_dir=data_dir)) == 1000


@pytest.mark.slow
def test_training_on_a_tfds_dataset(data_dir, tmp_path):
    from keras_resnet.training.fit import train

    recipe = load_recipe("fashion_mnist", {
        "dataset": "tfds:fashion_mnist_idx_subset", "data_dir": data_dir,
        "validation_size": 500, "epochs": 4, "warmup_epochs": 0.5})
    summary = train(recipe, str(tmp_path / "run"), verbose=0)
    assert summary["test"]["images"] == 1000
    assert summary["test"]["accuracy"] > 0.6  # measured 0.735; chance: 0.1


def test_unknown_tfds_name(tmp_path):
    from keras_resnet.training import tfds_source

    with pytest.raises(ValueError, match=r"^dataset='tfds:no_such_set' is not valid"):
        tfds_source.load("no_such_set", str(tmp_path), InputSpec(28, 28, 1))
