"""The names of the export variants, the tuned variants' settings and the
export's error, without TensorFlow: the command line takes its choices and
defaults from here, and `convert` and `tuned` share them without importing
each other."""

from dataclasses import dataclass

from keras_resnet.arguments import invalid

# int8 variants fine-tuned with tfmot in a child process (`tuned`).
TUNED = ("int8-qat", "int8-pruned", "int8-clustered")
QUANTIZATIONS = ("float32", "float16", "dynamic", "int8", "uint8", "int8-io", "int16x8",
                 *TUNED)
NEEDS_CALIBRATION = ("int8", "uint8", "int8-io", "int16x8", *TUNED)


class ExportError(RuntimeError):
    """The model cannot be exported as asked (not a user's typing mistake)."""


@dataclass(frozen=True)
class Tuning:
    """How the tuned variants fine-tune: `epochs` on the run's training data,
    int8-pruned's weight `sparsity`, int8-clustered's values per kernel."""
    epochs: int = 1
    sparsity: float = 0.5
    clusters: int = 16

    def check(self):
        """Raises ValueError naming the first setting out of range."""
        if not (isinstance(self.epochs, int) and self.epochs >= 1):
            raise invalid("tune_epochs", self.epochs, "an integer >= 1")
        if not 0 < self.sparsity < 1:
            raise invalid("sparsity", self.sparsity, "between 0 and 1")
        if not (isinstance(self.clusters, int) and self.clusters >= 2):
            raise invalid("clusters", self.clusters, "an integer >= 2")
        return self
