"""Feature maps: the documented keys, strides and channels."""

import numpy as np
import pytest

import keras_resnet as kr

CASES = [  # (constructor kwargs, input size, {key: (stride, channels)})
    (dict(depth=18), 64, {"C2": (4, 64), "C3": (8, 128), "C4": (16, 256), "C5": (32, 512)}),
    (dict(depth=50), 64, {"C2": (4, 256), "C3": (8, 512), "C4": (16, 1024), "C5": (32, 2048)}),
    (dict(depth=50, variant="d"), 64, {"C2": (4, 256), "C5": (32, 2048)}),
    (dict(depth=50, variant="v2"), 64, {"C2": (4, 256), "C5": (32, 2048)}),
    (dict(depth=50, variant="v2-keras"), 64,
     {"C2": (8, 256), "C3": (16, 512), "C4": (32, 1024), "C5": (32, 2048)}),
    (dict(depth=20), 32, {"C2": (1, 16), "C3": (2, 32), "C4": (4, 64)}),
]


@pytest.mark.parametrize("kwargs,size,expected", CASES)
def test_strides_and_channels(kwargs, size, expected):
    model = kr.ResNet(**kwargs, include_top=False, input_shape=(size, size, 3))
    features = kr.feature_model(model)
    outputs = features(np.zeros((1, size, size, 3), "float32"))
    assert set(expected) <= set(outputs)
    for key, (stride, channels) in expected.items():
        assert tuple(outputs[key].shape) == (1, size // stride, size // stride, channels), key


def test_wide_resnet_features_and_level_choice():
    model = kr.WRN16_8(include_top=False, input_shape=(28, 28, 1))
    features = kr.feature_model(model, levels=["C3", "C4"])
    outputs = features(np.zeros((2, 28, 28, 1), "float32"))
    assert sorted(outputs) == ["C3", "C4"]
    assert tuple(outputs["C4"].shape) == (2, 7, 7, 512)


def test_last_feature_of_preactivation_nets_is_the_model_output():
    model = kr.ResNet(50, variant="v2", include_top=False, input_shape=(64, 64, 3))
    assert kr.feature_layers(model)["C5"] == "post_relu"
    x = np.random.default_rng(1).uniform(size=(1, 64, 64, 3)).astype("float32")
    np.testing.assert_array_equal(kr.feature_model(model)(x)["C5"], model(x))


def test_unknown_level():
    model = kr.ResNet20(include_top=False, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match=r"levels=\['C5'\] is not valid; allowed: keys among \['C2', 'C3', 'C4'\]"):
        kr.feature_model(model, levels=["C5"])
