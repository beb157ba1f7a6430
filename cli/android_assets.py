"""`resnet android-assets MODEL.tflite`: the Android demo's model, metadata,
samples and golden file (`keras_resnet.export.android_assets`); what `make
android-assets` runs."""

import os

from keras_resnet.arguments import invalid
from keras_resnet.cli.options import UserError


def add_parser(sub):
    parser = sub.add_parser(
        "android-assets", help="put an exported .tflite into the Android demo",
        description="Replace the Android demo's model, metadata, sample images and golden "
                    "file with an export (a model_<variant>.tflite that `resnet export` "
                    "wrote).")
    parser.add_argument("model", help="the .tflite file, e.g. exports/<run>/model_int8-io.tflite")
    parser.add_argument("--samples", help="folder of sample images for the app (needed unless "
                        "the model classifies Fashion-MNIST)")
    parser.add_argument("--assets", help="assets folder (default: the app's, "
                        "android_demo/app/src/main/assets)")


def run(args):
    if not os.path.isfile(args.model):
        raise invalid("model", args.model, "an existing .tflite file", error=UserError)
    from keras_resnet.export.android_assets import ASSETS, write_assets

    assets = args.assets or ASSETS
    golden = write_assets(args.model, assets, args.samples)
    print(f"{assets}: model.tflite, metadata.json, golden.json and "
          f"{len(golden['samples'])} samples")
