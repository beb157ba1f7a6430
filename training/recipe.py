"""Named training recipes (TOML files in training/recipes/) and their overrides.

A recipe is a flat table of settings; `load_recipe` merges overrides into it
and checks every value, so that a bad argument fails before TensorFlow loads.
A schedule is a number of epochs or of steps, never wall-clock time.
"""

import dataclasses
import os
import sys
from dataclasses import dataclass, field

from keras_resnet.arguments import invalid

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RECIPE_DIR = os.path.join(os.path.dirname(__file__), "recipes")


@dataclass
class Recipe:
    description: str = ""
    # a constructor name, or "auto": ResNet20 below 64 px, ResNet18 from 64 px up
    model: str = "ResNet20"
    model_options: dict = field(default_factory=dict)  # extra builder arguments
    # "fashion_mnist", "folder" (data_dir/<class>/<images>) or "tfds:<name>"
    dataset: str = "fashion_mnist"
    data_dir: str = ""
    image_size: int = 0  # model input height and width (0: the dataset's own)
    channels: int = 0  # 1 or 3 (0: the dataset's own; a folder's: grey when all its images are)
    validation_size: float = 5000  # a count, or a fraction of the training images if < 1
    test_size: float = 0.1  # folders only: held out for the final test, count or fraction
    split_seed: int = 0
    # "auto": images in memory when they fit and decode quickly, else streamed
    # from storage at every step; "memory" or "stream" force one
    loading: str = "auto"
    train_limit: int = 0  # use only this many training images (0: all)
    test_limit: int = 0
    epochs: int = 0  # set epochs or steps
    steps: int = 0
    steps_per_epoch: int = 0  # 0: one pass over the training images
    batch_size: int = 128  # 0: 128 below 64 px, 32 from 64 px up (data.auto_choices)
    optimizer: str = "sgd"  # "sgd" (Nesterov momentum) or "adamw"
    learning_rate: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4  # not applied to BatchNorm parameters or biases
    schedule: str = "cosine"  # "cosine" or "multistep"
    warmup_epochs: float = 0.0
    milestones: list = field(default_factory=lambda: [0.5, 0.75])  # multistep, fractions
    decay_factor: float = 0.1  # multistep
    label_smoothing: float = 0.0
    # "none", "balanced" (n / (classes × count of the class), from the
    # training split) or per-class weights "w0,w1,..." (loss × weight of the label)
    class_weight: str = "none"
    ema: float = 0.0  # momentum of an EMA of the weights (0: off)
    zero_init_residual: bool = False
    clipnorm: float = 0.0
    augment: str = "cifar"  # "cifar", "imagenet", "none" or "auto" (as "model" chooses)
    # evaluation crop fraction of the input contract (0: the augment style's;
    # fine-tuning from named weights sets their catalogue's crop / resize)
    crop_fraction: float = 0.0
    pad: int = 4
    erase: float = 0.0
    mixup: float = 0.0
    cutmix: float = 0.0
    seed: int = 0
    deterministic: bool = False
    precision: str = "auto"  # "auto", "float32", "mixed_float16", "mixed_bfloat16"
    jit_compile: str = "auto"  # "auto", "on", "off"
    steps_per_execution: int = 1
    # "mirrored": tf.distribute.MirroredStrategy on this machine's devices;
    # "jax": keras.distribution.DataParallel over processes (training/multi_process.py)
    distribute: str = "none"


CHOICES = {
    "optimizer": ("sgd", "adamw"),
    "schedule": ("cosine", "multistep"),
    "augment": ("cifar", "imagenet", "none", "auto"),
    "loading": ("auto", "memory", "stream"),
    "precision": ("auto", "float32", "mixed_float16", "mixed_bfloat16"),
    "jit_compile": ("auto", "on", "off"),
    "distribute": ("none", "mirrored", "jax"),
    "channels": (0, 1, 3),
}
POSITIVE = ("learning_rate", "steps_per_execution")
NON_NEGATIVE = ("batch_size", "epochs", "steps", "steps_per_epoch", "validation_size",
                "test_size",
                "image_size", "train_limit",
                "test_limit", "weight_decay", "warmup_epochs", "label_smoothing", "ema",
                "clipnorm", "pad", "erase", "mixup", "cutmix", "momentum")


def recipe_names():
    return sorted(f[:-5] for f in os.listdir(RECIPE_DIR) if f.endswith(".toml"))


def load_recipe(name_or_path, overrides=None):
    """The Recipe of a name in training/recipes/ or a .toml path, with
    `overrides` (a dict) applied; raises ValueError naming a bad setting."""
    path = name_or_path if name_or_path.endswith(".toml") else os.path.join(
        RECIPE_DIR, f"{name_or_path}.toml")
    if not os.path.isfile(path):
        raise invalid("recipe", name_or_path, f"{', '.join(recipe_names())} or the path "
                      "of a .toml file")
    with open(path, "rb") as f:
        try:
            settings = tomllib.load(f)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"recipe={path!r} is not valid TOML: {error}") from None
    settings.update(overrides or {})
    return make_recipe(settings)


def make_recipe(settings):
    known = {f.name: f for f in dataclasses.fields(Recipe)}
    for key, value in settings.items():
        if key not in known:
            raise invalid("setting", key, ", ".join(known))
        kind = known[key].type
        if isinstance(value, bool) != (kind is bool) or not (
                isinstance(value, kind) or (kind is float and isinstance(value, int))):
            raise invalid(key, value, f"a value of type {kind.__name__}")
    recipe = Recipe(**settings)
    for key, choices in CHOICES.items():
        if getattr(recipe, key) not in choices:
            raise invalid(key, getattr(recipe, key), ", ".join(repr(c) for c in choices))
    for key in POSITIVE:
        if getattr(recipe, key) <= 0:
            raise invalid(key, getattr(recipe, key), "> 0")
    for key in NON_NEGATIVE:
        if getattr(recipe, key) < 0:
            raise invalid(key, getattr(recipe, key), ">= 0")
    if not 0 <= recipe.crop_fraction <= 1:
        raise invalid("crop_fraction", recipe.crop_fraction, "0 (the augment style's) or a "
                      "fraction in (0, 1]")
    if (recipe.epochs > 0) == (recipe.steps > 0):
        raise invalid("(epochs, steps)", (recipe.epochs, recipe.steps),
                      "exactly one of them > 0")
    if recipe.dataset not in ("fashion_mnist", "folder") and not (
            recipe.dataset.startswith("tfds:") and len(recipe.dataset) > len("tfds:")):
        raise invalid("dataset", recipe.dataset, "'fashion_mnist', 'folder' or "
                      "'tfds:<name>' (e.g. 'tfds:cifar10')")
    if recipe.dataset == "folder" and not recipe.data_dir:
        raise ValueError("dataset='folder' needs data_dir: a folder with one subfolder "
                         "of images per class")
    class_weight_values(recipe.class_weight)
    if not all(0 < m < 1 for m in recipe.milestones):
        raise invalid("milestones", recipe.milestones, "fractions of the schedule between "
                      "0 and 1")
    return recipe


def class_weight_values(setting):
    """The per-class weights of a class_weight setting "w0,w1,..." (None for
    "none" and "balanced"); ValueError for any other setting."""
    if setting in ("none", "balanced"):
        return None
    try:
        weights = [float(w) for w in setting.split(",")]
    except ValueError:
        weights = []
    if not weights or min(weights) <= 0:
        raise invalid("class_weight", setting, "'none', 'balanced' or positive per-class "
                      "weights 'w0,w1,...'")
    return weights
