"""The names of the export variants and the export's error, without TensorFlow:
the command line takes its choices from here, and `convert` and `tuned`
share them without importing each other."""

# int8 variants fine-tuned with tfmot in a child process (`tuned`).
TUNED = ("int8-qat", "int8-pruned", "int8-clustered")
QUANTIZATIONS = ("float32", "float16", "dynamic", "int8", "uint8", "int8-io", "int16x8",
                 *TUNED)
NEEDS_CALIBRATION = ("int8", "uint8", "int8-io", "int16x8", *TUNED)


class ExportError(RuntimeError):
    """The model cannot be exported as asked (not a user's typing mistake)."""
