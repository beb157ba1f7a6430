"""Every named constructor builds, runs, saves to .keras and reloads identically."""

import keras
import numpy as np
import pytest

import keras_resnet as kr

CIFAR_NAMES = {"ResNet20", "ResNet32", "ResNet44", "ResNet56", "ResNet110",
               "ResNet1202", "WRN16_8", "WRN28_10", "WRN40_4"}


def test_list_models_names_the_public_constructors():
    names = kr.list_models()
    assert {"ResNet18", "ResNet50", "ResNet200", "ResNet20", "ResNet1202",
            "WRN28_10", "ResNeXt50_32x4d", "WideResNet50_2"} <= set(names)
    assert all(callable(getattr(kr, n)) for n in names)


@pytest.mark.parametrize("name", kr.list_models())
def test_build_run_save_reload(name, tmp_path, rng, request):
    if name == "ResNet1202":  # shared with the parameter count: 15 s to build
        model = request.getfixturevalue("resnet1202")
    else:
        shape = (28, 28, 1) if name in CIFAR_NAMES else (64, 64, 3)
        model = getattr(kr, name)(input_shape=shape, classes=10)
    x = rng.uniform(0, 1, (2,) + model.input_shape[1:]).astype("float32")
    # Training mode: BatchNorm normalises with batch statistics. (In inference
    # mode, an untrained ResNet-1202's 600 blocks overflow float32.)
    y = model(x, training=True)
    assert y.shape == (2, 10) and np.all(np.isfinite(y))
    np.testing.assert_allclose(np.sum(y, axis=1), 1.0, rtol=1e-5)

    if name == "ResNet1202":  # saving and reloading 3,600 layers: 30 s; ResNet110 covers it
        return
    path = tmp_path / f"{name}.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    assert [l.name for l in reloaded.layers] == [l.name for l in model.layers]
    np.testing.assert_array_equal(reloaded(x, training=False), model(x, training=False))


def test_building_leaves_the_recursion_limit_as_it_was():
    import sys

    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        kr.ResNet110(input_shape=(32, 32, 3), classes=10)
        assert sys.getrecursionlimit() == 1000
    finally:
        sys.setrecursionlimit(previous)
