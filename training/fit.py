"""`train(recipe, run_dir)`: a recipe through `model.fit`, with resume and a report."""

import dataclasses
import math
import time

import keras
import numpy as np
import tensorflow as tf

import keras_resnet
from keras_resnet.arguments import invalid
from keras_resnet.training import device_defaults, distribution, hardware
from keras_resnet.training.callbacks import RunCheckpoint, Throughput
from keras_resnet.training.data import eval_split, fit_batch, load_splits
from keras_resnet.training.evaluate import evaluate
from keras_resnet.training.memory import fit_batch_to_memory
from keras_resnet.training.pipeline import Augmentation, batches_per_pass, train_stream
from keras_resnet.training.recipe import class_weight_values
from keras_resnet.training.run_summary import summarise, versions, write_report
from keras_resnet.training.schedules import WarmupSchedule

NO_DECAY = ["gamma", "beta", "bias"]  # BatchNorm parameters and biases


class TrainingFailed(RuntimeError):
    """Training stopped on a failure (not a user error), e.g. a NaN loss."""


def train(recipe, output_dir, *, resume=False, overwrite=False, verbose=1, model=None,
          splits=None, callbacks=(), baseline=None):
    """Trains `recipe` into `output_dir`; returns the run's summary dict.

    `model` replaces the recipe's model (fine-tuning passes its own), `splits`
    data already loaded, `callbacks` are added to model.fit's. A resumed run
    takes its model from its checkpoint. `baseline`: (validation accuracy,
    margin) of `model` as given (fine-tuning's linear probe): it is saved as
    the best checkpoint, epoch 0, and only an epoch better by more than the
    margin replaces it.
    """
    threads = hardware.apply_threads()  # before TensorFlow's runtime starts, if it has not
    placement = distribution.place(recipe, output_dir, resume, overwrite)
    run = placement.run
    splits = splits or load_splits(recipe)
    recipe = splits.applied_to(recipe)
    recipe, batch_note = fit_batch(recipe, len(splits.train[0]))
    adapted = [*splits.notes, *batch_note]
    splits = placement.validation(splits)
    weights = class_weights(recipe.class_weight, splits.train[1], len(splits.class_names))
    run.prepare(resume, overwrite)
    keras.utils.set_random_seed(recipe.seed)
    if recipe.deterministic:
        tf.config.experimental.enable_op_determinism()
    # A resumed run keeps its device settings, even if this device's defaults changed.
    device = (run.read_config()["device"] if resume
              else device_defaults.resolve(recipe.precision, recipe.jit_compile))
    device["threads"] = threads  # this session's: a resumed run may be on another machine
    device["onednn"] = hardware.onednn()
    device["replicas"] = placement.replicas()
    with placement.strategy.scope():
        if resume:
            state = run.read_state()
            model = keras.saving.load_model(f"{run.checkpoints}/{state['checkpoint']}")
        else:
            state = {"epoch": 0}
            model = _fresh_model(model, recipe, device, splits)
        recipe, memory_note = fit_batch_to_memory(recipe, model, splits, device["precision"],
                                                  hardware.available_memory(), resume)
        adapted += memory_note
        if verbose and placement.process == 0:
            for note in adapted:
                print(f"adapted to the data: {note}")
        plan = plan_steps(recipe, len(splits.train[0]))
        if resume:
            _compile(model, recipe, device, model.optimizer)
        else:
            run.write_json("config.json", {"recipe": dataclasses.asdict(recipe),
                                           "adapted_to_data": adapted, "device": device,
                                           **plan, "versions": versions()})
            _compile(model, recipe, device, _optimizer(recipe, plan))
            if baseline is not None:
                run.save_model(model, "best.keras")
                accuracy, margin = baseline
                state.update(best_score=accuracy, best_epoch=0, replace_above=accuracy + margin)

    shard = placement.shard()
    val_ds = (eval_split(splits, "validation", recipe, shard=shard)
              if len(splits.validation[0]) else None)
    checkpoint = RunCheckpoint(run, state, plan["steps_per_epoch"],
                               monitor="val_accuracy" if val_ds else "accuracy")
    throughput = Throughput()
    callbacks = [checkpoint, throughput, *callbacks,
                 keras.callbacks.TensorBoard(run.file("tensorboard"), write_graph=False)]
    if recipe.ema:
        callbacks.insert(0, keras.callbacks.SwapEMAWeights(swap_on_epoch=True))
    start = time.time()
    model.fit(recipe_stream(recipe, splits, state["epoch"] * plan["steps_per_epoch"],
                            plan["total_steps"], shard, weights),
              epochs=plan["epochs"], steps_per_epoch=plan["steps_per_epoch"],
              initial_epoch=state["epoch"], validation_data=val_ds,
              class_weight=None if splits.streaming else weights,
              callbacks=callbacks, verbose=verbose, shuffle=False)
    if checkpoint.failure:
        last = state.get("checkpoint")
        raise TrainingFailed(f"training stopped: {checkpoint.failure}; the last good "
                             f"checkpoint is {last or 'none (no epoch completed)'}")

    placement.end_training()
    best = keras.saving.load_model(run.best, compile=False)
    evaluation = (evaluate(best, eval_split(splits, "test", recipe), splits.class_names)
                  if len(splits.test[0]) else None)
    trained = recipe.batch_size * plan["steps_per_epoch"] * len(throughput.seconds)
    summary = summarise(placement.shared.path, recipe, device, plan, model, state, evaluation,
                        splits, time.time() - start,
                        trained / max(sum(throughput.seconds), 1e-9))
    write_report(run, summary, splits.class_names)
    placement.close()
    return summary


