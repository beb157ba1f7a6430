"""Transfer learning in two phases, each a `model.fit` run of its own.

The source is a `.keras` ResNet of this library (a training checkpoint, or a
`keras.applications` model converted with `keras_resnet.from_keras_applications`
and saved), or a model built with named pretrained weights
(`pretrained_backbone`). Its head is cut off and replaced by a new one
(`new_head`): by default the last two stages average-pooled on small grids
and a new classifier; the input (and any in-model preprocessing) stays, so
the data are prepared at the source's input size.

"LP-FT": phase 1 is a linear probe (`keras_resnet.training.probe`): the new
head fitted to convergence on the frozen backbone's pooled features, in
seconds, deterministic. Phase 2 starts from it and also unfreezes the top
`stages` stages at the recipe's learning rate × `lr_factor`, warmed up over
its first epoch, for at least MIN_STEPS steps, early-stopped on the
validation split: the best epoch is kept, and the probe is its epoch 0, so
phase 2 replaces the probe only by beating its validation accuracy by more
than one standard error (a few validation images are a noisy judge, and
the probe is the simpler model). Every BatchNorm layer stays frozen, in
inference mode, so the moving statistics never change. What was adapted to
the data (input size, batch size, validation carve, steps) is printed and
returned, one line each.
"""

import dataclasses
import json
import math
import os

import keras

import keras_resnet
from keras_resnet import naming
from keras_resnet.arguments import invalid
from keras_resnet.atomic_files import write_atomically, write_json
from keras_resnet.layers import GridPooling2D
from keras_resnet.network import ResNetModel, layer_prefix, stage_records
from keras_resnet.training.data import fit_batch, load_splits
from keras_resnet.training.fit import train
from keras_resnet.training.probe import linear_probe
from keras_resnet.weights_registry import weights_entry


HEADS = ("grid", "avg")
GRIDS = (4, 2)  # "grid" head: the stage before the last on a 4×4 grid, the last on 2×2
GRID_FEATURES = 4096  # a grid halves (4 → 2 → 1) until its stage gives at most this many


def head_grids(source):
    """[(stage record, grid)] the "grid" head pools: the last two stages, each
    grid shrunk to fit GRID_FEATURES and the stage's size."""
    stages = [r for r in stage_records(source) if r.level != "stem"][-len(GRIDS):]
    chosen = []
    for record, grid in zip(stages, GRIDS[-len(stages):]):
        channels, height, width = _chw(source.get_layer(record.output).output.shape,
                                       _data_format(source))
        while grid > 1 and (grid * grid * channels > GRID_FEATURES or grid > min(height, width)):
            grid //= 2
        chosen.append((record, grid))
    return chosen


def describe_head(source, head):
    """One line: what the new head pools."""
    if head == "avg":
        return "global average of the last stage"
    return " and ".join(f"{record.level} on a {grid}×{grid} grid"
                        for record, grid in head_grids(source))


def new_head(source, num_classes, head="grid"):
    """`source` up to its stages' outputs, then a new classifier: a
    `ResNetModel` with the source's stage records. `head`: "grid" (the last two
    stages average-pooled on grids, `head_grids`, concatenated: the
    classifier sees where in the image a feature was, which transfers better
    than a global average on small data) or "avg" (global average pooling of
    the last stage, the classifier the source was trained with)."""
    if head not in HEADS:
        raise invalid("head", head, HEADS)
    records = stage_records(source)
    prefix = layer_prefix(source)
    if head == "avg":
        features = source.get_layer(records[-1].output).output
        x = keras.layers.GlobalAveragePooling2D(name=prefix + naming.POOLS["avg"])(features)
    else:
        pooled = [GridPooling2D(grid, data_format=_data_format(source),
                                name=prefix + naming.GRID_POOL + record.level)(
                      source.get_layer(record.output).output)
                  for record, grid in head_grids(source)]
        x = keras.layers.Concatenate(name=prefix + naming.GRID_FEATURES)(pooled)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32",
                                 name=prefix + naming.PREDICTIONS)(x)
    name = f"{source.name}_finetuned"
    architecture = getattr(source, "architecture", None) and dataclasses.replace(
        source.architecture, include_top=True, pooling=None, classes=num_classes,
        classifier_activation="softmax", name=name)
    return ResNetModel(source.input, outputs, name=name, architecture=architecture,
                       stages=records)


