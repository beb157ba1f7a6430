"""The streaming input pipeline alone on a folder of JPEGs, images/s, three
ways, in interleaved rounds of one process (medians):

1. ours: `train_stream` over the folder's files (read, ImageNet-style random
   resized crop decoded with `decode_and_crop_jpeg`, resize to 224, flip,
   batches of 128, prefetch);
2. a PyTorch `DataLoader` (2 workers) doing the same crop + flip with PIL,
   as torchvision's ImageFolder + RandomResizedCrop + RandomHorizontalFlip +
   ToTensor do it (torchvision itself does not install beside torch here);
3. this CPU's plain JPEG decode rate on the same files: `tf.io.decode_jpeg`
   in a parallel tf.data map, no augmentation.

    .venv/bin/python tests/photos.py /tmp/photos50k --images 50000
    .venv/bin/python benchmarks/input_speed.py /tmp/photos50k [--images 3840] [--rounds 3]
"""

import argparse
import math
import os
import random
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_resnet.cpu import choose_onednn, cpu_description  # noqa: E402

choose_onednn()

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from keras_resnet.edge.input_spec import InputSpec  # noqa: E402
from keras_resnet.training import image_folder  # noqa: E402
from keras_resnet.training.image_files import FileImages  # noqa: E402
from keras_resnet.training.pipeline import Augmentation, train_stream  # noqa: E402

SIZE, BATCH = 224, 128


class PilCropFlip(torch.utils.data.Dataset):
    """torchvision's RandomResizedCrop(224) + RandomHorizontalFlip + ToTensor
    on PIL images, written out (same sampling: area 8-100%, log-uniform
    aspect 3/4-4/3, 10 tries, then the centre crop of the clamped aspect)."""

    def __init__(self, paths):
        self.paths = paths

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        with Image.open(self.paths[index]) as image:
            image = image.convert("RGB")
        width, height = image.size
        box = None
        for _ in range(10):
            area = width * height * random.uniform(0.08, 1.0)
            aspect = math.exp(random.uniform(math.log(3 / 4), math.log(4 / 3)))
            w, h = round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))
            if 0 < w <= width and 0 < h <= height:
                left, top = random.randint(0, width - w), random.randint(0, height - h)
                box = (left, top, left + w, top + h)
                break
        if box is None:
            w = min(width, round(height * 4 / 3))
            h = min(height, round(width * 4 / 3))
            left, top = (width - w) // 2, (height - h) // 2
            box = (left, top, left + w, top + h)
        image = image.resize((SIZE, SIZE), Image.BILINEAR, box=box)
        if random.random() < 0.5:
            image = image.transpose(Image.FLIP_LEFT_RIGHT)
        pixels = torch.from_numpy(np.asarray(image, np.uint8).copy())
        return pixels.permute(2, 0, 1).float().div(255), 0


def rate(batches, count):
    """Images/s over the batches of an iterator, the first one (start-up) excluded."""
    seen, start = 0, None
    for batch in batches:
        if start is None:
            start = time.perf_counter()
            continue
        seen += len(batch[0])
        if seen >= count:
            break
    return seen / (time.perf_counter() - start)


def ours(files, labels, count, seed):
    stream = train_stream(files, labels, 10, batch_size=BATCH, seed=seed, start_step=0,
                          total_steps=count // BATCH + 2,
                          spec=InputSpec.for_style(SIZE, 3, "imagenet"),
                          augmentation=Augmentation("imagenet"), deterministic=False)
    return rate(stream, count)


def pytorch(paths, count, seed):
    random.seed(seed)
    loader = torch.utils.data.DataLoader(PilCropFlip(paths), batch_size=BATCH, shuffle=True,
                                         num_workers=2, drop_last=True,
                                         generator=torch.Generator().manual_seed(seed))
    return rate(iter(loader), count)


def plain_decode(paths, count, seed):
    order = np.random.default_rng(seed).permutation(len(paths))
    ds = (tf.data.Dataset.from_tensor_slices([paths[i] for i in order])
          .map(lambda p: tf.io.decode_jpeg(tf.io.read_file(p), channels=3),
               num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
          .map(lambda image: (tf.shape(image),)).batch(BATCH).prefetch(tf.data.AUTOTUNE))
    return rate(ds, count)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--images", type=int, default=3840, help="images timed per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    paths, labels, _, _ = image_folder.scan(args.folder)
    scanned = time.perf_counter() - start
    start, size = time.perf_counter(), 0
    for path in paths:  # every pipeline then reads from the page cache, not the disk
        with open(path, "rb") as f:
            size += len(f.read())
    warm = time.perf_counter() - start
    files = FileImages(paths)
    results = {"ours": [], "pytorch": [], "decode": []}
    for round_ in range(args.rounds):
        results["ours"].append(ours(files, labels, args.images, round_))
        results["pytorch"].append(pytorch(paths, args.images, round_))
        results["decode"].append(plain_decode(paths, args.images, round_))
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in results.items()),
              flush=True)
    median = {k: statistics.median(v) for k, v in results.items()}
    print(f"\nCPU: {cpu_description()}; {len(paths)} files, {size / 2**20:.0f} MiB (header "
          f"scan {scanned:.1f} s; reading them all into the page cache first took "
          f"{warm:.1f} s), {args.images} images a round, {args.rounds} rounds, medians")
    print("| pipeline | images/s | ours ÷ it |")
    print("|---|--:|--:|")
    print(f"| ours: files → random resized crop (decode_and_crop_jpeg) → {SIZE} + flip "
          f"| {median['ours']:.0f} | 1.00 |")
    print(f"| PyTorch DataLoader, 2 workers, PIL crop + flip | {median['pytorch']:.0f} "
          f"| {median['ours'] / median['pytorch']:.2f} |")
    print(f"| plain tf.io.decode_jpeg, no augmentation | {median['decode']:.0f} "
          f"| {median['ours'] / median['decode']:.2f} |")


if __name__ == "__main__":
    main()
