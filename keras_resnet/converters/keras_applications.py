"""keras.applications ResNet50/101/152 (v1) and ResNet50V2/101V2/152V2 into
this library's models, with identical outputs.

- v1 becomes variant "v1": keras.applications puts a bias on every conv; a
  BatchNorm follows each of them, so the bias folds into its moving mean
  (moving_mean' = moving_mean - bias) and the conv loses it.
- V2 becomes variant "v2-keras", which keeps keras.applications' layout
  (downsampling in the last block of stages 2-4 through a 1×1 max-pool
  shortcut) and the biases on the stem conv and on the convs feeding an Add.
"""

import keras

from keras_resnet import naming
from keras_resnet.arguments import invalid
from keras_resnet.builder import build_resnet
from keras_resnet.network import stage_records
from keras_resnet.specs import IMAGENET_SPECS


def from_keras_applications(model):
    """This library's equivalent of a keras.applications ResNet, weights copied."""
    names = {layer.name for layer in model.layers}
    try:
        counts = tuple(r.blocks for r in stage_records(model) if r.level != "stem")
    except ValueError:
        counts = ()
    depth = next((d for d, spec in IMAGENET_SPECS.items()
                  if spec.block == "bottleneck" and spec.blocks == counts), None)
    if depth is None or f"{naming.STEM}_conv" not in names:
        raise invalid("model", getattr(model, "name", model), "a keras.applications "
                      "ResNet50/101/152 or ResNet50V2/101V2/152V2")
    include_top = naming.PREDICTIONS in names
    pooling = next((p for p, layer in naming.POOLS.items()
                    if layer in names and not include_top), None)
    head = model.get_layer(naming.PREDICTIONS) if include_top else None
    bn = model.get_layer(f"{naming.block_name(2, 1)}_1_bn")
    converted = build_resnet(
        depth,
        variant="v2-keras" if f"{naming.POST}_bn" in names else "v1",
        include_top=include_top,
        input_shape=model.input_shape[1:],
        pooling=pooling,
        classes=head.units if head else 1000,
        classifier_activation=keras.activations.serialize(head.activation) if head else None,
        bn_momentum=bn.momentum,
        bn_epsilon=bn.epsilon,
        data_format=model.get_layer(f"{naming.STEM}_conv").data_format,
        name=model.name,
    )
    copy_weights(model, converted)
    return converted


def copy_weights(source, target):
    """Copies weights layer by layer by name, folding conv biases that `target`
    lacks into the BatchNorm that follows (`X_conv` → `X_bn`)."""
    folded = {}
    for layer in target.layers:
        if not layer.weights:
            continue
        weights = source.get_layer(layer.name).get_weights()
        if isinstance(layer, keras.layers.Conv2D) and len(weights) == 2 and not layer.use_bias:
            folded[layer.name[: -len("conv")] + "bn"] = weights.pop()
        if isinstance(layer, keras.layers.BatchNormalization) and layer.name in folded:
            gamma, beta, mean, variance = weights
            weights = [gamma, beta, mean - folded.pop(layer.name), variance]
        layer.set_weights(weights)
    if folded:
        raise ValueError(f"conv biases with no BatchNorm to fold into: {sorted(folded)}")
    return target


__all__ = ["from_keras_applications", "copy_weights"]
