"""The cache of named weights: each source file downloaded once (or through
a mirror), verified against its hash, converted to this library's layer
names, and kept.

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
import os
import shutil
import tempfile
import urllib.parse

import h5py
import numpy as np

from keras_resnet.atomic_files import write_atomically
from keras_resnet.weights_registry import KERAS_CROP, weights_entry


def cache_dir():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "keras_resnet")


def cached(name):
    """Whether converted weights of `name` are in the cache (no download needed)."""
    sources = weights_entry(name).sources
    return any(_existing_conversion(name, sources[top]) for top in (True, False))


def converted_file(name, include_top=True):
    """The cached converted weights of `name`, made (and the source fetched)
    when missing. Without the top, any cached conversion of the name serves."""
    wanted = weights_entry(name)
    tops = (True,) if include_top else (False, True)
    for top in tops:  # a conversion made from an already fetched source
        path = _existing_conversion(name, wanted.sources[top])
        if path:
            return path
    source = wanted.sources[include_top]
    downloaded = fetch(name, source)
    digest = _sha256(downloaded)
    out = os.path.join(cache_dir(), "converted", f"{_safe(name)}-{digest[:16]}.h5")
    if not os.path.exists(out):
        layers = _convert(wanted, downloaded, include_top)
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
                if f.attrs.get("source_url") == source.url:
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
    url = _mirrored(source.url)
    staging = tempfile.mkdtemp(prefix=".fetch-", dir=os.path.dirname(path))
    try:
        import keras  # here: the registry and the cache check need no Keras

        try:
            got = keras.utils.get_file(os.path.basename(path), url, cache_dir=staging,
                                       cache_subdir=".")
        except Exception as e:  # the network, the server, the disk: one clear line
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise RuntimeError(
                f"weights={name!r}: could not download {url} ({reason}); on a machine with "
                f"internet run `resnet weights fetch {name}` and copy {cache_dir()} "
                f"(KERAS_HOME) here, or place the file at {path}; or convert a checkpoint "
                "you have with `resnet import-weights`") from None
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
    if source.md5 and _digest(path, "md5") != source.md5:
        return f"md5 {source.md5}"
    if source.sha256_prefix and not _sha256(path).startswith(source.sha256_prefix):
        return f"a SHA-256 starting {source.sha256_prefix}"
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
    parts = urllib.parse.urlsplit(source.url).path.strip("/").split("/")
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


def _convert(wanted, downloaded, include_top):
    """{layer name: [arrays]} of this library's model holding the source's weights."""
    if wanted.converter == "keras_applications":
        import keras

        from keras_resnet.converters.keras_applications import from_keras_applications

        application = getattr(keras.applications, wanted.name[len("keras:"):])(
            weights=downloaded, include_top=include_top,
            input_shape=(KERAS_CROP, KERAS_CROP, 3) if include_top else None)
        model = from_keras_applications(application)
    else:
        from keras_resnet.converters.pytorch import from_state_dict, load_state_dict

        model = from_state_dict(load_state_dict(downloaded), wanted.architecture,
                                include_top=True)
    return {layer.name: layer.get_weights() for layer in model.layers if layer.weights}


def _save_layers(path, layers, name, source, digest):
    with h5py.File(path, "w") as f:
        f.attrs["weights"] = name
        f.attrs["source_url"] = source.url
        f.attrs["source_sha256"] = digest
        for layer, values in layers.items():
            group = f.create_group(layer)
            for i, value in enumerate(values):
                group.create_dataset(str(i), data=np.asarray(value))

