"""Block options, data formats, dtypes, preprocessing and the naming scheme."""

import re

import keras
import numpy as np
import pytest

import keras_resnet as kr
from helpers import randomize
from keras_resnet.cpu import onednn_state
from keras_resnet.model_table import trainable_params


def test_option_a_shortcut_subsamples_and_zero_pads(rng):
    x = rng.normal(size=(2, 7, 5, 3)).astype("float32")
    y = np.asarray(kr.ZeroPadShortcut(8, strides=2)(x))
    assert y.shape == (2, 4, 3, 8)
    np.testing.assert_array_equal(y[..., :3], x[:, ::2, ::2, :])
    np.testing.assert_array_equal(y[..., 3:], 0)
    first = np.asarray(kr.ZeroPadShortcut(8, strides=2, data_format="channels_first")(
        np.transpose(x, (0, 3, 1, 2))))
    np.testing.assert_array_equal(first, np.transpose(y, (0, 3, 1, 2)))


def test_drop_path_drops_whole_samples_in_training_only():
    layer = kr.DropPath(0.5, seed=1)
    x = np.ones((2000, 3, 3, 2), "float32")
    np.testing.assert_array_equal(layer(x, training=False), x)
    y = np.asarray(layer(x, training=True)).reshape(2000, -1)
    kept = y[:, 0] > 0
    assert set(np.unique(y)) == {0.0, 2.0}  # kept branches are scaled by 1/(1-p)
    assert np.all(y == y[:, :1])  # per sample, not per element
    assert 0.45 < kept.mean() < 0.55


def test_drop_path_rate_rises_linearly_with_depth():
    model = kr.ResNet20(input_shape=(28, 28, 1), classes=10, drop_path_rate=0.4)
    rates = [l.rate for l in model.layers if isinstance(l, kr.DropPath)]
    assert len(rates) == 8  # 9 blocks; the first has rate 0 and no layer
    np.testing.assert_allclose(rates, [0.4 * i / 8 for i in range(1, 9)])


def test_zero_init_residual_makes_blocks_start_as_identity(rng):
    model = kr.ResNet(50, zero_init_residual=True, include_top=False,
                      input_shape=(64, 64, 3))
    assert all(not np.any(model.get_layer(f"conv{s}_block{b}_3_bn").gamma.numpy())
               for s, b in ((2, 1), (3, 4), (5, 3)))
    probe = keras.Model(model.input, [model.get_layer("conv3_block1_out").output,
                                      model.get_layer("conv3_block2_out").output])
    before, after = probe(rng.uniform(size=(1, 64, 64, 3)).astype("float32"))
    np.testing.assert_array_equal(before, after)
    v2 = kr.ResNet20(variant="v2", zero_init_residual=True, input_shape=(32, 32, 3))
    assert not np.any(v2.get_layer("conv4_block3_2_conv").kernel.numpy())


def test_squeeze_excitation_matches_timm_seresnet50_size():
    # timm's seresnet50: reduction 1/16 inside each bottleneck's SE module.
    assert trainable_params(kr.ResNet50(se_ratio=1 / 16)) == 28_088_024


