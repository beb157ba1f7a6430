"""`resnet import-weights`: a torchvision or timm state dict → a `.keras`
model (`keras_resnet.converters.pytorch`). `resnet convert` is the same
command under its old name, kept for one release."""

import os
import sys

from keras_resnet.arguments import invalid
from keras_resnet.cli.options import UserError, check_at_least, shape
from keras_resnet.specs import TORCH_ARCHITECTURES


def add_parser(sub):
    for name, help_text in (("import-weights", "a torchvision or timm ResNet checkpoint → "
                             "a .keras model"),
                            ("convert", "deprecated name of import-weights")):
        _add_parser(sub, name, help_text)


def _add_parser(sub, name, help_text):
    parser = sub.add_parser(
        name, help=help_text,
        description="Reads a state dict (.safetensors needs no PyTorch; .pth, .pt and .bin "
                    "need torch), builds the matching model, places and checks every tensor, "
                    "and writes OUTPUT.keras and OUTPUT.json (source, architecture and, with "
                    "--weights, the weights' reported accuracy, recipe, evaluation resize "
                    "and crop, and licence). The model takes raw 0..255 RGB pixels. "
                    "Example: resnet import-weights resnet50-11ad3fa6.pth resnet50.keras "
                    "--weights torchvision:resnet50.IMAGENET1K_V2")
    parser.add_argument("source", help="a .safetensors, .pth, .pt or .bin state dict")
    parser.add_argument("output", help="the .keras file to write")
    parser.add_argument("--architecture", choices=tuple(TORCH_ARCHITECTURES), metavar="NAME",
                        help="one of " + ", ".join(TORCH_ARCHITECTURES)
                        + " (implied by --weights)")
    parser.add_argument("--weights", help="a known weight set, e.g. torchvision:resnet50."
                        "IMAGENET1K_V2 or timm:resnet50.a1_in1k (keras_resnet/converters/"
                        "pytorch_weights.json lists them)")
    parser.add_argument("--no-top", action="store_true",
                        help="drop the classifier (include_top=False, average pooling)")
    parser.add_argument("--classes", type=int, help="a new classifier with this many classes")
    parser.add_argument("--input-shape", type=shape, help="H,W,C (default 224,224,3)")
    parser.add_argument("--no-normalisation", action="store_true",
                        help="take inputs already normalised with the ImageNet mean and std, "
                             "as the PyTorch model does")
    parser.add_argument("--no-softmax", action="store_true", help="output logits")
    parser.add_argument("--overwrite", action="store_true")


def run(args):
    from keras_resnet import weights_registry

    if args.command == "convert":
        print("resnet convert is now resnet import-weights; the old name goes in the next "
              "release", file=sys.stderr)
    weights = None
    if args.weights:
        weights = weights_registry.catalogue().get(args.weights)
        if weights is None:
            raise invalid("--weights", args.weights, f"a key of {weights_registry.CATALOGUE}, "
                          "e.g. torchvision:resnet50.IMAGENET1K_V2", error=UserError)
        if args.architecture not in (None, weights["architecture"]):
            raise invalid("--architecture", args.architecture, f"{weights['architecture']} "
                          f"with --weights {args.weights}", error=UserError)
    architecture = args.architecture or (weights and weights["architecture"])
    if not architecture:
        raise UserError("--architecture is needed (or --weights naming a known weight set)")
    if not os.path.isfile(args.source):
        raise invalid("source", args.source, "an existing .safetensors, .pth, .pt or .bin "
                      "file", error=UserError)
    if not args.output.endswith(".keras"):
        raise invalid("output", args.output, "a path ending in .keras", error=UserError)
    if os.path.exists(args.output) and not args.overwrite:
        raise UserError(f"output={args.output!r} exists; pass --overwrite to replace it")
    if args.classes is not None:
        check_at_least(1, classes=args.classes)
    from keras_resnet.atomic_files import write_atomically, write_json
    from keras_resnet.converters.pytorch import from_state_dict, load_state_dict

    state = load_state_dict(args.source)
    model = from_state_dict(
        state, architecture, include_top=not args.no_top, classes=args.classes,
        pooling="avg" if args.no_top else None, input_shape=args.input_shape or (224, 224, 3),
        preprocessing=None if args.no_normalisation else "torchvision",
        classifier_activation=None if args.no_softmax else "softmax")
    write_atomically(args.output, model.save, suffix=".keras")
    meta = {"source": os.path.abspath(args.source), "architecture": architecture,
            "weights": args.weights, "weights_info": weights,
            "include_top": not args.no_top, "output_shape": list(model.output_shape[1:]),
            "input": "raw 0..255 RGB pixels" if not args.no_normalisation else
                     "(pixels / 255 - ImageNet mean) / ImageNet std",
            "evaluation_preprocessing": None if weights is None else
                f"keras_resnet.training.augment.preprocess_for_eval(image, keras_resnet.edge."
                f"input_spec.InputSpec.for_resize_crop({weights['resize']}, {weights['crop']}))"}
    meta_path = os.path.splitext(args.output)[0] + ".json"
    write_json(meta_path, meta)
    print(f"{args.output}: {model.name}, {model.count_params():,} parameters; "
          f"metadata in {meta_path}")
