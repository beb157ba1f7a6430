"""The plots of a run: learning curves, the confusion matrix, a grid of predictions."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402

from keras_resnet.atomic_files import write_atomically  # noqa: E402


def plot_curves(history, path):
    """Loss and accuracy per epoch, training and validation."""
    if not history:
        return
    epochs = [h["epoch"] for h in history]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for prefix, style in (("", "--"), ("val_", "-")):
            values = [h.get(prefix + metric) for h in history]
            if all(v is not None for v in values):
                ax.plot(epochs, values, style, label=(prefix or "train_") + metric)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(metric)
        ax.legend()
        ax.grid(alpha=0.3)
    save_figure(figure, path)


MAX_LABELLED_CLASSES = 30  # above this, the heat map has no counts or class names


def plot_confusion(confusion, class_names, path):
    """The confusion matrix as a heat map with counts (a plain heat map of a
    fixed size for more than MAX_LABELLED_CLASSES classes: ImageNet's 1,000
    would need a million labels)."""
    confusion = np.asarray(confusion)
    k = len(class_names)
    labelled = k <= MAX_LABELLED_CLASSES
    figure, ax = plt.subplots(figsize=(1 + 0.7 * k, 0.8 + 0.6 * k) if labelled else (10, 9))
    ax.imshow(confusion, cmap="Blues")
    if labelled:
        ax.set_xticks(range(k), class_names, rotation=45, ha="right")
        ax.set_yticks(range(k), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = confusion.max() / 2
    for i in range(k if labelled else 0):
        for j in range(k):
            ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if confusion[i, j] > threshold else "black")
    save_figure(figure, path)


def save_figure(figure, path):
    figure.tight_layout()
    write_atomically(path, lambda tmp: figure.savefig(tmp, format="png", dpi=110))
    plt.close(figure)


def plot_predictions(images, labels, predicted, class_names, path, title="", columns=8):
    """A grid of images titled "predicted (true)"; wrong predictions in red."""
    images = np.asarray(images)
    rows = -(-len(images) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.9 * rows),
                                squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, true, guess in zip(axes.flat, images, labels, predicted):
        grey = image.shape[-1] == 1
        ax.imshow(image[..., 0] if grey else image, cmap="gray" if grey else None)
        ax.set_title(f"{class_names[guess]}\n({class_names[true]})", fontsize=7,
                     color="black" if guess == true else "red")
    figure.suptitle(title, fontsize=9)
    save_figure(figure, path)
