"""Architecture as data: the config and the stage records made while building
survive saving and rebuild the same network; records read back from layer
names agree with them; a layer-name prefix is carried through feature
extraction, fine-tuning's freezing, the PyTorch converter and the export."""

import json
import os

import keras
import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.builder import build
from keras_resnet.network import ResNetModel, stage_records
from pytorch_fixtures import HERE, seeded_inputs, seeded_state_dict

VARIANTS = [  # (constructor kwargs, input shape)
    (dict(depth=20), (32, 32, 3)),
    (dict(depth=50, variant="d"), (64, 64, 3)),
    (dict(depth=50, variant="v2"), (64, 64, 3)),
    (dict(depth=50, variant="v2-keras"), (64, 64, 3)),
    (dict(depth=18, layer_prefix="left_"), (64, 64, 3)),
]


def _images(shape, n=2, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, *shape)).astype("float32")


@pytest.mark.parametrize("kwargs,shape", VARIANTS)
def test_records_read_back_from_names_match_the_records_made_while_building(kwargs, shape):
    model = kr.ResNet(**kwargs, input_shape=shape, classes=7)
    assert isinstance(model, ResNetModel)
    plain = keras.Model(model.inputs, model.outputs)  # a functional model: no records
    if kwargs.get("layer_prefix"):
        with pytest.raises(ValueError, match="a keras_resnet model"):
            stage_records(plain)  # names are read back only without a prefix
        return
    assert stage_records(plain) == model.stage_records
    levels = [r.level for r in model.stage_records]
    assert levels[0] == "stem" and levels[1:] == [f"C{s}" for s in range(2, len(levels) + 1)]


def test_config_and_records_survive_saving_and_rebuild_the_same_network(tmp_path):
    model = kr.ResNet(50, variant="d", layer_prefix="p_", input_shape=(64, 64, 3), classes=5,
                      se_ratio=0.25, preprocessing="torchvision")
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, ResNetModel)
    assert loaded.architecture == model.architecture
    assert loaded.stage_records == model.stage_records
    assert json.loads(json.dumps(model.get_config()["architecture"]))["widths"] == [64, 128,
                                                                                    256, 512]
    rebuilt = build(loaded.architecture)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    x = _images((64, 64, 3)) * 255
    np.testing.assert_array_equal(rebuilt(x), model(x))
    np.testing.assert_array_equal(loaded(x), model(x))


def test_mixed_precision_is_the_models_own_policy_not_a_global_one():
    model = kr.ResNet20(input_shape=(28, 28, 1), classes=10, dtype="mixed_float16")
    assert keras.config.dtype_policy().name == "float32"
    assert model.dtype_policy.name == "mixed_float16"
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)


def test_unknown_arguments_get_one_line_naming_them():
    with pytest.raises(ValueError, match=r"^argument='widht_factor' is not valid; allowed: "
                                         r"the arguments of keras_resnet.ResNet: .*width_factor"):
        kr.ResNet20(widht_factor=2)


def test_two_prefixed_resnets_share_one_model_and_give_their_features():
    inputs = keras.Input((32, 32, 3))
    left = kr.ResNet20(include_top=False, input_tensor=inputs, layer_prefix="left_")
    right = kr.ResNet32(include_top=False, input_tensor=inputs, layer_prefix="right_")
    joined = keras.Model(inputs, keras.layers.Concatenate()([left.output, right.output]))
    names = [layer.name for layer in joined.layers]
    assert len(names) == len(set(names))
    for model, prefix in ((left, "left_"), (right, "right_")):
        assert all(layer.name.startswith(prefix) for layer in model.layers[1:])
        features = kr.feature_model(model)(_images((32, 32, 3)))
        assert {k: tuple(v.shape) for k, v in features.items()} == {
            "C2": (2, 32, 32, 16), "C3": (2, 16, 16, 32), "C4": (2, 8, 8, 64)}


def test_fine_tuning_freezes_a_prefixed_network_by_its_records():
    from keras_resnet.training.finetune import new_head, set_trainable

    source = kr.ResNet20(input_shape=(28, 28, 1), classes=10, layer_prefix="src_")
    model = new_head(source, 3)
    assert model.stage_records == source.stage_records
    set_trainable(model, stages=1)
    trainable = {layer.name for layer in model.layers if layer.trainable and layer.weights}
    assert trainable and all(name.startswith("src_conv4_") or name == "src_predictions"
                             for name in trainable)
    assert not any(isinstance(model.get_layer(n), keras.layers.BatchNormalization)
                   for n in trainable)
    assert model.output_shape == (None, 3)
    set_trainable(model, stages=9)  # more than there are: the stem and every stage
    assert model.get_layer("src_conv1_conv").trainable
    assert not model.get_layer("src_conv1_bn").trainable


