"""`resnet demo`, what `make demo` runs: the whole promise on one dataset
(`keras_resnet.demo.run`, which says what it writes). Exits 1 when a step
fails or the deployable int8 file loses too much accuracy."""

import os

from keras_resnet.cli.options import new_run_dir, recipe_overrides, resumed_recipe
from keras_resnet.models import list_models


def add_parser(sub):
    parser = sub.add_parser(
        "demo", help="the main job (make demo): train, test, export float32 and int8, verify",
        description="Trains a ResNet with the demo recipe (2,000 steps, about 10 minutes on "
                    "2 CPU cores), evaluates it on the test set, exports float32 and int8 "
                    ".tflite files, checks both with LiteRT and prints a summary. Each run "
                    "goes to a new directory OUTPUT/demo-<time>. Example: resnet demo "
                    "--steps 500")
    parser.add_argument("--model", choices=list_models(), metavar="MODEL",
                        help="default ResNet20; any name from `resnet models`")
    schedule = parser.add_mutually_exclusive_group()
    schedule.add_argument("--steps", type=int, help="optimizer steps (default 2000)")
    schedule.add_argument("--epochs", type=int, help="passes over the training images")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--dataset", help="fashion_mnist (default), tfds:<name>, or a folder "
                        "with one subfolder of images per class")
    parser.add_argument("--data-dir", help="where the dataset's files are")
    parser.add_argument("--output", default="runs", help="parent of the run directory")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue an interrupted demo run")


def run(args):
    from keras_resnet.demo.run import run_demo
    from keras_resnet.training.recipe import load_recipe

    if args.resume:
        recipe = resumed_recipe(args.resume, args.data_dir, (
            ("--model", args.model), ("--steps", args.steps), ("--epochs", args.epochs),
            ("--batch-size", args.batch_size), ("--dataset", args.dataset)))
        return run_demo(recipe, args.resume, resume=True)
    overrides = recipe_overrides(args, ("model", "batch_size", "data_dir"))
    if args.epochs is not None:
        overrides["steps_per_epoch"] = 0  # an epoch is a pass over the images
    if args.steps is not None and args.steps > 0:  # equal epochs of at most the recipe's
        epochs = -(-args.steps // load_recipe("demo").steps_per_epoch)
        overrides["steps_per_epoch"] = -(-args.steps // epochs)
    if args.dataset:
        folder = os.path.isdir(args.dataset)
        overrides["dataset"] = "folder" if folder else args.dataset
        if folder:
            overrides["data_dir"] = args.dataset
    return run_demo(load_recipe("demo", overrides), new_run_dir(args.output, "demo"))
