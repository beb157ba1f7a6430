"""`resnet evaluate RUN_DIR`: a run's best checkpoint on one split
(`keras_resnet.training.evaluate.evaluate_run`)."""

import os

from keras_resnet.arguments import invalid
from keras_resnet.cli.options import UserError


def add_parser(sub):
    parser = sub.add_parser("evaluate", help="evaluate a run's best checkpoint")
    parser.add_argument("run_dir", help="a run directory written by `resnet train`")
    parser.add_argument("--split", choices=("test", "validation"), default="test")


def run(args):
    from keras_resnet.training.run_dir import RunDir

    run_dir = RunDir(args.run_dir)
    if not os.path.isfile(run_dir.best) or not os.path.isfile(run_dir.file("config.json")):
        raise invalid("run_dir", args.run_dir, "a run directory with config.json and "
                      "checkpoints/best.keras", error=UserError)
    from keras_resnet.training.evaluate import evaluate_run

    result = evaluate_run(run_dir, args.split)
    print(f"{args.split} accuracy {result['accuracy']:.4f} on {result['images']} images; "
          f"report: {result['report']}")
