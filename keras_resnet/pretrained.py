"""Named pretrained weights: downloaded once, verified, converted, cached.

Names (`list_weights()`):

- "keras:ResNet50" … "keras:ResNet152V2": keras.applications' ImageNet files,
  from the URLs and with the md5 hashes keras.applications itself uses,
  converted with `from_keras_applications`' mapping (v1 → variant "v1" with
  the conv biases folded, V2 → "v2-keras"). `weights="imagenet"` on
  ResNet50/101/152 means "keras:ResNet50" etc. (or the V2 file with
  variant="v2-keras").
- every key of converters/pytorch_weights.json, e.g.
  "torchvision:resnet50.IMAGENET1K_V2", "timm:resnet50d.ra2_in1k": the
  published state dict (torchvision's `.pth`, timm's `model.safetensors`),
  converted with `converters.pytorch.from_state_dict`. torchvision's file
  names carry the first 8 hex digits of the file's SHA-256, which is checked;
  timm publishes no hash, so a timm file is checked only by its conversion
  (every tensor placed by name and shape) and its SHA-256 is recorded.

The cache is `$KERAS_HOME/keras_resnet` (default `~/.keras/keras_resnet`):
`downloads/` holds each source file as published (a machine without internet
takes a copy of this folder, or of files placed there by hand: their hashes
are checked before use), `converted/` each source's weights under this
library's layer names, keyed by the source's SHA-256. Every file is written
under a temporary name and renamed only once complete and verified.
`KERAS_RESNET_WEIGHTS_MIRROR=<url>` fetches `<url>/<path of the original URL>`
instead (a local mirror).
"""

import glob
import hashlib
import json
import os
import shutil
import tempfile
import urllib.parse

import h5py
import numpy as np

from keras_resnet.arguments import invalid
from keras_resnet.atomic_files import write_atomically
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


def is_name(weights):
    """Whether `weights` names a weight set (rather than being None or a path)."""
    return isinstance(weights, str) and (weights == "imagenet" or (
        weights.startswith(SOURCES) and not os.path.exists(weights)))


def cache_dir():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "keras_resnet")


def catalogue():
    """{name: entry} of converters/pytorch_weights.json (torchvision's and timm's)."""
    with open(CATALOGUE) as f:
        return json.load(f)


def list_weights():
    """Every weight-set name, keras.applications' first."""
    return [f"keras:{n}" for n in KERAS_FILES] + sorted(catalogue())


def describe(name):
    """What a name stands for: {"depth", "options" (builder arguments the
    weights need), "classes", "resize", "crop", "preprocessing" (the in-model
    mode that takes raw 0..255 RGB pixels, or None where none exists),
    "sources" ({include_top: {"url", and "md5" or "sha256_prefix" where
    known}}), "info" (the catalogue entry)}."""
    if name.startswith("keras:") and name[6:] in KERAS_FILES:
        stem, top_md5, notop_md5 = KERAS_FILES[name[6:]]
        v2 = stem.endswith("v2")
        depth = int(stem[len("resnet"):].removesuffix("v2"))
        return {"depth": depth, "options": {"variant": "v2-keras" if v2 else "v1",
                                            **KERAS_OPTIONS},
                "classes": 1000, "resize": KERAS_RESIZE, "crop": KERAS_CROP,
                "preprocessing": "keras_v2" if v2 else None,
                "sources": {top: {"url": f"{KERAS_URL}{stem}_weights_tf_dim_ordering_tf_kernels"
                                         f"{'' if top else '_notop'}.h5",
                                  "md5": top_md5 if top else notop_md5}
                            for top in (True, False)},
                "info": {"architecture": f"keras.applications {name[6:]}"}}
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
    source = {"url": url}
    if name.startswith("torchvision:") and len(prefix) >= 8:
        source["sha256_prefix"] = prefix
    return {"depth": depth, "options": dict(options), "classes": 1000,
            "resize": entry["resize"], "crop": entry["crop"],
            "preprocessing": "torchvision",
            "sources": {True: source, False: source}, "info": entry}


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
    wanted = describe(name)
    if wanted["depth"] != depth:
        raise invalid("weights", name, f"weights of a {wanted['depth']}-layer network for "
                      f"this {depth}-layer constructor: use ResNet{wanted['depth']} "
                      "or the constructor named like the weights")
    merged = dict(kwargs)
    for key, value in wanted["options"].items():
        if merged.get(key) is None:
            merged[key] = value
        elif merged[key] != value:
            raise invalid(key, merged[key], f"{value!r} with weights={name!r}")
    for key, default in SHAPE_DEFAULTS.items():
        if merged.get(key, default) != wanted["options"].get(key, default):
            raise invalid("weights", name, f"weights of {wanted['info']['architecture']}, "
                          f"which has {key}={wanted['options'].get(key, default)}; this "
                          f"constructor builds {key}={merged.get(key, default)}")
    return merged


def load_into(model, name, include_top):
    """Fills `model` with the named weights (downloaded and converted when not
    cached), or raises ValueError naming the first layer that does not fit."""
    wanted = describe(name)
    if include_top and model.get_layer("predictions").units != wanted["classes"]:
        raise invalid("classes", model.get_layer("predictions").units,
                      f"{wanted['classes']} with weights={name!r} and include_top=True "
                      "(or include_top=False for a new head)")
    path = converted_file(name, include_top)
    with h5py.File(path, "r") as f:
        stored = {layer: [f[layer][str(i)][()] for i in range(len(f[layer]))] for layer in f}
    for layer in model.layers:
        if not layer.weights or layer.name == "preprocess":
            continue
        if layer.name not in stored:
            raise ValueError(f"weights={name!r} do not fit this model: they hold nothing for "
                             f"layer {layer.name!r}")
        values = stored[layer.name]
        shapes = [tuple(w.shape) for w in layer.weights]
        if [v.shape for v in values] != shapes:
            raise ValueError(f"weights={name!r} do not fit this model: layer {layer.name!r} "
                             f"needs shapes {shapes}, the weights hold "
                             f"{[v.shape for v in values]}")
        layer.set_weights(values)
    return model


