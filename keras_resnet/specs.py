"""The depth table and the variant table: a new depth is one row.

A `NetSpec` row says which family a network belongs to (the ImageNet family
with a 64-filter stem and four stages, or the CIFAR family of He et al. 2015,
section 4.2, with a 16-filter 3×3 stem and three stages), which block it
stacks, and how many blocks each stage holds.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class NetSpec:
    family: str  # "imagenet" or "cifar"
    block: str  # "basic" or "bottleneck"
    blocks: tuple  # blocks per stage

    @property
    def filters(self):
        """Base filters per stage (a bottleneck block outputs 4× these)."""
        return (64, 128, 256, 512) if self.family == "imagenet" else (16, 32, 64)


IMAGENET_SPECS = {
    18: NetSpec("imagenet", "basic", (2, 2, 2, 2)),
    34: NetSpec("imagenet", "basic", (3, 4, 6, 3)),
    50: NetSpec("imagenet", "bottleneck", (3, 4, 6, 3)),
    101: NetSpec("imagenet", "bottleneck", (3, 4, 23, 3)),
    152: NetSpec("imagenet", "bottleneck", (3, 8, 36, 3)),
    200: NetSpec("imagenet", "bottleneck", (3, 24, 36, 3)),
}

# 6n+2 layers: n basic blocks in each of three stages.
CIFAR_SPECS = {
    depth: NetSpec("cifar", "basic", ((depth - 2) // 6,) * 3)
    for depth in (20, 32, 44, 56, 110, 1202)
}

SPECS = {**IMAGENET_SPECS, **CIFAR_SPECS}


def graph_recursion_limit(spec):
    """The Python recursion limit at which Keras can map the layer graph of
    `spec`'s network: it walks the graph recursively, and ResNet-1202 (3,600
    layers in a chain) needs far more than the default 1000."""
    return 40 * sum(spec.blocks) + 1000


# For applications (the `resnet` command, the export's child process) that
# may load or clone any depth: the library raises the limit only while it builds.
DEEPEST_GRAPH_RECURSION_LIMIT = max(graph_recursion_limit(s) for s in SPECS.values())


def wide_spec(depth):
    """Spec of a Wide ResNet WRN-depth-k (depth = 6n+4); the caller checks depth."""
    return NetSpec("cifar", "basic", ((depth - 4) // 6,) * 3)


@dataclass(frozen=True, kw_only=True)
class Variant:
    preact: bool  # pre-activation blocks (BN → ReLU → conv)
    stride_on_first: bool  # bottleneck stride on the first 1×1 (v1) or on the 3×3
    deep_stem: bool  # ResNet-D: three 3×3 convs instead of one 7×7
    avg_down: bool  # ResNet-D: average-pool, then 1×1 projection, in shortcuts
    keras_layout: bool  # keras.applications' ResNetV2 layout and biases


VARIANTS = {
    "v1": Variant(preact=False, stride_on_first=True, deep_stem=False, avg_down=False,
                  keras_layout=False),
    "v1.5": Variant(preact=False, stride_on_first=False, deep_stem=False, avg_down=False,
                    keras_layout=False),
    "v2": Variant(preact=True, stride_on_first=False, deep_stem=False, avg_down=False,
                  keras_layout=False),
    "d": Variant(preact=False, stride_on_first=False, deep_stem=True, avg_down=True,
                 keras_layout=False),
    "v2-keras": Variant(preact=True, stride_on_first=False, deep_stem=False, avg_down=False,
                        keras_layout=True),
}

# The variants each family accepts; the first is the default.
FAMILY_VARIANTS = {
    "imagenet": ("v1.5", "v1", "v2", "d", "v2-keras"),
    "cifar": ("v1", "v1.5", "v2"),
}

# torchvision/timm architecture name: (depth, builder arguments). Published
# weight sets, with their source, reported accuracy, recipe and licence:
# converters/pytorch_weights.json.
TORCH_ARCHITECTURES = {
    **{f"resnet{d}": (d, {"variant": "v1.5"}) for d in (18, 34, 50, 101, 152)},
    **{f"resnet{d}d": (d, {"variant": "d"}) for d in (18, 34, 50, 101, 152, 200)},
    "wide_resnet50_2": (50, {"variant": "v1.5", "width_factor": 2}),
    "wide_resnet101_2": (101, {"variant": "v1.5", "width_factor": 2}),
    "resnext50_32x4d": (50, {"variant": "v1.5", "groups": 32, "width_per_group": 4}),
    "resnext101_32x8d": (101, {"variant": "v1.5", "groups": 32, "width_per_group": 8}),
}