@pytest.mark.parametrize("build", [
    lambda fmt: kr.ResNet20(input_shape=(3, 28, 28) if fmt == "channels_first" else (28, 28, 3),
                            classes=10, data_format=fmt),
    lambda fmt: kr.ResNet(50, variant="d", input_shape=(3, 64, 64) if fmt == "channels_first"
                          else (64, 64, 3), classes=10, data_format=fmt),
], ids=["resnet20", "resnet50d"])
def test_channels_first_computes_the_same_function(build, rng):
    """In this process's oneDNN mode; tests/test_onednn.py runs the other."""
    if keras.backend.backend() == "tensorflow" and not onednn_state()["enabled"]:
        # TensorFlow on CPU has no NCHW convolution without oneDNN.
        with pytest.raises(ValueError, match="data_format='channels_first' is not valid; "
                                             "allowed: 'channels_last' here"):
            build("channels_first")
        return
    last = randomize(build("channels_last"), rng)
    first = build("channels_first")
    for layer in first.layers:
        layer.set_weights(last.get_layer(layer.name).get_weights())
    x = rng.uniform(size=(2,) + last.input_shape[1:]).astype("float32")
    expected = np.asarray(last(x))
    np.testing.assert_allclose(first(np.transpose(x, (0, 3, 1, 2))), expected, atol=1e-5)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_gives_float32_logits(policy, rng):
    model = kr.ResNet20(input_shape=(28, 28, 1), classes=10, dtype=policy,
                        classifier_activation=None)
    assert model.get_layer("conv2_block1_1_conv").compute_dtype == policy.split("_")[1]
    y = model(rng.uniform(size=(2, 28, 28, 1)).astype("float32"))
    assert y.dtype == "float32" and np.all(np.isfinite(y))
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)  # the global policy works the same way
    try:
        assert kr.ResNet20(input_shape=(28, 28, 1), classes=10).output.dtype == "float32"
    finally:
        keras.config.set_dtype_policy(previous)


def test_in_model_preprocessing_equals_preprocess_input(rng):
    plain = randomize(kr.ResNet18(input_shape=(64, 64, 3), classes=5), rng)
    with_layer = kr.ResNet18(input_shape=(64, 64, 3), classes=5, preprocessing="torchvision")
    for layer in plain.layers:
        with_layer.get_layer(layer.name).set_weights(layer.get_weights())
    raw = rng.uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(with_layer(raw), plain(kr.preprocess_input(raw, "torchvision")),
                               atol=1e-5)


