"""The one builder behind every ResNet constructor (`keras_resnet.models`):
arguments checked, then the graph of a depth-table row built layer by layer."""

import contextlib
import math
import sys

import keras
from keras import layers

from keras_resnet.arguments import check_choice, check_number, invalid
from keras_resnet.blocks import BlockOptions, residual_block, stem
from keras_resnet.cpu import ONEDNN_VARIABLE, onednn_state
from keras_resnet.preprocessing import normalization_layer
from keras_resnet.specs import (FAMILY_VARIANTS, SPECS, VARIANTS, NetSpec,
                                graph_recursion_limit, wide_spec)
from keras_resnet.units import Units, is_mixed
from keras_resnet.weights import load_weights

POOLINGS = (None, "avg", "max")
DATA_FORMATS = ("channels_last", "channels_first")


def check_depth(depth):
    """Raises ValueError unless `depth` is a row of the depth table."""
    if depth not in SPECS:
        raise invalid("depth", depth, ", ".join(str(d) for d in sorted(SPECS)))


def build_resnet(depth, **kwargs):
    """The ResNet of a depth in the depth table, with `weights` None or a file
    (`keras_resnet.ResNet` also takes named weights); see it for the arguments."""
    check_depth(depth)
    spec = SPECS[depth]
    variant = kwargs.get("variant") or FAMILY_VARIANTS[spec.family][0]
    suffix = "" if variant == FAMILY_VARIANTS[spec.family][0] else "_" + str(variant)
    default_name = f"resnet{depth}{suffix}".replace(".", "_").replace("-", "_")
    return build(spec, default_name, **kwargs)


def build_wide_resnet(depth, width, **kwargs):
    """Wide ResNet WRN-depth-width; see `keras_resnet.WideResNet`."""
    check_number("depth", depth, low=10, integer=True)
    if (depth - 4) % 6:
        raise invalid("depth", depth, "6n+4 with n >= 1 (10, 16, 22, 28, 40, ...)")
    check_number("width", width, low=0, low_open=True)
    kwargs.setdefault("variant", "v2")
    kwargs.setdefault("shortcut", "B")
    return build(wide_spec(depth), f"wrn{depth}_{width}", width_factor=width, **kwargs)


def build(spec: NetSpec, default_name, *, include_top=True, weights=None,
          input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name=None, variant=None,
          shortcut=None, width_factor=1, groups=1, width_per_group=64,
          se_ratio=None, drop_path_rate=0.0, zero_init_residual=False,
          bn_momentum=0.9, bn_epsilon=1e-5, bn_synchronized=False, batch_norm=True,
          preprocessing=None,
          data_format=None, dtype=None, seed=None):
    """Builds the network of `spec`; see `keras_resnet.ResNet` for the arguments."""
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
    if data_format == "channels_first":
        _check_channels_first_runs()
    if weights is not None and not isinstance(weights, str):
        raise invalid("weights", weights, "None, 'imagenet', a weights name or the path "
                      "of a .weights.h5/.keras file")
    if weights == "imagenet":  # keras_resnet.ResNet maps its own names before this
        raise invalid("weights", weights, "None or a path for this network; 'imagenet' "
                      "only for ResNet50/101/152")

    stage_strides = (1, 2, 2, 2) if imagenet else (1, 2, 2)
    if v.keras_layout:  # downsampling at the end of stages 2-4 instead
        stage_strides = (2, 2, 2, 1)
    total_stride = (4 if imagenet else 1) * math.prod(stage_strides)
    inputs, x = _inputs(input_tensor, input_shape, include_top, data_format,
                        total_stride, default_size=224 if imagenet else 32)

    u = Units(data_format, dtype, bn_momentum, bn_epsilon, bool(bn_synchronized), batch_norm)
    opt = BlockOptions(v, shortcut, width_factor, groups, width_per_group,
                       se_ratio, zero_init_residual, seed)
    if preprocessing is not None:
        x = normalization_layer(preprocessing, u.channels(x), u.channel_axis, dtype)(x)
    x = stem(u, v, spec.family, x)
    x = _stages(u, opt, spec, x, stage_strides, drop_path_rate)
    if v.preact:
        x = u.bn_relu(x, "post")
    x = _head(x, u, include_top, pooling, classes, classifier_activation)

    with _recursion_limit(graph_recursion_limit(spec)):
        model = keras.Model(inputs, x, name=name or default_name)
    if weights is not None:
        load_weights(model, weights)
    return model


