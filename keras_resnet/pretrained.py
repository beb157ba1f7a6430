"""Named pretrained weights into a built model: the registry says what a name
is (`keras_resnet.weights_registry`), the cache fetches, verifies and converts
it once (`keras_resnet.weights_cache`), and `load_into` fills the model
layer by layer, checked by name and shape."""

import h5py

from keras_resnet import naming
from keras_resnet.arguments import invalid
from keras_resnet.network import layer_prefix
from keras_resnet.weights_cache import converted_file
from keras_resnet.weights_registry import weights_entry


def load_into(model, name, include_top):
    """Fills `model` with the named weights (downloaded and converted when not
    cached), or raises ValueError naming the first layer that does not fit."""
    wanted = weights_entry(name)
    prefix = layer_prefix(model)
    head = model.get_layer(prefix + naming.PREDICTIONS) if include_top else None
    if head is not None and head.units != wanted.classes:
        raise invalid("classes", head.units, f"{wanted.classes} with weights={name!r} and "
                      "include_top=True (or include_top=False for a new head)")
    with h5py.File(converted_file(name, include_top), "r") as f:
        stored = {layer: [f[layer][str(i)][()] for i in range(len(f[layer]))] for layer in f}
    for layer in model.layers:
        if not layer.weights or layer.name == prefix + naming.PREPROCESS:
            continue
        key = layer.name[len(prefix):]  # the cache holds unprefixed names
        if key not in stored:
            raise ValueError(f"weights={name!r} do not fit this model: they hold nothing for "
                             f"layer {layer.name!r}")
        values = stored[key]
        shapes = [tuple(w.shape) for w in layer.weights]
        if [v.shape for v in values] != shapes:
            raise ValueError(f"weights={name!r} do not fit this model: layer {layer.name!r} "
                             f"needs shapes {shapes}, the weights hold "
                             f"{[v.shape for v in values]}")
        layer.set_weights(values)
    return model
