"""Will a run fit in memory? An estimate made before step 1, from the model's
layer outputs, its weights and the data path, against what the machine has.

The estimate:
- activations: every layer's output for the batch, ACTIVATION_FACTOR times
  (kept for the backward pass, plus its gradients and the kernels' scratch);
- weights: WEIGHT_COPIES float32 copies of the parameters (weights,
  gradients, optimizer slots, an EMA or a checkpoint being written);
- data: twice the in-memory images (the array and the pipeline's constant),
  or a streaming pipeline's buffers (STREAM_BATCHES float32 batches in flight);
- RUNTIME: TensorFlow, Keras and the process itself.

Against peak RSS measured on a 2-core AMD EPYC (TensorFlow 2.21, oneDNN on):
ResNet-18 at 112 px, batch 32 / 128, streamed: 2.1 / 3.3 GiB estimated, 2.1 /
2.5 measured; at 64 px, batch 32: 1.8 / 1.6; the CIFAR ResNet-20 at 224 px,
batch 128, 5,000 photos in memory: 23 / 13.8 (the issue's run). Many layer
outputs share memory (fused BatchNorm and ReLU), so the sum of them is an
upper bound that the measured runs stay under.

When the total does not fit in FIT_SHARE of the memory available, the batch
is halved until it does (said as "adapted to the data"); when not even
MIN_BATCH fits, the run stops before step 1 with one line naming the estimate
and what to change. No run is left to the kernel's OOM killer.
"""

import dataclasses

import numpy as np

ACTIVATION_FACTOR = 1.25
WEIGHT_COPIES = 5
STREAM_BATCHES = 6
RUNTIME = 1.5 * 2**30
FIT_SHARE = 0.85
MIN_BATCH = 8
GIB = 2**30


def layer_elements(model):
    """Elements of one image's layer outputs, summed over the model's layers."""
    total = 0
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        for output in (layer.output if isinstance(layer.output, (list, tuple))
                       else [layer.output]):
            total += int(np.prod(output.shape[1:]))
    return total


def estimate(model, batch_size, splits, precision="float32"):
    """{part: bytes} of a run of `model` on `splits` at `batch_size`, and "total"."""
    activation_bytes = 2 if precision.startswith("mixed") else 4
    height, width = splits.size
    if splits.streaming:
        data = STREAM_BATCHES * batch_size * height * width * splits.channels * 4
    else:
        data = 2 * sum(np.asarray(images).nbytes for images, _ in
                       (splits.train, splits.validation, splits.test))
    parts = {"activations": ACTIVATION_FACTOR * layer_elements(model) * batch_size
             * activation_bytes,
             "weights": WEIGHT_COPIES * model.count_params() * 4,
             "data": data, "runtime": RUNTIME}
    parts["total"] = sum(parts.values())
    return parts


def fit_batch_to_memory(recipe, model, splits, precision, available, resumed=False):
    """(recipe, notes): `recipe` with the largest batch (halving from its own)
    whose estimate fits FIT_SHARE of `available` bytes. A resumed run keeps
    its batch. Raises MemoryError (one line) when nothing fits."""
    budget = FIT_SHARE * available
    batch = recipe.batch_size
    first = estimate(model, batch, splits, precision)
    parts = first
    while parts["total"] > budget and not resumed and batch // 2 >= MIN_BATCH:
        batch //= 2
        parts = estimate(model, batch, splits, precision)
    if parts["total"] > budget:
        raise MemoryError(
            f"batch_size={batch} needs about {parts['total'] / GIB:.1f} GiB "
            f"({_breakdown(parts)}) but {available / GIB:.1f} GiB is available; allowed: "
            f"at most {budget / GIB:.1f} GiB: set a smaller batch_size, image_size or "
            "model, or loading='stream'")
    if batch == recipe.batch_size:
        return recipe, []
    return dataclasses.replace(recipe, batch_size=batch), [
        f"batch size {batch}: about {first['total'] / GIB:.1f} GiB at "
        f"{recipe.batch_size} would not fit {FIT_SHARE:.0%} of the "
        f"{available / GIB:.1f} GiB available ({_breakdown(parts)} at {batch})"]


def _breakdown(parts):
    return ", ".join(f"{name} {parts[name] / GIB:.1f}" for name in
                     ("activations", "weights", "data", "runtime"))
