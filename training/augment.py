"""Image preprocessing: the one evaluation function, and seeded train augmentation.

Images travel as float32 pixels in 0..255 with the model's channel count;
normalisation happens inside the model (its "preprocess" layer), so an
exported model takes raw pixels too. Every random choice here is a stateless
op whose seed is a function of the run seed and the image's position in the
training stream, so a resumed run sees exactly the augmentations it would have.
"""

import numpy as np
import tensorflow as tf


def to_channels(image, channels):
    """Grey, RGB or RGBA (alpha composited onto black) → `channels` (1 or 3)."""
    image = tf.cast(image, tf.float32)
    have = image.shape[-1]
    if have == 4:
        image = image[..., :3] * (image[..., 3:] / 255.0)
        have = 3
    if have == channels:
        return image
    if channels == 1:
        return tf.image.rgb_to_grayscale(image)
    return tf.image.grayscale_to_rgb(image)


def _crop_box(image, spec, store):
    """`spec.crop_box` of the image's size: Python ints when the shape is known
    while tracing, else computed by the same function at run time."""
    height, width = image.shape[0], image.shape[1]
    if height is not None and width is not None:
        return spec.crop_box(height, width, store)
    box = tf.numpy_function(lambda h, w: np.array(spec.crop_box(int(h), int(w), store), np.int32),
                            [tf.shape(image)[0], tf.shape(image)[1]], tf.int32, stateful=False)
    return [box[i] for i in range(4)] + list(spec.crop_box(1, 1, store)[4:])


def apply_contract(image, spec, store=False):
    """An image through the input contract (`keras_resnet.edge.input_spec`): channels,
    resize with the aspect ratio kept, centre crop; float32 in 0..255. With
    `store`, the enlarged window that in-memory loaders keep."""
    image = to_channels(image, spec.channels)
    resized_h, resized_w, top, left, crop_h, crop_w = _crop_box(image, spec, store)
    if not isinstance(resized_h, int) or (resized_h, resized_w) != tuple(image.shape[:2]):
        image = tf.image.resize(image, (resized_h, resized_w), method="bilinear", antialias=True)
    image = image[top:top + crop_h, left:left + crop_w]
    return tf.ensure_shape(image, (crop_h, crop_w, spec.channels))


def store_image(image, spec):
    """The uint8 image an in-memory loader keeps (see `apply_contract`)."""
    return tf.cast(tf.round(apply_contract(image, spec, store=True)), tf.uint8)


def preprocess_for_eval(image, spec):
    """The evaluation preprocessing of an InputSpec `spec`: training evaluation,
    int8 calibration and the edge predictor (its numpy mirror) use it."""
    return apply_contract(image, spec)


def augment_for_train(image, seed, spec, style="cifar", pad=4, erase=0.0):
    """Train-time augmentation of one image with a stateless `seed` (shape [2])
    into the InputSpec `spec`'s input.

    "cifar": the evaluation preprocessing, then pad `pad` pixels of zeros,
    random crop back, random flip.
    "imagenet": random resized crop (area 8-100%, aspect 3/4-4/3), random flip.
    "none": the evaluation preprocessing only.
    `erase`: probability of random erasing (a rectangle of noise).
    """
    if style == "none":
        return preprocess_for_eval(image, spec)
    seeds = tf.random.experimental.stateless_split(seed, num=4)
    height, width, channels = spec.height, spec.width, spec.channels
    if style == "imagenet":
        image = to_channels(image, channels)
        begin, size = imagenet_box(tf.shape(image), seeds[0])
        image = tf.slice(image, begin, size)
    else:
        image = preprocess_for_eval(image, spec)
        image = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]])
        image = tf.image.stateless_random_crop(image, (height, width, channels), seed=seeds[0])
    return finish_for_train(image, seeds, spec, erase)


def imagenet_box(shape, seed):
    """(begin, size) of the random resized crop in an image of `shape`
    (H, W, C): area 8-100%, aspect 3/4-4/3, the whole image after 10 misses."""
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        shape, tf.zeros([1, 0, 4]), seed=seed, area_range=(0.08, 1.0),
        aspect_ratio_range=(3 / 4, 4 / 3), max_attempts=10,
        use_image_if_no_bounding_boxes=True)
    return begin, size


def finish_for_train(image, seeds, spec, erase):
    """A crop (of any size) resized to the input, randomly flipped and erased,
    with the seeds `augment_for_train` split."""
    image = resize_for_train(image, spec.height, spec.width)
    # A branch, not tf.image's select of the image and its mirror: one pass less.
    flip = tf.random.stateless_uniform([], seed=seeds[1]) < 0.5
    image = tf.cond(flip, lambda: tf.reverse(image, [1]), lambda: image)
    if erase > 0:
        image = random_erase(image, seeds[2], erase)
    return image