def set_trainable(model, stages):
    """Freezes everything but the head and the top `stages` stages; BatchNorm
    layers stay frozen (inference mode) everywhere."""
    records = stage_records(model)
    open_stages = records[max(0, len(records) - stages):] if stages else ()
    prefix = layer_prefix(model)
    head = {prefix + naming.POOLS["avg"], prefix + naming.PREDICTIONS,
            prefix + naming.GRID_FEATURES}
    for layer in model.layers:
        in_open_stage = any(r.owns(layer.name) for r in open_stages)
        in_head = layer.name in head or layer.name.startswith(prefix + naming.GRID_POOL)
        layer.trainable = in_head or (
            in_open_stage and not isinstance(layer, keras.layers.BatchNormalization))


def pretrained_backbone(name):
    """A ResNet without its head holding the named weights
    (`keras_resnet.list_weights()`), taking raw 0..255 RGB pixels at the
    weights' evaluation crop size."""
    entry = weights_entry(name)
    if entry.preprocessing is None:
        raise invalid("weights", name, "for fine-tuning, weights whose input normalisation "
                      "can sit inside the model (torchvision:, timm:, keras:ResNet50V2/101V2/"
                      "152V2); keras.applications' v1 files expect caffe preprocessing "
                      "(RGB → BGR)")
    return keras_resnet.ResNet(entry.depth, weights=name, include_top=False,
                               input_shape=(entry.crop, entry.crop, 3),
                               preprocessing=entry.preprocessing)


MIN_STEPS = 300  # phase 2 takes at least this many steps, however small the data
EPOCHS = 15  # phase 2's steps are cut into about this many epochs (validation after each)
PATIENCE = 5  # epochs without a better validation accuracy before phase 2 stops
# Phase 2's learning rate rises over its first epoch. With BatchNorm frozen the
# network loses BN's scale invariance: at full rate from the first step, the
# loss tripled in a few steps and once became NaN (digits from a Fashion-MNIST
# source); warmed up, 1 of 28 measured runs still diverged (digits, 25 a class).
WARMUP_EPOCHS = 1


def finetune(recipe, source, output_dir, *, stages=1, lr_factor=0.1, head="grid",
             probe_only=False, resume=False, overwrite=False, verbose=1):
    """LP-FT into output_dir: a linear probe on the frozen backbone
    (output_dir/probe), then, unless `probe_only`, fine-tuning of the top
    `stages` stages from it (output_dir/finetune). Returns {"probe": its
    summary, "finetune": phase 2's summary or None, "notes": what was adapted
    to the data}. `source`: a `.keras` path or a model; `head`: see `new_head`."""
    if not isinstance(source, keras.Model):
        source = keras.saving.load_model(source, compile=False)
    height, width, channels = _input_shape(source)
    recipe = dataclasses.replace(recipe, image_size=height, channels=channels)
    if height != width:
        raise invalid("source", source.name, f"a model with a square input (this one "
                      f"takes {height}×{width})")
    splits = load_splits(recipe)
    recipe = splits.applied_to(recipe)
    probe_dir, tune_dir = (os.path.join(output_dir, p) for p in ("probe", "finetune"))
    model = new_head(source, len(splits.class_names), head)
    set_trainable(model, stages=0)
    if resume and os.path.exists(os.path.join(probe_dir, "summary.json")):
        with open(os.path.join(probe_dir, "summary.json")) as f:
            probe = json.load(f)
        model = keras.saving.load_model(os.path.join(probe_dir, "model.keras"), compile=False)
    else:
        probe = _run_probe(model, splits, recipe, probe_dir, overwrite,
                           head=describe_head(source, head))
    tune_recipe, notes = phase_two(recipe, len(splits.train[0]), lr_factor)
    notes = [*splits.notes, *notes]
    if verbose:
        for note in notes:
            print(f"adapted to the data: {note}")
        pooled = probe.get("head", "global average of the last stage")  # older runs: avg
        print(f"linear probe: head pools {pooled} ({probe['features']} features), "
              f"weight decay {probe['weight_decay']:g} (chosen on validation), "
              f"train accuracy {probe['train_accuracy']:.4f}")
    if probe_only:
        return {"probe": probe, "finetune": None, "notes": notes}
    summary_path = os.path.join(tune_dir, "summary.json")
    if resume and os.path.exists(summary_path):  # phase 2 finished before
        with open(summary_path) as f:
            return {"probe": probe, "finetune": json.load(f), "notes": notes}
    again = resume and os.path.exists(os.path.join(tune_dir, "state.json"))
    if not again:
        set_trainable(model, stages)
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=PATIENCE)
    validated = len(splits.validation[0]) > 0
    tuned = train(tune_recipe, tune_dir, resume=again, overwrite=overwrite, verbose=verbose,
                  model=None if again else model, splits=splits,
                  callbacks=[stop] if validated else [],
                  baseline=_probe_bar(probe, len(splits.validation[0])) if validated else None)
    return {"probe": probe, "finetune": tuned, "notes": notes}


