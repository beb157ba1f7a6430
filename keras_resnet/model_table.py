"""The table of named models (the README's), built from the depth table."""

import numpy as np

from keras_resnet import models
from keras_resnet.macs import count_macs
from keras_resnet.network import stage_records


def trainable_params(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def model_table():
    """Markdown table of the named models, each built to count trainable
    parameters and MACs (ImageNet family: 224×224×3, 1000 classes; CIFAR
    family: 32×32×3, 10 classes). Takes about a minute."""
    rows = ["| model | input | blocks per stage | trainable params | MACs |",
            "|---|---|---|--:|--:|"]
    for name in models.list_models():
        model = _build(name)
        size = "×".join(str(d) for d in model.input_shape[1:])
        blocks = "/".join(str(r.blocks) for r in stage_records(model) if r.level != "stem")
        rows.append(f"| {name} | {size} | {blocks} | "
                    f"{trainable_params(model):,} | {count_macs(model) / 1e9:.3f} G |")
    return "\n".join(rows)


def _build(name):
    model = getattr(models, name)(weights=None)
    if model.input_shape[1] == 224:
        return model
    return getattr(models, name)(input_shape=(32, 32, 3), classes=10)
