"""The training stream is a pure function of (seed, step)."""

import numpy as np

from keras_resnet.edge.input_spec import InputSpec
from keras_resnet.training.pipeline import Augmentation, train_stream


def _batches(images, labels, start, total, seed=5, **kwargs):
    stream = train_stream(images, labels, 10, batch_size=32, seed=seed, start_step=start,
                          total_steps=total, spec=InputSpec(28, 28, 1), **kwargs)
    return [(np.asarray(x), np.asarray(y)) for x, y in stream]


def test_a_stream_started_mid_way_gives_the_same_batches(rng):
    images = rng.integers(0, 256, (200, 28, 28, 1), dtype=np.uint8)  # 6 batches an epoch
    labels = rng.integers(0, 10, 200)
    whole = _batches(images, labels, 0, 15, augmentation=Augmentation(mixup=0.2, cutmix=1.0))
    tail = _batches(images, labels, 8, 15, augmentation=Augmentation(mixup=0.2, cutmix=1.0))
    assert len(whole) == 15 and len(tail) == 7
    for (x0, y0), (x1, y1) in zip(whole[8:], tail):
        np.testing.assert_array_equal(x0, x1)
        np.testing.assert_array_equal(y0, y1)
    # Different epochs see different orders, and another seed another stream.
    assert not np.array_equal(whole[0][1], whole[6][1])
    other = _batches(images, labels, 0, 1, seed=6)
    assert not np.array_equal(other[0][0], _batches(images, labels, 0, 1)[0][0])


def test_each_epoch_is_a_permutation_and_augmentation_is_pad_crop_flip(rng):
    images = np.arange(64, dtype=np.uint8).reshape(64, 1, 1, 1) * np.ones((1, 28, 28, 1), np.uint8)
    labels = np.arange(64) % 10
    batches = _batches(images, labels, 0, 2, augmentation=Augmentation(pad=4))
    seen = np.concatenate([x for x, _ in batches])  # 2 batches of 32 = one epoch
    # Each augmented image is its constant source value, plus zero padding at
    # most 4 pixels deep on a side.
    values = [int(np.max(img)) for img in seen]
    assert sorted(values) == list(range(64))  # every image once
    for img, value in zip(seen, values):
        assert np.count_nonzero(img == value) >= 24 * 24 or value == 0
