"""`resnet summary NAME`: build one model and print its summary and MACs."""

from keras_resnet.arguments import invalid
from keras_resnet.cli.options import UserError, shape
from keras_resnet.models import list_models


def add_parser(sub):
    parser = sub.add_parser("summary", help="build one model and print its summary")
    parser.add_argument("name", help="a name from `resnet models`, e.g. ResNet50")
    parser.add_argument("--input-shape", type=shape, default=None, help="H,W,C")
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--variant", default=None)


def run(args):
    if args.name not in list_models():
        raise invalid("name", args.name, ", ".join(list_models()), error=UserError)
    import keras_resnet

    kwargs = {"classes": args.classes}
    if args.input_shape:
        kwargs["input_shape"] = args.input_shape
    if args.variant:
        kwargs["variant"] = args.variant
    model = getattr(keras_resnet, args.name)(**kwargs)
    model.summary(line_length=110)
    if None not in model.input_shape[1:]:
        print(f"MACs per image: {keras_resnet.count_macs(model):,}")
