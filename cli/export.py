"""`resnet export`: a `.keras` model → TFLite/LiteRT variants, verified
(`keras_resnet.export.from_run.export_checkpoint`)."""

import os

from keras_resnet.arguments import invalid
from keras_resnet.cli.options import UserError, check_at_least
from keras_resnet.export.variants import QUANTIZATIONS, Tuning


def add_parser(sub):
    parser = sub.add_parser(
        "export", help="convert a model to TFLite/LiteRT, quantize and verify it",
        description="Writes OUTPUT/model_<q>.tflite with metadata for each --quantize, "
                    "the SavedModel, and report.json/report.md (accuracy on the test set "
                    "against the Keras model, size, ops, latency). A checkpoint inside a "
                    "run directory brings its own calibration and test images. Example: "
                    "resnet export runs/x/checkpoints/best.keras --quantize float32 int8")
    parser.add_argument("model", help="a .keras model")
    parser.add_argument("--quantize", nargs="+", default=["float32", "int8"],
                        choices=QUANTIZATIONS)
    parser.add_argument("--qat", action="store_true",
                        help="also an int8 model made by quantization-aware training (int8-qat)")
    parser.add_argument("--prune", action="store_true",
                        help="also an int8 model pruned to --sparsity while fine-tuned "
                             "(int8-pruned; smaller once compressed)")
    parser.add_argument("--cluster", action="store_true",
                        help="also an int8 model whose kernels share --clusters values "
                             "(int8-clustered; smaller once compressed)")
    parser.add_argument("--sparsity", type=float, default=Tuning.sparsity,
                        help=f"fraction of zero weights of --prune (default {Tuning.sparsity})")
    parser.add_argument("--clusters", type=int, default=Tuning.clusters,
                        help=f"distinct values per kernel of --cluster (default "
                             f"{Tuning.clusters})")
    parser.add_argument("--tune-epochs", type=int, default=Tuning.epochs,
                        help="epochs of fine-tuning for --qat, --prune and --cluster")
    parser.add_argument("--output", help="output directory (default: exports/<run>)")
    parser.add_argument("--batch-size", type=int, default=1, help="fixed batch of the input")
    parser.add_argument("--calibration-images", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0, help="seed of the calibration sample")
    parser.add_argument("--no-verify", action="store_true",
                        help="skip the test-set comparison and latency report")
    parser.add_argument("--overwrite", action="store_true")


def run(args):
    check_at_least(1, batch_size=args.batch_size, calibration_images=args.calibration_images,
                   tune_epochs=args.tune_epochs)
    if not 0 < args.sparsity < 1:
        raise invalid("--sparsity", args.sparsity, "between 0 and 1", error=UserError)
    check_at_least(2, clusters=args.clusters)
    if not args.model.endswith(".keras") or not os.path.isfile(args.model):
        raise invalid("model", args.model, "an existing .keras file", error=UserError)
    from keras_resnet.training.run_dir import run_of_checkpoint

    run_dir = run_of_checkpoint(args.model)
    name = (os.path.basename(run_dir) if run_dir
            else os.path.splitext(os.path.basename(args.model))[0])
    output = args.output or os.path.join("exports", name)
    if os.path.exists(output) and not args.overwrite:
        raise UserError(f"output directory {output!r} exists; allowed: a new directory, "
                        "or --overwrite")
    from keras_resnet.export.from_run import export_checkpoint

    extra = [q for q, wanted in (("int8-qat", args.qat), ("int8-pruned", args.prune),
                                 ("int8-clustered", args.cluster)) if wanted]
    quantize = list(dict.fromkeys(args.quantize + extra))
    tuning = Tuning(args.tune_epochs, args.sparsity, args.clusters)
    report = export_checkpoint(args.model, output, quantize, tuning=tuning,
                               calibration_images=args.calibration_images,
                               calibration_seed=args.seed, verify=not args.no_verify,
                               batch_size=args.batch_size, overwrite=args.overwrite)
    if "variants" in report:
        with open(os.path.join(output, "report.md")) as f:
            print(f.read())
    print(f"exported to {output}")
