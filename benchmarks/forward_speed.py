"""Inference speed: keras_resnet vs keras.applications, same depth, same input.

Interleaves the two models' timed rounds so that machine noise hits both,
and prints the median images/s of each and their ratio.

    .venv/bin/python benchmarks/forward_speed.py [--depth 50] [--batch 16] [--rounds 15]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_resnet.cpu import choose_onednn, cpu_description  # noqa: E402

choose_onednn()  # as the resnet command does, before TensorFlow loads

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_resnet  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, choices=(50, 101, 152), default=50)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    shape = (args.size, args.size, 3)
    reference = getattr(keras.applications, f"ResNet{args.depth}")(weights=None, input_shape=shape)
    models = {
        f"keras.applications ResNet{args.depth}": reference,
        f"keras_resnet ResNet{args.depth} (converted)": keras_resnet.from_keras_applications(reference),
        f"keras_resnet ResNet{args.depth} v1.5": keras_resnet.ResNet(args.depth, input_shape=shape),
    }
    x = np.random.default_rng(0).uniform(size=(args.batch,) + shape).astype("float32")
    steps = {name: _compiled_forward(model) for name, model in models.items()}
    for step in steps.values():  # trace and warm up
        step(x)
    seconds = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            np.asarray(step(x))
            seconds[name].append(time.perf_counter() - start)

    print(f"{cpu_description()}; backend {keras.backend.backend()}, "
          f"batch {args.batch}, {args.size}×{args.size}, median of {args.rounds} interleaved rounds")
    base = statistics.median(seconds[next(iter(seconds))])
    print("| model | images/s | time vs keras.applications |")
    print("|---|--:|--:|")
    for name, times in seconds.items():
        median = statistics.median(times)
        print(f"| {name} | {args.batch / median:.1f} | {median / base:.2f} |")


def _compiled_forward(model):
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda x: model(x, training=False), jit_compile=False)
    return lambda x: model(x, training=False)


if __name__ == "__main__":
    main()
