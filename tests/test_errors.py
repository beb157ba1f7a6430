"""Bad arguments raise one-line errors that name the argument and what is allowed."""

import numpy as np
import pytest

import keras_resnet as kr

CASES = [
    (dict(depth=27), r"^depth=27 is not valid; allowed: 18, 20, 32, 34, 44, 50, 56, 101, 110, 152, 200, 1202$"),
    (dict(depth=50, variant="v3"), r"^variant='v3' is not valid; allowed: 'v1.5', 'v1', 'v2', 'd', 'v2-keras'$"),
    (dict(depth=20, variant="d"), r"^variant='d' is not valid; allowed: 'v1', 'v1.5', 'v2'$"),
    (dict(depth=34, variant="v2-keras"), r"^variant='v2-keras' is not valid; allowed: 'v2-keras' only with bottleneck"),
    (dict(depth=50, input_shape=(None, None, 3)),
     r"^input_shape=\(None, None, 3\) is not valid; allowed: fixed height and width with include_top=True"),
    (dict(depth=50, input_shape=(31, 64, 3)),
     r"^input_shape=\(31, 64, 3\) is not valid; allowed: height and width of at least 32"),
    (dict(depth=20, input_shape=(3, 3, 1)),
     r"^input_shape=\(3, 3, 1\) is not valid; allowed: height and width of at least 4"),
    (dict(depth=20, input_shape=(28, 28)), r"^input_shape=\(28, 28\) is not valid; allowed: \(height, width, channels\)$"),
    (dict(depth=20, classes=0), r"^classes=0 is not valid; allowed: an integer x with 1 <= x$"),
    (dict(depth=20, classes=2.5), r"^classes=2.5 is not valid; allowed: an integer"),
    (dict(depth=20, include_top=False, pooling="median"),
     r"^pooling='median' is not valid; allowed: None, 'avg', 'max'$"),
    (dict(depth=18, weights="imagenet"), r"^weights='imagenet' is not valid; allowed: 'imagenet' only for ResNet50/101/152"),
    (dict(depth=50, weights="timm:resnet50.nope"), r"^weights='timm:resnet50.nope' is not valid; allowed: None, a path, 'imagenet' or a name"),
    (dict(depth=101, weights="keras:ResNet50"), r"^weights='keras:ResNet50' is not valid; allowed: weights of a 50-layer network"),
    (dict(depth=50, weights="/no/such.weights.h5"), r"^weights='/no/such.weights.h5' is not valid; allowed: None or the path of an existing"),
    (dict(depth=20, shortcut="C"), r"^shortcut='C' is not valid; allowed: 'A', 'B', 'none'$"),
    (dict(depth=50, variant="d", shortcut="A"), r"^shortcut='A' is not valid; allowed: 'B' for variant 'd'$"),
    (dict(depth=18, groups=32), r"^\(groups, width_per_group, width_factor\)=\(32, 64, 1\) is not valid"),
    (dict(depth=20, drop_path_rate=1.0), r"^drop_path_rate=1.0 is not valid; allowed: a number x with 0 <= x < 1$"),
    (dict(depth=20, se_ratio=0), r"^se_ratio=0 is not valid; allowed: a number x with 0 < x <= 1$"),
    (dict(depth=20, bn_epsilon=0), r"^bn_epsilon=0 is not valid"),
    (dict(depth=20, data_format="NHWC"), r"^data_format='NHWC' is not valid; allowed: 'channels_last', 'channels_first'$"),
    (dict(depth=20, input_shape=(28, 28, 1), preprocessing="torchvision"),
     r"^preprocessing='torchvision' is not valid; .*this model has 1 channel\(s\)$"),
    (dict(depth=20, preprocessing="caffe"), r"^preprocessing='caffe' is not valid; allowed: None, 'torchvision'"),
]


@pytest.mark.parametrize("kwargs,message", CASES, ids=[m[1:30] for _, m in CASES])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        kr.ResNet(**kwargs)
    assert "\n" not in str(info.value)


def test_wide_resnet_depth():
    with pytest.raises(ValueError, match=r"^depth=27 is not valid; allowed: 6n\+4"):
        kr.WideResNet(27, 4)


def test_weights_of_another_architecture_name_the_first_misfit(tmp_path):
    path = str(tmp_path / "r20.weights.h5")
    kr.ResNet20(input_shape=(28, 28, 1), classes=10).save_weights(path)
    with pytest.raises(ValueError, match=r"does not fit this resnet20 model: layer "
                       r"'predictions' needs weights of shapes \[\(64, 7\), \(7,\)\], "
                       r"the file holds \[\(64, 10\), \(10,\)\] there$"):
        kr.ResNet20(input_shape=(28, 28, 1), classes=7, weights=path)
    with pytest.raises(ValueError, match=r"layer 'conv1_conv' needs weights of shapes "
                       r"\[\(3, 3, 3, 16\)\], the file holds \[\(3, 3, 1, 16\)\]"):
        kr.ResNet20(input_shape=(28, 28, 3), classes=10, weights=path)
    with pytest.raises(ValueError, match=r"does not fit this resnet32 model: layer "
                       r"'conv2_block4_1_conv' needs weights of shapes \[\(3, 3, 16, 16\)\], "
                       r"the file holds \[\(3, 3, 16, 32\)\] there$"):
        kr.ResNet32(input_shape=(28, 28, 1), classes=10, weights=path)


def test_weights_that_fit_load(tmp_path, rng):
    source = kr.ResNet20(input_shape=(28, 28, 1), classes=10)
    x = rng.uniform(size=(2, 28, 28, 1)).astype("float32")
    for path in (tmp_path / "r20.weights.h5", tmp_path / "r20.keras"):
        source.save_weights(path) if path.suffix == ".h5" else source.save(path)
        loaded = kr.ResNet20(input_shape=(28, 28, 1), classes=10, weights=str(path))
        np.testing.assert_array_equal(loaded(x), source(x))
