"""The constructors: `ResNet(depth)`, `WideResNet(depth, width)`, the named
ones (keras.applications' arguments by name, every other `ResNet` argument as
a keyword) and `list_models()`. Keras is imported only when a model is built,
so the names are known without it (the command line checks them at once)."""

_NAMES = []


def named(constructor):
    """Adds a constructor to `list_models()`."""
    _NAMES.append(constructor.__name__)
    return constructor


def list_models():
    """Names of the named constructors, e.g. "ResNet50", "WRN28_10"."""
    return list(_NAMES)


def ResNet(depth, **kwargs):
    """Builds a ResNet of a depth in the table (`keras_resnet.list_models()`).

    The `keras.applications` arguments keep their meaning: `include_top`,
    `weights` (None, the path of a `.weights.h5`/`.keras` file, "imagenet"
    — keras.applications' own weights, for ResNet50/101/152 — or a name of
    `keras_resnet.list_weights()`, such as "torchvision:resnet50.IMAGENET1K_V2":
    downloaded once, verified and cached, see `keras_resnet.weights_registry`),
    `input_tensor`, `input_shape` (spatial dims may be None without a top),
    `pooling` (None, "avg", "max"), `classes`, `classifier_activation`,
    `name`. Further:

    variant: "v1" (stride on the first 1×1), "v1.5" (stride on the 3×3, the
        ImageNet default), "v2" (pre-activation), "d" (ResNet-D: deep stem,
        average-pool shortcut), "v2-keras" (keras.applications' ResNetV2
        layout). The CIFAR family takes "v1" (default, same as "v1.5") or "v2".
    shortcut: "A" (zero-padding, the CIFAR default) or "B" (projection, the
        ImageNet default) where a shortcut changes shape; "none" builds the
        plain network of the paper's comparison (every shortcut removed; the
        default name becomes plainN).
    batch_norm: False builds the net without BatchNorm (biases on every conv).
    width_factor: multiplies the stage widths of basic-block CIFAR nets (Wide
        ResNets) and the inner width of bottlenecks (wide_resnet50_2 is 2).
    groups, width_per_group: ResNeXt bottlenecks (torchvision's meaning).
    se_ratio: squeeze-and-excitation with this fraction of channels inside.
    drop_path_rate: stochastic depth, rising linearly to this rate.
    zero_init_residual: zero γ of each block's last BN (last conv for v2).
    bn_momentum, bn_epsilon: BatchNorm settings (Keras' momentum convention).
    bn_synchronized: BatchNorm statistics over all replicas of a distribution
        strategy instead of each replica's own batch.
    preprocessing: None, "torchvision", "keras_v2", "unit" or {"mean", "std"}:
        a "preprocess" layer so the model takes raw 0..255 pixels.
    data_format, dtype: passed to every layer; under a mixed policy the
        classifier runs in float32, so logits are float32.
    layer_prefix: starts every layer name (`keras_resnet.naming`), e.g. two nets in one model.
    seed: seed of the stochastic-depth layers.

    Returns a functional `keras_resnet.ResNetModel` with its `architecture`
    and `stage_records` (saved with it).
    """
    from keras_resnet import builder, pretrained, weights_registry

    name = kwargs.get("weights")
    if not weights_registry.is_name(name):
        return builder.build_resnet(depth, **kwargs)
    builder.check_depth(depth)
    if name == "imagenet":
        name = weights_registry.imagenet_name(depth, kwargs.get("variant"))
    options = weights_registry.builder_options(name, depth, {**kwargs, "weights": None})
    return pretrained.load_into(builder.build_resnet(depth, **options), name,
                                options.get("include_top", True))


def WideResNet(depth=28, width=10, **kwargs):
    """Wide ResNet WRN-depth-width (Zagoruyko & Komodakis 2016): pre-activation
    basic blocks, depth 6n+4, stage widths 16k/32k/64k, 1×1 projections; the
    other arguments as `ResNet`'s (no named weights)."""
    from keras_resnet import builder, weights_registry
    from keras_resnet.arguments import invalid

    if weights_registry.is_name(kwargs.get("weights")) and kwargs["weights"] != "imagenet":
        raise invalid("weights", kwargs["weights"], "None or a path for this network "
                      "(named weights exist for ResNet depths)")
    return builder.build_wide_resnet(depth, width, **kwargs)


def _keras(include_top, weights, input_tensor, input_shape, pooling, classes,
           classifier_activation, name):
    """A named constructor's keras.applications arguments, by keyword."""
    return dict(include_top=include_top, weights=weights, input_tensor=input_tensor,
                input_shape=input_shape, pooling=pooling, classes=classes,
                classifier_activation=classifier_activation, name=name)


