"""ResNet-20 train-step speed: this project against plain Keras and PyTorch on this CPU.

Four settings, each in a fresh process (TensorFlow reads its oneDNN setting
when it loads), alternating in rounds so that the machine's noise hits all
alike; each process times `--steps` train steps on one batch of 28×28×1
images after warm-up and reports the median:

- ours: what `resnet train` does by default (oneDNN chosen by
  `keras_resnet.cpu.choose_onednn`, thread pools, the recipe's optimizer,
  precision and XLA setting from `device_defaults.resolve`);
- plain Keras, TensorFlow's defaults: the same network with Keras' own
  BatchNormalization (the library's fuses TensorFlow's kernel), SGD, no
  settings;
- plain Keras with `TF_ENABLE_ONEDNN_OPTS=1`;
- PyTorch (CPU, one thread per usable core): the same ResNet-20 (option A
  shortcuts), SGD with momentum.

    .venv/bin/python benchmarks/peers.py [--rounds 3] [--steps 20] [--batch 128]
                                         [--max-isa avx2]

`--max-isa avx2` caps the vector instructions of every library's CPU kernels
(`ONEDNN_MAX_CPU_ISA` for TensorFlow's and PyTorch's oneDNN,
`ATEN_CPU_CAPABILITY` for PyTorch's own) at AVX2 + FMA: an AVX-512 machine
standing in for an AVX2-only one. It is not one: TensorFlow still decides
its oneDNN default from the real CPU, and Eigen's kernels keep whatever the
wheel was built with.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

WARMUP = 3
SETTINGS = ("ours", "plain Keras, TF defaults", "plain Keras, oneDNN on", "PyTorch")


def _timed(step, steps):
    for _ in range(WARMUP):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _batch(batch, channels_first=False):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (batch, 28, 28, 1)).astype("float32")
    labels = rng.integers(0, 10, batch)
    return (x.transpose(0, 3, 1, 2) if channels_first else x), labels


def ours(steps, batch):
    from keras_resnet.cpu import choose_onednn

    choose_onednn()
    import keras

    from keras_resnet.training import device_defaults, fit, hardware
    from keras_resnet.training.recipe import load_recipe

    hardware.apply_threads()
    recipe = load_recipe("fashion_mnist", {"batch_size": batch})
    device = device_defaults.resolve(recipe.precision, recipe.jit_compile)
    plan = fit.plan_steps(recipe, 60000)
    model = fit._build(recipe, device, (28, 28, 1), 10)
    fit._compile(model, recipe, device, fit._optimizer(recipe, plan))
    x, labels = _batch(batch)
    y = keras.utils.to_categorical(labels, 10)
    return _timed(lambda: model.train_on_batch(x, y), steps)


def _keras_layer(layer):
    """Keras' own BatchNormalization in place of the library's fused one."""
    import keras

    from keras_resnet.layers import BatchNormalization

    cls = keras.layers.BatchNormalization if type(layer) is BatchNormalization else type(layer)
    return cls.from_config(layer.get_config())


def plain_keras(steps, batch):
    import keras

    import keras_resnet

    ours = keras_resnet.ResNet20(input_shape=(28, 28, 1), classes=10, preprocessing="unit")
    model = keras.models.clone_model(ours, clone_function=_keras_layer)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss="categorical_crossentropy")
    x, labels = _batch(batch)
    y = keras.utils.to_categorical(labels, 10)
    return _timed(lambda: model.train_on_batch(x, y), steps)


def pytorch(steps, batch):
    import torch
    from torch import nn

    from keras_resnet.cpu import usable_cores

    torch.set_num_threads(usable_cores())

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.stride, self.pad = stride, cout - cin

        def forward(self, x):
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            shortcut = x[:, :, ::self.stride, ::self.stride]  # option A
            if self.pad:
                shortcut = nn.functional.pad(shortcut, (0, 0, 0, 0, 0, self.pad))
            return torch.relu(out + shortcut)

    layers = [nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        for b in range(3):
            layers.append(Block(cin, cout, stride if b == 0 else 1))
            cin = cout
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, labels = _batch(batch, channels_first=True)
    x, y = torch.from_numpy(x / 255), torch.from_numpy(labels)

    def step():
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    return _timed(step, steps)


def _run(setting, steps, batch, max_isa):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_ENABLE_ONEDNN",
                                                                    "KERAS_RESNET_ONEDNN"))}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if max_isa:
        env.update(ONEDNN_MAX_CPU_ISA=max_isa.upper(), ATEN_CPU_CAPABILITY=max_isa)
    if setting == "plain Keras, oneDNN on":
        env["TF_ENABLE_ONEDNN_OPTS"] = "1"
    done = subprocess.run([sys.executable, __file__, "--worker", setting, "--steps", str(steps),
                           "--batch", str(batch)], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{setting} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--max-isa", choices=("avx2",),
                        help="cap every library's CPU kernels at these instructions")
    parser.add_argument("--worker", choices=SETTINGS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work = {"ours": ours, "PyTorch": pytorch}.get(args.worker, plain_keras)
        seconds = work(args.steps, args.batch)
        from keras_resnet.cpu import onednn_state

        print(json.dumps({"seconds": seconds, "onednn": onednn_state()["enabled"]}))
        return
    from keras_resnet.cpu import cpu_description

    rates = {name: [] for name in SETTINGS}
    onednn = {}
    for _ in range(args.rounds):
        for name in SETTINGS:
            result = _run(name, args.steps, args.batch, args.max_isa)
            rates[name].append(args.batch / result["seconds"])
            onednn[name] = result["onednn"]
    medians = {name: statistics.median(values) for name, values in rates.items()}
    best_keras = max(medians["plain Keras, TF defaults"], medians["plain Keras, oneDNN on"])
    capped = f"; kernels capped at {args.max_isa.upper()}" if args.max_isa else ""
    print(f"{cpu_description()}{capped}; ResNet-20 28×28×1, batch {args.batch}, median step of "
          f"{args.steps} per process, median of {args.rounds} alternating rounds")
    print("| setting | oneDNN | images/s (median) | lowest – highest | ours ÷ this |")
    print("|---|---|--:|--:|--:|")
    for name, values in rates.items():
        flag = "–" if name == "PyTorch" else ("on" if onednn[name] else "off")
        print(f"| {name} | {flag} | {medians[name]:.0f} | {min(values):.0f} – {max(values):.0f} "
              f"| {medians['ours'] / medians[name]:.2f} |")
    print(f"ours ÷ PyTorch {medians['ours'] / medians['PyTorch']:.2f} (target ≥ 1.2); ours ÷ "
          f"best plain Keras {medians['ours'] / best_keras:.2f} (target ≥ 0.95)")


if __name__ == "__main__":
    main()
