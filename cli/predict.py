"""`resnet predict`: classify images with an exported `.tflite` file
(`keras_resnet.edge.Predictor`; no TensorFlow)."""

import sys

from keras_resnet.cli.options import check_at_least


def add_parser(sub):
    parser = sub.add_parser(
        "predict", help="classify images with an exported .tflite model (no TensorFlow)",
        description="Prints the top-k labels with probabilities for each image, "
                    "preprocessed as in training. Example: resnet predict "
                    "exports/x/model_int8.tflite shoe.jpg bag.png")
    parser.add_argument("model", help="a .tflite file written by `resnet export`")
    parser.add_argument("images", nargs="+", help="JPEG, PNG, BMP or GIF files")
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)


def run(args):
    check_at_least(1, top=args.top)
    import warnings

    from keras_resnet.edge import Predictor

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predictor = Predictor(args.model, threads=args.threads)
    for warning in caught:
        print(f"resnet: warning: {warning.message}", file=sys.stderr)
    for path in args.images:
        ranked = predictor.top_k(path, k=args.top)
        print(f"{path}: " + ", ".join(f"{label} {p:.3f}" for label, p in ranked))
