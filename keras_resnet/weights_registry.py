"""The registry of named weights: one typed `WeightsEntry` per name, with its
source files and hashes, its evaluation resize/crop and normalisation, the
converter that reads it and the architecture it loads into.

Names (`list_weights()`):

- "keras:ResNet50" … "keras:ResNet152V2": keras.applications' ImageNet files,
  with the URLs and md5 hashes keras.applications itself uses, read by
  `converters.keras_applications` (v1 → variant "v1" with the conv biases
  folded, V2 → "v2-keras"). `weights="imagenet"` on ResNet50/101/152 means
  "keras:ResNet50" etc. (or the V2 set with variant="v2-keras").
- every key of converters/pytorch_weights.json (its `CATALOGUE`: source,
  reported accuracy, recipe, licence), e.g. "torchvision:resnet50.IMAGENET1K_V2",
  "timm:resnet50d.ra2_in1k": the published state dict (torchvision's `.pth`,
  timm's `model.safetensors`), read by `converters.pytorch`. torchvision's
  file names carry the first 8 hex digits of the file's SHA-256, which is
  checked; timm publishes no hash (its conversion, every tensor placed by
  name and shape, is the check).
"""

import json
import os
import urllib.parse
from dataclasses import dataclass, field

from keras_resnet.arguments import invalid
from keras_resnet.specs import TORCH_ARCHITECTURES

CATALOGUE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "converters",
                         "pytorch_weights.json")
KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
# keras.applications.resnet(_v2): file stem, md5 with the top, md5 without it.
KERAS_FILES = {
    "ResNet50": ("resnet50", "2cb95161c43110f7111970584f804107",
                 "4d473c1dd8becc155b73f8504c6f6626"),
    "ResNet101": ("resnet101", "f1aeb4b969a6efcfb50fad2f0c20cfc5",
                  "88cf7a10940856eca736dc7b7e228a21"),
    "ResNet152": ("resnet152", "100835be76be38e30d865e96f2aaae62",
                  "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "ResNet50V2": ("resnet50v2", "3ef43a0b657b3be2300d5770ece849e0",
                   "fac2f116257151a9d068a22e544a4917"),
    "ResNet101V2": ("resnet101v2", "6343647c601c52e1368623803854d971",
                    "c0ed64b8031c3730f411d2eb4eea35b5"),
    "ResNet152V2": ("resnet152v2", "a49b44d1979771252814e80f8ec446f9",
                    "ed17cf2e0169df9d443503ef94b23b33"),
}
# The builder options that keras.applications' layout needs for identical outputs.
KERAS_OPTIONS = {"bn_epsilon": 1.001e-5, "bn_momentum": 0.99}
# Evaluation resize and crop of keras.applications' ImageNet figures.
KERAS_RESIZE, KERAS_CROP = 256, 224
# Builder defaults the options of a torchvision/timm architecture are compared with.
SHAPE_DEFAULTS = {"groups": 1, "width_per_group": 64, "width_factor": 1}
SOURCES = ("keras:", "torchvision:", "timm:")


@dataclass(frozen=True)
class Source:
    url: str
    md5: str = None  # keras.applications' files
    sha256_prefix: str = None  # torchvision's file names carry one


@dataclass(frozen=True)
class WeightsEntry:
    name: str
    architecture: str  # "keras.applications ResNet50", or a TORCH_ARCHITECTURES key
    depth: int
    options: dict  # the `ResNet` arguments the weights need
    converter: str  # "keras_applications" or "pytorch"
    sources: dict  # {include_top: Source}
    classes: int = 1000
    resize: int = 256  # evaluation: resize the short side, then centre-crop
    crop: int = 224
    preprocessing: str = None  # the in-model normalisation of raw 0..255 RGB, if any
    info: dict = field(default_factory=dict)  # the catalogue entry (accuracy, recipe, ...)


def is_name(weights):
    """Whether `weights` names a weight set (rather than being None or a path)."""
    return isinstance(weights, str) and (weights == "imagenet" or (
        weights.startswith(SOURCES) and not os.path.exists(weights)))


