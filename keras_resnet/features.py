"""Stage outputs as a dict-output model, for detection and segmentation heads.

Keys are "C<stage>" (the stage records' levels). Their strides relative to
the input:

- ImageNet family, v1 / v1.5 / v2 / d: C2 4, C3 8, C4 16, C5 32.
- ImageNet family, v2-keras (downsamples at the end of stages 2-4): C2 8,
  C3 16, C4 32, C5 32.
- CIFAR family and Wide ResNets: C2 1, C3 2, C4 4.

A stage's output is the output of its last block; for pre-activation
variants the last stage's output is taken after the final BN-ReLU, as
`include_top=False` returns it.
"""

import keras

from keras_resnet.arguments import invalid
from keras_resnet.network import stage_records


def feature_layers(model):
    """{"C2": layer name, ...} of a keras_resnet model's stage outputs."""
    return {r.level: r.output for r in stage_records(model) if r.level != "stem"}


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
