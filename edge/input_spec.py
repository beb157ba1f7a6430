"""The input contract: how any image becomes a model input, defined once.

Training's loaders and evaluation (TensorFlow, `keras_resnet.training.augment`), int8
calibration, the metadata in every exported `.tflite`, this runtime's numpy
preprocessing and the Android app's Kotlin (tested against golden vectors
made here) all follow `InputSpec`:

1. Channels: alpha composited onto black, RGB → grey with
   `tf.image.rgb_to_grayscale`'s weights, grey → RGB repeated.
2. Resize, aspect ratio kept (bilinear, antialiased): the image is scaled to
   cover the enlarged target round(H / f) × round(W / f), f = the crop
   fraction: the side that binds becomes exact, the other floor(side × scale).
3. Centre crop H × W at offsets round((resized − crop) / 2), half to even.

f = 1.0 ("cifar" style) crops the largest centred region of the input's
aspect ratio; f = 0.875 ("imagenet" style) is the usual evaluation crop. For a
square input this is torchvision's Resize(round(size / f)) + CenterCrop(size),
so converted torchvision and timm weights see what they were evaluated on.

Loaders that keep a dataset in memory store each image as the enlarged target
(`crop_box(..., store=True)`: the same resize, a window centred on the final
crop), so evaluating a stored image is exactly step 3 of the original's path.
"""

from dataclasses import dataclass

from keras_resnet.arguments import invalid

CROP_FRACTIONS = {"cifar": 1.0, "imagenet": 0.875}  # the styles' crop fractions
FORMAT = "keras_resnet.input.v2"  # metadata "input.contract"; older exports lack it
RULE = ("aspect kept: bilinear antialiased resize to cover round(H/f) x round(W/f), "
        "then centre crop H x W at offsets rounded half to even (f = crop_fraction)")


def _half_even(numerator):
    """round(numerator / 2), half to even, for an integer numerator."""
    return round(numerator / 2)


@dataclass(frozen=True)
class InputSpec:
    """A model input (height × width × channels of 0..255 pixels) and the crop
    fraction of the resize rule above."""

    height: int
    width: int
    channels: int
    crop_fraction: float = 1.0

    def __post_init__(self):
        if self.channels not in (1, 3) or min(self.height, self.width) < 1:
            raise invalid("input", f"{self.height}×{self.width}×{self.channels}",
                          "height, width >= 1 and 1 or 3 channels")
        if not 0 < self.crop_fraction <= 1:
            raise invalid("crop_fraction", self.crop_fraction, "0 < crop_fraction <= 1")

    @classmethod
    def for_style(cls, size, channels, style="cifar"):
        """The spec of a training recipe's style ("none" evaluates as "cifar")."""
        height, width = (size, size) if isinstance(size, int) else size
        return cls(int(height), int(width), int(channels),
                   CROP_FRACTIONS.get(style, CROP_FRACTIONS["cifar"]))

    @classmethod
    def for_resize_crop(cls, resize, crop, channels=3):
        """torchvision's Resize(resize) + CenterCrop(crop) (square crop) as a spec."""
        return cls(crop, crop, channels, crop / resize)

    @property
    def size(self):
        return self.height, self.width

    @property
    def style(self):
        """The older metadata's name of the rule ("cifar" for f = 1)."""
        return "cifar" if self.crop_fraction == 1 else "imagenet"

    @property
    def enlarged(self):
        """(round(H / f), round(W / f)): what the image is resized to cover."""
        return (round(self.height / self.crop_fraction),
                round(self.width / self.crop_fraction))

    def resized_shape(self, height, width):
        """The size an height × width image is resized to (step 2)."""
        target_h, target_w = self.enlarged
        if height * target_w >= width * target_h:  # the width binds
            return max(target_h, height * target_w // width), target_w
        return target_h, max(target_w, width * target_h // height)

    def crop_box(self, height, width, store=False):
        """(resized_h, resized_w, top, left, crop_h, crop_w) for an image of this
        size: the model input's crop, or with `store` the enlarged window
        centred on it (what in-memory loaders keep)."""
        resized_h, resized_w = self.resized_shape(height, width)
        top = _half_even(resized_h - self.height)
        left = _half_even(resized_w - self.width)
        if not store:
            return resized_h, resized_w, top, left, self.height, self.width
        store_h, store_w = self.enlarged
        return (resized_h, resized_w, top - _half_even(store_h - self.height),
                left - _half_even(store_w - self.width), store_h, store_w)

    def matches_aspect(self, height, width):
        """Whether an image of this size loses nothing to the crop at f = 1."""
        return height * self.width == width * self.height

    def to_metadata(self):
        """The "input" entries of the export metadata that describe the rule."""
        return {"height": self.height, "width": self.width, "channels": self.channels,
                "crop_fraction": self.crop_fraction, "style": self.style,
                "resize": RULE, "contract": FORMAT}

    @classmethod
    def from_metadata(cls, entry):
        """(spec, legacy) from metadata's "input"; `legacy` is True for exports
        made before the contract was recorded (they name only a style, and are
        read with that style's crop fraction: their training images were
        stored with the aspect kept and centre-cropped)."""
        legacy = "crop_fraction" not in entry
        style = entry.get("style", "cifar")
        if legacy and style not in CROP_FRACTIONS:
            raise invalid("metadata input.style", style, ", ".join(CROP_FRACTIONS))
        fraction = CROP_FRACTIONS[style] if legacy else float(entry["crop_fraction"])
        return cls(int(entry["height"]), int(entry["width"]), int(entry["channels"]),
                   fraction), legacy
