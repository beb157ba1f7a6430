"""Training speed by TensorFlow thread settings, and ours against plain Keras.

TensorFlow's thread pools can only be sized before its runtime starts, so
each setting runs in its own process; the processes alternate over rounds
and medians are reported. Every worker trains ResNet-20 on Fashion-MNIST
(28×28×1, float32, batch 128) for warm-up plus timed steps:

- "plain Keras": `model.fit` on in-memory arrays, TensorFlow's default pools;
- "ours": `model.fit` on the project's training stream (augmentation on the
  fly) with the pools sized as named (`keras_resnet.training.hardware.thread_settings`).

    .venv/bin/python benchmarks/thread_speed.py [--steps 40] [--rounds 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WARMUP = 8


def worker(mode, intra, inter, steps, batch):
    """One process: images/s of `steps` timed fit steps after WARMUP."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import keras
    import tensorflow as tf

    import keras_resnet
    from keras_resnet.edge.input_spec import InputSpec
    from keras_resnet.training import fashion_mnist
    from keras_resnet.training.pipeline import train_stream

    if intra:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    (x, y), _ = fashion_mnist.load()
    total = WARMUP + steps
    if mode == "arrays":
        x = x[:total * batch].astype("float32")
        data = dict(x=x, y=keras.utils.to_categorical(y[:total * batch], 10), batch_size=batch)
    else:
        data = dict(x=train_stream(x, y, 10, batch_size=batch, seed=0, start_step=0,
                                   total_steps=total, spec=InputSpec(28, 28, 1),
                                   deterministic=False))
    model = keras_resnet.ResNet20(input_shape=(28, 28, 1), classes=10, preprocessing="unit")
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    stamps = []
    clock = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda step, logs: stamps.append(time.perf_counter()))
    model.fit(**data, epochs=1, verbose=0, callbacks=[clock])
    rate = steps * batch / (stamps[-1] - stamps[WARMUP - 1])
    print(json.dumps({"images_per_s": rate}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "INTRA", "INTER"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, intra, inter = args.worker
        return worker(mode, int(intra), int(inter), args.steps, args.batch)

    from keras_resnet import cpu

    cores = cpu.usable_cores()
    settings = {"plain Keras: arrays, default pools": ("arrays", 0, 0),
                "ours: stream, default pools": ("stream", 0, 0),
                **{f"ours: stream, intra {cores}, inter {k}": ("stream", cores, k)
                   for k in sorted({1, cores})}}
    rates = {name: [] for name in settings}
    for _ in range(args.rounds):
        for name, (mode, intra, inter) in settings.items():
            done = subprocess.run(
                [sys.executable, __file__, "--worker", mode, str(intra), str(inter),
                 "--steps", str(args.steps), "--batch", str(args.batch)],
                capture_output=True, text=True, check=True)
            rates[name].append(json.loads(done.stdout.strip().splitlines()[-1])["images_per_s"])
    base = statistics.median(rates["plain Keras: arrays, default pools"])
    print(f"{cpu.cpu_description()}; ResNet-20 28×28×1 float32, batch {args.batch}, "
          f"{args.steps} timed steps per process, median of {args.rounds} alternating rounds")
    print("| setting | images/s (median) | lowest – highest | vs plain Keras |")
    print("|---|--:|--:|--:|")
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.0f} | {min(values):.0f} – {max(values):.0f} | "
              f"{median / base:.2f}× |")


if __name__ == "__main__":
    main()
