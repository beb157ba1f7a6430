"""Train-step speed on this machine: XLA on/off × float32 / mixed precision.

Builds ResNet-20 at 28×28×1 (the Fashion-MNIST recipe's model) once per
setting, warms each up, then interleaves timed `train_on_batch` calls across
the settings and prints the median images/s of each. The same measurement
as `resnet calibrate`, which also saves the decision for "auto" recipes.

    .venv/bin/python benchmarks/train_speed.py [--batch 128] [--rounds 30]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_resnet.cpu import choose_onednn, cpu_description  # noqa: E402

choose_onednn()  # as the resnet command does, before TensorFlow loads

import keras  # noqa: E402

from keras_resnet.training import calibration, device_defaults, hardware  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    times = calibration.measure(batch=args.batch, rounds=args.rounds)
    print(f"{hardware.device_kind()}, {cpu_description()}; ResNet-20 28×28×1, batch {args.batch}, backend "
          f"{keras.backend.backend()}, median of {args.rounds} interleaved steps")
    print(calibration.speed_table(times, args.batch))
    precision, jit, _ = device_defaults.choose(times)
    print(f"decision under the margins: precision {precision}, XLA {'on' if jit else 'off'}")


if __name__ == "__main__":
    main()