def test_preprocess_input_modes_match_keras_applications(rng):
    raw = rng.uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(kr.preprocess_input(raw, "keras_v1"),
                               keras.applications.resnet.preprocess_input(raw.copy()), atol=1e-4)
    np.testing.assert_allclose(kr.preprocess_input(raw, "keras_v2"),
                               keras.applications.resnet_v2.preprocess_input(raw.copy()), atol=1e-5)
    expected = (raw / 255 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(kr.preprocess_input(raw, "torchvision"), expected, atol=1e-5)


def test_decode_predictions_with_fashion_mnist_names():
    preds = np.eye(10)[[9, 0]] * 0.9 + 0.01
    top = kr.decode_predictions(preds, top=2, class_names="fashion_mnist")
    assert top[0][0][:2] == (9, "Ankle boot") and top[1][0][:2] == (0, "T-shirt/top")
    with pytest.raises(ValueError, match="class_names=.* is not valid; allowed: 'imagenet', 'fashion_mnist' or 10 names"):
        kr.decode_predictions(preds, class_names=["a", "b"])


NAME = re.compile(
    r"^(input|preprocess|conv1(_[123])?_(pad|conv|bn|relu)|pool1_(pad|pool)"
    r"|conv\d_block\d+_(\d_(pad|conv|bn|relu|pool)|preact_(bn|relu)"
    r"|se_(pool|reduce|expand|scale)|drop_path|add|out)"
    r"|post_(bn|relu)|avg_pool|max_pool|predictions)$")

VARIANT_MODELS = [
    dict(depth=20), dict(depth=20, variant="v2", shortcut="B"), dict(depth=18),
    dict(depth=50, variant="v1"), dict(depth=50, variant="d", se_ratio=0.25),
    dict(depth=50, variant="v2", drop_path_rate=0.1), dict(depth=50, groups=32, width_per_group=4),
]


@pytest.mark.parametrize("kwargs", VARIANT_MODELS, ids=str)
def test_layer_names_and_no_conv_bias_before_batchnorm(kwargs):
    size = 32 if kwargs["depth"] in (20,) else 64
    model = kr.ResNet(**kwargs, input_shape=(size, size, 3), preprocessing="unit")
    assert [l.name for l in model.layers if not NAME.match(l.name)] == []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            before = layer.input._keras_history.operation
            assert not (isinstance(before, keras.layers.Conv2D) and before.use_bias), before.name


def test_input_tensor_and_variable_input_size(rng):
    inputs = keras.Input((40, 40, 3), name="image")
    model = kr.ResNet18(input_tensor=inputs, include_top=False, pooling="max")
    assert model.inputs[0] is inputs and model.output_shape == (None, 512)
    backbone = kr.ResNet50(include_top=False)  # (None, None, 3) by default
    assert backbone.input_shape == (None, None, None, 3)
    for size in (64, 97):
        out = backbone(rng.uniform(size=(1, size, size, 3)).astype("float32"))
        assert tuple(out.shape) == (1, -(-size // 32), -(-size // 32), 2048)


def test_grid_pooling_averages_each_cell_of_any_size(rng):
    x = rng.normal(size=(2, 7, 5, 3)).astype("float32")
    y = np.asarray(kr.GridPooling2D(2)(x))
    assert y.shape == (2, 12)  # 2×2 cells × 3 channels, cell by cell in row order
    # Cells of 7 rows: 0..4 and 3..7 (floor(i·7/2) … ceil((i+1)·7/2)); of 5 columns: 0..3, 2..5.
    cells = [x[:, :4, :3], x[:, :4, 2:], x[:, 3:, :3], x[:, 3:, 2:]]
    np.testing.assert_allclose(y, np.concatenate([c.mean(axis=(1, 2)) for c in cells], 1),
                               rtol=1e-6)
    np.testing.assert_allclose(kr.GridPooling2D(1)(x), x.mean(axis=(1, 2)), rtol=1e-6)
    first = kr.GridPooling2D(2, data_format="channels_first")(np.transpose(x, (0, 3, 1, 2)))
    np.testing.assert_allclose(first, y, rtol=1e-6)
    layer = kr.GridPooling2D.from_config(kr.GridPooling2D(4, name="g").get_config())
    assert (layer.grid, layer.name) == (4, "g")


def test_batch_norm_fuses_only_training_calls_it_can_match(rng):
    """Training calls run TensorFlow's fused op, also with 16-bit variables or
    compute; inference, epsilons under 1e-5 and synchronized statistics keep
    Keras' path, and the config (so a saved model) is Keras' own."""
    import tensorflow as tf

    x = tf.constant(rng.normal(size=(4, 5, 5, 3)).astype("float32"))

    def op_types(layer, training):
        graph = tf.function(lambda t: layer(t, training=training)).get_concrete_function(x).graph
        return {op.type for op in graph.get_operations()}

    assert "FusedBatchNormV3" in op_types(kr.BatchNormalization(), True)
    assert "FusedBatchNormV3" not in op_types(kr.BatchNormalization(), False)
    assert "FusedBatchNormV3" not in op_types(kr.BatchNormalization(epsilon=1e-6), True)
    assert "FusedBatchNormV3" not in op_types(kr.BatchNormalization(synchronized=True), True)
    for dtype in ("bfloat16", "mixed_bfloat16", "float16"):  # 16-bit variables or compute
        ours, keras_own = kr.BatchNormalization(dtype=dtype), keras.layers.BatchNormalization(
            dtype=dtype)
        outputs = [np.asarray(layer(x, training=True), "float32") for layer in (ours, keras_own)]
        np.testing.assert_allclose(*outputs, atol=0.02)
        for name in ("moving_mean", "moving_variance"):
            np.testing.assert_allclose(np.asarray(getattr(ours, name), "float32"),
                                       np.asarray(getattr(keras_own, name), "float32"),
                                       rtol=0.01)
    config = kr.BatchNormalization(momentum=0.9, name="b").get_config()
    assert config == keras.layers.BatchNormalization(momentum=0.9, name="b").get_config()
    model = kr.ResNet20(input_shape=(28, 28, 1), classes=10)
    assert all(type(layer) is kr.BatchNormalization for layer in model.layers
               if isinstance(layer, keras.layers.BatchNormalization))
