"""Transfer learning on small data: ours against the baselines, several seeds.

A ResNet-20 is trained on Fashion-MNIST classes 0-4 (the "pretrained"
source). The target task is classes 5-9 with K training images per class,
written as a folder of PNG files (what a user has) and evaluated on all 5,000
test images of those classes. Per K and seed, with default settings:

- logistic regression on raw pixels (scikit-learn, the issue's baseline);
- from scratch: `resnet train --set dataset=folder` (recipe fashion_mnist);
- linear probe: `resnet finetune --probe-only` from the source;
- fine-tuned (ours): `resnet finetune` from the source (LP-FT).

    .venv/bin/python benchmarks/transfer.py [--shots 5 10 25 100] [--seeds 0 1 2]
                                            [--pretrain-epochs 3]
"""

import argparse
import os
import statistics
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_resnet.cpu import choose_onednn, cpu_description  # noqa: E402

choose_onednn()  # as the resnet command does, before TensorFlow loads

import keras  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from keras_resnet.edge.input_spec import InputSpec  # noqa: E402
from keras_resnet.training import fashion_mnist  # noqa: E402
from keras_resnet.training.data import Splits  # noqa: E402
from keras_resnet.training.finetune import finetune  # noqa: E402
from keras_resnet.training.fit import train  # noqa: E402
from keras_resnet.training.pipeline import eval_dataset  # noqa: E402
from keras_resnet.training.recipe import load_recipe  # noqa: E402

SOURCE, TARGET = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
SPEC = InputSpec(28, 28, 1)
METHODS = ("logistic regression, raw pixels", "from scratch", "linear probe", "fine-tuned (ours)")


def pretrain(x, y, xt, yt, epochs, out):
    """ResNet-20 on the source classes; the path of its best checkpoint."""
    keep, keep_test = np.isin(y, SOURCE), np.isin(yt, SOURCE)
    x, y = x[keep], y[keep]
    splits = Splits((x[1000:], y[1000:]), (x[:1000], y[:1000]), (xt[keep_test], yt[keep_test]),
                    tuple(fashion_mnist.CLASSES[k] for k in SOURCE), SPEC)
    recipe = load_recipe("fashion_mnist", {"epochs": epochs, "warmup_epochs": 0.5})
    summary = train(recipe, os.path.join(out, "source"), splits=splits, verbose=0)
    print(f"source: classes 0-4, {len(splits.train[0])} images, {epochs} epochs, test accuracy "
          f"{summary['test']['accuracy']:.4f}", flush=True)
    return os.path.join(summary["run_dir"], "checkpoints", "best.keras")


def shot_folder(x, y, shots, seed, root):
    """`shots` random training images of each target class as PNG files."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label, k in enumerate(TARGET):
        os.makedirs(os.path.join(root, f"class{k}"))
        for i, index in enumerate(rng.choice(np.flatnonzero(y == k), shots, replace=False)):
            Image.fromarray(x[index, ..., 0]).save(os.path.join(root, f"class{k}", f"{i:03d}.png"))
            images.append(x[index])
            labels.append(label)
    return np.stack(images), np.array(labels)


def accuracy(model_path, xt, yt):
    model = keras.saving.load_model(model_path, compile=False)
    data = eval_dataset(xt, yt, len(TARGET), batch_size=256, spec=SPEC)
    return float(np.mean(model.predict(data, verbose=0).argmax(1) == yt))


def one(x, y, xt, yt, source, shots, seed, out):
    """{method: test accuracy} for one K and seed."""
    folder = os.path.join(out, f"k{shots}-s{seed}")
    images, labels = shot_folder(x, y, shots, seed, os.path.join(folder, "data"))
    pixels = lambda a: a.reshape(len(a), -1) / 255.0  # noqa: E731
    logistic = LogisticRegression(max_iter=3000).fit(pixels(images), labels)
    result = {METHODS[0]: float(np.mean(logistic.predict(pixels(xt)) == yt))}
    recipe = load_recipe("fashion_mnist", {"dataset": "folder",
                                           "data_dir": os.path.join(folder, "data"),
                                           "seed": seed, "split_seed": seed})
    scratch = train(recipe, os.path.join(folder, "scratch"), verbose=0)
    result[METHODS[1]] = accuracy(os.path.join(scratch["run_dir"], "checkpoints", "best.keras"),
                                  xt, yt)
    finetune(recipe, source, os.path.join(folder, "lpft"), verbose=0)
    result[METHODS[2]] = accuracy(os.path.join(folder, "lpft", "probe", "model.keras"), xt, yt)
    result[METHODS[3]] = accuracy(os.path.join(folder, "lpft", "finetune", "checkpoints",
                                               "best.keras"), xt, yt)
    print(f"K={shots} seed={seed}: " + ", ".join(f"{m} {a:.3f}" for m, a in result.items()),
          flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, nargs="+", default=[5, 10, 25, 100])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--pretrain-epochs", type=int, default=3)
    args = parser.parse_args()
    (x, y), (xt, yt) = fashion_mnist.load()
    target_test = np.isin(yt, TARGET)
    xt_target, yt_target = xt[target_test], np.searchsorted(TARGET, yt[target_test])
    with tempfile.TemporaryDirectory() as out:
        source = pretrain(x, y, xt, yt, args.pretrain_epochs, out)
        results = {k: [one(x, y, xt_target, yt_target, source, k, seed, out)
                       for seed in args.seeds] for k in args.shots}
    print(f"\n{cpu_description()}; target: Fashion-MNIST classes 5-9, accuracy on their "
          f"{len(yt_target)} test images; median (lowest – highest) over seeds "
          f"{', '.join(map(str, args.seeds))}")
    print("| images per class | " + " | ".join(METHODS) + " |")
    print("|--:|" + "--:|" * len(METHODS))
    for k, runs in results.items():
        cells = []
        for method in METHODS:
            values = [run[method] for run in runs]
            cells.append(f"{statistics.median(values):.3f} ({min(values):.3f} – {max(values):.3f})")
        print(f"| {k} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
