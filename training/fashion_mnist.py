"""Fashion-MNIST, the embedded default: 60,000 + 10,000 real 28×28 grey images.

Sources, in order: a directory holding the four original IDX files (gzipped
or not; Debian/Ubuntu's `dataset-fashion-mnist` package installs them in
/usr/share/datasets/fashion-mnist), then TFDS's download when the network
answers a quick probe, else an error that says what to install or pass.
"""

import gzip
import os
import socket
import threading

import numpy as np

from keras_resnet.arguments import invalid

CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
SEARCH_DIRS = (
    "/usr/share/datasets/fashion-mnist",
    os.path.expanduser("~/.keras/datasets/fashion-mnist"),
)
ENV_DIR = "FASHION_MNIST_DIR"
TFDS_HOST = ("storage.googleapis.com", 443)
MISSING = ("Fashion-MNIST not found: install it with `sudo apt-get install "
           "dataset-fashion-mnist` (Debian/Ubuntu), or pass --data-dir (or set "
           f"{ENV_DIR}) to a directory holding {', '.join(FILES.values())} (.gz or not)")


def read_idx(path):
    """An IDX file (optionally gzipped) as a numpy array of its stored shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {body.size} values, its header says {shape}")
    return body.reshape(shape)


def _file_in(directory, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def find_directory(data_dir=None):
    """The first directory holding all four files, or None."""
    candidates = [data_dir] if data_dir else [os.environ.get(ENV_DIR), *SEARCH_DIRS]
    for directory in filter(None, candidates):
        if all(_file_in(directory, stem) for stem in FILES.values()):
            return directory
    return None


def load(data_dir=None):
    """((x_train, y_train), (x_test, y_test)) as uint8 arrays, images N×28×28×1."""
    directory = find_directory(data_dir)
    if directory is None and data_dir:
        raise invalid("data_dir", data_dir, f"a directory holding "
                      f"{', '.join(FILES.values())} (.gz or not)")
    if directory is not None:
        arrays = {key: read_idx(_file_in(directory, stem)) for key, stem in FILES.items()}
    elif reachable(*TFDS_HOST):
        arrays = _from_tfds()
    else:
        raise FileNotFoundError(MISSING)
    return ((arrays["train_images"][..., None], arrays["train_labels"].astype(np.int64)),
            (arrays["test_images"][..., None], arrays["test_labels"].astype(np.int64)))


def reachable(host, port, timeout=2.0):
    """Whether a TCP connection to host:port opens within `timeout` seconds,
    DNS look-up included (which socket timeouts do not bound)."""
    result = []

    def probe():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result)


def _from_tfds():
    import tensorflow_datasets as tfds

    arrays = {}
    for split in ("train", "test"):
        images, labels = tfds.as_numpy(tfds.load("fashion_mnist", split=split,
                                                 batch_size=-1, as_supervised=True))
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images[..., 0], labels
    return arrays
