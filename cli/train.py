"""`resnet train`: a recipe through `model.fit` (`keras_resnet.training.fit.train`)."""

import os

from keras_resnet.arguments import invalid
from keras_resnet.cli.options import (UserError, new_run_dir, recipe_overrides, resumed_recipe,
                                      setting, test_result)
from keras_resnet.models import list_models


def add_parser(sub):
    parser = sub.add_parser(
        "train", help="train a model with a recipe through model.fit",
        description="Train a ResNet with a named recipe (training/recipes/*.toml). "
                    "Example: resnet train --recipe fashion_mnist --epochs 5. "
                    "Resume a stopped run with: resnet train --resume RUN_DIR.")
    parser.add_argument("--recipe", default=None,
                        help="recipe name or .toml path (default: fashion_mnist)")
    parser.add_argument("--model", choices=list_models(), metavar="MODEL",
                        help="override the recipe's model, e.g. ResNet56")
    schedule = parser.add_mutually_exclusive_group()
    schedule.add_argument("--epochs", type=int, help="train for this many epochs")
    schedule.add_argument("--steps", type=int, help="train for this many optimizer steps")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--data-dir", help="directory holding the dataset's files")
    parser.add_argument("--set", type=setting, action="append", default=[],
                        metavar="KEY=VALUE", help="override any recipe setting (repeatable)")
    parser.add_argument("--output", help="run directory (default: runs/<recipe>-<time>)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a run already in --output")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue a stopped run with its own recipe")
    parser.add_argument("--quiet", action="store_true", help="one line per epoch")


def run(args):
    from keras_resnet.training.recipe import load_recipe
    from keras_resnet.training.run_dir import RunDir

    if args.resume:
        recipe = resumed_recipe(args.resume, args.data_dir, (
            ("--recipe", args.recipe), ("--model", args.model), ("--epochs", args.epochs),
            ("--steps", args.steps), ("--batch-size", args.batch_size), ("--seed", args.seed),
            ("--set", args.set), ("--output", args.output)))
        output = args.resume
    else:
        name = args.recipe or "fashion_mnist"
        recipe = load_recipe(name, recipe_overrides(
            args, ("model", "batch_size", "seed", "data_dir"), args.set))
        if recipe.model not in ("auto", *list_models()):
            raise invalid("model", recipe.model, "'auto', " + ", ".join(list_models()),
                          error=UserError)
        stem = os.path.splitext(os.path.basename(name))[0]
        output = args.output or new_run_dir("runs", stem)
        if os.environ.get("KERAS_DISTRIBUTION_PROCESS_ID", "0") == "0":  # the writing process
            RunDir(output).check(resume=False, overwrite=args.overwrite)
    from keras_resnet.training.fit import train

    summary = train(recipe, output, resume=bool(args.resume), overwrite=args.overwrite,
                    verbose=2 if args.quiet else "auto")
    print(f"best validation accuracy {summary['best_validation_accuracy']:.4f} "
          f"(epoch {summary['best_epoch']}); {test_result(summary['test'])}; "
          f"run directory: {summary['run_dir']}")
