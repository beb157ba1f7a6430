"""The one builder behind every ResNet constructor (`keras_resnet.models`):
arguments checked into an `Architecture`, then its graph built layer by
layer, each stage recorded as it is built."""

import contextlib
import dataclasses
import sys

import keras
from keras import layers

from keras_resnet import naming
from keras_resnet.architecture import Architecture, argument_names
from keras_resnet.arguments import check_number, invalid
from keras_resnet.blocks import BlockOptions, residual_block, stem
from keras_resnet.cpu import ONEDNN_VARIABLE, onednn_state
from keras_resnet.network import ResNetModel, StageRecord
from keras_resnet.preprocessing import normalization_layer
from keras_resnet.specs import (FAMILY_VARIANTS, SPECS, VARIANTS, NetSpec,
                                graph_recursion_limit, wide_spec)
from keras_resnet.units import Units, is_mixed
from keras_resnet.weights import load_weights


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
    return build_from_arguments(spec, default_name, **kwargs)


def build_wide_resnet(depth, width, **kwargs):
    """Wide ResNet WRN-depth-width; see `keras_resnet.WideResNet`."""
    check_number("depth", depth, low=10, integer=True)
    if (depth - 4) % 6:
        raise invalid("depth", depth, "6n+4 with n >= 1 (10, 16, 22, 28, 40, ...)")
    check_number("width", width, low=0, low_open=True)
    kwargs.setdefault("variant", "v2")
    kwargs.setdefault("shortcut", "B")
    return build_from_arguments(wide_spec(depth), f"wrn{depth}_{width}",
                                width_factor=width, **kwargs)


def build_from_arguments(spec: NetSpec, default_name, *, weights=None, input_tensor=None,
                         **arguments):
    """`build` of the `Architecture` that `ResNet`'s keyword `arguments` describe."""
    unknown = sorted(set(arguments) - set(argument_names()))
    if unknown:
        raise invalid("argument", unknown[0], "the arguments of keras_resnet.ResNet: "
                      + ", ".join(("weights", "input_tensor", *argument_names())))
    if weights is not None and not isinstance(weights, str):
        raise invalid("weights", weights, "None, 'imagenet', a weights name or the path "
                      "of a .weights.h5/.keras file")
    if weights == "imagenet":  # keras_resnet.ResNet maps its own names before this
        raise invalid("weights", weights, "None or a path for this network; 'imagenet' "
                      "only for ResNet50/101/152")
    if arguments.get("input_shape") is None and input_tensor is not None:
        arguments["input_shape"] = tuple(input_tensor.shape[1:])
    return build(Architecture.create(spec, default_name, **arguments), weights, input_tensor)


def build(arch: Architecture, weights=None, input_tensor=None):
    """The `ResNetModel` of `arch`, recording its stages while it builds."""
    if arch.data_format == "channels_first":
        _check_channels_first_runs()
    imagenet = arch.family == "imagenet"
    v = VARIANTS[arch.variant]
    p = arch.layer_prefix
    inputs, x = _inputs(arch, input_tensor, default_size=224 if imagenet else 32)
    u = Units(arch.data_format, arch.dtype, arch.bn_momentum, arch.bn_epsilon,
              arch.bn_synchronized, arch.batch_norm)
    opt = BlockOptions(v, arch.shortcut, arch.groups, arch.width_per_group,
                       arch.se_ratio, arch.zero_init_residual, arch.seed)
    if arch.preprocessing is not None:
        x = normalization_layer(arch.preprocessing, u.channels(x), u.channel_axis,
                                arch.dtype, name=p + naming.PREPROCESS)(x)
    x = stem(u, v, arch.family, x, p)
    stride = 4 if imagenet else 1
    records = [StageRecord("stem", (p + naming.STEM + "_", p + naming.STEM_POOL + "_"),
                           _layer_name(x), u.channels(x), stride)]
    x, records = _stages(u, opt, arch, x, records)
    if v.preact:
        x = u.bn_relu(x, p + naming.POST)
        records[-1] = dataclasses.replace(records[-1], output=_layer_name(x),
                                          prefixes=records[-1].prefixes + (p + naming.POST + "_",))
    x = _head(x, u, arch)

    with _recursion_limit(graph_recursion_limit(arch)):
        model = ResNetModel(inputs, x, name=arch.name, dtype=arch.dtype, architecture=arch,
                            stages=records)
    if weights is not None:
        load_weights(model, weights)
    return model