# ImageNet family (He et al. 2015, Table 1); v1.5 unless `variant` says otherwise.
@named
def ResNet18(include_top=True, weights=None, input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-18: basic blocks, 2/2/2/2 per stage."""
    return ResNet(18, **_keras(include_top, weights, input_tensor, input_shape,
                               pooling, classes, classifier_activation, name), **options)


@named
def ResNet34(include_top=True, weights=None, input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-34: basic blocks, 3/4/6/3 per stage."""
    return ResNet(34, **_keras(include_top, weights, input_tensor, input_shape,
                               pooling, classes, classifier_activation, name), **options)


@named
def ResNet50(include_top=True, weights=None, input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-50: bottleneck blocks, 3/4/6/3 per stage; takes weights="imagenet"."""
    return ResNet(50, **_keras(include_top, weights, input_tensor, input_shape,
                               pooling, classes, classifier_activation, name), **options)


@named
def ResNet101(include_top=True, weights=None, input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-101: bottleneck blocks, 3/4/23/3 per stage; takes weights="imagenet"."""
    return ResNet(101, **_keras(include_top, weights, input_tensor, input_shape,
                                pooling, classes, classifier_activation, name), **options)


@named
def ResNet152(include_top=True, weights=None, input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-152: bottleneck blocks, 3/8/36/3 per stage; takes weights="imagenet"."""
    return ResNet(152, **_keras(include_top, weights, input_tensor, input_shape,
                                pooling, classes, classifier_activation, name), **options)


@named
def ResNet200(include_top=True, weights=None, input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-200: bottleneck blocks, 3/24/36/3 per stage."""
    return ResNet(200, **_keras(include_top, weights, input_tensor, input_shape,
                                pooling, classes, classifier_activation, name), **options)


# CIFAR family (He et al. 2015, section 4.2): 6n+2 layers, option-A shortcuts.
@named
def ResNet20(include_top=True, weights=None, input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-20 (CIFAR): 3 basic blocks per stage, 16/32/64 filters."""
    return ResNet(20, **_keras(include_top, weights, input_tensor, input_shape,
                               pooling, classes, classifier_activation, name), **options)


@named
def ResNet32(include_top=True, weights=None, input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-32 (CIFAR): 5 basic blocks per stage, 16/32/64 filters."""
    return ResNet(32, **_keras(include_top, weights, input_tensor, input_shape,
                               pooling, classes, classifier_activation, name), **options)


@named
def ResNet44(include_top=True, weights=None, input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-44 (CIFAR): 7 basic blocks per stage, 16/32/64 filters."""
    return ResNet(44, **_keras(include_top, weights, input_tensor, input_shape,
                               pooling, classes, classifier_activation, name), **options)


@named
def ResNet56(include_top=True, weights=None, input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-56 (CIFAR): 9 basic blocks per stage, 16/32/64 filters."""
    return ResNet(56, **_keras(include_top, weights, input_tensor, input_shape,
                               pooling, classes, classifier_activation, name), **options)


@named
def ResNet110(include_top=True, weights=None, input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-110 (CIFAR): 18 basic blocks per stage, 16/32/64 filters."""
    return ResNet(110, **_keras(include_top, weights, input_tensor, input_shape,
                                pooling, classes, classifier_activation, name), **options)


@named
def ResNet1202(include_top=True, weights=None, input_tensor=None, input_shape=None,
               pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """ResNet-1202 (CIFAR): 200 basic blocks per stage, 16/32/64 filters."""
    return ResNet(1202, **_keras(include_top, weights, input_tensor, input_shape,
                                 pooling, classes, classifier_activation, name), **options)


# Wider and grouped bottlenecks (torchvision's names and settings).
@named
def WideResNet50_2(include_top=True, weights=None, input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   name="wide_resnet50_2", width_factor=2, **options):
    """Wide ResNet-50-2: ResNet-50 with bottlenecks twice as wide inside."""
    return ResNet(50, **_keras(include_top, weights, input_tensor, input_shape,
                               pooling, classes, classifier_activation, name),
                  width_factor=width_factor, **options)


@named
def WideResNet101_2(include_top=True, weights=None, input_tensor=None, input_shape=None,
                    pooling=None, classes=1000, classifier_activation="softmax",
                    name="wide_resnet101_2", width_factor=2, **options):
    """Wide ResNet-101-2: ResNet-101 with bottlenecks twice as wide inside."""
    return ResNet(101, **_keras(include_top, weights, input_tensor, input_shape,
                                pooling, classes, classifier_activation, name),
                  width_factor=width_factor, **options)


@named
def ResNeXt50_32x4d(include_top=True, weights=None, input_tensor=None, input_shape=None,
                    pooling=None, classes=1000, classifier_activation="softmax",
                    name="resnext50_32x4d", groups=32, width_per_group=4, **options):
    """ResNeXt-50 (32×4d): ResNet-50 with grouped 3×3 convolutions, as torchvision's."""
    return ResNet(50, **_keras(include_top, weights, input_tensor, input_shape,
                               pooling, classes, classifier_activation, name),
                  groups=groups, width_per_group=width_per_group, **options)


@named
def ResNeXt101_32x8d(include_top=True, weights=None, input_tensor=None, input_shape=None,
                     pooling=None, classes=1000, classifier_activation="softmax",
                     name="resnext101_32x8d", groups=32, width_per_group=8, **options):
    """ResNeXt-101 (32×8d): ResNet-101 with grouped 3×3 convolutions, as torchvision's."""
    return ResNet(101, **_keras(include_top, weights, input_tensor, input_shape,
                                pooling, classes, classifier_activation, name),
                  groups=groups, width_per_group=width_per_group, **options)


# Wide ResNets for CIFAR (Zagoruyko & Komodakis 2016): pre-activation, projections.
@named
def WRN16_8(include_top=True, weights=None, input_tensor=None, input_shape=None,
            pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """WRN-16-8: 2 blocks per stage, stage widths 128/256/512."""
    return WideResNet(16, 8, **_keras(include_top, weights, input_tensor, input_shape,
                                      pooling, classes, classifier_activation, name), **options)


@named
def WRN28_10(include_top=True, weights=None, input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """WRN-28-10: 4 blocks per stage, stage widths 160/320/640."""
    return WideResNet(28, 10, **_keras(include_top, weights, input_tensor, input_shape,
                                       pooling, classes, classifier_activation, name), **options)


@named
def WRN40_4(include_top=True, weights=None, input_tensor=None, input_shape=None,
            pooling=None, classes=1000, classifier_activation="softmax", name=None, **options):
    """WRN-40-4: 6 blocks per stage, stage widths 64/128/256."""
    return WideResNet(40, 4, **_keras(include_top, weights, input_tensor, input_shape,
                                      pooling, classes, classifier_activation, name), **options)


__all__ = list_models()
