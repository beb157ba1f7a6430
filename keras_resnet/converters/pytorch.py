"""torchvision and timm ResNet state dicts into this library's models.

A state dict is a mapping of names to numpy arrays (or anything
`numpy.asarray` takes), so a `.safetensors` file read with the safetensors
package's numpy API needs no PyTorch; a `.pth` file needs torch, imported only
then (`load_state_dict`).

Every tensor is placed by name and checked by shape; the first one that does
not fit (another depth, another variant, a grouped conv where a plain one
belongs) raises ValueError naming it, and so does any tensor left over.

Names: torchvision and timm share `conv1`, `bn1`, `layer{1-4}.{i}.conv{k}`,
`.bn{k}`, `.downsample.{0,1}` and `fc`; timm's ResNet-D adds the deep stem
`conv1.{0,1,3,4,6}` and pools first in `downsample` (`.1` is the conv, `.2`
the BatchNorm). PyTorch convolutions are (out, in/groups, kh, kw); Keras'
are (kh, kw, in/groups, out).
"""

import os

import numpy as np

from keras_resnet import naming
from keras_resnet.arguments import check_choice, invalid
from keras_resnet.builder import build_resnet
from keras_resnet.specs import TORCH_ARCHITECTURES

def torch_name(keras_name, avg_down, prefix=""):
    """The torchvision/timm module name of one of our Conv2D, BN or Dense layers
    (None for a layer with no counterpart)."""
    if keras_name == prefix + naming.PREDICTIONS:
        return "fc"
    parsed = naming.parse(keras_name, prefix)
    if parsed is None or parsed.kind not in ("conv", "bn"):
        return None
    conv = parsed.kind == "conv"
    if parsed.stage == 1:  # the stem; ResNet-D's deep stem is conv1.{0,3,6} with bn at .1, .4
        if parsed.unit == -1 or (not conv and parsed.unit == 3):
            return "conv1" if conv else "bn1"
        return f"conv1.{(0, 3, 6)[parsed.unit - 1] if conv else (1, 4)[parsed.unit - 1]}"
    block = f"layer{parsed.stage - 1}.{parsed.block - 1}"
    if parsed.unit == 0:  # the projection shortcut
        offset = 1 if avg_down else 0
        return f"{block}.downsample.{offset + (0 if conv else 1)}"
    return f"{block}.{'conv' if conv else 'bn'}{parsed.unit}"


def _take(state, key, shape, used):
    if key not in state:
        raise ValueError(f"the state dict has no tensor {key!r}, which this model needs "
                         f"(shape {tuple(shape)}): another depth or variant?")
    value = np.asarray(state[key], np.float32)
    if value.shape != tuple(shape):
        raise ValueError(f"tensor {key!r} has shape {value.shape}, this model needs "
                         f"{tuple(shape)}: another depth, variant or class count?")
    used.add(key)
    return value


def from_state_dict(state, architecture, *, include_top=True, classes=None, **kwargs):
    """A Keras model of `architecture` (a key of specs.TORCH_ARCHITECTURES) holding the
    weights of a torchvision or timm state dict.

    include_top=False drops `fc`; `classes` other than the state dict's gives
    a new, freshly initialised head. Other keyword arguments go to the
    builder (`input_shape`, `preprocessing="torchvision"`, `dtype`, ...).
    """
    check_choice("architecture", architecture, tuple(TORCH_ARCHITECTURES))
    depth, options = TORCH_ARCHITECTURES[architecture]
    source_classes = np.shape(state["fc.weight"])[0] if "fc.weight" in state else None
    load_head = include_top and source_classes is not None and classes in (None, source_classes)
    if include_top and classes is None:
        if source_classes is None:
            raise invalid("classes", classes, "a number: the state dict has no fc.weight")
        classes = source_classes
    model = build_resnet(depth, include_top=include_top, classes=classes or 1000,
                   **options, **kwargs)
    avg_down = options["variant"] == "d"
    prefix = model.architecture.layer_prefix
    used = set()
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in ("Conv2D", "BatchNormalization", "Dense") or not layer.weights:
            continue
        name = torch_name(layer.name, avg_down, prefix)
        if name is None:
            raise ValueError(f"layer {layer.name!r} has no torchvision/timm counterpart")
        if kind == "Dense" and not load_head:
            continue
        shapes = [tuple(w.shape) for w in layer.weights]
        if kind == "Conv2D":
            kh, kw, cin, cout = shapes[0]
            kernel = _take(state, f"{name}.weight", (cout, cin, kh, kw), used)
            layer.set_weights([kernel.transpose(2, 3, 1, 0)])
        elif kind == "BatchNormalization":
            layer.set_weights([_take(state, f"{name}.{part}", shapes[0], used) for part in
                               ("weight", "bias", "running_mean", "running_var")])
        else:
            (cin, cout), _ = shapes
            layer.set_weights([_take(state, "fc.weight", (cout, cin), used).T,
                               _take(state, "fc.bias", (cout,), used)])
    left = [k for k in state if k not in used and not k.endswith("num_batches_tracked")
            and not (k.startswith("fc.") and not load_head)]
    if left:
        raise ValueError(f"the state dict has tensor {left[0]!r}, which this {architecture} "
                         "model lacks: another depth or variant?")
    return model


def load_state_dict(path):
    """{name: numpy array} from a `.safetensors` file (no torch needed) or a
    `.pth`/`.pt`/`.bin` file (needs torch; also unwraps {"state_dict": ...})."""
    if path.endswith(".safetensors"):
        try:
            from safetensors.numpy import load_file
        except ImportError:
            raise RuntimeError("reading .safetensors needs the safetensors package: "
                               'pip install "keras3-resnet[convert]"') from None
        return load_file(path)
    if path.endswith((".pth", ".pt", ".bin")):
        try:
            import torch
        except ImportError:
            raise RuntimeError(f"reading {os.path.basename(path)} needs PyTorch; or convert "
                               "it to .safetensors where torch is installed") from None

        state = torch.load(path, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state.get("model", state))
        return {k: v.float().numpy() for k, v in state.items() if hasattr(v, "numpy")}
    raise invalid("path", path, "a .safetensors, .pth, .pt or .bin file")
