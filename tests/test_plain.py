"""Plain networks (every shortcut removed) and networks without BatchNorm,
the two controls of the paper's degradation experiment."""

import keras
import numpy as np
import pytest

import keras_resnet


def _inbound(model):
    """{layer name: names of the layers feeding it}."""
    feeding = {}
    for layer in model.layers[1:]:
        inputs = layer.input if isinstance(layer.input, list) else [layer.input]
        feeding[layer.name] = [t._keras_history.operation.name for t in inputs]
    return feeding


@pytest.mark.parametrize("depth, input_shape", [
    (20, (28, 28, 1)), (56, (32, 32, 3)), (18, (64, 64, 3)), (50, (64, 64, 3))])
def test_a_plain_net_is_a_chain_of_its_nominal_depth(depth, input_shape):
    plain = keras_resnet.ResNet(depth, shortcut="none", input_shape=input_shape, classes=10)
    feeding = _inbound(plain)
    assert all(len(sources) == 1 for sources in feeding.values())
    consumers = [s for sources in feeding.values() for s in sources]
    assert len(consumers) == len(set(consumers))  # nothing branches off
    weighted = [l for l in plain.layers if isinstance(l, (keras.layers.Conv2D,
                                                           keras.layers.Dense))]
    assert len(weighted) == depth
    assert plain.name == f"plain{depth}"
    residual = keras_resnet.ResNet(depth, input_shape=input_shape, classes=10)
    projections = sum(l.count_params() for l in residual.layers if l.name.endswith("_0_conv")
                      or l.name.endswith("_0_bn"))
    assert plain.count_params() == residual.count_params() - projections


def test_a_plain_net_computes_the_residual_net_without_its_shortcuts(rng):
    """Same weights: a plain block outputs relu(branch), the residual block
    relu(branch + its input)."""
    kwargs = dict(input_shape=(16, 16, 3), classes=4, classifier_activation=None)
    residual = keras_resnet.ResNet20(**kwargs)
    plain = keras_resnet.ResNet20(shortcut="none", **kwargs)
    plain.set_weights(residual.get_weights())
    x = rng.uniform(0, 1, (2, 16, 16, 3)).astype("float32")
    block = "conv2_block1"
    probe = lambda m: keras.Model(m.input, m.get_layer(f"{block}_out").output)(x)
    before = keras.Model(residual.input, residual.get_layer("conv1_relu").output)(x)
    y_plain, y_res = np.asarray(probe(plain)), np.asarray(probe(residual))
    branch = np.asarray(keras.Model(residual.input,
                                    residual.get_layer(f"{block}_2_bn").output)(x))
    np.testing.assert_allclose(y_plain, np.maximum(branch, 0), atol=1e-5)
    np.testing.assert_allclose(y_res, np.maximum(branch + np.asarray(before), 0), atol=1e-5)


@pytest.mark.parametrize("variant", ["v1", "v2"])
def test_without_batchnorm_every_conv_has_a_bias(variant):
    model = keras_resnet.ResNet56(shortcut="none", batch_norm=False, variant=variant,
                                  input_shape=(28, 28, 1), classes=10)
    assert not [l for l in model.layers if isinstance(l, keras.layers.BatchNormalization)]
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    assert len(convs) == 55 and all(l.use_bias for l in convs)


@pytest.mark.parametrize("kwargs, message", [
    ({"shortcut": "none", "drop_path_rate": 0.1}, "for a plain network"),
    ({"shortcut": "none", "zero_init_residual": True}, "for a plain network"),
    ({"batch_norm": False, "zero_init_residual": True}, "False without BatchNorm"),
    ({"shortcut": "C"}, "'A', 'B', 'none'"),
])
def test_plain_options_reject_what_has_no_meaning(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras_resnet.ResNet20(input_shape=(28, 28, 1), classes=10, **kwargs)
