"""ResNet-50 at 224×224 through the export path: size of each TFLite variant
and LiteRT latency at 1 and 2 threads (XNNPACK), against the Keras float model.

Weights are random (no ImageNet weights can be downloaded here): sizes and
latencies do not depend on them. int8 calibration uses crops of scikit-learn's
two sample photos passed through the evaluation preprocessing.

    .venv/bin/python benchmarks/export_resnet50.py [--runs 50]
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_resnet.cpu import choose_onednn, cpu_description  # noqa: E402

choose_onednn()  # as the resnet command does, before TensorFlow loads

import numpy as np  # noqa: E402
from sklearn.datasets import load_sample_images  # noqa: E402

import keras_resnet  # noqa: E402
from keras_resnet.edge.input_spec import InputSpec  # noqa: E402
from keras_resnet.edge.tflite import TFLiteModel  # noqa: E402
from keras_resnet.export.convert import export_model  # noqa: E402
from keras_resnet.export.verify import keras_latency_ms, sizes  # noqa: E402
from keras_resnet.training.augment import preprocess_for_eval  # noqa: E402

SPEC = InputSpec.for_style(224, 3, "imagenet")
VARIANTS = ["float32", "float16", "dynamic", "int8"]


def calibration_images(count=64, seed=0):
    rng = np.random.default_rng(seed)
    photos = load_sample_images().images
    images = []
    for i in range(count):
        photo = photos[i % len(photos)]
        h, w = rng.integers(200, 427), rng.integers(200, 427)
        top, left = rng.integers(0, 427 - h + 1), rng.integers(0, 640 - w + 1)
        crop = photo[top:top + h, left:left + w]
        images.append(np.asarray(preprocess_for_eval(crop, SPEC)))
    return np.stack(images)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    model = keras_resnet.ResNet50(preprocessing="torchvision")
    work = tempfile.mkdtemp(prefix="bench-")
    model.save(os.path.join(work, "resnet50.keras"))
    written = export_model(os.path.join(work, "resnet50.keras"), os.path.join(work, "out"),
                           VARIANTS, calibration=calibration_images(), input_spec=SPEC)
    keras_median, _ = keras_latency_ms(model, args.runs)
    base_size = sizes(written["float32"])[0]
    rows = []
    medians = {}
    for variant in VARIANTS:
        size, gzipped = sizes(written[variant])
        latency = []
        for threads in (1, 2):
            median, p90 = TFLiteModel(written[variant], threads=threads).latency_ms(args.runs)
            medians[(variant, threads)] = median
            latency.append(f"{median:.1f} / {p90:.1f}")
        rows.append((variant, size, gzipped, latency))
    print(f"{cpu_description()}; ResNet-50 v1.5, 224×224×3, batch 1, {args.runs} runs; Keras float (TensorFlow, "
          f"all cores): {keras_median:.1f} ms median")
    print("| variant | size | vs float32 | gzip | 1 thread ms (median / p90) | "
          "2 threads ms (median / p90) | latency vs float32 (1 / 2 threads) |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for variant, size, gzipped, latency in rows:
        ratios = " / ".join(f"{medians[(variant, t)] / medians[('float32', t)]:.2f}"
                            for t in (1, 2))
        print(f"| {variant} | {size / 2**20:.1f} MiB | {size / base_size:.2f} | "
              f"{gzipped / 2**20:.1f} MiB | {latency[0]} | {latency[1]} | {ratios} |")


if __name__ == "__main__":
    main()
