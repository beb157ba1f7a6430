"""What the subcommands share: the user-error type, argument types, checks,
run-directory names and the recipe a command line asks for. Imports neither
Keras nor TensorFlow, so that a bad argument is answered at once."""

import argparse
import os
import time

from keras_resnet.arguments import invalid


class UserError(ValueError):
    """A mistake in the command line."""


def shape(text):
    """H,W,C as a tuple; "none" for a free height or width."""
    try:
        return tuple(None if p.strip().lower() == "none" else int(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a shape; write it as H,W,C, e.g. 28,28,1") from None


def ints(text):
    """A comma-separated list of integers as a tuple."""
    try:
        return tuple(int(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of integers, e.g. 20,56")


def setting(text):
    """KEY=VALUE with a TOML value (numbers, true/false, "strings", [lists])."""
    from keras_resnet.training.recipe import tomllib

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # a bare word is a string
    return key.strip(), parsed


def check_at_least(low, **flags):
    """Raises UserError for the first --flag whose value is below `low`."""
    for name, value in flags.items():
        if value < low:
            raise invalid(f"--{name.replace('_', '-')}", value, f">= {low}", error=UserError)


def new_run_dir(parent, stem):
    """PARENT/STEM-YYYYmmdd-HHMMSS, with -2, -3… appended if that exists."""
    base = os.path.join(parent, f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}")
    path, n = base, 1
    while os.path.exists(path):
        n += 1
        path = f"{base}-{n}"
    return path


def recipe_overrides(args, keys, settings=()):
    """Recipe settings from the command line: `settings` (--set pairs), each of
    `keys` given as an option of the same name, and --epochs or --steps (the
    other one becomes 0)."""
    overrides = dict(settings)
    for key in keys:
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    if getattr(args, "batch_size", None) is not None and args.batch_size < 1:
        # A recipe's 0 means "chosen for the data"; the option names a batch.
        raise invalid("batch_size", args.batch_size, "> 0", error=UserError)
    if getattr(args, "epochs", None) is not None:
        overrides.update(epochs=args.epochs, steps=0)
    if getattr(args, "steps", None) is not None:
        overrides.update(steps=args.steps, epochs=0)
    return overrides


def resumed_recipe(run_path, data_dir, flags):
    """The recipe of the run in `run_path` (with another `data_dir` if given);
    none of `flags`, (flag, value) pairs, may be given with --resume."""
    from keras_resnet.training.recipe import make_recipe
    from keras_resnet.training.run_dir import RunDir

    given = [flag for flag, value in flags if value]
    if given:
        raise UserError(f"{given[0]} is not valid with --resume: a resumed run "
                        "keeps its own recipe")
    run = RunDir(run_path)
    run.check(resume=True, overwrite=False)
    settings = run.read_config()["recipe"]
    if data_dir:
        settings["data_dir"] = data_dir
    return make_recipe(settings)


def test_result(evaluation):
    """A run's test evaluation in words ("no test split" for a small folder's run)."""
    if evaluation is None:
        return "no test split"
    return f"test accuracy {evaluation['accuracy']:.4f} on {evaluation['images']} images"
