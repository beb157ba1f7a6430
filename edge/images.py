"""Image files → uint8 arrays, the one decoder that training and the edge share.

Returns H×W×C uint8 with C = 1 (grey), 3 (RGB) or 4 (RGBA): 16-bit images are
scaled to 8 bits, CMYK and YCbCr become RGB, palette and grey-with-alpha images
become RGBA. Channel conversion (alpha onto black, grey ↔ RGB) is the
preprocessing's job, so that both sides do it with the same arithmetic.
"""

import numpy as np
from PIL import Image, UnidentifiedImageError

EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
UNREADABLE = (OSError, UnidentifiedImageError, ValueError, SyntaxError)


def decode(path):
    """The image in `path` as an H×W×C uint8 array; raises one of UNREADABLE."""
    with Image.open(path) as image:
        image.load()  # decodes fully: a truncated file fails here
        if image.mode.startswith("I"):  # 16- or 32-bit grey
            array = np.asarray(image, np.uint32)
            return ((array >> 8) if array.max() > 255 else array).astype(np.uint8)[..., None]
        if image.mode in ("P", "PA", "LA", "La") or "transparency" in image.info:
            image = image.convert("RGBA")
        elif image.mode not in ("L", "RGB", "RGBA"):
            image = image.convert("RGB")
        array = np.asarray(image, np.uint8)
    return array[..., None] if array.ndim == 2 else array
