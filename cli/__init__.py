"""The `resnet` command. Each subcommand is a thin layer over the Python API.

One module per subcommand, each with `add_parser(sub)` and `run(args)`:
`resnet train` is cli/train.py, `resnet android-assets` cli/android_assets.py.

Arguments are checked before Keras and TensorFlow are imported (about 5 s).
User errors print one line and exit 2; failures print one line and exit 1.
"""

import argparse
import os
import sys

from keras_resnet import cpu
from keras_resnet.cli import (android_assets, calibrate, demo, evaluate, experiment, export,
                              finetune, import_weights, models, predict, summary, train,
                              weights)
from keras_resnet.specs import DEEPEST_GRAPH_RECURSION_LIMIT

# Subcommand → its module, in the order `resnet --help` lists them.
COMMANDS = {"models": models, "summary": summary, "train": train, "finetune": finetune,
            "export": export, "predict": predict, "demo": demo, "experiment": experiment,
            "import-weights": import_weights, "convert": import_weights, "weights": weights,
            "evaluate": evaluate, "calibrate": calibrate, "android-assets": android_assets}


def parser():
    """The argument parser of every subcommand."""
    result = argparse.ArgumentParser(prog="resnet", description=__doc__.splitlines()[0])
    sub = result.add_subparsers(dest="command", required=True)
    for module in dict.fromkeys(COMMANDS.values()):  # import_weights adds "convert" too
        module.add_parser(sub)
    return result


def main(argv=None):
    args = parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads
    cpu.choose_onednn()  # oneDNN on where it helps, for this process and its children
    # For the whole process (an application may; the library raises it only
    # while it builds): ResNet-1202's checkpoints must load for resume,
    # evaluation and export, and Keras maps their graphs recursively.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), DEEPEST_GRAPH_RECURSION_LIMIT))
    try:
        return COMMANDS[args.command].run(args) or 0
    except (ValueError, FileNotFoundError) as error:
        print(f"resnet: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("resnet: interrupted; a training run continues from its last completed "
              "epoch with: resnet train --resume RUN_DIR", file=sys.stderr)
        return 130
    except Exception as error:  # a failure, not a user error: one line, exit 1
        if os.environ.get("RESNET_DEBUG"):
            raise
        print(f"resnet: failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
