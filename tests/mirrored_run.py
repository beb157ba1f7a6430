"""Run in a fresh process (one tf.distribute strategy per process):
`python mirrored_run.py OUT_DIR` trains the same tiny recipe (synchronized
BatchNorm, deterministic ops) on one device and with MirroredStrategy over two
logical CPU devices, and writes both loss histories to OUT_DIR/losses.json."""

import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

from keras_resnet.training.fit import train  # noqa: E402
from keras_resnet.training.recipe import load_recipe  # noqa: E402

out = sys.argv[1]
losses = {}
for distribute in ("none", "mirrored"):
    recipe = load_recipe("fashion_mnist", {
        "train_limit": 1024, "validation_size": 256, "test_limit": 256, "batch_size": 128,
        "epochs": 3, "seed": 3, "augment": "none", "distribute": distribute,
        "deterministic": True, "model_options": {"bn_synchronized": True},
        "learning_rate": 0.01, "warmup_epochs": 0})
    summary = train(recipe, f"{out}/{distribute}", verbose=0)
    losses[distribute] = {"loss": [h["loss"] for h in summary["history"]],
                          "replicas": summary["device"]["replicas"],
                          "steps": summary["optimizer_steps"],
                          "test_accuracy": summary["test"]["accuracy"]}
with open(f"{out}/losses.json", "w") as f:
    json.dump(losses, f)