def _check_channels_first_runs():
    """TensorFlow has NCHW convolutions on CPU only in its oneDNN kernels:
    without them (and without a GPU) the model would fail at its first call."""
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU") and not onednn_state()["enabled"]:
        raise invalid("data_format", "channels_first", "'channels_last' here: TensorFlow "
                      "runs NCHW convolutions on CPU only with its oneDNN kernels, which are "
                      f"off in this process (set {ONEDNN_VARIABLE}=1 before TensorFlow is "
                      "imported, or use the JAX or PyTorch backend)")


@contextlib.contextmanager
def _recursion_limit(limit):
    """Python's recursion limit raised to at least `limit` inside the block
    only: a library must not change it for the whole process (see
    `specs.graph_recursion_limit`; loading or cloning ResNet-1202 later needs
    the caller to raise it, as the `resnet` command does)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _inputs(input_tensor, input_shape, include_top, data_format, total_stride, default_size):
    if input_shape is None:
        if input_tensor is not None:
            input_shape = tuple(input_tensor.shape[1:])
        else:
            size = default_size if include_top else None
            input_shape = (size, size, 3)
            if data_format == "channels_first":
                input_shape = (3, size, size)
    input_shape = tuple(input_shape)
    channels_last = data_format == "channels_last"
    if len(input_shape) != 3:
        raise invalid("input_shape", input_shape, "(height, width, channels)"
                      if channels_last else "(channels, height, width)")
    channels = input_shape[-1] if channels_last else input_shape[0]
    spatial = input_shape[:2] if channels_last else input_shape[1:]
    if not isinstance(channels, int) or channels < 1:
        raise invalid("input_shape", input_shape, "a known channel count >= 1")
    if include_top and None in spatial:
        raise invalid("input_shape", input_shape, "fixed height and width with "
                      "include_top=True (None is allowed only with include_top=False)")
    for size in spatial:
        if size is not None and size < total_stride:
            raise invalid("input_shape", input_shape, f"height and width of at least "
                          f"{total_stride} (the network's total stride), or None")
    if input_tensor is None:
        inputs = keras.Input(input_shape, name="input")
        return inputs, inputs
    if not keras.backend.is_keras_tensor(input_tensor):
        inputs = keras.Input(tensor=input_tensor, shape=input_shape, name="input")
        return inputs, inputs
    return keras.utils.get_source_inputs(input_tensor), input_tensor


def _stages(u, opt, spec, x, stage_strides, drop_path_rate):
    total_blocks = sum(spec.blocks)
    index = 0
    for stage, (blocks, base, stride) in enumerate(
            zip(spec.blocks, spec.filters, stage_strides), start=2):
        filters = round(base * opt.width_factor) if spec.block == "basic" else base
        out_channels = filters * (4 if spec.block == "bottleneck" else 1)
        for b in range(blocks):
            if opt.variant.keras_layout:
                strides = stride if b == blocks - 1 else 1
                project = b == 0
            else:
                strides = stride if b == 0 else 1
                project = strides != 1 or u.channels(x) != out_channels
            rate = drop_path_rate * index / max(total_blocks - 1, 1)
            x = residual_block(u, opt, x, spec.block, filters, strides, project,
                               rate, name=f"conv{stage}_block{b + 1}")
            index += 1
    return x


def _head(x, u, include_top, pooling, classes, classifier_activation):
    if include_top or pooling:
        pool = layers.GlobalMaxPooling2D if pooling == "max" else layers.GlobalAveragePooling2D
        x = pool(data_format=u.data_format, dtype=u.dtype,
                 name="max_pool" if pooling == "max" else "avg_pool")(x)
    if include_top:
        head_dtype = "float32" if is_mixed(u.dtype) else u.dtype
        x = layers.Dense(classes, activation=classifier_activation, dtype=head_dtype,
                         name="predictions")(x)
    return x
