"""numpy mirror of `keras_resnet.training.augment.preprocess_for_eval`.

Channels: alpha composited onto black, grey = (R·0.2989 + G·0.5870) + B·0.1140
in float32 (`tf.image.rgb_to_grayscale`'s weights). Resize: bilinear with
antialiasing, the triangle-kernel `ScaleAndTranslate` that
`tf.image.resize(antialias=True)` runs (half-pixel centres; the kernel widens by
1/scale when shrinking; weights summed in order and normalised per output
pixel), then the input contract's crop (`keras_resnet.edge.input_spec`). Every
float32 step has a fixed order, so that the Android demo's Kotlin
(android_demo/core) computes the same values.
"""

import numpy as np

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


def apply_contract(image, spec, store=False):
    """An H×W×C image (C = 1, 3 or 4) through the input contract of the InputSpec
    `spec` (`keras_resnet.edge.input_spec`): float32 in 0..255, as the training side
    computes it; with `store`, the enlarged window in-memory loaders keep."""
    image = to_channels(image, spec.channels)
    resized_h, resized_w, top, left, crop_h, crop_w = spec.crop_box(*image.shape[:2], store)
    return resize(image, resized_h, resized_w)[top:top + crop_h, left:left + crop_w]


def preprocess_for_eval(image, spec):
    """The model input of an image: the evaluation preprocessing."""
    return apply_contract(image, spec)