def resize_for_train(image, height, width):
    """Bilinear resize to height × width, antialiased only where a side
    shrinks more than 2× (bilinear alone aliases beyond that; antialiasing
    costs 2-3× the time); a crop of the right size passes through."""
    if tuple(image.shape[:2]) == (height, width):
        return image
    shape = tf.shape(image)
    shrinks = tf.logical_or(shape[0] > 2 * height, shape[1] > 2 * width)
    return tf.cond(
        shrinks,
        lambda: tf.image.resize(image, (height, width), method="bilinear", antialias=True),
        lambda: tf.image.resize(image, (height, width), method="bilinear"))


def random_erase(image, seed, probability, area=(0.02, 0.25)):
    """Random erasing (Zhong et al. 2017): with `probability`, a rectangle of
    `area` × the image is replaced by uniform noise in 0..255."""
    seeds = tf.random.experimental.stateless_split(seed, num=4)
    shape = tf.shape(image)
    h, w = shape[0], shape[1]
    fraction = tf.random.stateless_uniform([], seeds[0], area[0], area[1])
    aspect = tf.exp(tf.random.stateless_uniform([], seeds[1], -1.0, 1.0))
    pixels = fraction * tf.cast(h * w, tf.float32)
    eh = tf.clip_by_value(tf.cast(tf.sqrt(pixels * aspect), tf.int32), 1, h)
    ew = tf.clip_by_value(tf.cast(tf.sqrt(pixels / aspect), tf.int32), 1, w)
    corner = tf.random.stateless_uniform([2], seeds[2], 0.0, 1.0)
    top = tf.cast(corner[0] * tf.cast(h - eh + 1, tf.float32), tf.int32)
    left = tf.cast(corner[1] * tf.cast(w - ew + 1, tf.float32), tf.int32)
    rows = tf.range(h)[:, None]
    cols = tf.range(w)[None, :]
    inside = (rows >= top) & (rows < top + eh) & (cols >= left) & (cols < left + ew)
    noise = tf.random.stateless_uniform(tf.shape(image), seeds[3], 0.0, 255.0)
    apply = tf.random.stateless_uniform([], seeds[3], 0.0, 1.0) < probability
    mask = tf.logical_and(inside, apply)[..., None]
    return tf.where(mask, noise, image)


def mix_batch(images, labels, seed, mixup=0.0, cutmix=0.0):
    """Mixup (Zhang et al. 2018) or CutMix (Yun et al. 2019) on one batch with
    one-hot `labels`. `mixup` and `cutmix` are the Beta distributions' alphas
    (0 turns one off); with both on, each batch picks one at random."""
    if mixup <= 0 and cutmix <= 0:
        return images, labels
    seeds = tf.random.experimental.stateless_split(seed, num=4)
    if mixup > 0 and cutmix > 0:
        use_cutmix = tf.random.stateless_uniform([], seeds[0]) < 0.5
    else:
        use_cutmix = tf.constant(cutmix > 0)
    lam = _beta(seeds[1], tf.where(use_cutmix, float(cutmix), float(mixup)))
    order = tf.random.experimental.stateless_shuffle(tf.range(tf.shape(images)[0]), seeds[2])
    other_images, other_labels = tf.gather(images, order), tf.gather(labels, order)
    box, box_lam = _cut_box(tf.shape(images), lam, seeds[3])
    lam = tf.where(use_cutmix, box_lam, lam)
    mixed = tf.where(use_cutmix, tf.where(box, other_images, images),
                     lam * images + (1 - lam) * other_images)
    return mixed, lam * labels + (1 - lam) * other_labels


def _cut_box(shape, lam, seed):
    """A box of about (1 - lam) of the image area at a random centre, as a
    broadcastable mask, and the fraction of the image it leaves."""
    h, w = shape[1], shape[2]
    side = tf.sqrt(1.0 - lam)
    ch = tf.cast(side * tf.cast(h, tf.float32), tf.int32)
    cw = tf.cast(side * tf.cast(w, tf.float32), tf.int32)
    centre = tf.random.stateless_uniform([2], seed, 0.0, 1.0)
    cy = tf.cast(centre[0] * tf.cast(h, tf.float32), tf.int32)
    cx = tf.cast(centre[1] * tf.cast(w, tf.float32), tf.int32)
    y0, y1 = tf.maximum(cy - ch // 2, 0), tf.minimum(cy + ch // 2, h)
    x0, x1 = tf.maximum(cx - cw // 2, 0), tf.minimum(cx + cw // 2, w)
    rows, cols = tf.range(h)[:, None], tf.range(w)[None, :]
    box = ((rows >= y0) & (rows < y1) & (cols >= x0) & (cols < x1))[None, :, :, None]
    kept = 1.0 - tf.cast((y1 - y0) * (x1 - x0), tf.float32) / tf.cast(h * w, tf.float32)
    return box, kept


def _beta(seed, alpha):
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    a = tf.random.stateless_gamma([], seeds[0], alpha)
    b = tf.random.stateless_gamma([], seeds[1], alpha)
    return a / (a + b)