def _layer_name(tensor):
    """The name of the layer that made a symbolic tensor."""
    return tensor._keras_history.operation.name


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


def _inputs(arch, input_tensor, default_size):
    input_shape = arch.input_shape
    if input_shape is None:
        size = default_size if arch.include_top else None
        input_shape = (size, size, 3)
        if arch.data_format == "channels_first":
            input_shape = (3, size, size)
    channels_last = arch.data_format == "channels_last"
    if len(input_shape) != 3:
        raise invalid("input_shape", input_shape, "(height, width, channels)"
                      if channels_last else "(channels, height, width)")
    channels = input_shape[-1] if channels_last else input_shape[0]
    spatial = input_shape[:2] if channels_last else input_shape[1:]
    if not isinstance(channels, int) or channels < 1:
        raise invalid("input_shape", input_shape, "a known channel count >= 1")
    if arch.include_top and None in spatial:
        raise invalid("input_shape", input_shape, "fixed height and width with "
                      "include_top=True (None is allowed only with include_top=False)")
    for size in spatial:
        if size is not None and size < arch.total_stride:
            raise invalid("input_shape", input_shape, f"height and width of at least "
                          f"{arch.total_stride} (the network's total stride), or None")
    name = arch.layer_prefix + naming.INPUT
    if input_tensor is None:
        inputs = keras.Input(input_shape, name=name)
        return inputs, inputs
    if not keras.backend.is_keras_tensor(input_tensor):
        inputs = keras.Input(tensor=input_tensor, shape=input_shape, name=name)
        return inputs, inputs
    return keras.utils.get_source_inputs(input_tensor), input_tensor


def _stages(u, opt, arch, x, records):
    """The residual stages, and `records` with one more per stage."""
    total_blocks = sum(arch.blocks)
    index, stride = 0, records[-1].stride
    for stage, (blocks, filters, stage_stride) in enumerate(
            zip(arch.blocks, arch.widths, arch.strides), start=2):
        out_channels = filters * (4 if arch.block == "bottleneck" else 1)
        for b in range(blocks):
            if opt.variant.keras_layout:
                strides = stage_stride if b == blocks - 1 else 1
                project = b == 0
            else:
                strides = stage_stride if b == 0 else 1
                project = strides != 1 or u.channels(x) != out_channels
            rate = arch.drop_path_rate * index / max(total_blocks - 1, 1)
            x = residual_block(u, opt, x, arch.block, filters, strides, project, rate,
                               name=arch.layer_prefix + naming.block_name(stage, b + 1))
            index += 1
        stride *= stage_stride
        records.append(StageRecord(naming.level(stage),
                                   (arch.layer_prefix + naming.stage_prefix(stage),),
                                   _layer_name(x), out_channels, stride, blocks))
    return x, records


def _head(x, u, arch):
    p = arch.layer_prefix
    if arch.include_top or arch.pooling:
        pooling = "max" if arch.pooling == "max" else "avg"
        pool = layers.GlobalMaxPooling2D if pooling == "max" else layers.GlobalAveragePooling2D
        x = pool(data_format=u.data_format, dtype=u.dtype, name=p + naming.POOLS[pooling])(x)
    if arch.include_top:
        head_dtype = "float32" if is_mixed(u.dtype) else u.dtype
        x = layers.Dense(arch.classes, activation=arch.classifier_activation,
                         dtype=head_dtype, name=p + naming.PREDICTIONS)(x)
    return x
