"""Learning-rate schedules: linear warm-up, then cosine or multi-step decay.

Registered with Keras so that checkpoints holding the optimizer reload.
"""

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_resnet_training")
class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """`peak` reached linearly over `warmup_steps`, then until `total_steps`:
    "cosine" decay to zero, or "multistep": × `factor` at each milestone (a
    fraction of total_steps)."""

    def __init__(self, peak, total_steps, warmup_steps=0, kind="cosine",
                 milestones=(0.5, 0.75), factor=0.1):
        self.peak = float(peak)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.kind = kind
        self.milestones = [float(m) for m in milestones]
        self.factor = float(factor)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warm = self.peak * (step + 1) / max(self.warmup_steps, 1)
        if self.kind == "cosine":
            span = max(self.total_steps - self.warmup_steps, 1)
            progress = ops.clip((step - self.warmup_steps) / span, 0.0, 1.0)
            decayed = 0.5 * self.peak * (1 + ops.cos(math.pi * progress))
        else:
            drops = sum(ops.cast(step >= m * self.total_steps, "float32") for m in self.milestones)
            decayed = self.peak * ops.power(self.factor, drops)
        return ops.where(step < self.warmup_steps, warm, decayed)

    def get_config(self):
        return dict(peak=self.peak, total_steps=self.total_steps,
                    warmup_steps=self.warmup_steps, kind=self.kind,
                    milestones=self.milestones, factor=self.factor)