def cached(name):
    """Whether converted weights of `name` are in the cache (no download needed)."""
    sources = describe(name)["sources"]
    return any(_existing_conversion(name, sources[top]) for top in (True, False))


def converted_file(name, include_top=True):
    """The cached converted weights of `name`, made (and the source fetched)
    when missing. Without the top, any cached conversion of the name serves."""
    wanted = describe(name)
    tops = (True,) if include_top else (False, True)
    for top in tops:  # a conversion made from an already fetched source
        path = _existing_conversion(name, wanted["sources"][top])
        if path:
            return path
    source = wanted["sources"][include_top]
    downloaded = fetch(name, source)
    digest = _sha256(downloaded)
    out = os.path.join(cache_dir(), "converted", f"{_safe(name)}-{digest[:16]}.h5")
    if not os.path.exists(out):
        layers = _convert(name, wanted, downloaded, include_top)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        write_atomically(out, lambda tmp: _save_layers(tmp, layers, name, source, digest),
                         suffix=".h5")
    return out


def _existing_conversion(name, source):
    """A cached conversion of `source` (recorded in the file; its source was
    verified when it was made), found without reading the source again."""
    pattern = os.path.join(cache_dir(), "converted", f"{glob.escape(_safe(name))}-*.h5")
    for path in sorted(glob.glob(pattern)):
        try:
            with h5py.File(path, "r") as f:
                if f.attrs.get("source_url") == source["url"]:
                    return path
        except OSError:  # unreadable: not a usable entry
            continue
    return None


def fetch(name, source):
    """The source file of `name` in the download cache, fetched with
    keras.utils.get_file into a staging folder, verified, then renamed."""
    path = _download_path(source)
    if os.path.exists(path):
        problem = _mismatch(path, source)
        if problem:
            raise ValueError(f"weights={name!r}: {path} does not have {problem} (a partial "
                             "or other file); delete it to download it again")
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    url = _mirrored(source["url"])
    staging = tempfile.mkdtemp(prefix=".fetch-", dir=os.path.dirname(path))
    try:
        import keras  # here, so that `describe` and `list_weights` need no Keras

        try:
            got = keras.utils.get_file(os.path.basename(path), url, cache_dir=staging,
                                       cache_subdir=".")
        except Exception as e:  # the network, the server, the disk: one clear line
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise RuntimeError(
                f"weights={name!r}: could not download {url} ({reason}); on a machine with "
                f"internet run `resnet weights fetch {name}` and copy {cache_dir()} "
                f"(KERAS_HOME) here, or place the file at {path}; or convert a checkpoint "
                "you have with `resnet convert`") from None
        problem = _mismatch(got, source)
        if problem:
            raise ValueError(f"weights={name!r}: the file from {url} does not have {problem} "
                             "(a truncated or other file); nothing was kept")
        os.replace(got, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def _mismatch(path, source):
    """None when `path` has the source's hash (or none is known), else what was expected."""
    if "md5" in source and _digest(path, "md5") != source["md5"]:
        return f"md5 {source['md5']}"
    if "sha256_prefix" in source and not _sha256(path).startswith(source["sha256_prefix"]):
        return f"a SHA-256 starting {source['sha256_prefix']}"
    return None


def _digest(path, algorithm):
    hasher = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _sha256(path):
    return _digest(path, "sha256")


def _download_path(source):
    parts = urllib.parse.urlsplit(source["url"]).path.strip("/").split("/")
    # timm: <repo>/resolve/main/model.safetensors → <repo>.safetensors
    fname = f"{parts[-4]}.safetensors" if parts[-1] == "model.safetensors" else parts[-1]
    return os.path.join(cache_dir(), "downloads", fname)


def _mirrored(url):
    mirror = os.environ.get("KERAS_RESNET_WEIGHTS_MIRROR")
    if not mirror:
        return url
    return mirror.rstrip("/") + urllib.parse.urlsplit(url).path


def _safe(name):
    return name.replace(":", "-").replace("/", "-")


def _convert(name, wanted, downloaded, include_top):
    """{layer name: [arrays]} of this library's model holding the source's weights."""
    if name.startswith("keras:"):
        import keras

        from keras_resnet.converters.keras_applications import from_keras_applications

        application = getattr(keras.applications, name[6:])(
            weights=downloaded, include_top=include_top,
            input_shape=(KERAS_CROP, KERAS_CROP, 3) if include_top else None)
        model = from_keras_applications(application)
    else:
        from keras_resnet.converters.pytorch import from_state_dict, load_state_dict

        model = from_state_dict(load_state_dict(downloaded), wanted["info"]["architecture"],
                                include_top=True)
    return {layer.name: layer.get_weights() for layer in model.layers if layer.weights}


def _save_layers(path, layers, name, source, digest):
    with h5py.File(path, "w") as f:
        f.attrs["weights"] = name
        f.attrs["source_url"] = source["url"]
        f.attrs["source_sha256"] = digest
        for layer, values in layers.items():
            group = f.create_group(layer)
            for i, value in enumerate(values):
                group.create_dataset(str(i), data=np.asarray(value))

