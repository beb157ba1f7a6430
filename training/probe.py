"""A linear probe: softmax regression on a frozen backbone's pooled features.

Fast and deterministic (full-batch accelerated gradient descent in numpy on
standardised features, no randomness), it is the strong baseline of small
data and the head that fine-tuning starts from ("LP-FT": a trained head
keeps fine-tuning from wrecking the backbone's features with a random one's
gradients). The L2 weight decay is chosen on the validation split.
"""

import dataclasses

import keras
import numpy as np

from keras_resnet.training.data import eval_split

WEIGHT_DECAYS = (1e-1, 1e-2, 1e-3, 1e-4)  # strongest first: it wins ties
ITERATIONS = 1000
LIMIT = 10_000  # training images the probe fits on at most (the split's first, in random order)


def pooled_features(model, splits, which, recipe):
    """The input of `model`'s classifier (its last layer) for a split, through
    the evaluation preprocessing."""
    extractor = keras.Model(model.input, model.layers[-1].input)
    return extractor.predict(eval_split(splits, which, recipe), verbose=0).astype(np.float64)


def fit_softmax(features, labels, classes, weight_decay, iterations=ITERATIONS):
    """(kernel d×C, bias C) minimising mean cross-entropy + weight_decay/2·|kernel|²
    on features that are already standardised."""
    n, d = features.shape
    targets = np.eye(classes)[labels]
    # Step 1/L: the loss's gradient is L-Lipschitz with L ≤ ½·λmax(XᵀX)/n + weight_decay;
    # λmax from the smaller of XᵀX and XXᵀ (they share it).
    gram = features.T @ features if d <= n else features @ features.T
    step = 1 / (0.5 * np.linalg.eigvalsh(gram / n)[-1] + weight_decay + 1e-12)
    kernel, bias = np.zeros((d, classes)), np.zeros(classes)
    previous = (kernel, bias)
    for t in range(1, iterations + 1):  # Nesterov's accelerated gradient
        momentum = (t - 1) / (t + 2)
        look_kernel = kernel + momentum * (kernel - previous[0])
        look_bias = bias + momentum * (bias - previous[1])
        logits = features @ look_kernel + look_bias
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = (probabilities - targets) / n
        previous = (kernel, bias)
        kernel = look_kernel - step * (features.T @ error + weight_decay * look_kernel)
        bias = look_bias - step * error.sum(axis=0)
    return kernel, bias


def linear_probe(model, splits, recipe):
    """Trains `model`'s classifier (its last layer, a Dense on pooled
    features) as a linear probe on the frozen features; returns its summary
    (accuracies, the chosen weight decay)."""
    classes = len(splits.class_names)
    splits = dataclasses.replace(splits, train=tuple(a[:LIMIT] for a in splits.train))
    train, validation, test = (pooled_features(model, splits, which, recipe)
                               if len(getattr(splits, which)[0]) else None
                               for which in ("train", "validation", "test"))
    # Standardised per feature, with the spread floored at a tenth of the median
    # feature's: a feature (nearly) constant on few training images must not get
    # a huge weight that explodes on other images.
    mean, spread = train.mean(axis=0), train.std(axis=0)
    std = np.maximum(spread, 0.1 * np.median(spread) + 1e-6)
    scaled = [None if f is None else (f - mean) / std for f in (train, validation, test)]
    y_train, y_val, y_test = splits.train[1], splits.validation[1], splits.test[1]

    def accuracy(weights, features, labels):
        return float(np.mean((features @ weights[0] + weights[1]).argmax(1) == labels))

    fits = {wd: fit_softmax(scaled[0], y_train, classes, wd) for wd in WEIGHT_DECAYS}
    if len(y_val):
        chosen = max(WEIGHT_DECAYS, key=lambda wd: accuracy(fits[wd], scaled[1], y_val))
    else:
        chosen = WEIGHT_DECAYS[1]
    kernel, bias = fits[chosen]
    # Back to raw features: (f − mean)/std · K + b = f · (K/std) + (b − (mean/std) · K).
    model.layers[-1].set_weights([(kernel / std[:, None]).astype("float32"),
                                       (bias - (mean / std) @ kernel).astype("float32")])
    return {"weight_decay": chosen, "features": int(train.shape[1]),
            "train_images": int(len(y_train)),
            "train_accuracy": accuracy(fits[chosen], scaled[0], y_train),
            "validation_accuracy": accuracy(fits[chosen], scaled[1], y_val) if len(y_val)
            else None,
            "test": {"accuracy": accuracy(fits[chosen], scaled[2], y_test),
                     "images": int(len(y_test))} if len(y_test) else None}
