"""The model class: a functional Keras model that carries its architecture
and the records of its stages, made while it was built and saved with it.

`stage_records(model)` is how the rest of the project finds a network's
structure (feature maps, fine-tuning's freezing, the converters, the model
table): from the records when the model has them, else read back from the
layer names (`keras_resnet.naming`) for models saved before records existed.
"""

import dataclasses
from dataclasses import dataclass

import keras

from keras_resnet import naming
from keras_resnet.architecture import Architecture
from keras_resnet.arguments import invalid


@dataclass(frozen=True)
class StageRecord:
    level: str  # "stem", then "C2", "C3", ... (keras-hub's pyramid keys)
    prefixes: tuple  # every layer of the stage has a name starting with one of these
    output: str  # the name of the layer whose output is the stage's output
    channels: int
    stride: int  # of the output, relative to the input
    blocks: int = 0  # residual blocks in the stage

    def owns(self, layer_name):
        return layer_name.startswith(self.prefixes)


@keras.saving.register_keras_serializable(package="keras_resnet")
class ResNetModel(keras.Model):
    """A functional ResNet with `architecture` (an `Architecture`) and
    `stage_records` (one `StageRecord` for the stem and each stage)."""

    def __init__(self, *args, architecture=None, stages=(), dtype=None, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(architecture, dict):
            architecture = Architecture.from_dict(architecture)
        # The model's own policy (functional models ignore `dtype`): under
        # mixed_float16, compile() wraps the optimizer in loss scaling.
        dtype = dtype or (architecture and architecture.dtype)
        if dtype:
            self.dtype_policy = dtype
        self._architecture = architecture
        self._stage_records = tuple(
            s if isinstance(s, StageRecord) else StageRecord(**{**s, "prefixes": tuple(
                s["prefixes"])}) for s in stages)

    @property
    def architecture(self):
        return self._architecture

    @property
    def stage_records(self):
        return self._stage_records

    @property
    def pyramid_outputs(self):
        """{"C2": tensor, ...}: each stage's output (keras-hub's name)."""
        return {r.level: self.get_layer(r.output).output
                for r in self._stage_records if r.level != "stem"}

    def get_config(self):
        return {**super().get_config(),
                "architecture": self._architecture and self._architecture.to_dict(),
                "stages": [dataclasses.asdict(r) for r in self._stage_records]}


def stage_records(model):
    """The stem's and stages' records of a keras_resnet model (ValueError for
    another model)."""
    records = getattr(model, "stage_records", None)
    if records:
        return records
    return _records_from_names(model)


def layer_prefix(model):
    """The prefix of every layer name of a keras_resnet model ("" by default)."""
    architecture = getattr(model, "architecture", None)
    return architecture.layer_prefix if architecture else ""


def is_shortcut(layer_name, prefix=""):
    """True for a layer on a block's shortcut (unit 0) rather than its branch."""
    parsed = naming.parse(layer_name, prefix)
    return bool(parsed) and parsed.stage > 1 and parsed.unit == 0


def _records_from_names(model):
    """Records read back from layer names (no prefix), for a model saved
    without them or one with the same scheme (keras.applications')."""
    blocks, names = {}, {layer.name for layer in model.layers}
    for name in names:
        parsed = naming.parse(name)
        if parsed and parsed.stage > 1 and parsed.kind == "out":
            blocks[parsed.stage] = max(blocks.get(parsed.stage, 0), parsed.block)
    if not blocks:
        raise invalid("model", model.name, "a keras_resnet model (layers named "
                      "conv<stage>_block<block>_out)")
    stem = [layer.name for layer in model.layers
            if (parsed := naming.parse(layer.name)) and parsed.stage == 1]
    pool = f"{naming.STEM_POOL}_pool"
    outputs = [("stem", (naming.STEM + "_", naming.STEM_POOL + "_"),
                pool if pool in names else stem[-1], 0)]
    for stage in sorted(blocks):
        output = f"{naming.block_name(stage, blocks[stage])}_out"
        prefixes = (naming.stage_prefix(stage),)
        if stage == max(blocks) and f"{naming.POST}_relu" in names:
            output, prefixes = f"{naming.POST}_relu", prefixes + (naming.POST + "_",)
        outputs.append((naming.level(stage), prefixes, output, blocks[stage]))
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    channels_last = convs[0].data_format == "channels_last"
    input_size = model.input_shape[1 if channels_last else 2]
    records = []
    for level, prefixes, output, count in outputs:
        shape = model.get_layer(output).output.shape
        size = shape[1 if channels_last else 2]
        stride = input_size // size if size and input_size else 0
        channels = shape[-1 if channels_last else 1]
        records.append(StageRecord(level, prefixes, output, int(channels), stride, count))
    return tuple(records)
