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
    parser.add_argument("--timing", action="store_true",
                        help="also print the model's median latency on this CPU and, for "
                             "an int8 model, whether this CPU has fast int8 instructions")


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
    if args.timing:
        _print_timing(predictor)


def _print_timing(predictor):
    from keras_resnet.cpu import cpu_description, int8_capability

    median, p90 = predictor.model.latency_ms(runs=50)
    quantization = predictor.metadata.get("quantization", "unknown")
    line = (f"timing: {median:.2f} ms median, {p90:.2f} ms p90 per image (inference only, "
            f"{quantization} model) on {cpu_description()}")
    if "int8" in quantization:
        capability = int8_capability()
        line += (f"; int8 instructions: {capability}" if capability else
                 "; this CPU has no int8 dot-product instructions (VNNI, AMX, ARM dotprod): "
                 "int8 is often no faster than float32 here, unlike on phones")
    print(line)
