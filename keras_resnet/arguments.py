"""Argument checks: one-line errors that name the argument, the value and
what is allowed."""


def invalid(argument, value, allowed, error=ValueError):
    """The error for `argument=value`; `allowed` says what would be accepted.
    `error` is its type (the command line's UserError is a ValueError too)."""
    return error(f"{argument}={value!r} is not valid; allowed: {allowed}")


def check_choice(argument, value, choices):
    if value not in choices:
        raise invalid(argument, value, ", ".join(repr(c) for c in choices))


def check_number(argument, value, low=None, high=None, integer=False,
                 low_open=False, high_open=False):
    """Checks low <= value <= high (or < where the bound is open)."""
    kind = int if integer else (int, float)
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "" if low is None else f"{low} {'<' if low_open else '<='} "
        hi = "" if high is None else f" {'<' if high_open else '<='} {high}"
        noun = "an integer" if integer else "a number"
        bounds = f" x with {lo}x{hi}" if lo or hi else ""
        raise invalid(argument, value, noun + bounds)