def test_the_pytorch_converter_places_every_tensor_in_a_prefixed_model():
    from keras_resnet.converters.pytorch import from_state_dict

    with open(os.path.join(HERE, "torchvision-resnet18.json")) as f:
        fixture = json.load(f)
    state = seeded_state_dict(fixture["keys"], fixture["seed"])
    x = seeded_inputs(fixture["seed"]).transpose(0, 2, 3, 1)
    plain = from_state_dict(state, "resnet18", input_shape=(64, 64, 3),
                            classifier_activation=None)
    prefixed = from_state_dict(state, "resnet18", input_shape=(64, 64, 3),
                               classifier_activation=None, layer_prefix="tv_")
    assert prefixed.layers[1].name.startswith("tv_")
    np.testing.assert_array_equal(prefixed(x), plain(x))
    reference = np.load(os.path.join(HERE, "torchvision-resnet18-logits.npy"))
    assert np.abs(np.asarray(prefixed(x)) - reference).max() <= 1e-4 * np.abs(reference).max()


def test_a_prefixed_model_exports_with_its_in_model_normalisation(tmp_path):
    from keras_resnet.export.convert import export_model

    model = kr.ResNet20(input_shape=(32, 32, 3), classes=4, layer_prefix="net_",
                        preprocessing="torchvision")
    path = str(tmp_path / "m.keras")
    model.save(path)
    written = export_model(path, str(tmp_path / "export"), ["float32"])
    with open(os.path.join(tmp_path, "export", "model_float32.json")) as f:
        metadata = json.load(f)
    assert metadata["input"]["normalisation"]["mean"] == pytest.approx(
        [0.485 * 255, 0.456 * 255, 0.406 * 255], rel=1e-5)
    assert os.path.getsize(written["float32"]) > 0


def test_the_fine_tuning_head_pools_the_last_two_stages_on_grids_that_fit():
    from keras_resnet.training.finetune import describe_head, new_head

    small = kr.ResNet20(input_shape=(28, 28, 1), classes=10)
    model = new_head(small, 5)
    # C3 is 14×14×32, C4 7×7×64: 4×4×32 + 2×2×64 = 768 features.
    assert model.get_layer("grid_pool_C3").output.shape == (None, 512)
    assert model.get_layer("grid_pool_C4").output.shape == (None, 256)
    assert model.layers[-1].input.shape == (None, 768) and model.output_shape == (None, 5)
    assert describe_head(small, "grid") == "C3 on a 4×4 grid and C4 on a 2×2 grid"
    assert new_head(small, 5, "avg").layers[-1].input.shape == (None, 64)
    # Wide stages get coarser grids (at most 4,096 features each): C4 4×4×1024 → 2×2,
    # C5 2×2×2048 → 1×1.
    wide = kr.ResNet50(input_shape=(64, 64, 3), include_top=False)
    assert describe_head(wide, "grid") == "C4 on a 2×2 grid and C5 on a 1×1 grid"
    with pytest.raises(ValueError, match="head='mean' is not valid; allowed: "):
        new_head(small, 5, "mean")


def test_a_grid_head_saves_and_exports_with_the_same_outputs(tmp_path):
    from keras_resnet.edge.predictor import Predictor
    from keras_resnet.export.convert import export_model
    from keras_resnet.training.finetune import new_head

    model = new_head(kr.ResNet20(input_shape=(28, 28, 1), classes=10), 4)
    dense = model.layers[-1]  # a head of visible size, so that a wrong cell would show
    dense.set_weights([np.random.default_rng(1).normal(0, 0.05, dense.kernel.shape), np.zeros(4)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    images = _images((28, 28, 1), n=4) * 255
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(images, verbose=0),
                               model.predict(images, verbose=0), atol=1e-6)
    written = export_model(path, str(tmp_path / "export"), ["float32"])
    predictor = Predictor(written["float32"])
    lite = np.stack([predictor.probabilities(image) for image in images.astype("uint8")])
    expected = model.predict(images.astype("uint8").astype("float32"), verbose=0)
    np.testing.assert_allclose(lite, expected, atol=1e-4)
