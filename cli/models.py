"""`resnet models`: the named models, or their table of parameters and MACs."""

from keras_resnet.models import list_models


def add_parser(sub):
    parser = sub.add_parser("models", help="list the named models")
    parser.add_argument("--table", action="store_true",
                        help="build each one and print parameters and MACs (about a minute)")


def run(args):
    if args.table:
        from keras_resnet.model_table import model_table

        print(model_table())
    else:
        print("\n".join(list_models()))
