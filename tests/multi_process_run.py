"""`python multi_process_run.py OUT_DIR NAME DISTRIBUTE`, with KERAS_BACKEND=jax
(and, for distribute "jax", the KERAS_DISTRIBUTION_* variables): trains a tiny
deterministic recipe into OUT_DIR/run-NAME and writes what the test compares
to OUT_DIR/NAME.json."""

import json
import sys

from training.fit import train
from training.recipe import load_recipe

out, name, distribute = sys.argv[1:4]
recipe = load_recipe("fashion_mnist", {
    "train_limit": 1024, "validation_size": 256, "test_limit": 256, "batch_size": 128,
    "epochs": 2, "seed": 3, "augment": "none", "distribute": distribute,
    "deterministic": True, "learning_rate": 0.01, "warmup_epochs": 0})
summary = train(recipe, f"{out}/run-{name}", verbose=0)
with open(f"{out}/{name}.json", "w") as f:
    json.dump({"loss": [h["loss"] for h in summary["history"]],
               "replicas": summary["device"]["replicas"],
               "steps": summary["optimizer_steps"],
               "test_accuracy": summary["test"]["accuracy"]}, f)
