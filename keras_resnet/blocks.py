"""Residual blocks and stems, built from `Units`, named as
`keras_resnet.naming` says."""

from dataclasses import dataclass

from keras import layers

from keras_resnet import naming
from keras_resnet.layers import DropPath, ZeroPadShortcut
from keras_resnet.specs import Variant
from keras_resnet.units import Units


@dataclass
class BlockOptions:
    variant: Variant
    shortcut: str  # "A" (zero padding), "B" (projection) or "none" (a plain net)
    groups: int = 1
    width_per_group: float = 64
    se_ratio: float = None
    zero_init_residual: bool = False
    seed: int = None


def residual_block(u: Units, opt: BlockOptions, x, block, filters, strides,
                   project, drop_rate, name):
    """One residual block; `block` is "basic" or "bottleneck".

    `filters` is the block's base width (a bottleneck outputs 4× it), `project`
    whether the shortcut must change shape, `drop_rate` its stochastic depth.
    """
    v = opt.variant
    branch_input = u.bn_relu(x, f"{name}_preact") if v.preact else x
    if block == "basic":
        y = u.conv(branch_input, filters, 3, strides, f"{name}_1")
        y = u.bn_relu(y, f"{name}_1")
        last = f"{name}_2"
        y = u.conv(y, filters, 3, 1, last, zero_init=v.preact and opt.zero_init_residual)
    else:
        inner = int(filters * opt.width_per_group / 64) * opt.groups
        s1, s2 = (strides, 1) if v.stride_on_first else (1, strides)
        y = u.bn_relu(u.conv(branch_input, inner, 1, s1, f"{name}_1"), f"{name}_1")
        y = u.conv(y, inner, 3, s2, f"{name}_2", groups=opt.groups,
                   explicit_pad=v.keras_layout)
        y = u.bn_relu(y, f"{name}_2")
        last = f"{name}_3"
        y = u.conv(y, 4 * filters, 1, 1, last, use_bias=v.keras_layout,
                   zero_init=v.preact and opt.zero_init_residual)
    if not v.preact:
        y = u.bn(y, last, zero_gamma=opt.zero_init_residual)
    if opt.se_ratio:
        y = u.squeeze_excite(y, opt.se_ratio, name)
    if opt.shortcut == "none":  # a plain network: the branch alone
        if v.preact:
            return layers.Identity(dtype=u.dtype, name=f"{name}_out")(y)
        return layers.Activation("relu", dtype=u.dtype, name=f"{name}_out")(y)
    if drop_rate > 0:
        y = DropPath(drop_rate, seed=opt.seed, dtype=u.dtype, name=f"{name}_drop_path")(y)
    shortcut = _shortcut(u, opt, x, branch_input, filters * (4 if block == "bottleneck" else 1),
                         strides, project, name)
    if v.preact:
        return layers.Add(dtype=u.dtype, name=f"{name}_out")([shortcut, y])
    y = layers.Add(dtype=u.dtype, name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", dtype=u.dtype, name=f"{name}_out")(y)


def _shortcut(u, opt, x, branch_input, out_channels, strides, project, name):
    v = opt.variant
    if not project:
        if strides == 1:
            return x
        # keras.applications' ResNetV2 downsamples an identity shortcut.
        return layers.MaxPooling2D(1, strides=strides, data_format=u.data_format,
                                   dtype=u.dtype, name=f"{name}_0_pool")(x)
    if opt.shortcut == "A":
        return ZeroPadShortcut(out_channels, strides, data_format=u.data_format,
                               dtype=u.dtype, name=f"{name}_0_pad")(x)
    source = branch_input if v.preact else x
    if v.avg_down and strides > 1:
        source = layers.AveragePooling2D(strides, strides=strides, padding="same",
                                         data_format=u.data_format, dtype=u.dtype,
                                         name=f"{name}_0_pool")(source)
        strides = 1
    y = u.conv(source, out_channels, 1, strides, f"{name}_0", use_bias=v.keras_layout)
    return y if v.preact else u.bn(y, f"{name}_0")


def stem(u: Units, variant: Variant, family, x, prefix=""):
    """The layers before the first stage, named `<prefix>conv1*` and `<prefix>pool1*`."""
    name = prefix + naming.STEM
    if family == "cifar":
        x = u.conv(x, 16, 3, 1, name)
        return x if variant.preact else u.bn_relu(x, name)
    if variant.deep_stem:
        for i, (filters, strides) in enumerate(((32, 2), (32, 1), (64, 1)), start=1):
            x = u.bn_relu(u.conv(x, filters, 3, strides, f"{name}_{i}"), f"{name}_{i}")
    else:
        x = u.conv(x, 64, 7, 2, name, use_bias=variant.keras_layout)
        if not variant.preact:
            x = u.bn_relu(x, name)
    return u.max_pool(x, prefix + naming.STEM_POOL)
