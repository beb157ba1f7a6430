"""from_keras_applications: the converted model computes what the original does."""

import keras
import numpy as np
import pytest

import keras_resnet as kr
from helpers import randomize

CONSTRUCTORS = ["ResNet50", "ResNet101", "ResNet152",
                "ResNet50V2", "ResNet101V2", "ResNet152V2"]


@pytest.mark.parametrize("name", CONSTRUCTORS)
def test_converted_logits_match(name, rng):
    source = getattr(keras.applications, name)(
        weights=None, input_shape=(64, 64, 3), classes=1000, classifier_activation=None)
    randomize(source, rng)
    converted = kr.from_keras_applications(source)
    assert converted.name == source.name
    # v1 loses its conv biases (folded); v2-keras keeps every variable.
    fewer = len(converted.trainable_weights) < len(source.trainable_weights)
    assert fewer == (not name.endswith("V2"))

    # Noise at three different levels and offsets: deep nets average plain
    # noise away, so inputs must differ in their statistics.
    x = (rng.uniform(-1, 1, (3, 64, 64, 3)) * np.array([0.2, 1.0, 3.0])[:, None, None, None]
         + np.array([-1.0, 0.0, 1.0])[:, None, None, None]).astype("float32")
    expected = source.predict(x, verbose=0)
    actual = converted.predict(x, verbose=0)
    tolerance = 1e-4 * np.abs(expected).max()
    # The inputs give outputs that differ by far more (50×) than the tolerance.
    for i, j in ((0, 1), (1, 2), (0, 2)):
        assert np.abs(expected[i] - expected[j]).max() > 50 * tolerance
    np.testing.assert_allclose(actual, expected, atol=tolerance, rtol=0)


def test_v1_biases_fold_into_batchnorm(rng):
    source = randomize(keras.applications.ResNet50(
        weights=None, input_shape=(64, 64, 3), include_top=False, pooling="avg"), rng)
    converted = kr.from_keras_applications(source)
    assert not any(isinstance(l, keras.layers.Conv2D) and l.use_bias for l in converted.layers)
    bias = source.get_layer("conv3_block2_2_conv").get_weights()[1]
    mean = source.get_layer("conv3_block2_2_bn").get_weights()[2]
    np.testing.assert_allclose(
        converted.get_layer("conv3_block2_2_bn").get_weights()[2], mean - bias, rtol=1e-6)
    assert converted.output_shape == (None, 2048)


def test_v2_keras_layout_keeps_its_biases(rng):
    source = keras.applications.ResNet50V2(weights=None, input_shape=(64, 64, 3))
    converted = kr.from_keras_applications(source)
    biased = sorted(l.name for l in converted.layers
                    if isinstance(l, keras.layers.Conv2D) and l.use_bias)
    assert "conv1_conv" in biased and "conv2_block1_0_conv" in biased
    assert all(n == "conv1_conv" or n.endswith(("_0_conv", "_3_conv")) for n in biased)


def test_rejects_other_models():
    other = kr.ResNet18(input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match=r"model='resnet18' is not valid; allowed: a keras.applications ResNet50"):
        kr.from_keras_applications(other)
