"""Loading a weights file into a built model, checked layer by layer first.

Keras 3 stores weights (in `.weights.h5` and inside `.keras` archives) under
`layers/<class name in snake_case>[_n]/vars/<i>`, in the model's layer order.
We walk the model the same way and compare shapes before loading, so that a
file for another architecture fails with the first layer that does not fit
instead of a half-loaded model.
"""

import io
import os
import re
import zipfile

import h5py

from keras_resnet.arguments import invalid


def load_weights(model, path):
    """Loads `path` (`.weights.h5` or `.keras`) into `model`, or raises
    ValueError naming the first layer whose weights do not fit."""
    if not os.path.isfile(path):
        raise invalid("weights", path, "None or the path of an existing .weights.h5 or "
                      ".keras file")
    if path.endswith(".keras"):
        with zipfile.ZipFile(path) as archive:
            data = io.BytesIO(archive.read("model.weights.h5"))
        with h5py.File(data, "r") as f:
            check_fit(model, f, path)
    elif path.endswith(".weights.h5"):
        with h5py.File(path, "r") as f:
            check_fit(model, f, path)
    else:
        raise invalid("weights", path, "a file ending in .weights.h5 or .keras")
    model.load_weights(path)
    return model


def check_fit(model, h5, path):
    """Raises ValueError for the first layer of `model` that `h5` cannot fill."""
    stored = h5.get("layers", {})
    keys = _keys(model)
    for layer, key in zip(model.layers, keys):
        expected = [tuple(w.shape) for w in layer.weights]
        group = stored.get(f"{key}/vars") if key in stored else None
        found = [] if group is None else [
            tuple(group[i].shape) for i in sorted(group, key=int)
        ]
        if expected != found:
            raise ValueError(
                f"weights={path!r} does not fit this {model.name} model: layer "
                f"{layer.name!r} needs weights of shapes {expected}, the file holds "
                f"{found or 'none'} there"
            )
    extra = sorted(set(stored) - set(keys))
    if extra:
        raise ValueError(f"weights={path!r} does not fit this {model.name} model: "
                         f"the file has weights for layers the model lacks ({extra[0]})")


def _keys(model):
    used = {}
    return [_unique(_snake(type(layer).__name__), used) for layer in model.layers]


def _snake(name):
    # keras.src.utils.naming.to_snake_case, which is not public API.
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name
