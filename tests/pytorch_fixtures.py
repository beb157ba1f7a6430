"""Reference outputs of real torchvision and timm ResNets, for the converter's
parity tests (tests/test_pytorch_converter.py), which run without PyTorch.

For four architectures it records the state dict's names and shapes and the
logits of the eval-mode model on seeded inputs, with every tensor set by
`seeded_state_dict` (numpy, so the tests rebuild the same weights), BatchNorm
statistics included. It also records torchvision's evaluation transforms
(Resize with antialiasing, CenterCrop) on scikit-learn's two sample photos,
the names and shapes of every covered architecture's state dict, and the
weight catalogue (keras_resnet/converters/pytorch_weights.json).

Run once, where torch, torchvision and timm import together (on these
machines: torch 2.14.1 with torchvision 0.29.1; timm from PyPI):

    python tests/pytorch_fixtures.py     # writes tests/fixtures/pytorch/
"""

import json
import os

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "pytorch")
CASES = {  # fixture name: (library, architecture)
    "torchvision-resnet18": ("torchvision", "resnet18"),
    "torchvision-resnet50": ("torchvision", "resnet50"),
    "torchvision-resnext50_32x4d": ("torchvision", "resnext50_32x4d"),
    "timm-resnet50d": ("timm", "resnet50d"),
}
INPUT_SHAPE = (2, 3, 64, 64)  # NCHW
TRANSFORMS = {"china": (256, 224), "flower": (232, 224)}  # photo: (resize, crop)


def seeded_state_dict(keys, seed):
    """{name: array} for [(name, shape), ...]: He-scaled convolutions and a
    small classifier; BatchNorm γ, β, running mean and variance all away from
    their defaults, so that a misplaced statistic shows in the logits."""
    rng = np.random.default_rng(seed)
    state = {}
    for name, shape in keys:
        shape = tuple(shape)
        if name.endswith("num_batches_tracked"):
            state[name] = np.zeros(shape, np.int64)
        elif len(shape) == 4:
            fan_in = np.prod(shape[1:])
            state[name] = rng.normal(0, np.sqrt(2 / fan_in), shape)
        elif name.endswith("running_var") or (name.endswith("weight") and len(shape) == 1):
            state[name] = rng.uniform(0.5, 1.5, shape)
        elif name.startswith("fc."):
            state[name] = rng.normal(0, 0.05, shape)
        else:  # BatchNorm bias and running mean
            state[name] = rng.normal(0, 0.2, shape)
        state[name] = state[name].astype(np.int64 if "num_batches" in name else np.float32)
    return state


def seeded_inputs(seed):
    return np.random.default_rng(seed).normal(0, 1, INPUT_SHAPE).astype(np.float32)


def _model(library, architecture):
    if library == "torchvision":
        import torchvision

        return getattr(torchvision.models, architecture)(weights=None)
    import timm

    return timm.create_model(architecture, pretrained=False)


def write_key_sets():
    """state_dict_keys.json.gz: names and shapes of the state dict of every
    architecture the converter covers, from torchvision where it has it and
    from timm (its plain ResNets too)."""
    import gzip

    import torchvision
    from keras_resnet.specs import TORCH_ARCHITECTURES

    sets = {}
    for architecture in TORCH_ARCHITECTURES:
        sources = [("timm", architecture)]
        if hasattr(torchvision.models, architecture):
            sources.insert(0, ("torchvision", architecture))
        for library, name in sources:
            model = _model(library, name)
            sets[f"{library}:{name}"] = [(k, list(v.shape)) for k, v in
                                         model.state_dict().items()]
    with gzip.open(os.path.join(HERE, "state_dict_keys.json.gz"), "wt") as f:
        json.dump(sets, f)


def write_catalogue(torchvision, timm):
    """keras_resnet/converters/pytorch_weights.json: where each published
    weight set of the architectures we convert lies, its reported accuracy,
    recipe, evaluation transforms and licence, as the libraries state them."""
    from keras_resnet.specs import TORCH_ARCHITECTURES

    catalogue = {}
    for architecture in TORCH_ARCHITECTURES:
        enum = next((e for e in vars(torchvision.models).values()
                     if isinstance(e, type) and e.__name__.lower() == f"{architecture}_weights"),
                    None)
        for weights in enum or ():
            t = weights.transforms()
            catalogue[f"torchvision:{architecture}.{weights.name}"] = {
                "architecture": architecture, "url": weights.url,
                "top1": weights.meta["_metrics"]["ImageNet-1K"]["acc@1"],
                "recipe": weights.meta["recipe"], "resize": t.resize_size[0],
                "crop": t.crop_size[0], "interpolation": "bilinear",
                "licence": "BSD-3-Clause (torchvision)"}
        for tag in timm.list_pretrained(architecture + ".*"):
            cfg = timm.models.get_pretrained_cfg(tag)
            crop = cfg.input_size[-1]
            catalogue[f"timm:{tag}"] = {
                "architecture": architecture, "url": f"https://huggingface.co/{cfg.hf_hub_id}",
                "top1": None, "recipe": cfg.origin_url, "resize": int(crop / cfg.crop_pct),
                "crop": crop, "interpolation": cfg.interpolation, "licence": cfg.license}
    path = os.path.join(os.path.dirname(HERE), "..", "..", "keras_resnet", "converters",
                        "pytorch_weights.json")
    with open(path, "w") as f:
        json.dump(catalogue, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    import PIL
    import timm
    import torch
    import torchvision
    from sklearn.datasets import load_sample_images
    from torchvision import transforms

    os.makedirs(HERE, exist_ok=True)
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__,
                "timm": timm.__version__, "pillow": PIL.__version__}
    for seed, (name, (library, architecture)) in enumerate(sorted(CASES.items())):
        model = _model(library, architecture).eval()
        keys = [(k, list(v.shape)) for k, v in model.state_dict().items()]
        state = seeded_state_dict(keys, seed)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        x = seeded_inputs(seed)
        with torch.no_grad():
            logits = model(torch.from_numpy(x)).numpy()
        with open(os.path.join(HERE, f"{name}.json"), "w") as f:
            json.dump({"library": library, "architecture": architecture, "seed": seed,
                       "versions": versions, "keys": keys}, f, indent=1)
            f.write("\n")
        np.save(os.path.join(HERE, f"{name}-logits.npy"), logits)
        print(name, logits.shape, float(np.abs(logits).max()))
    write_catalogue(torchvision, timm)
    write_key_sets()
    photos = dict(zip(("china", "flower"), load_sample_images().images))
    crops = {}
    for photo, (resize, crop) in TRANSFORMS.items():
        pipeline = transforms.Compose([
            transforms.Resize(resize, interpolation=transforms.InterpolationMode.BILINEAR,
                              antialias=True),
            transforms.CenterCrop(crop), transforms.PILToTensor()])
        crops[photo] = pipeline(PIL.Image.fromarray(photos[photo])).numpy().transpose(1, 2, 0)
    np.savez_compressed(os.path.join(HERE, "transforms.npz"), **crops)
    with open(os.path.join(HERE, "transforms.json"), "w") as f:
        json.dump({"versions": versions, "photos": {p: {"resize": r, "crop": c}
                                                     for p, (r, c) in TRANSFORMS.items()},
                   "pipeline": "PIL image → Resize(resize, bilinear, antialias) → "
                               "CenterCrop(crop) → PILToTensor (uint8)"}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
