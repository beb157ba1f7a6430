"""ResNets of every depth for Keras 3: one builder, a depth table, named constructors.

Layer names (stable, part of the API; weights load and features are found by
them), following keras.applications:

- `input`, then `preprocess` when in-model preprocessing is on;
- stem: `conv1_conv`, `conv1_bn`, `conv1_relu` (ResNet-D: `conv1_1_*`..
  `conv1_3_*`), then `pool1_pad`, `pool1_pool` (ImageNet family);
- block B of stage S: `convS_blockB_<unit>_<kind>`, where unit 1..3 is on
  the residual branch and 0 the shortcut; kinds are `pad`, `conv`, `bn`,
  `relu`, `pool`; plus `_preact_bn/_preact_relu`, `_se_*`, `_drop_path`,
  `_add` and `_out`, the block's output. Stages are numbered from 2 (conv2..conv5
  for ImageNet, conv2..conv4 for CIFAR) as in the paper's Table 1;
- pre-activation nets end with `post_bn`, `post_relu`;
- head: `avg_pool` or `max_pool`, then `predictions`.
"""

from keras_resnet.builder import ResNet, WideResNet
from keras_resnet.converters.keras_applications import from_keras_applications
from keras_resnet.features import feature_layers, feature_model
from keras_resnet.layers import DropPath, ZeroPadShortcut
from keras_resnet.macs import count_macs
from keras_resnet.models import *  # noqa: F401,F403 (the named constructors)
from keras_resnet.models import __all__ as _named
from keras_resnet.models import list_models
from keras_resnet.preprocessing import decode_predictions, preprocess_input
from keras_resnet.pretrained import list_weights
from keras_resnet.weights import load_weights

__version__ = "0.1.0"

__all__ = [
    "ResNet", "WideResNet", "list_models", "list_weights", *_named,
    "feature_model", "feature_layers", "count_macs", "from_keras_applications",
    "load_weights", "preprocess_input", "decode_predictions", "ZeroPadShortcut", "DropPath",
]
