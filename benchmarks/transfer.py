"""Transfer learning on small data: ours against the baselines, several seeds.

A ResNet-20 is trained on Fashion-MNIST classes 0-4 (the "pretrained"
source). Two target tasks, with K training images per class written as a
folder of PNG files (what a user has):

- near: Fashion-MNIST classes 5-9, evaluated on all 5,000 test images of
  those classes;
- far: scikit-learn's handwritten digits (8×8, scaled to 28×28), 10 classes,
  evaluated on every image not picked for training.

Per target, K and seed, with default settings:

- logistic regression on raw pixels (scikit-learn, the issue's baseline);
- from scratch: `resnet train --set dataset=folder` (recipe fashion_mnist);
- linear probe: `resnet finetune --probe-only` from the source (its default
  head: C3 pooled on a 4×4 grid and C4 on 2×2; `--head avg` for a global
  average of C4);
- fine-tuned (ours): `resnet finetune` from the source (LP-FT; the probe is
  kept where no phase-2 epoch beats it on validation).

    .venv/bin/python benchmarks/transfer.py [--targets near far] [--shots 5 10 25 100]
                                            [--seeds 0 1 2] [--pretrain-epochs 10]
                                            [--source best.keras]  (reuse a source)
                                            [--head grid|avg]
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
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from keras_resnet.edge.input_spec import InputSpec  # noqa: E402
from keras_resnet.training import fashion_mnist  # noqa: E402
from keras_resnet.training.data import Splits  # noqa: E402
from keras_resnet.training.finetune import finetune  # noqa: E402
from keras_resnet.training.fit import TrainingFailed, train  # noqa: E402
from keras_resnet.training.pipeline import eval_dataset  # noqa: E402
from keras_resnet.training.recipe import load_recipe  # noqa: E402

SOURCE = (0, 1, 2, 3, 4)
SPEC = InputSpec(28, 28, 1)
METHODS = ("logistic regression, raw pixels", "from scratch", "linear probe", "fine-tuned (ours)")


def pretrain(fashion, epochs, out):
    """ResNet-20 on the source classes; the path of its best checkpoint."""
    (x, y), (xt, yt) = fashion
    keep, keep_test = np.isin(y, SOURCE), np.isin(yt, SOURCE)
    x, y = x[keep], y[keep]
    splits = Splits((x[1000:], y[1000:]), (x[:1000], y[:1000]), (xt[keep_test], yt[keep_test]),
                    tuple(fashion_mnist.CLASSES[k] for k in SOURCE), SPEC)
    recipe = load_recipe("fashion_mnist", {"epochs": epochs, "warmup_epochs": 0.5})
    summary = train(recipe, os.path.join(out, "source"), splits=splits, verbose=0)
    print(f"source: Fashion-MNIST classes 0-4, {len(splits.train[0])} images, {epochs} epochs, "
          f"test accuracy {summary['test']['accuracy']:.4f}", flush=True)
    return os.path.join(summary["run_dir"], "checkpoints", "best.keras")


def near_target(fashion):
    """(pool images, pool labels, test images, test labels): Fashion-MNIST 5-9."""
    (x, y), (xt, yt) = fashion
    classes = (5, 6, 7, 8, 9)
    train, test = np.isin(y, classes), np.isin(yt, classes)
    return (x[train], np.searchsorted(classes, y[train]), xt[test],
            np.searchsorted(classes, yt[test]))


def far_target():
    """The digits' 8×8 images (0..16) scaled to 28×28 grey bytes; the test
    images are those not picked for training (`pick` returns them)."""
    digits = load_digits()
    images = np.stack([np.asarray(Image.fromarray((d * 255 / 16).astype(np.uint8))
                                  .resize((28, 28), Image.BILINEAR)) for d in digits.images])
    return images[..., None], digits.target, None, None


def pick(target, shots, seed):
    """(train images, train labels, test images, test labels) for one seed."""
    x, y, xt, yt = target
    rng = np.random.default_rng(seed)
    chosen = np.concatenate([rng.choice(np.flatnonzero(y == k), shots, replace=False)
                             for k in np.unique(y)])
    if xt is None:  # the rest of the pool is the test set
        rest = np.setdiff1d(np.arange(len(y)), chosen)
        xt, yt = x[rest], y[rest]
    return x[chosen], y[chosen], xt, yt


def write_folder(images, labels, root):
    for i, (image, label) in enumerate(zip(images, labels)):
        os.makedirs(os.path.join(root, f"class{label}"), exist_ok=True)
        Image.fromarray(image[..., 0]).save(os.path.join(root, f"class{label}", f"{i:03d}.png"))


def accuracy(model_path, xt, yt):
    model = keras.saving.load_model(model_path, compile=False)
    data = eval_dataset(xt, yt, int(yt.max()) + 1, batch_size=256, spec=SPEC)
    return float(np.mean(model.predict(data, verbose=0).argmax(1) == yt))


def one(target, source, shots, seed, out, head):
    """{method: test accuracy} for one target, K and seed (None: the run failed)."""
    images, labels, xt, yt = pick(target, shots, seed)
    folder = os.path.join(out, f"k{shots}-s{seed}")
    write_folder(images, labels, os.path.join(folder, "data"))
    pixels = lambda a: a.reshape(len(a), -1) / 255.0  # noqa: E731
    logistic = LogisticRegression(max_iter=3000).fit(pixels(images), labels)
    result = {METHODS[0]: float(np.mean(logistic.predict(pixels(xt)) == yt))}
    recipe = load_recipe("fashion_mnist", {"dataset": "folder",
                                           "data_dir": os.path.join(folder, "data"),
                                           "seed": seed, "split_seed": seed})
    scratch = train(recipe, os.path.join(folder, "scratch"), verbose=0)
    result[METHODS[1]] = accuracy(os.path.join(scratch["run_dir"], "checkpoints", "best.keras"),
                                  xt, yt)
    try:
        finetune(recipe, source, os.path.join(folder, "lpft"), head=head, verbose=0)
        tuned = accuracy(os.path.join(folder, "lpft", "finetune", "checkpoints", "best.keras"),
                         xt, yt)
    except TrainingFailed as failure:
        print(f"K={shots} seed={seed}: fine-tuning failed: {failure}", flush=True)
        tuned = None
    result[METHODS[2]] = accuracy(os.path.join(folder, "lpft", "probe", "model.keras"), xt, yt)
    result[METHODS[3]] = tuned
    print(f"K={shots} seed={seed}: " + ", ".join(
        f"{m} {'failed' if a is None else f'{a:.3f}'}" for m, a in result.items()), flush=True)
    return result


def table(name, results, seeds, test_images):
    print(f"\n{cpu_description()}; target {name}, accuracy on {test_images}; median "
          f"(lowest – highest) over seeds {', '.join(map(str, seeds))}")
    print("| images per class | " + " | ".join(METHODS) + " |")
    print("|--:|" + "--:|" * len(METHODS))
    for k, runs in results.items():
        cells = []
        for method in METHODS:
            values = [run[method] for run in runs if run[method] is not None]
            failed = len(runs) - len(values)
            cells.append((f"{statistics.median(values):.3f} ({min(values):.3f} – "
                          f"{max(values):.3f})" if values else "–")
                         + (f", {failed} failed" if failed else ""))
        print(f"| {k} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", choices=("near", "far"), default=["near", "far"])
    parser.add_argument("--shots", type=int, nargs="+", default=[5, 10, 25, 100])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--pretrain-epochs", type=int, default=10)
    parser.add_argument("--source", help="a source checkpoint to reuse instead of pretraining")
    parser.add_argument("--head", choices=("grid", "avg"), default="grid",
                        help="the fine-tuning head (resnet finetune --head)")
    args = parser.parse_args()
    fashion = fashion_mnist.load()
    described = {"near": ("near: Fashion-MNIST classes 5-9", "their 5,000 test images"),
                 "far": ("far: scikit-learn digits at 28×28, 10 classes",
                         "every digit not picked for training")}
    with tempfile.TemporaryDirectory() as out:
        source = args.source or pretrain(fashion, args.pretrain_epochs, out)
        tables = []
        for name in args.targets:
            target = near_target(fashion) if name == "near" else far_target()
            results = {k: [one(target, source, k, seed, os.path.join(out, name), args.head)
                           for seed in args.seeds] for k in args.shots}
            tables.append((described[name], results))
    for (name, test_images), results in tables:
        table(name, results, args.seeds, test_images)


if __name__ == "__main__":
    main()
