"""Train-step speed on this machine: XLA on/off × float32 / mixed precision.

Builds ResNet-20 at 28×28×1 (the Fashion-MNIST recipe's model) once per
setting, warms each up, then interleaves timed `train_on_batch` calls across
the settings and prints the median images/s of each.

    .venv/bin/python benchmarks/train_speed.py [--batch 128] [--rounds 30]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_resnet  # noqa: E402

SETTINGS = [("float32", False), ("float32", True),
            ("mixed_bfloat16", False), ("mixed_bfloat16", True),
            ("mixed_float16", False)]


def build(precision, jit, batch):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        model = keras_resnet.ResNet20(input_shape=(28, 28, 1), classes=10, preprocessing="unit")
    finally:
        keras.config.set_dtype_policy(previous)
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
                  loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (args.batch, 28, 28, 1)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, args.batch)]
    models = {s: build(*s, args.batch) for s in SETTINGS}
    for model in models.values():
        for _ in range(3):
            model.train_on_batch(x, y)
    times = {s: [] for s in SETTINGS}
    for _ in range(args.rounds):
        for setting, model in models.items():
            start = time.perf_counter()
            model.train_on_batch(x, y)
            times[setting].append(time.perf_counter() - start)
    print(f"ResNet-20 28×28×1, batch {args.batch}, {os.cpu_count()} CPUs, backend "
          f"{keras.backend.backend()}, median of {args.rounds} interleaved steps")
    base = statistics.median(times[SETTINGS[0]])
    print("| precision | XLA | images/s | step time vs float32 without XLA |")
    print("|---|---|--:|--:|")
    for (precision, jit), values in times.items():
        median = statistics.median(values)
        print(f"| {precision} | {'on' if jit else 'off'} | {args.batch / median:.0f} | "
              f"{median / base:.2f} |")


if __name__ == "__main__":
    main()
