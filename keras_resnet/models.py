"""Named constructors, one line each, and `list_models()`."""

from keras_resnet.builder import ResNet, WideResNet

_REGISTRY = {}


def register(constructor):
    _REGISTRY[constructor.__name__] = constructor
    return constructor


def list_models():
    """Names of the named constructors, e.g. "ResNet50", "WRN28_10"."""
    return list(_REGISTRY)


def _with(defaults, kwargs):
    return {**defaults, **kwargs}


# ImageNet family (He et al. 2015, Table 1).
@register
def ResNet18(**kwargs): return ResNet(18, **kwargs)
@register
def ResNet34(**kwargs): return ResNet(34, **kwargs)
@register
def ResNet50(**kwargs): return ResNet(50, **kwargs)
@register
def ResNet101(**kwargs): return ResNet(101, **kwargs)
@register
def ResNet152(**kwargs): return ResNet(152, **kwargs)
@register
def ResNet200(**kwargs): return ResNet(200, **kwargs)


# CIFAR family (He et al. 2015, section 4.2), 6n+2 layers.
@register
def ResNet20(**kwargs): return ResNet(20, **kwargs)
@register
def ResNet32(**kwargs): return ResNet(32, **kwargs)
@register
def ResNet44(**kwargs): return ResNet(44, **kwargs)
@register
def ResNet56(**kwargs): return ResNet(56, **kwargs)
@register
def ResNet110(**kwargs): return ResNet(110, **kwargs)
@register
def ResNet1202(**kwargs): return ResNet(1202, **kwargs)


# Wider and grouped bottlenecks (torchvision's names and settings).
@register
def WideResNet50_2(**kwargs): return ResNet(50, **_with({"width_factor": 2, "name": "wide_resnet50_2"}, kwargs))
@register
def WideResNet101_2(**kwargs): return ResNet(101, **_with({"width_factor": 2, "name": "wide_resnet101_2"}, kwargs))
@register
def ResNeXt50_32x4d(**kwargs): return ResNet(50, **_with({"groups": 32, "width_per_group": 4, "name": "resnext50_32x4d"}, kwargs))
@register
def ResNeXt101_32x8d(**kwargs): return ResNet(101, **_with({"groups": 32, "width_per_group": 8, "name": "resnext101_32x8d"}, kwargs))


# Wide ResNets for CIFAR (Zagoruyko & Komodakis 2016).
@register
def WRN16_8(**kwargs): return WideResNet(16, 8, **kwargs)
@register
def WRN28_10(**kwargs): return WideResNet(28, 10, **kwargs)
@register
def WRN40_4(**kwargs): return WideResNet(40, 4, **kwargs)


__all__ = list(_REGISTRY)
