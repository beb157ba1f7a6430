"""The `resnet` command. Each subcommand is a thin layer over the Python API.

Kept apart from `keras_resnet` so that arguments are checked before Keras and
TensorFlow are imported (about 5 s). User errors print one line and exit 2.
"""

import argparse
import os
import sys


def _shape(text):
    try:
        return tuple(None if p.strip().lower() == "none" else int(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a shape; write it as H,W,C, e.g. 28,28,1") from None


def _parser():
    parser = argparse.ArgumentParser(prog="resnet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    models = sub.add_parser("models", help="list the named models")
    models.add_argument("--table", action="store_true",
                        help="build each one and print parameters and MACs (about a minute)")
    summary = sub.add_parser("summary", help="build one model and print its summary")
    summary.add_argument("name", help="a name from `resnet models`, e.g. ResNet50")
    summary.add_argument("--input-shape", type=_shape, default=None, help="H,W,C")
    summary.add_argument("--classes", type=int, default=1000)
    summary.add_argument("--variant", default=None)
    return parser


def _models(args):
    if args.table:
        from keras_resnet.report import model_table

        print(model_table())
    else:
        import keras_resnet

        print("\n".join(keras_resnet.list_models()))


def _summary(args):
    import keras_resnet

    if args.name not in keras_resnet.list_models():
        raise ValueError(f"name={args.name!r} is not valid; allowed: "
                         + ", ".join(keras_resnet.list_models()))
    kwargs = {"classes": args.classes}
    if args.input_shape:
        kwargs["input_shape"] = args.input_shape
    if args.variant:
        kwargs["variant"] = args.variant
    model = getattr(keras_resnet, args.name)(**kwargs)
    model.summary(line_length=110)
    if None not in model.input_shape[1:]:
        print(f"MACs per image: {keras_resnet.count_macs(model):,}")


def main(argv=None):
    args = _parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads
    try:
        {"models": _models, "summary": _summary}[args.command](args)
    except ValueError as error:
        print(f"resnet: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
