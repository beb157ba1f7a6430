"""Input preprocessing for each family of weights, and label decoding.

Every mode takes RGB pixels in 0..255. Which weights expect which mode:

- "torchvision": torchvision and timm ImageNet weights: x/255, then the
  ImageNet mean and std per channel.
- "keras_v1": keras.applications ResNet50/101/152 ("caffe"): RGB → BGR,
  minus the ImageNet mean in 0..255, no scaling.
- "keras_v2": keras.applications ResNet50V2/101V2/152V2 ("tf"): x/127.5 - 1.
- "unit": x/255 (this project's Fashion-MNIST models).
"""

import numpy as np
from keras import layers, ops

from keras_resnet.arguments import check_choice, invalid
from keras_resnet.naming import PREPROCESS

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# (mean, std) in 0..255 pixel units: y = (x - mean) / std.
NORMALIZATIONS = {
    "torchvision": (tuple(255 * m for m in IMAGENET_MEAN), tuple(255 * s for s in IMAGENET_STD)),
    "keras_v2": ((127.5,), (127.5,)),
    "unit": ((0.0,), (255.0,)),
}
MODES = ("torchvision", "keras_v1", "keras_v2", "unit")
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def preprocess_input(x, mode="torchvision", data_format="channels_last"):
    """Maps 0..255 RGB pixels to what the weights of `mode` expect (see module doc)."""
    check_choice("mode", mode, MODES)
    check_choice("data_format", data_format, ("channels_last", "channels_first"))
    axis = -1 if data_format == "channels_last" else 1
    x = ops.cast(x, "float32")
    if mode == "keras_v1":
        x = ops.flip(x, axis=axis)
        mean, std = CAFFE_MEAN_BGR, (1.0,)
    else:
        mean, std = NORMALIZATIONS[mode]
    shape = [1] * len(x.shape)
    shape[axis] = -1
    mean = np.reshape(np.asarray(mean, "float32"), shape)
    std = np.reshape(np.asarray(std, "float32"), shape)
    return (x - mean) / std


def normalization_layer(preprocessing, channels, channel_axis, dtype, name=PREPROCESS):
    """The in-model preprocessing layer (named "preprocess") so a model takes raw 0..255
    pixels; `preprocessing` is a NORMALIZATIONS name or {"mean": .., "std": ..}."""
    allowed = (f"None, {', '.join(repr(n) for n in NORMALIZATIONS)} or a dict with "
               "'mean' and 'std' (0..255 units, one value or one per channel)")
    if isinstance(preprocessing, dict) and set(preprocessing) == {"mean", "std"}:
        mean, std = preprocessing["mean"], preprocessing["std"]
    elif isinstance(preprocessing, str) and preprocessing in NORMALIZATIONS:
        mean, std = NORMALIZATIONS[preprocessing]
    else:
        raise invalid("preprocessing", preprocessing, allowed)
    mean = np.atleast_1d(np.asarray(mean, "float32"))
    std = np.atleast_1d(np.asarray(std, "float32"))
    if {mean.size, std.size} - {1, channels} or np.any(std <= 0):
        raise invalid("preprocessing", preprocessing,
                      f"{allowed}; this model has {channels} channel(s)")
    return layers.Normalization(
        axis=channel_axis,
        mean=np.broadcast_to(mean, (channels,)),
        variance=np.broadcast_to(std ** 2, (channels,)),
        dtype=dtype, name=name,
    )


def decode_predictions(preds, top=5, class_names="imagenet"):
    """Top-`top` (class, name, score) tuples for each row of `preds`.

    `class_names` is a sequence of names, "fashion_mnist", or "imagenet"
    (which uses keras.applications' class index: downloaded once, then cached).
    """
    preds = np.asarray(preds)
    if preds.ndim != 2:
        raise invalid("preds", f"array of shape {preds.shape}", "a (batch, classes) array")
    if isinstance(class_names, str) and class_names == "imagenet":
        from keras.applications import imagenet_utils

        return imagenet_utils.decode_predictions(preds, top=top)
    if isinstance(class_names, str) and class_names == "fashion_mnist":
        from keras_resnet.training.fashion_mnist import CLASSES  # no TensorFlow there

        class_names = CLASSES
    if isinstance(class_names, str) or len(class_names) != preds.shape[1]:
        raise invalid("class_names", class_names,
                      f"'imagenet', 'fashion_mnist' or {preds.shape[1]} names")
    result = []
    for row in preds:
        order = np.argsort(-row, kind="stable")[:top]
        result.append([(int(i), class_names[i], float(row[i])) for i in order])
    return result
