"""Generated photo folders: ROOT/<class>/<n>.jpg, JPEGs of about the size and
entropy of ordinary 320×240 photos, with a class signal a ResNet can learn.

Every image is a smooth random scene (low-frequency colour noise, fine grain)
with one object on it: an ellipse of the class's hue (10 hues around the
colour wheel, brightness and saturation random) striped at the class's angle
(0°..81° in 9° steps: a horizontal flip turns them into 99°..180°, no other
class's), at a random place and size. Classes are balanced; the same seed gives the same
files. Tests build small folders; benchmarks build 5,000 and 50,000 images:

    .venv/bin/python tests/photos.py OUT --images 50000 [--classes 10] [--workers 2]
"""

import argparse
import colorsys
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from PIL import Image

SIZE = (320, 240)  # width, height


def photo(label, classes, seed, size=SIZE):
    """One H×W×3 uint8 image of class `label`."""
    rng = np.random.default_rng(seed)
    width, height = size
    coarse = rng.uniform(0, 255, (6, 8, 3)).astype(np.uint8)
    scene = np.asarray(Image.fromarray(coarse).resize((width, height), Image.BICUBIC),
                       np.float32)
    scene += rng.normal(0, 6, scene.shape)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    cy, cx = rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width
    ry, rx = rng.uniform(0.2, 0.4) * height, rng.uniform(0.2, 0.4) * width
    inside = ((rows - cy) / ry) ** 2 + ((cols - cx) / rx) ** 2 <= 1
    angle = np.pi / 2 * label / classes  # the stripes' direction, 0..90°
    period = rng.uniform(10, 18)
    stripes = np.sin(2 * np.pi * (rows * np.cos(angle) + cols * np.sin(angle)) / period) > 0
    hue = label / classes
    light = np.array(colorsys.hsv_to_rgb(hue, rng.uniform(0.6, 1), rng.uniform(0.7, 1))) * 255
    dark = light * rng.uniform(0.3, 0.5)
    scene[inside] = np.where(stripes[inside, None], light, dark)
    return np.clip(scene, 0, 255).astype(np.uint8)


def _write(job):
    root, class_name, label, classes, index, seed, quality, size = job
    path = os.path.join(root, class_name, f"{index:06d}.jpg")
    Image.fromarray(photo(label, classes, seed, size)).save(path, quality=quality)


def make_folder(root, images, classes=10, seed=0, quality=85, workers=1, size=SIZE):
    """Writes `images` JPEGs of `size` (width, height), balanced over
    `classes`, under `root`; returns root."""
    names = [f"class_{k:02d}" for k in range(classes)]
    for name in names:
        os.makedirs(os.path.join(root, name), exist_ok=True)
    jobs = [(root, names[i % classes], i % classes, classes, i, seed * 1_000_003 + i, quality,
             size) for i in range(images)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_write, jobs, chunksize=256))
    else:
        for job in jobs:
            _write(job)
    return root


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--size", default="320x240", help="width x height of every photo")
    args = parser.parse_args()
    size = tuple(int(side) for side in args.size.split("x"))
    make_folder(args.out, args.images, args.classes, args.seed, workers=args.workers, size=size)
    print(f"{args.images} images in {args.out}")
