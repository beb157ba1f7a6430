"""Stage outputs as a dict-output model, for detection and segmentation heads.

Keys are "C<stage>" after the stage's layer names (`conv<stage>_...`). Their
strides relative to the input:

- ImageNet family, v1 / v1.5 / v2 / d: C2 4, C3 8, C4 16, C5 32.
- ImageNet family, v2-keras (downsamples at the end of stages 2-4): C2 8,
  C3 16, C4 32, C5 32.
- CIFAR family and Wide ResNets: C2 1, C3 2, C4 4.

A stage's output is the output of its last block (`conv<S>_block<B>_out`);
for pre-activation variants the last stage's output is taken after the final
BN-ReLU (`post_relu`), as `include_top=False` returns it.
"""

import re

import keras

from keras_resnet.arguments import invalid

_BLOCK_OUT = re.compile(r"^conv(\d+)_block(\d+)_out$")


def feature_layers(model):
    """{"C2": layer name, ...} of a keras_resnet model's stage outputs."""
    last = {}
    for layer in model.layers:
        match = _BLOCK_OUT.match(layer.name)
        if match:
            stage, block = int(match[1]), int(match[2])
            if block >= last.get(stage, (0, ""))[0]:
                last[stage] = (block, layer.name)
    if not last:
        raise invalid("model", model.name, "a keras_resnet model (layers named "
                      "conv<stage>_block<block>_out)")
    names = {f"C{stage}": name for stage, (_, name) in sorted(last.items())}
    layer_names = {layer.name for layer in model.layers}
    if "post_relu" in layer_names:
        names[f"C{max(last)}"] = "post_relu"
    return names


def feature_model(model, levels=None):
    """A model with the same inputs whose output is {"C2": tensor, ...}.

    `levels` picks some keys (e.g. ["C3", "C4", "C5"]); default all stages.
    """
    names = feature_layers(model)
    levels = list(names) if levels is None else list(levels)
    for level in levels:
        if level not in names:
            raise invalid("levels", levels, f"keys among {list(names)}")
    outputs = {level: model.get_layer(names[level]).output for level in levels}
    return keras.Model(model.inputs, outputs, name=f"{model.name}_features")
