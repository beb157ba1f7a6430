"""`python multi_process_run.py OUT_DIR NAME DISTRIBUTE PHASE [PHOTO_FOLDER]`, with
KERAS_BACKEND=jax (and, for distribute "jax", the KERAS_DISTRIBUTION_*
variables): trains a tiny deterministic recipe into OUT_DIR/run-DISTRIBUTE
(every process of a distributed run names the same directory, as the real
launch command does). PHASE "whole" trains both epochs, "first" stops after
epoch 1 (a stopped job), "resume" continues a stopped run. "whole" and
"resume" write what the test compares to OUT_DIR/NAME.json. With a
PHOTO_FOLDER, the recipe streams its files (random resized crops at 32×32)."""

import json
import sys

import keras

from keras_resnet.training.fit import train
from keras_resnet.training.recipe import load_recipe


class StopAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True


out, name, distribute, phase = sys.argv[1:5]
common = {"epochs": 2, "seed": 3, "distribute": distribute, "deterministic": True,
          "learning_rate": 0.01, "warmup_epochs": 0}
if len(sys.argv) > 5:
    recipe = load_recipe("fashion_mnist", {
        **common, "dataset": "folder", "data_dir": sys.argv[5], "loading": "stream",
        "image_size": 32, "model": "ResNet20", "augment": "imagenet", "batch_size": 16,
        "validation_size": 0.25, "test_size": 0.1})
else:
    recipe = load_recipe("fashion_mnist", {
        **common, "train_limit": 1024, "validation_size": 256, "test_limit": 256,
        "batch_size": 128, "augment": "none"})
summary = train(recipe, f"{out}/run-{distribute}", verbose=0, resume=phase == "resume",
                callbacks=[StopAfterFirstEpoch()] if phase == "first" else ())
if phase != "first":
    with open(f"{out}/{name}.json", "w") as f:
        json.dump({"loss": [h["loss"] for h in summary["history"]],
                   "epochs": [h["epoch"] for h in summary["history"]],
                   "replicas": summary["device"]["replicas"],
                   "steps": summary["optimizer_steps"],
                   "test_accuracy": summary["test"]["accuracy"],
                   "test_images": summary["test"]["images"],
                   "decoded": summary["files_decoded"]}, f)
