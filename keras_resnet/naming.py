"""The layer-naming scheme, in one place (keras.applications' scheme, so
weights map across by name). Every layer name may start with the model's
`layer_prefix` (default ""), so that two ResNets can live in one model.

- `input`, then `preprocess` when in-model preprocessing is on;
- stem: `conv1_conv`, `conv1_bn`, `conv1_relu` (ResNet-D: `conv1_1_*`..
  `conv1_3_*`), then `pool1_pad`, `pool1_pool` (ImageNet family);
- block B of stage S: `convS_blockB_<unit>_<kind>`, where unit 1..3 is on
  the residual branch and 0 the shortcut; kinds are `pad`, `conv`, `bn`,
  `relu`, `pool`; plus `_preact_bn/_preact_relu`, `_se_*`, `_drop_path`,
  `_add` and `_out`, the block's output. Stages are numbered from 2 (conv2..conv5
  for ImageNet, conv2..conv4 for CIFAR) as in the paper's Table 1;
- pre-activation nets end with `post_bn`, `post_relu`;
- head: `avg_pool` or `max_pool`, then `predictions`; a fine-tuning head
  (`keras_resnet.training.finetune`) may instead pool stages on grids,
  `grid_pool_C3`, `grid_pool_C4`, joined by `grid_features`.

The builder records each stage's layers and output while it builds
(`keras_resnet.network.StageRecord`); `parse` reads a name back only for
models saved without those records (files from before them, keras.applications
models) and for the converters, which map names unit by unit.
"""

import re
from dataclasses import dataclass

INPUT = "input"
PREPROCESS = "preprocess"
STEM = "conv1"
STEM_POOL = "pool1"
POST = "post"
POOLS = {"avg": "avg_pool", "max": "max_pool"}
PREDICTIONS = "predictions"
GRID_POOL = "grid_pool_"  # + the level: "grid_pool_C4"
GRID_FEATURES = "grid_features"


def stage_prefix(stage):
    """The start of every layer name in stage `stage` (2, 3, ...): "conv2_"."""
    return f"conv{stage}_"


def block_name(stage, block):
    """Block `block` (from 1) of stage `stage` (from 2): "conv2_block1"."""
    return f"conv{stage}_block{block}"


def level(stage):
    """The feature-map key of a stage: "C2" (its stride is 2**stage for ImageNet nets)."""
    return f"C{stage}"


@dataclass(frozen=True)
class LayerName:
    stage: int  # 1 for the stem, 2.. for the stages
    block: int  # 0 in the stem
    unit: int  # 0 shortcut, 1..3 branch (deep stem: conv 1..3); -1 for none
    kind: str  # "conv", "bn", "relu", "pad", "pool", "out", "add", "se_pool", ...


_BLOCK = re.compile(r"^conv(\d+)_block(\d+)_(?:(\d+)_)?([a-z_]+)$")
_STEM = re.compile(r"^conv1_(?:(\d+)_)?([a-z]+)$")


def parse(name, prefix=""):
    """The parts of a stem or block layer's name, or None for other layers."""
    if not name.startswith(prefix):
        return None
    name = name[len(prefix):]
    match = _BLOCK.match(name)
    if match:
        unit = -1 if match[3] is None else int(match[3])
        return LayerName(int(match[1]), int(match[2]), unit, match[4])
    match = _STEM.match(name)
    if match:
        return LayerName(1, 0, -1 if match[1] is None else int(match[1]), match[2])
    return None
