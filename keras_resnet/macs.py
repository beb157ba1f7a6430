"""Multiply-accumulate count of a built model's convolutions and dense layers.

This is the figure torchvision reports as "GFLOPS" (e.g. ResNet-50 at 224×224:
4.089 G). BatchNorm, activations, pooling and additions are not counted.
"""

import math

import keras

from keras_resnet.arguments import invalid


def count_macs(model):
    """MACs of one forward pass of one image through `model`."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += count_macs(layer)
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
                                keras.layers.Dense)):
            total += _layer_macs(layer)
    return total


def _layer_macs(layer):
    in_shape, out_shape = tuple(layer.input.shape[1:]), tuple(layer.output.shape[1:])
    if None in in_shape or None in out_shape:
        raise invalid("model", f"input shape {in_shape} of layer {layer.name!r}",
                      "a model built with a fixed input size, e.g. input_shape=(224, 224, 3)")
    if isinstance(layer, keras.layers.Dense):
        return math.prod(in_shape) * layer.units
    kernel = math.prod(layer.kernel_size)
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return math.prod(out_shape) * kernel
    channels_last = layer.data_format == "channels_last"
    in_channels = in_shape[-1] if channels_last else in_shape[0]
    return math.prod(out_shape) * kernel * in_channels // layer.groups
