"""numpy mirror of `training.augment.preprocess_for_eval`.

Channels: alpha composited onto black, grey = (R·0.2989 + G·0.5870) + B·0.1140
in float32 (`tf.image.rgb_to_grayscale`'s weights). Resize: bilinear with
antialiasing, the triangle-kernel `ScaleAndTranslate` that
`tf.image.resize(antialias=True)` runs (half-pixel centres; the kernel widens by
1/scale when shrinking; weights summed in order and normalised per output
pixel), then torchvision's size and centre-crop rules. Every float32 step has a
fixed order, so that the Android demo's Kotlin (android_demo/core) computes the
same values.
"""

import numpy as np

CROP_FRACTION = 0.875
GREY_WEIGHTS = np.array([0.2989, 0.5870, 0.1140], np.float32)


def to_channels(image, channels):
    image = np.asarray(image, np.float32)
    if image.shape[-1] == 4:
        image = image[..., :3] * (image[..., 3:] / np.float32(255.0))
    if image.shape[-1] == channels:
        return image
    if channels == 1:
        r, g, b = (image[..., i] for i in range(3))
        return (r * GREY_WEIGHTS[0] + g * GREY_WEIGHTS[1] + b * GREY_WEIGHTS[2])[..., None]
    return np.repeat(image, 3, axis=-1)


def _weights(in_size, out_size):
    """(out_size, in_size) matrix of the triangle kernel's normalised weights,
    computed in float32 like TensorFlow's kernel (positions included)."""
    f32 = np.float32
    scale = f32(out_size) / f32(in_size)
    inverse = f32(1) / scale
    width = max(inverse, f32(1))
    matrix = np.zeros((out_size, in_size), np.float32)
    for x in range(out_size):
        centre = (f32(x) + f32(0.5)) * inverse
        start = max(int(np.ceil(centre - width - f32(0.5))), 0)
        end = min(int(np.floor(centre + width - f32(0.5))), in_size - 1) + 1
        offsets = np.arange(start, end, dtype=np.float32) + f32(0.5) - centre
        weights = np.maximum(f32(0), f32(1) - np.abs(offsets * (f32(1) / width)))
        total = np.add.accumulate(weights, dtype=np.float32)[-1] if len(weights) else f32(0)
        matrix[x, start:end] = weights * (f32(1) / total) if total > 0 else weights
    return matrix


def resize(image, height, width):
    """Antialiased bilinear resize of an H×W×C float array."""
    if image.shape[:2] == (height, width):
        return image.astype(np.float32)
    rows, cols = _weights(image.shape[0], height), _weights(image.shape[1], width)
    out = np.einsum("oh,hwc->owc", rows, image.astype(np.float64))
    return np.einsum("pw,owc->opc", cols, out).astype(np.float32)


def resize_shorter_and_crop(image, shorter, height, width):
    """Shorter side to `shorter`, longer to floor(shorter × long / short), then
    the centre crop at offsets round((size − crop) / 2), half to even."""
    shape = np.array(image.shape[:2])
    size = np.maximum(shape * shorter // shape.min(), [height, width])
    image = resize(image, int(size[0]), int(size[1]))
    top, left = (int(np.round((int(n) - c) / 2)) for n, c in zip(size, (height, width)))
    return image[top:top + height, left:left + width]


def preprocess_for_eval(image, size, channels, style="cifar"):
    """float32 H×W×channels in 0..255, as the training side computes it."""
    image = to_channels(image, channels)
    height, width = size
    if style == "imagenet":
        return resize_shorter_and_crop(image, round(max(height, width) / CROP_FRACTION),
                                       height, width)
    return resize(image, height, width)
