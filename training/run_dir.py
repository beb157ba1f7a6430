"""A run directory: its layout, and the state that resume reads.

    RUN/config.json      the resolved recipe, device settings, library versions
    RUN/state.json       epochs done, best validation accuracy, per-epoch logs
    RUN/checkpoints/     epoch-NNNN.keras (the latest) and best.keras
    RUN/log.csv, RUN/tensorboard/, RUN/summary.json, RUN/*.png

Every file is written under a temporary name in its directory and renamed,
so a kill at any moment leaves either the old file or the new one.
"""

import json
import os
import shutil

from keras_resnet.arguments import invalid
from keras_resnet.atomic_files import write_atomically, write_json


class RunDir:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.checkpoints = os.path.join(self.path, "checkpoints")

    def file(self, name):
        return os.path.join(self.path, name)

    @property
    def best(self):
        return os.path.join(self.checkpoints, "best.keras")

    def holds_run(self):
        return os.path.exists(self.file("config.json"))

    def check(self, resume, overwrite):
        """Raises ValueError if the directory does not fit resume/overwrite."""
        if resume and not os.path.exists(self.file("state.json")):
            raise invalid("--resume", self.path, "a run directory with a completed epoch "
                          "(state.json)")
        if self.holds_run() and not resume and not overwrite:
            raise ValueError(f"output directory {self.path!r} holds another run; "
                             "pass --resume to continue it or --overwrite to replace it")

    def prepare(self, resume, overwrite):
        """Checks the directory against resume/overwrite and makes it ready."""
        self.check(resume, overwrite)
        if self.holds_run() and not resume:
            shutil.rmtree(self.path)
        os.makedirs(self.checkpoints, exist_ok=True)
        for name in os.listdir(self.checkpoints):  # left by a kill mid-write
            if name.startswith("tmp-"):
                os.remove(os.path.join(self.checkpoints, name))

    def read_state(self):
        with open(self.file("state.json")) as f:
            return json.load(f)

    def read_config(self):
        with open(self.file("config.json")) as f:
            return json.load(f)

    def write_json(self, name, data):
        write_json(self.file(name), data)

    def save_model(self, model, name):
        """Saves `model` (with its optimizer) as checkpoints/NAME atomically."""
        path = os.path.join(self.checkpoints, name)
        write_atomically(path, model.save, prefix="tmp-", suffix=".keras")
        return path


def run_of_checkpoint(model_path):
    """The run directory holding `model_path` (RUN/checkpoints/X.keras), or None."""
    run = os.path.dirname(os.path.dirname(os.path.abspath(model_path)))
    return run if os.path.isfile(os.path.join(run, "config.json")) else None
