"""`resnet finetune`: transfer learning on a folder of images
(`keras_resnet.training.finetune`)."""

import os

from keras_resnet.arguments import invalid
from keras_resnet.cli.options import (UserError, check_at_least, new_run_dir, setting,
                                      test_result)


def add_parser(sub):
    parser = sub.add_parser(
        "finetune", help="fine-tune a trained model on a folder of your images",
        description="Two phases: a linear probe (a new head fitted on the frozen "
                    "backbone's features, seconds), then the top stages from it at a lower "
                    "learning rate with every BatchNorm frozen, early-stopped on validation. "
                    "Defaults adapt to small folders and say so. Example: "
                    "resnet finetune runs/x/checkpoints/best.keras --data-dir photos/ "
                    "(photos/<class name>/<images>), or from pretrained weights: resnet "
                    "finetune --weights torchvision:resnet50.IMAGENET1K_V2 --data-dir photos/.")
    parser.add_argument("source", nargs="?",
                        help="a .keras ResNet: a checkpoint of `resnet train`, "
                             "or a converted keras.applications model")
    parser.add_argument("--weights", metavar="NAME",
                        help="start from these pretrained weights instead of a source "
                             "(`resnet weights list`); their evaluation resize, crop and "
                             "normalisation become the run's input contract")
    parser.add_argument("--data-dir", required=True,
                        help="a folder with one subfolder of images per class")
    parser.add_argument("--probe-only", action="store_true",
                        help="only the linear probe: the baseline to beat, in seconds")
    parser.add_argument("--epochs", type=int, default=5,
                        help="epochs of phase 2 (small folders get a minimum of steps)")
    parser.add_argument("--stages", type=int, default=1, help="top stages to unfreeze")
    parser.add_argument("--head", choices=("grid", "avg"), default="grid",
                        help="the new head: grid (default; the last two stages average-"
                             "pooled on small grids, which keeps where a feature was) or avg "
                             "(global average of the last stage, as the source was trained)")
    parser.add_argument("--lr-factor", type=float, default=0.1,
                        help="phase 2 learning rate = recipe's × this")
    parser.add_argument("--recipe", default="fashion_mnist")
    parser.add_argument("--set", type=setting, action="append", default=[],
                        metavar="KEY=VALUE", help="override any recipe setting")
    parser.add_argument("--output", help="run directory (default: runs/finetune-<time>)")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--resume", action="store_true", help="continue a stopped run")
    parser.add_argument("--quiet", action="store_true")


def run(args):
    from keras_resnet.training.recipe import load_recipe

    check_at_least(1, epochs=args.epochs, stages=args.stages)
    if (args.source is None) == (args.weights is None):
        raise UserError("give one of a source .keras file and --weights NAME (not both, not neither)")
    if args.source is not None and (not args.source.endswith(".keras")
                                    or not os.path.isfile(args.source)):
        raise invalid("source", args.source, "an existing .keras file", error=UserError)
    overrides = {"dataset": "folder", "data_dir": args.data_dir, "epochs": args.epochs,
                 "steps": 0}
    source = args.source
    if args.weights:
        from keras_resnet.weights_registry import weights_entry

        entry = weights_entry(args.weights)
        overrides["crop_fraction"] = entry.crop / entry.resize
    recipe = load_recipe(args.recipe, {**dict(args.set), **overrides})
    output = args.output or new_run_dir("runs", "finetune")
    from keras_resnet.training.finetune import finetune, pretrained_backbone

    if args.weights:
        source = pretrained_backbone(args.weights)
    result = finetune(recipe, source, output, stages=args.stages, lr_factor=args.lr_factor,
                      head=args.head, probe_only=args.probe_only, resume=args.resume,
                      overwrite=args.overwrite, verbose=2 if args.quiet else "auto")
    probe, tuned = result["probe"], result["finetune"]
    print(f"linear probe: {test_result(probe['test'])}, validation accuracy "
          f"{_accuracy(probe['validation_accuracy'])}; model: {probe['run_dir']}/model.keras")
    if tuned is not None:
        kept = (" (no epoch beat the linear probe's validation accuracy by more than one "
                "standard error: the probe is kept)"
                if tuned["best_epoch"] == 0 else "")
        print(f"fine-tuned: {test_result(tuned['test'])}, validation accuracy "
              f"{_accuracy(tuned['best_validation_accuracy'])}{kept}; model: "
              f"{tuned['run_dir']}/checkpoints/best.keras")


def _accuracy(value):
    return "none" if value is None else f"{value:.4f}"
