"""The `resnet` command. Each subcommand is a thin layer over the Python API.

Kept apart from `keras_resnet` so that arguments are checked before Keras and
TensorFlow are imported (about 5 s). User errors print one line and exit 2;
failures print one line and exit 1.
"""

import argparse
import json
import os
import sys
import time

# The named constructors of keras_resnet.list_models(), known without importing
# Keras (a test keeps the two equal).
MODEL_NAMES = (
    "ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152", "ResNet200",
    "ResNet20", "ResNet32", "ResNet44", "ResNet56", "ResNet110", "ResNet1202",
    "WideResNet50_2", "WideResNet101_2", "ResNeXt50_32x4d", "ResNeXt101_32x8d",
    "WRN16_8", "WRN28_10", "WRN40_4",
)

# keras_resnet.converters.pytorch.ARCHITECTURES, known without importing Keras.
TORCH_ARCHITECTURES = (
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnet18d", "resnet34d", "resnet50d", "resnet101d", "resnet152d", "resnet200d",
    "wide_resnet50_2", "wide_resnet101_2", "resnext50_32x4d", "resnext101_32x8d",
)


class UserError(ValueError):
    """A mistake in the command line."""


def _shape(text):
    try:
        return tuple(None if p.strip().lower() == "none" else int(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a shape; write it as H,W,C, e.g. 28,28,1") from None


def _ints(text):
    try:
        return tuple(int(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of integers, e.g. 20,56")


def _setting(text):
    """KEY=VALUE with a TOML value (numbers, true/false, "strings", [lists])."""
    from training.recipe import tomllib

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # a bare word is a string
    return key.strip(), parsed


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

    train = sub.add_parser(
        "train", help="train a model with a recipe through model.fit",
        description="Train a ResNet with a named recipe (training/recipes/*.toml). "
                    "Example: resnet train --recipe fashion_mnist --epochs 5. "
                    "Resume a stopped run with: resnet train --resume RUN_DIR.")
    train.add_argument("--recipe", default=None,
                       help="recipe name or .toml path (default: fashion_mnist)")
    train.add_argument("--model", choices=MODEL_NAMES, metavar="MODEL",
                       help="override the recipe's model, e.g. ResNet56")
    schedule = train.add_mutually_exclusive_group()
    schedule.add_argument("--epochs", type=int, help="train for this many epochs")
    schedule.add_argument("--steps", type=int, help="train for this many optimizer steps")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--seed", type=int)
    train.add_argument("--data-dir", help="directory holding the dataset's files")
    train.add_argument("--set", type=_setting, action="append", default=[],
                       metavar="KEY=VALUE", help="override any recipe setting (repeatable)")
    train.add_argument("--output", help="run directory (default: runs/<recipe>-<time>)")
    train.add_argument("--overwrite", action="store_true",
                       help="replace a run already in --output")
    train.add_argument("--resume", metavar="RUN_DIR",
                       help="continue a stopped run with its own recipe")
    train.add_argument("--quiet", action="store_true", help="one line per epoch")

    finetune = sub.add_parser(
        "finetune", help="fine-tune a trained model on a folder of your images",
        description="Two phases: a new head on the frozen backbone, then the top stages "
                    "at a lower learning rate with every BatchNorm frozen. Example: "
                    "resnet finetune runs/x/checkpoints/best.keras --data-dir photos/ "
                    "(photos/<class name>/<images>), or from pretrained weights: resnet "
                    "finetune --weights torchvision:resnet50.IMAGENET1K_V2 --data-dir photos/.")
    finetune.add_argument("source", nargs="?",
                          help="a .keras ResNet: a checkpoint of `resnet train`, "
                               "or a converted keras.applications model")
    finetune.add_argument("--weights", metavar="NAME",
                          help="start from these pretrained weights instead of a source "
                               "(`resnet weights list`); their evaluation resize, crop and "
                               "normalisation become the run's input contract")
    finetune.add_argument("--data-dir", required=True,
                          help="a folder with one subfolder of images per class")
    finetune.add_argument("--head-epochs", type=int, default=3)
    finetune.add_argument("--epochs", type=int, default=5, help="epochs of phase 2")
    finetune.add_argument("--stages", type=int, default=1, help="top stages to unfreeze")
    finetune.add_argument("--lr-factor", type=float, default=0.1,
                          help="phase 2 learning rate = recipe's × this")
    finetune.add_argument("--recipe", default="fashion_mnist")
    finetune.add_argument("--set", type=_setting, action="append", default=[],
                          metavar="KEY=VALUE", help="override any recipe setting")
    finetune.add_argument("--output", help="run directory (default: runs/finetune-<time>)")
    finetune.add_argument("--overwrite", action="store_true")
    finetune.add_argument("--resume", action="store_true", help="continue a stopped run")
    finetune.add_argument("--quiet", action="store_true")

    export = sub.add_parser(
        "export", help="convert a model to TFLite/LiteRT, quantize and verify it",
        description="Writes OUTPUT/model_<q>.tflite with metadata for each --quantize, "
                    "the SavedModel, and report.json/report.md (accuracy on the test set "
                    "against the Keras model, size, ops, latency). A checkpoint inside a "
                    "run directory brings its own calibration and test images. Example: "
                    "resnet export runs/x/checkpoints/best.keras --quantize float32 int8")
    export.add_argument("model", help="a .keras model")
    export.add_argument("--quantize", nargs="+", default=["float32", "int8"],
                        choices=("float32", "float16", "dynamic", "int8", "int8-io", "int16x8",
                                 "int8-qat", "int8-pruned", "int8-clustered"))
    export.add_argument("--qat", action="store_true",
                        help="also an int8 model made by quantization-aware training (int8-qat)")
    export.add_argument("--prune", action="store_true",
                        help="also an int8 model pruned to --sparsity while fine-tuned "
                             "(int8-pruned; smaller once compressed)")
    export.add_argument("--cluster", action="store_true",
                        help="also an int8 model whose kernels share --clusters values "
                             "(int8-clustered; smaller once compressed)")
    export.add_argument("--sparsity", type=float, default=0.5,
                        help="fraction of zero weights of --prune (default 0.5)")
    export.add_argument("--clusters", type=int, default=16,
                        help="distinct values per kernel of --cluster (default 16)")
    export.add_argument("--tune-epochs", type=int, default=1,
                        help="epochs of fine-tuning for --qat, --prune and --cluster")
    export.add_argument("--output", help="output directory (default: exports/<run>)")
    export.add_argument("--batch-size", type=int, default=1, help="fixed batch of the input")
    export.add_argument("--calibration-images", type=int, default=300)
    export.add_argument("--seed", type=int, default=0, help="seed of the calibration sample")
    export.add_argument("--no-verify", action="store_true",
                        help="skip the test-set comparison and latency report")
    export.add_argument("--overwrite", action="store_true")

    predict = sub.add_parser(
        "predict", help="classify images with an exported .tflite model (no TensorFlow)",
        description="Prints the top-k labels with probabilities for each image, "
                    "preprocessed as in training. Example: resnet predict "
                    "exports/x/model_int8.tflite shoe.jpg bag.png")
    predict.add_argument("model", help="a .tflite file written by `resnet export`")
    predict.add_argument("images", nargs="+", help="JPEG, PNG, BMP or GIF files")
    predict.add_argument("--top", type=int, default=3)
    predict.add_argument("--threads", type=int, default=None)

    demo = sub.add_parser(
        "demo", help="the main job (make demo): train, test, export float32 and int8, verify",
        description="Trains a ResNet with the demo recipe (2,000 steps, about 10 minutes on "
                    "2 CPU cores), evaluates it on the test set, exports float32 and int8 "
                    ".tflite files, checks both with LiteRT and prints a summary. Each run "
                    "goes to a new directory OUTPUT/demo-<time>. Example: resnet demo "
                    "--steps 500")
    demo.add_argument("--model", choices=MODEL_NAMES, metavar="MODEL",
                      help="default ResNet20; any name from `resnet models`")
    demo_schedule = demo.add_mutually_exclusive_group()
    demo_schedule.add_argument("--steps", type=int, help="optimizer steps (default 2000)")
    demo_schedule.add_argument("--epochs", type=int, help="passes over the training images")
    demo.add_argument("--batch-size", type=int)
    demo.add_argument("--dataset", help="fashion_mnist (default), tfds:<name>, or a folder "
                      "with one subfolder of images per class")
    demo.add_argument("--data-dir", help="where the dataset's files are")
    demo.add_argument("--output", default="runs", help="parent of the run directory")
    demo.add_argument("--resume", metavar="RUN_DIR",
                      help="continue an interrupted demo run")

    experiment = sub.add_parser(
        "experiment", help="why ResNet: the paper's degradation experiment on Fashion-MNIST",
        description="Trains plain nets (with and without BatchNorm) and ResNets of two "
                    "depths with the same recipe for several seeds, recording gradient "
                    "norms by depth, and writes the paper-style figures (errors.png, "
                    "gradients.png) and a table (summary.md). The defaults take about an "
                    "hour on 2 CPU cores. Example: resnet experiment degradation --steps 500")
    experiment.add_argument("name", choices=("degradation",))
    experiment.add_argument("--depths", type=_ints, default=(20, 56),
                            help="comma-separated CIFAR depths (default 20,56)")
    experiment.add_argument("--seeds", type=_ints, default=(0, 1), help="default 0,1")
    experiment.add_argument("--kinds", type=lambda t: tuple(t.split(",")),
                            default=("plain", "plain-nobn", "resnet"),
                            help="any of plain, plain-nobn, resnet (default all three)")
    experiment.add_argument("--steps", type=int, default=500, help="steps per net")
    experiment.add_argument("--batch-size", type=int, default=128)
    experiment.add_argument("--eval-every", type=int, default=100,
                            help="steps between test-error points")
    experiment.add_argument("--grad-every", type=int, default=50,
                            help="steps between gradient records")
    experiment.add_argument("--train-limit", type=int, default=0,
                            help="use only this many training images (0: all)")
    experiment.add_argument("--test-images", type=int, default=2000)
    experiment.add_argument("--output", help="default runs/degradation-<time>")
    experiment.add_argument("--quiet", action="store_true")

    convert = sub.add_parser(
        "convert", help="a torchvision or timm ResNet checkpoint → a .keras model",
        description="Reads a state dict (.safetensors needs no PyTorch; .pth, .pt and .bin "
                    "need torch), builds the matching model, places and checks every tensor, "
                    "and writes OUTPUT.keras and OUTPUT.json (source, architecture and, with "
                    "--weights, the weights' reported accuracy, recipe, evaluation resize "
                    "and crop, and licence). The model takes raw 0..255 RGB pixels. "
                    "Example: resnet convert resnet50-11ad3fa6.pth resnet50.keras "
                    "--weights torchvision:resnet50.IMAGENET1K_V2")
    convert.add_argument("source", help="a .safetensors, .pth, .pt or .bin state dict")
    convert.add_argument("output", help="the .keras file to write")
    convert.add_argument("--architecture", choices=TORCH_ARCHITECTURES, metavar="NAME",
                         help="one of " + ", ".join(TORCH_ARCHITECTURES)
                         + " (implied by --weights)")
    convert.add_argument("--weights", help="a known weight set, e.g. torchvision:resnet50."
                         "IMAGENET1K_V2 or timm:resnet50.a1_in1k (keras_resnet/converters/"
                         "pytorch_weights.json lists them)")
    convert.add_argument("--no-top", action="store_true",
                         help="drop the classifier (include_top=False, average pooling)")
    convert.add_argument("--classes", type=int, help="a new classifier with this many classes")
    convert.add_argument("--input-shape", type=_shape, help="H,W,C (default 224,224,3)")
    convert.add_argument("--no-normalisation", action="store_true",
                         help="take inputs already normalised with the ImageNet mean and std, "
                              "as the PyTorch model does")
    convert.add_argument("--no-softmax", action="store_true", help="output logits")
    convert.add_argument("--overwrite", action="store_true")

    weights = sub.add_parser(
        "weights", help="list or pre-fetch named pretrained weights",
        description="Named weights (keras.applications', torchvision's and timm's ImageNet "
                    "weights) are downloaded once, verified, converted and cached in "
                    "$KERAS_HOME/keras_resnet (default ~/.keras/keras_resnet). On a machine "
                    "without internet, copy that folder from one where `resnet weights fetch "
                    "NAME` ran.")
    weights_sub = weights.add_subparsers(dest="action", required=True)
    weights_sub.add_parser("list", help="every name, its architecture and input contract, "
                                        "and whether it is cached")
    fetch = weights_sub.add_parser("fetch", help="download, verify, convert and cache NAME")
    fetch.add_argument("name", help="e.g. keras:ResNet50, torchvision:resnet50.IMAGENET1K_V2")
    fetch.add_argument("--no-top", action="store_true",
                       help="keras.applications only: the smaller file without the classifier")

    evaluate = sub.add_parser("evaluate", help="evaluate a run's best checkpoint")
    evaluate.add_argument("run_dir", help="a run directory written by `resnet train`")
    evaluate.add_argument("--split", choices=("test", "validation"), default="test")

    calibrate = sub.add_parser(
        "calibrate", help="measure this device's fastest precision and XLA setting",
        description="Time ResNet-20 train steps in every precision, with XLA on and off, "
                    "on this kind of device, and keep the fastest as the default of "
                    "recipes whose precision or jit_compile is \"auto\". Run it on an "
                    "otherwise idle machine (about a minute on 2 CPU cores).")
    calibrate.add_argument("--rounds", type=int, default=20,
                           help="timed steps per setting, interleaved (median kept)")
    calibrate.add_argument("--batch-size", type=int, default=128)
    return parser


def _models(args):
    if args.table:
        from keras_resnet.report import model_table

        print(model_table())
    else:
        print("\n".join(MODEL_NAMES))


def _summary(args):
    if args.name not in MODEL_NAMES:
        raise UserError(f"name={args.name!r} is not valid; allowed: " + ", ".join(MODEL_NAMES))
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


def _resumed_recipe(run_path, data_dir, flags):
    """The recipe of the run in `run_path` (with another `data_dir` if given);
    none of `flags`, (flag, value) pairs, may be given with --resume."""
    from training.recipe import make_recipe
    from training.run_dir import RunDir

    given = [flag for flag, value in flags if value]
    if given:
        raise UserError(f"{given[0]} is not valid with --resume: a resumed run "
                        "keeps its own recipe")
    run = RunDir(run_path)
    run.check(resume=True, overwrite=False)
    settings = run.read_config()["recipe"]
    if data_dir:
        settings["data_dir"] = data_dir
    return make_recipe(settings)


def _train(args):
    from training.recipe import load_recipe
    from training.run_dir import RunDir

    if args.resume:
        recipe = _resumed_recipe(args.resume, args.data_dir, (
            ("--recipe", args.recipe), ("--model", args.model), ("--epochs", args.epochs),
            ("--steps", args.steps), ("--batch-size", args.batch_size), ("--seed", args.seed),
            ("--set", args.set), ("--output", args.output)))
        output = args.resume
    else:
        overrides = dict(args.set)
        for key, value in (("model", args.model), ("batch_size", args.batch_size),
                           ("seed", args.seed), ("data_dir", args.data_dir)):
            if value is not None:
                overrides[key] = value
        if args.epochs is not None:
            overrides.update(epochs=args.epochs, steps=0)
        if args.steps is not None:
            overrides.update(steps=args.steps, epochs=0)
        name = args.recipe or "fashion_mnist"
        recipe = load_recipe(name, overrides)
        if recipe.model not in MODEL_NAMES:
            raise UserError(f"model={recipe.model!r} is not valid; allowed: "
                            + ", ".join(MODEL_NAMES))
        stem = os.path.splitext(os.path.basename(name))[0]
        output = args.output or os.path.join("runs", f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}")
        if os.environ.get("KERAS_DISTRIBUTION_PROCESS_ID", "0") == "0":  # the writing process
            RunDir(output).check(resume=False, overwrite=args.overwrite)
    from training.fit import train

    summary = train(recipe, output, resume=bool(args.resume), overwrite=args.overwrite,
                    verbose=2 if args.quiet else "auto")
    print(f"best validation accuracy {summary['best_validation_accuracy']:.4f} "
          f"(epoch {summary['best_epoch']}); test accuracy "
          f"{summary['test']['accuracy']:.4f} on {summary['test']['images']} images; "
          f"run directory: {summary['run_dir']}")


def _finetune(args):
    from training.recipe import load_recipe

    for flag, value in (("--head-epochs", args.head_epochs), ("--epochs", args.epochs),
                        ("--stages", args.stages)):
        if value < 1:
            raise UserError(f"{flag}={value} is not valid; allowed: >= 1")
    if (args.source is None) == (args.weights is None):
        raise UserError("give one of a source .keras file and --weights NAME (not both, not neither)")
    if args.source is not None and (not args.source.endswith(".keras")
                                    or not os.path.isfile(args.source)):
        raise UserError(f"source={args.source!r} is not valid; allowed: an existing .keras file")
    overrides = {"dataset": "folder", "data_dir": args.data_dir, "epochs": args.epochs,
                 "steps": 0}
    source = args.source
    if args.weights:
        from keras_resnet.pretrained import describe

        info = describe(args.weights)
        overrides["crop_fraction"] = info["crop"] / info["resize"]
    recipe = load_recipe(args.recipe, {**dict(args.set), **overrides})
    output = args.output or os.path.join("runs", f"finetune-{time.strftime('%Y%m%d-%H%M%S')}")
    from training.finetune import finetune, pretrained_backbone

    if args.weights:
        source = pretrained_backbone(args.weights)
    head, tuned = finetune(recipe, source, output, head_epochs=args.head_epochs,
                           stages=args.stages, lr_factor=args.lr_factor, resume=args.resume,
                           overwrite=args.overwrite, verbose=2 if args.quiet else "auto")
    print(f"test accuracy: {head['test']['accuracy']:.4f} after the head, "
          f"{tuned['test']['accuracy']:.4f} after fine-tuning, on "
          f"{tuned['test']['images']} images; model: {tuned['run_dir']}/checkpoints/best.keras")


def _export(args):
    for flag, value in (("--batch-size", args.batch_size),
                        ("--calibration-images", args.calibration_images),
                        ("--tune-epochs", args.tune_epochs)):
        if value < 1:
            raise UserError(f"{flag}={value} is not valid; allowed: >= 1")
    if not 0 < args.sparsity < 1:
        raise UserError(f"--sparsity={args.sparsity} is not valid; allowed: between 0 and 1")
    if args.clusters < 2:
        raise UserError(f"--clusters={args.clusters} is not valid; allowed: >= 2")
    if not args.model.endswith(".keras") or not os.path.isfile(args.model):
        raise UserError(f"model={args.model!r} is not valid; allowed: an existing .keras file")
    from training.run_dir import run_of_checkpoint

    run = run_of_checkpoint(args.model)
    name = os.path.basename(run) if run else os.path.splitext(os.path.basename(args.model))[0]
    output = args.output or os.path.join("exports", name)
    if os.path.exists(output) and not args.overwrite:
        raise UserError(f"output directory {output!r} exists; allowed: a new directory, "
                        "or --overwrite")
    from export.from_run import export_checkpoint

    extra = [q for q, wanted in (("int8-qat", args.qat), ("int8-pruned", args.prune),
                                 ("int8-clustered", args.cluster)) if wanted]
    quantize = list(dict.fromkeys(args.quantize + extra))
    report = export_checkpoint(args.model, output, quantize, tune_epochs=args.tune_epochs,
                               sparsity=args.sparsity, clusters=args.clusters,
                               calibration_images=args.calibration_images,
                               calibration_seed=args.seed, verify=not args.no_verify,
                               batch_size=args.batch_size, overwrite=args.overwrite)
    if "variants" in report:
        with open(os.path.join(output, "report.md")) as f:
            print(f.read())
    print(f"exported to {output}")


def _predict(args):
    if args.top < 1:
        raise UserError(f"--top={args.top} is not valid; allowed: >= 1")
    import warnings

    from resnet_edge import Predictor

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predictor = Predictor(args.model, threads=args.threads)
    for warning in caught:
        print(f"resnet: warning: {warning.message}", file=sys.stderr)
    for path in args.images:
        ranked = predictor.top_k(path, k=args.top)
        print(f"{path}: " + ", ".join(f"{label} {p:.3f}" for label, p in ranked))


def _evaluate(args):
    from training.run_dir import RunDir

    run = RunDir(args.run_dir)
    if not os.path.isfile(run.best) or not os.path.isfile(run.file("config.json")):
        raise UserError(f"run_dir={args.run_dir!r} is not valid; allowed: a run directory "
                        "with config.json and checkpoints/best.keras")
    from training.evaluate import evaluate_run

    result = evaluate_run(run, args.split)
    print(f"{args.split} accuracy {result['accuracy']:.4f} on {result['images']} images; "
          f"report: {result['report']}")


def _demo(args):
    from training.recipe import load_recipe

    if args.resume:
        recipe = _resumed_recipe(args.resume, args.data_dir, (
            ("--model", args.model), ("--steps", args.steps), ("--epochs", args.epochs),
            ("--batch-size", args.batch_size), ("--dataset", args.dataset)))
        path = args.resume
    else:
        overrides = {}
        for key, value in (("model", args.model), ("batch_size", args.batch_size),
                           ("data_dir", args.data_dir)):
            if value is not None:
                overrides[key] = value
        if args.steps is not None:
            overrides.update(steps=args.steps, epochs=0)
        if args.epochs is not None:
            overrides.update(epochs=args.epochs, steps=0, steps_per_epoch=0)
        if args.dataset:
            folder = os.path.isdir(args.dataset)
            overrides["dataset"] = "folder" if folder else args.dataset
            if folder:
                overrides["data_dir"] = args.dataset
        recipe = load_recipe("demo", overrides)
        if args.steps is not None:  # equal epochs of at most the recipe's length
            epochs = -(-args.steps // recipe.steps_per_epoch)
            recipe.steps_per_epoch = -(-args.steps // epochs)
        from resnet_cli.demo import new_run_dir

        path = new_run_dir(args.output)
    from resnet_cli.demo import run_demo

    return run_demo(recipe, path, resume=bool(args.resume))


def _experiment(args):
    from training.degradation import check

    check(args.depths, args.seeds, args.kinds)
    for flag in ("steps", "batch_size", "eval_every", "grad_every", "test_images"):
        if getattr(args, flag) < 1:
            raise UserError(f"--{flag.replace('_', '-')}={getattr(args, flag)} is not valid; "
                            "allowed: >= 1")
    if args.train_limit < 0:
        raise UserError(f"--train-limit={args.train_limit} is not valid; allowed: >= 0")
    output = args.output or os.path.join("runs", f"degradation-{time.strftime('%Y%m%d-%H%M%S')}")
    from training.degradation import markdown, run_experiment

    start = time.time()
    table = run_experiment(output, depths=args.depths, seeds=args.seeds, kinds=args.kinds,
                           steps=args.steps, batch_size=args.batch_size,
                           eval_every=args.eval_every, grad_every=args.grad_every,
                           train_limit=args.train_limit, test_images=args.test_images,
                           verbose=2 if args.quiet else "auto")
    print(markdown(table))
    print(f"{(time.time() - start) / 60:.1f} min; figures and table in {output}: "
          "errors.png, gradients.png, summary.md, summary.json, curves.csv")


def _convert(args):
    weights = None
    if args.weights:
        catalogue_path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
            __file__))), "keras_resnet", "converters", "pytorch_weights.json")
        with open(catalogue_path) as f:
            catalogue = json.load(f)
        if args.weights not in catalogue:
            raise UserError(f"--weights={args.weights!r} is not valid; allowed: a key of "
                            f"{catalogue_path}, e.g. torchvision:resnet50.IMAGENET1K_V2")
        weights = catalogue[args.weights]
        if args.architecture not in (None, weights["architecture"]):
            raise UserError(f"--architecture={args.architecture!r} is not valid with "
                            f"--weights {args.weights}; allowed: {weights['architecture']}")
    architecture = args.architecture or (weights and weights["architecture"])
    if not architecture:
        raise UserError("--architecture is needed (or --weights naming a known weight set)")
    if not os.path.isfile(args.source):
        raise UserError(f"source={args.source!r} is not valid; allowed: an existing "
                        ".safetensors, .pth, .pt or .bin file")
    if not args.output.endswith(".keras"):
        raise UserError(f"output={args.output!r} is not valid; allowed: a path ending in .keras")
    if os.path.exists(args.output) and not args.overwrite:
        raise UserError(f"output={args.output!r} exists; pass --overwrite to replace it")
    if args.classes is not None and args.classes < 1:
        raise UserError(f"--classes={args.classes} is not valid; allowed: >= 1")
    from keras_resnet.converters.pytorch import from_state_dict, load_state_dict
    from keras_resnet.atomic_files import write_atomically
    from training.run_dir import write_json

    state = load_state_dict(args.source)
    model = from_state_dict(
        state, architecture, include_top=not args.no_top, classes=args.classes,
        pooling="avg" if args.no_top else None, input_shape=args.input_shape or (224, 224, 3),
        preprocessing=None if args.no_normalisation else "torchvision",
        classifier_activation=None if args.no_softmax else "softmax")
    write_atomically(args.output, model.save, suffix=".keras")
    meta = {"source": os.path.abspath(args.source), "architecture": architecture,
            "weights": args.weights, "weights_info": weights,
            "include_top": not args.no_top, "output_shape": list(model.output_shape[1:]),
            "input": "raw 0..255 RGB pixels" if not args.no_normalisation else
                     "(pixels / 255 - ImageNet mean) / ImageNet std",
            "evaluation_preprocessing": None if weights is None else
                f"training.augment.preprocess_for_eval(image, resnet_edge.input_spec."
                f"InputSpec.for_resize_crop({weights['resize']}, {weights['crop']}))"}
    meta_path = os.path.splitext(args.output)[0] + ".json"
    write_json(meta_path, meta)
    print(f"{args.output}: {model.name}, {model.count_params():,} parameters; "
          f"metadata in {meta_path}")


def _weights(args):
    from keras_resnet import pretrained

    if args.action == "list":
        print("| name | architecture | ImageNet top-1 | eval resize → crop | cached |")
        print("|---|---|--:|---|---|")
        for name in pretrained.list_weights():
            info = pretrained.describe(name)
            top1 = info["info"].get("top1")
            print(f"| {name} | {info['info']['architecture']} | "
                  f"{'–' if top1 is None else top1} | {info['resize']} → {info['crop']} | "
                  f"{'yes' if pretrained.cached(name) else 'no'} |")
        print(f"cache: {pretrained.cache_dir()}")
        return
    path = pretrained.converted_file(args.name, include_top=not args.no_top)
    print(f"{args.name}: converted weights in {path}")


def _calibrate(args):
    for flag, value in (("--rounds", args.rounds), ("--batch-size", args.batch_size)):
        if value < 1:
            raise UserError(f"{flag}={value} is not valid; allowed: >= 1")
    from training import hardware

    kind, times, decision = hardware.calibrate(rounds=args.rounds, batch=args.batch_size)
    print(f"{kind}, ResNet-20 28×28×1, batch {args.batch_size}, median of {args.rounds} "
          "interleaved steps")
    print(hardware.speed_table(times, args.batch_size))
    print(f"default for \"auto\": precision {decision['precision']}, XLA "
          f"{'on' if decision['jit_compile'] else 'off'}; saved in {hardware.cache_file()}")


COMMANDS = {"models": _models, "summary": _summary, "train": _train,
            "finetune": _finetune, "export": _export, "predict": _predict,
            "evaluate": _evaluate, "demo": _demo, "experiment": _experiment,
            "convert": _convert, "calibrate": _calibrate, "weights": _weights}


def main(argv=None):
    args = _parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads
    try:
        return COMMANDS[args.command](args) or 0
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
