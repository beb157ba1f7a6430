"""Transfer learning in two phases, each a `model.fit` run of its own.

The source is a `.keras` ResNet of this library (a training checkpoint, or a
`keras.applications` model converted with `keras_resnet.from_keras_applications`
and saved), or a model built with named pretrained weights
(`pretrained_backbone`). Its head is cut off at the last stage's output and replaced by
global average pooling and a new classifier; the input (and any in-model
preprocessing) stays, so the data are prepared at the source's input size.

Phase 1 trains only the new head: the backbone is frozen, so its BatchNorm
layers run in inference mode. Phase 2 also unfreezes the top `stages` stages
at the recipe's learning rate × `lr_factor`; every BatchNorm layer stays
frozen, in inference mode, so the moving statistics never change.
"""

import dataclasses
import json
import os

import keras

import keras_resnet
from keras_resnet.pretrained import describe
from keras_resnet.training.data import load_splits
from keras_resnet.training.fit import train


def new_head(source, num_classes):
    """`source` up to its last stage's output, then pooling and a new classifier."""
    last = keras_resnet.feature_layers(source)
    features = source.get_layer(last[max(last, key=lambda k: int(k[1:]))]).output
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(features)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32",
                                 name="predictions")(x)
    return keras.Model(source.input, outputs, name=f"{source.name}_finetuned")


def set_trainable(model, stages):
    """Freezes everything but the head and the top `stages` stages; BatchNorm
    layers stay frozen (inference mode) everywhere."""
    last = keras_resnet.feature_layers(model)
    top = max(int(k[1:]) for k in last)
    open_stages = {f"conv{s}_" for s in range(top - stages + 1, top + 1)}
    for layer in model.layers:
        in_open_stage = any(layer.name.startswith(p) for p in open_stages)
        head = layer.name in ("avg_pool", "predictions")
        layer.trainable = head or (
            in_open_stage and not isinstance(layer, keras.layers.BatchNormalization))


def pretrained_backbone(name):
    """A ResNet without its head holding the named weights
    (`keras_resnet.list_weights()`), taking raw 0..255 RGB pixels at the
    weights' evaluation crop size."""
    info = describe(name)
    if info["preprocessing"] is None:
        raise ValueError(f"weights={name!r} is not valid for fine-tuning; allowed: weights "
                         "whose input normalisation can sit inside the model (torchvision:, "
                         "timm:, keras:ResNet50V2/101V2/152V2); keras.applications' v1 files "
                         "expect caffe preprocessing (RGB → BGR)")
    return keras_resnet.ResNet(info["depth"], weights=name, include_top=False,
                               input_shape=(info["crop"], info["crop"], 3),
                               preprocessing=info["preprocessing"])


def finetune(recipe, source, output_dir, *, head_epochs=3, stages=1, lr_factor=0.1,
             resume=False, overwrite=False, verbose=1):
    """Runs both phases into output_dir/head and output_dir/finetune; returns
    the summaries of the two phases. `source`: a `.keras` path or a model."""
    if not isinstance(source, keras.Model):
        source = keras.saving.load_model(source, compile=False)
    height, width, channels = _input_shape(source)
    recipe = dataclasses.replace(recipe, image_size=height, channels=channels)
    if height != width:
        raise ValueError(f"source={source.name!r} is not valid; allowed: a model with a "
                         f"square input (this one takes {height}×{width})")
    splits = load_splits(recipe)
    head_dir, tune_dir = (os.path.join(output_dir, p) for p in ("head", "finetune"))

    def head_model():
        model = new_head(source, len(splits.class_names))
        set_trainable(model, stages=0)
        return model

    def tuned_model():
        model = keras.saving.load_model(os.path.join(head_dir, "checkpoints", "best.keras"),
                                        compile=False)
        set_trainable(model, stages)
        return model

    phases = (
        (dataclasses.replace(recipe, epochs=head_epochs, steps=0), head_dir, head_model),
        (dataclasses.replace(recipe, learning_rate=recipe.learning_rate * lr_factor),
         tune_dir, tuned_model),
    )
    summaries = []
    for phase_recipe, run_dir, make_model in phases:
        summary_path = os.path.join(run_dir, "summary.json")
        if resume and os.path.exists(summary_path):  # this phase finished before
            with open(summary_path) as f:
                summaries.append(json.load(f))
            continue
        again = resume and os.path.exists(os.path.join(run_dir, "state.json"))
        summaries.append(train(phase_recipe, run_dir, resume=again, overwrite=overwrite,
                               verbose=verbose, model=None if again else make_model(),
                               splits=splits))
    return tuple(summaries)


def _input_shape(model):
    shape = model.input_shape[1:]
    conv = next(l for l in model.layers if isinstance(l, keras.layers.Conv2D))
    if conv.data_format == "channels_first":
        shape = (*shape[1:], shape[0])
    if None in shape:
        raise ValueError("source model has a variable input size; allowed: a model "
                         "built with a fixed input_shape")
    return shape


