"""Camera frames → the image `preprocess_for_eval` takes: the reference for the
Android demo's Kotlin (`android_demo/core`), which is tested against it.

YUV_420_888 (Android's camera format: a full-resolution Y plane, U and V at
half resolution, each plane with its own row stride and pixel stride) → RGB
with full-range BT.601 (JPEG) coefficients in 16-bit fixed point, rounding
half up; then a clockwise rotation by the frame's rotation degrees. The
upright frame, whole, then goes through the input contract like any image
(`preprocess_for_eval`): the contract, not a crop of its own, decides which
pixels the model sees, so a camera frame and the same picture as a file give
the same input.
"""

import numpy as np

from keras_resnet.arguments import invalid

# round(65536 × coefficient) for R = Y + 1.402 V', G = Y − 0.344136 U' −
# 0.714136 V', B = Y + 1.772 U' (U' = U − 128, V' = V − 128).
R_V, G_U, G_V, B_U = 91881, 22554, 46802, 116130
HALF = 1 << 15


def _plane(data, width, height, row_stride, pixel_stride):
    data = np.frombuffer(bytes(data), np.uint8)
    rows = np.arange(height)[:, None] * row_stride
    cols = np.arange(width)[None, :] * pixel_stride
    return data[rows + cols].astype(np.int64)


def yuv420_to_rgb(width, height, y, y_row_stride, u, v, uv_row_stride, uv_pixel_stride):
    """H×W×3 uint8 RGB from the three planes' bytes of a YUV_420_888 image
    (Y's pixel stride is 1; U and V share a row and a pixel stride)."""
    if width <= 0 or height <= 0:
        raise invalid("frame size", f"{width}×{height}", "positive sizes")
    luma = _plane(y, width, height, y_row_stride, 1)
    half = ((width + 1) // 2, (height + 1) // 2)
    u = _plane(u, *half, uv_row_stride, uv_pixel_stride) - 128
    v = _plane(v, *half, uv_row_stride, uv_pixel_stride) - 128
    u = u.repeat(2, axis=0).repeat(2, axis=1)[:height, :width]
    v = v.repeat(2, axis=0).repeat(2, axis=1)[:height, :width]
    r = luma + ((R_V * v + HALF) >> 16)
    g = luma - ((G_U * u + G_V * v + HALF) >> 16)
    b = luma + ((B_U * u + HALF) >> 16)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def rotate(image, degrees):
    """`image` turned clockwise by 0, 90, 180 or 270 degrees."""
    if degrees not in (0, 90, 180, 270):
        raise invalid("rotation", degrees, "0, 90, 180, 270")
    return np.rot90(image, k=-(degrees // 90), axes=(0, 1))