def phase_two(recipe, n_train, lr_factor):
    """(recipe, notes) of phase 2: the learning rate × lr_factor after
    WARMUP_EPOCHS of warm-up, a schedule of at least MIN_STEPS steps in about
    EPOCHS epochs, the batch size capped by the data."""
    recipe, notes = fit_batch(recipe, n_train)
    per_pass = n_train // recipe.batch_size
    wanted = recipe.steps or recipe.epochs * per_pass
    steps = max(wanted, MIN_STEPS)
    if steps > wanted:
        notes.append(f"fine-tuning {steps} steps: {recipe.epochs} epochs of {n_train} images "
                     f"would be {wanted} (minimum {MIN_STEPS}); early-stopped on validation")
    return dataclasses.replace(
        recipe, learning_rate=recipe.learning_rate * lr_factor, warmup_epochs=WARMUP_EPOCHS,
        epochs=0, steps=steps, steps_per_epoch=max(per_pass, -(-steps // EPOCHS))), notes


def _probe_bar(probe, n_validation):
    """(the probe's validation accuracy, one standard error of it): phase 2
    replaces the probe, the simpler model, only by beating it by more than
    that (the one-standard-error rule)."""
    accuracy = probe["validation_accuracy"]
    return accuracy, math.sqrt(accuracy * (1 - accuracy) / n_validation)


def _run_probe(model, splits, recipe, probe_dir, overwrite, head):
    """The probe trained into `model`'s head, saved with its summary (and the
    head's description) in probe_dir."""
    if os.path.exists(probe_dir) and not overwrite:
        raise ValueError(f"output directory {probe_dir!r} exists; allowed: a new directory, "
                         "--overwrite or --resume")
    os.makedirs(probe_dir, exist_ok=True)
    summary = linear_probe(model, splits, recipe)
    summary.update(run_dir=probe_dir, head=head)
    write_atomically(os.path.join(probe_dir, "model.keras"), model.save, prefix="tmp-",
                     suffix=".keras")
    write_json(os.path.join(probe_dir, "summary.json"), summary)
    return summary


def _data_format(model):
    return next(l for l in model.layers if isinstance(l, keras.layers.Conv2D)).data_format


def _chw(shape, data_format):
    """(channels, height, width) of a batch's shape."""
    return (shape[3], shape[1], shape[2]) if data_format == "channels_last" else shape[1:4]


def _input_shape(model):
    channels, height, width = _chw(model.input_shape, _data_format(model))
    shape = (height, width, channels)
    if None in shape:
        raise ValueError("source model has a variable input size; allowed: a model "
                         "built with a fixed input_shape")
    return shape


