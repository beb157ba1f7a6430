"""`Predictor`: an exported classifier, its metadata and its preprocessing."""

import os
import warnings

import numpy as np

from keras_resnet.arguments import invalid
from keras_resnet.edge import images, metadata, preprocess
from keras_resnet.edge.input_spec import InputSpec
from keras_resnet.edge.tflite import TFLiteModel


def softmax(logits):
    """float32 softmax, computed in float64 after subtracting the largest logit."""
    e = np.exp(np.asarray(logits, np.float64) - np.max(logits))
    return (e / e.sum()).astype(np.float32)


def top_indices(probabilities, k):
    """Indices of the k largest values, best first; ties go to the lower index."""
    return [int(i) for i in np.argsort(-np.asarray(probabilities), kind="stable")[:k]]


class Predictor:
    """Top-k labels for image files or arrays, from a `.tflite` file that
    `resnet export` wrote (any classifier with an image input works too, with
    a warning: class indices as labels, raw pixels through the input contract
    with crop fraction 1)."""

    def __init__(self, model_path, threads=None):
        if not os.path.isfile(model_path):
            raise invalid("model", model_path, "an existing .tflite file")
        with open(model_path, "rb") as f:
            content = f.read()
        try:
            self.metadata = metadata.read(content)
            standard = metadata.read_standard(content)
            self.model = TFLiteModel(model_path, threads)
        except Exception as error:
            raise ValueError(f"model={model_path!r} is not a TFLite model "
                             f"({type(error).__name__})") from None
        shape = [int(d) for d in self.model.input["shape"]]
        if self.metadata is None:
            classes = int(self.model.output["shape"][-1])
            labels = (standard or {}).get("labels")
            labels = labels if labels and len(labels) == classes else None
            warnings.warn(f"{model_path} has no keras_resnet metadata: labels are "
                          f"{'those of its standard metadata' if labels else 'class indices'} and "
                          "images are resized with their aspect ratio kept and centre-cropped "
                          "to the model's input", stacklevel=2)
            self.metadata = {"labels": labels or [str(i) for i in range(classes)],
                             "input": InputSpec(*shape[1:4]).to_metadata()}
        elif standard is None:
            warnings.warn(f"{model_path} predates the standard TFLite metadata: it runs here, "
                          "but MediaPipe Tasks and Android Studio cannot read it; re-export it "
                          "to add it", stacklevel=2)
        self.spec, self._legacy = InputSpec.from_metadata(self.metadata["input"])
        self._path = model_path
        self.labels = self.metadata["labels"]

    def preprocess(self, image):
        """A path or an H×W×C array (C = 1, 3 or 4) → the model's float32 input."""
        if isinstance(image, (str, os.PathLike)):
            try:
                image = images.decode(image)
            except images.UNREADABLE:
                raise invalid("image", str(image), "a readable JPEG, PNG, BMP or GIF "
                              "file") from None
        image = np.asarray(image)
        if image.ndim == 2:
            image = image[..., None]
        if image.ndim != 3 or image.shape[-1] not in (1, 3, 4):
            raise invalid("image shape", image.shape, "H×W×C with C = 1 (grey), 3 (RGB) "
                          "or 4 (RGBA)")
        if self._legacy and not self.spec.matches_aspect(*image.shape[:2]):
            warnings.warn(f"{self._path} predates the recorded input contract: an image of "
                          f"another aspect ratio is centre-cropped (crop fraction "
                          f"{self.spec.crop_fraction}), as its training images were; "
                          "re-export it to record the rule", stacklevel=2)
            self._legacy = False  # said once
        return preprocess.preprocess_for_eval(image, self.spec)

    def probabilities(self, image):
        output = self.model.predict_one(self.preprocess(image))
        return softmax(output) if self.metadata.get("output", "").startswith("logits") else output

    def top_k(self, image, k=3):
        """[(label, probability), ...] best first."""
        probs = self.probabilities(image)
        return [(self.labels[i], float(probs[i])) for i in top_indices(probs, k)]