def plan_steps(recipe, n_train):
    """Epochs, steps per epoch and total steps: a schedule in epochs counts
    passes over the training images; one in steps is cut into epochs of
    `steps_per_epoch` (rounded up to whole epochs)."""
    per_pass = batches_per_pass(n_train, recipe.batch_size)
    steps_per_epoch = recipe.steps_per_epoch or per_pass
    epochs = math.ceil((recipe.steps or recipe.epochs * per_pass) / steps_per_epoch)
    return {"epochs": epochs, "steps_per_epoch": steps_per_epoch,
            "total_steps": epochs * steps_per_epoch}


def _fresh_model(model, recipe, device, splits):
    """The recipe's model, or `model` (cloned into a distribution strategy's scope)."""
    if model is None:
        return _build(recipe, device, (*splits.size, splits.channels), len(splits.class_names))
    if recipe.distribute != "none":  # variables made by the strategy or distribution
        weights = model.get_weights()
        model = keras.models.clone_model(model)
        model.set_weights(weights)
    return model


def class_weights(setting, labels, classes):
    """{class: weight} for model.fit's class_weight, or None for "none"."""
    if setting == "none":
        return None
    if setting == "balanced":
        if labels is None:  # a streamed TFDS split: its labels are not read up front
            raise invalid("class_weight", setting, "'none' or per-class weights 'w0,w1,...' "
                          "with a streamed TFDS dataset")
        counts = np.bincount(labels, minlength=classes)
        return {c: len(labels) / (classes * n) if n else 0.0 for c, n in enumerate(counts)}
    weights = class_weight_values(setting)
    if len(weights) != classes:
        raise invalid("class_weight", setting, f"{classes} weights, one per class of the "
                      "dataset")
    return dict(enumerate(weights))


def recipe_stream(recipe, splits, start_step, total_steps, shard=(0, 1), weights=None):
    """The training stream of `recipe`'s augmentation, mixing and seed over the
    training split, for global steps start_step..total_steps-1: this process's
    share of it, with the {class: weight} `weights` inside it when streaming
    files (model.fit takes them otherwise)."""
    augmentation = Augmentation(recipe.augment, recipe.pad, recipe.erase, recipe.mixup,
                                recipe.cutmix)
    per_class = ([weights[c] for c in range(len(splits.class_names))]
                 if weights and splits.streaming else None)
    return train_stream(*splits.train, len(splits.class_names), batch_size=recipe.batch_size,
                        seed=recipe.seed, start_step=start_step, total_steps=total_steps,
                        spec=splits.spec, augmentation=augmentation,
                        deterministic=recipe.deterministic, shard=shard,
                        class_weights=per_class)


def _build(recipe, device, input_shape, num_classes):
    return getattr(keras_resnet, recipe.model)(
        input_shape=input_shape, classes=num_classes, preprocessing="unit",
        zero_init_residual=recipe.zero_init_residual, dtype=device["precision"],
        **recipe.model_options)


def _optimizer(recipe, plan):
    schedule = WarmupSchedule(recipe.learning_rate, plan["total_steps"],
                              round(recipe.warmup_epochs * plan["steps_per_epoch"]),
                              recipe.schedule, recipe.milestones, recipe.decay_factor)
    common = dict(learning_rate=schedule, weight_decay=recipe.weight_decay or None,
                  clipnorm=recipe.clipnorm or None, use_ema=recipe.ema > 0,
                  ema_momentum=recipe.ema or 0.99)
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(**common)
    return keras.optimizers.SGD(momentum=recipe.momentum, nesterov=recipe.nesterov, **common)


def _compile(model, recipe, device, optimizer):
    # Not part of the optimizer's saved config: set again after a reload.
    optimizer.exclude_from_weight_decay(var_names=NO_DECAY)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
        metrics=["accuracy"],
        jit_compile=device["jit_compile"],
        steps_per_execution=recipe.steps_per_execution,
    )
