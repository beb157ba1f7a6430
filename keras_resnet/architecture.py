"""A network as data: `Architecture`, every setting the builder needs,
checked once, stored with the model (its `get_config`) and read back.

`Architecture.create(spec, default_name, **arguments)` turns `ResNet`'s
keyword arguments into one; the builder (`keras_resnet.builder.build`)
works from it alone.
"""

import dataclasses
import inspect
import math
from dataclasses import dataclass

import keras

from keras_resnet.arguments import check_choice, check_number, invalid
from keras_resnet.specs import FAMILY_VARIANTS, VARIANTS, NetSpec

POOLINGS = (None, "avg", "max")
DATA_FORMATS = ("channels_last", "channels_first")


@dataclass(frozen=True)
class Architecture:
    # The depth-table row.
    family: str  # "imagenet" or "cifar"
    block: str  # "basic" or "bottleneck"
    blocks: tuple  # blocks per stage
    widths: tuple  # base width of each stage (a bottleneck outputs 4× it)
    strides: tuple  # stride of each stage
    # The variant and its options.
    variant: str
    shortcut: str  # "A", "B" or "none"
    groups: int = 1
    width_per_group: float = 64  # bottleneck inner width = width × width_per_group / 64 × groups
    se_ratio: float = None
    drop_path_rate: float = 0.0
    zero_init_residual: bool = False
    bn_momentum: float = 0.9
    bn_epsilon: float = 1e-5
    bn_synchronized: bool = False
    batch_norm: bool = True
    preprocessing: object = None
    # Input, head and layers.
    input_shape: tuple = None
    include_top: bool = True
    pooling: str = None
    classes: int = 1000
    classifier_activation: object = "softmax"
    data_format: str = "channels_last"
    dtype: str = None
    name: str = "resnet"
    layer_prefix: str = ""
    seed: int = None

    @property
    def total_stride(self):
        """The stride of the last stage's output relative to the input."""
        return (4 if self.family == "imagenet" else 1) * math.prod(self.strides)

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, config):
        tuples = ("blocks", "widths", "strides", "input_shape")
        return cls(**{k: tuple(v) if k in tuples and v is not None else v
                      for k, v in config.items()})

    @classmethod
    def create(cls, spec: NetSpec, default_name, *, include_top=True, input_shape=None,
               pooling=None, classes=1000, classifier_activation="softmax", name=None,
               variant=None, shortcut=None, width_factor=1, groups=1, width_per_group=64,
               se_ratio=None, drop_path_rate=0.0, zero_init_residual=False,
               bn_momentum=0.9, bn_epsilon=1e-5, bn_synchronized=False, batch_norm=True,
               preprocessing=None, data_format=None, dtype=None, layer_prefix="",
               seed=None):
        """The architecture of depth-table row `spec` with `ResNet`'s arguments,
        each checked (ValueError naming the argument); see `keras_resnet.ResNet`."""
        imagenet = spec.family == "imagenet"
        variant = variant or FAMILY_VARIANTS[spec.family][0]
        check_choice("variant", variant, FAMILY_VARIANTS[spec.family])
        v = VARIANTS[variant]
        if v.keras_layout and spec.block != "bottleneck":
            raise invalid("variant", variant, "'v2-keras' only with bottleneck depths (50+)")
        shortcut = shortcut or ("B" if imagenet else "A")
        check_choice("shortcut", shortcut, ("A", "B", "none"))
        if shortcut == "A" and (v.avg_down or v.keras_layout):
            raise invalid("shortcut", shortcut, f"'B' for variant {variant!r}")
        if shortcut == "none":
            default_name = default_name.replace("resnet", "plain", 1)
            if drop_path_rate or zero_init_residual:
                raise invalid("(drop_path_rate, zero_init_residual)",
                              (drop_path_rate, zero_init_residual),
                              "(0, False) for a plain network: both act on residual branches")
        check_choice("batch_norm", batch_norm, (True, False))
        if not batch_norm and zero_init_residual:
            raise invalid("zero_init_residual", zero_init_residual, "False without BatchNorm")
        check_choice("pooling", pooling, POOLINGS)
        check_number("classes", classes, low=1, integer=True)
        check_number("width_factor", width_factor, low=0, low_open=True)
        check_number("groups", groups, low=1, integer=True)
        check_number("width_per_group", width_per_group, low=1, integer=True)
        if spec.block == "basic" and (groups, width_per_group) != (1, 64) or (
                spec.block == "basic" and imagenet and width_factor != 1):
            raise invalid("(groups, width_per_group, width_factor)",
                          (groups, width_per_group, width_factor), "(1, 64, 1) for "
                          "basic blocks (width_factor may change only for CIFAR nets)")
        if se_ratio is not None:
            check_number("se_ratio", se_ratio, low=0, high=1, low_open=True)
        check_number("drop_path_rate", drop_path_rate, low=0, high=1, high_open=True)
        check_number("bn_momentum", bn_momentum, low=0, high=1, high_open=True)
        check_number("bn_epsilon", bn_epsilon, low=0, low_open=True)
        data_format = data_format or keras.config.image_data_format()
        check_choice("data_format", data_format, DATA_FORMATS)
        if not isinstance(layer_prefix, str):
            raise invalid("layer_prefix", layer_prefix, "a string (every layer name starts "
                          "with it)")

        # width_factor widens the stages of a basic-block net and the inside
        # of a bottleneck (torchvision's wide_resnet50_2 is width_per_group=128).
        if spec.block == "basic":
            widths = tuple(round(w * width_factor) for w in spec.filters)
        else:
            widths, width_per_group = spec.filters, width_per_group * width_factor
        strides = (1, 2, 2, 2) if imagenet else (1, 2, 2)
        if v.keras_layout:  # downsampling at the end of stages 2-4 instead
            strides = (2, 2, 2, 1)
        if dtype is not None and not isinstance(dtype, str):
            dtype = keras.dtype_policies.get(dtype).name
        if callable(classifier_activation):
            classifier_activation = keras.activations.serialize(classifier_activation)
        return cls(
            family=spec.family, block=spec.block, blocks=tuple(spec.blocks), widths=widths,
            strides=strides, variant=variant, shortcut=shortcut, groups=groups,
            width_per_group=width_per_group, se_ratio=se_ratio,
            drop_path_rate=drop_path_rate, zero_init_residual=zero_init_residual,
            bn_momentum=bn_momentum, bn_epsilon=bn_epsilon,
            bn_synchronized=bool(bn_synchronized), batch_norm=batch_norm,
            preprocessing=preprocessing,
            input_shape=None if input_shape is None else tuple(input_shape),
            include_top=include_top, pooling=pooling, classes=classes,
            classifier_activation=classifier_activation, data_format=data_format,
            dtype=dtype, name=name or default_name, layer_prefix=layer_prefix, seed=seed)


def argument_names():
    """The keyword arguments `Architecture.create` takes."""
    parameters = inspect.signature(Architecture.create).parameters.values()
    return tuple(p.name for p in parameters if p.kind == p.KEYWORD_ONLY)
