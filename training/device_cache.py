"""The cache of measured device decisions, `$KERAS_RESNET_CACHE/device_defaults.json`
(default `~/.cache/keras3-resnet`): {device kind: decision}, written by
`resnet calibrate`, read when a run resolves its "auto" settings."""

import json
import os

from filelock import FileLock

from keras_resnet.atomic_files import write_json
from keras_resnet.cpu import cache_file


def read_cache(path=None):
    """{kind: entry}; empty when there is no cache or it is unreadable."""
    try:
        with open(path or cache_file()) as f:
            cache = json.load(f)
        return cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):  # none yet, or unreadable: nothing cached
        return {}


def store(kind, entry):
    """Sets `kind`'s entry, other kinds' kept (under a lock, written atomically)."""
    path = cache_file()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with FileLock(path + ".lock"):
        cache = read_cache(path)
        cache[kind] = entry
        write_json(path, cache)
