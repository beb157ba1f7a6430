"""ResNets of every depth for Keras 3: one builder, a depth table, named constructors.

Layer names are stable and part of the API (keras.applications' scheme):
`keras_resnet.naming` states it. Each model also carries its architecture
and a record of each stage (`keras_resnet.network`), which feature
extraction, fine-tuning and the converters use.

The namespace also holds `keras_resnet.training`, `.export`, `.edge` (no
TensorFlow), `.experiments` and `.cli`. So that those can be imported without
Keras, this module loads the model API on first use (`keras_resnet.ResNet50`
imports Keras then), and registers the library's layers with Keras as soon as
Keras is loaded: `import keras_resnet` is all a script that loads a saved
model needs, before or after `import keras`.
"""

import importlib
import importlib.abc
import importlib.util
import sys

from keras_resnet.models import *  # noqa: F401,F403 (named constructors; Keras loads on a call)
from keras_resnet.models import __all__ as _named
from keras_resnet.models import ResNet, WideResNet, list_models

__version__ = "0.1.0"

# The rest of the public API: name → the module (under keras_resnet) defining it.
_LAZY = {
    "feature_model": "features", "feature_layers": "features",
    "count_macs": "macs",
    "from_keras_applications": "converters.keras_applications",
    "load_weights": "weights", "list_weights": "weights_registry",
    "preprocess_input": "preprocessing", "decode_predictions": "preprocessing",
    "ZeroPadShortcut": "layers", "DropPath": "layers", "GridPooling2D": "layers",
    "BatchNormalization": "layers",
    "ResNetModel": "network", "stage_records": "network", "Architecture": "architecture",
}

__all__ = ["ResNet", "WideResNet", "list_models", *_named, *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'keras_resnet' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"keras_resnet.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_LAZY})


class _RegisterAfterKeras(importlib.abc.MetaPathFinder):
    """Finds `keras` so that loading it ends by importing `keras_resnet.layers`
    (whose classes register with Keras on import). A look-up that loads
    nothing (TensorFlow probes for Keras) leaves the finder in place."""

    _finding = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" or self._finding:
            return None
        self._finding = True
        try:
            spec = importlib.util.find_spec("keras")
        finally:
            self._finding = False
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            load(module)
            importlib.import_module("keras_resnet.layers")

        spec.loader.exec_module = exec_module
        return spec


if "keras" in sys.modules:
    importlib.import_module("keras_resnet.layers")
elif not any(isinstance(f, _RegisterAfterKeras) for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterAfterKeras())