def catalogue():
    """{name: entry} of converters/pytorch_weights.json (torchvision's and timm's)."""
    with open(CATALOGUE) as f:
        return json.load(f)


def list_weights():
    """Every weight-set name, keras.applications' first."""
    return [f"keras:{n}" for n in KERAS_FILES] + sorted(catalogue())


def weights_entry(name):
    """The `WeightsEntry` of a name (ValueError naming the allowed ones)."""
    if name.startswith("keras:") and name[6:] in KERAS_FILES:
        return _keras_entry(name)
    entry = catalogue().get(name)
    if entry is None:
        raise invalid("weights", name, "None, a path, 'imagenet' or a name of "
                      "keras_resnet.list_weights() (resnet weights list), e.g. "
                      "'keras:ResNet50', 'torchvision:resnet50.IMAGENET1K_V2'")
    depth, options = TORCH_ARCHITECTURES[entry["architecture"]]
    url = entry["url"]
    if name.startswith("timm:"):
        url = url.rstrip("/") + "/resolve/main/model.safetensors"
    prefix = os.path.basename(urllib.parse.urlsplit(url).path).rsplit("-", 1)[-1].split(".")[0]
    source = Source(url, sha256_prefix=prefix if name.startswith("torchvision:")
                    and len(prefix) >= 8 else None)
    return WeightsEntry(name, entry["architecture"], depth, dict(options), "pytorch",
                        {True: source, False: source}, resize=entry["resize"],
                        crop=entry["crop"], preprocessing="torchvision", info=entry)


def _keras_entry(name):
    stem, top_md5, notop_md5 = KERAS_FILES[name[6:]]
    v2 = stem.endswith("v2")
    sources = {top: Source(f"{KERAS_URL}{stem}_weights_tf_dim_ordering_tf_kernels"
                           f"{'' if top else '_notop'}.h5", md5=top_md5 if top else notop_md5)
               for top in (True, False)}
    return WeightsEntry(name, f"keras.applications {name[6:]}",
                        int(stem[len("resnet"):].removesuffix("v2")),
                        {"variant": "v2-keras" if v2 else "v1", **KERAS_OPTIONS},
                        "keras_applications", sources, resize=KERAS_RESIZE, crop=KERAS_CROP,
                        preprocessing="keras_v2" if v2 else None)


def imagenet_name(depth, variant):
    """The keras.applications weight set that `weights="imagenet"` means."""
    key = f"ResNet{depth}{'V2' if variant == 'v2-keras' else ''}"
    if key not in KERAS_FILES or variant not in (None, "v1", "v2-keras"):
        raise invalid("weights", "imagenet", "'imagenet' only for ResNet50/101/152 with "
                      "variant 'v1' (the default with these weights) or 'v2-keras' "
                      "(keras.applications' own files); for other depths and variants a "
                      "named set, e.g. 'torchvision:resnet18.IMAGENET1K_V1', "
                      "'timm:resnet50d.ra2_in1k' (resnet weights list)")
    return f"keras:{key}"


def builder_options(name, depth, kwargs):
    """`kwargs` with the options the weights need added; ValueError where the
    constructor or an argument contradicts them."""
    wanted = weights_entry(name)
    if wanted.depth != depth:
        raise invalid("weights", name, f"weights of a {wanted.depth}-layer network for "
                      f"this {depth}-layer constructor: use ResNet{wanted.depth} "
                      "or the constructor named like the weights")
    merged = dict(kwargs)
    for key, value in wanted.options.items():
        if merged.get(key) is None:
            merged[key] = value
        elif merged[key] != value:
            raise invalid(key, merged[key], f"{value!r} with weights={name!r}")
    for key, default in SHAPE_DEFAULTS.items():
        if merged.get(key, default) != wanted.options.get(key, default):
            raise invalid("weights", name, f"weights of {wanted.architecture}, "
                          f"which has {key}={wanted.options.get(key, default)}; this "
                          f"constructor builds {key}={merged.get(key, default)}")
    return merged
