"""Is the input pipeline the bottleneck? Three figures from one process:

1. the training stream alone (decode, augment, batch, prefetch), images/s;
2. `model.fit` on that stream, images/s;
3. `model.fit` on the same batches held in memory, images/s.

(2) within 10% of (3) means the pipeline keeps up. Rounds of (2) and (3)
alternate, and medians are reported.

    .venv/bin/python benchmarks/pipeline_speed.py [--steps 60] [--rounds 5]
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
import tensorflow as tf  # noqa: E402

import keras_resnet  # noqa: E402
from keras_resnet.edge.input_spec import InputSpec  # noqa: E402
from keras_resnet.training import fashion_mnist  # noqa: E402
from keras_resnet.training.pipeline import train_stream  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    (x, y), _ = fashion_mnist.load()

    def stream(round_index):
        start = round_index * args.steps
        return train_stream(x, y, 10, batch_size=args.batch, seed=0, start_step=start,
                            total_steps=start + args.steps, spec=InputSpec(28, 28, 1),
                            deterministic=False)

    for _ in stream(99).take(2):  # trace the stream's functions once
        pass
    start = time.perf_counter()
    batches = [(np.asarray(a), np.asarray(b)) for a, b in stream(0)]
    alone = args.steps * args.batch / (time.perf_counter() - start)
    memory = tf.data.Dataset.from_tensor_slices(
        (np.stack([a for a, _ in batches]), np.stack([b for _, b in batches])))
    memory = memory.cache().prefetch(tf.data.AUTOTUNE)

    model = keras_resnet.ResNet20(input_shape=(28, 28, 1), classes=10, preprocessing="unit")
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=False)
    model.fit(memory, epochs=1, verbose=0)  # trace and warm up
    rates = {"fit on the stream": [], "fit on batches in memory": []}
    for r in range(args.rounds):
        for name, data in (("fit on the stream", stream(r + 1)),
                           ("fit on batches in memory", memory)):
            start = time.perf_counter()
            model.fit(data, epochs=1, verbose=0)
            rates[name].append(args.steps * args.batch / (time.perf_counter() - start))
    print(f"Fashion-MNIST, ResNet-20, batch {args.batch}, {args.steps} steps a round, "
          f"{cpu_description()}, median of {args.rounds} alternating rounds")
    print("| what | images/s |")
    print("|---|--:|")
    print(f"| the training stream alone | {alone:.0f} |")
    for name, values in rates.items():
        print(f"| {name} | {statistics.median(values):.0f} |")
    ratio = statistics.median(rates["fit on the stream"]) / statistics.median(
        rates["fit on batches in memory"])
    print(f"fit on the stream runs at {ratio:.2f}× the in-memory speed")


if __name__ == "__main__":
    main()
