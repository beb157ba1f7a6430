"""Our JSON metadata of an exported `.tflite` file, written into it beside the
standard TFLite metadata and its labels file (what MediaPipe Tasks and
Android Studio read): labels, the input contract, the output, the source."""

import dataclasses
import hashlib

import numpy as np

import keras_resnet
from keras_resnet import naming
from keras_resnet.edge.input_spec import InputSpec
from keras_resnet.export import standard_metadata, tflite_metadata
from keras_resnet.export.standard_metadata import LABELS_FILE
from keras_resnet.network import layer_prefix


def shared_metadata(model, model_path, labels, calibration, calibration_seed, input_spec=None):
    """The metadata every variant shares: labels and how to prepare an input."""
    height, width, channels = model.input_shape[1:]
    spec = input_spec or InputSpec(height, width, channels)
    if spec.size != (height, width) or spec.channels != channels:
        raise ValueError(f"input_spec {spec.height}×{spec.width}×{spec.channels} is not valid "
                         f"for a model whose input is {height}×{width}×{channels}")
    classes = model.output_shape[-1]
    labels = list(labels) if labels is not None else [str(i) for i in range(classes)]
    normalisation = None
    preprocess = layer_prefix(model) + naming.PREPROCESS
    if preprocess in [layer.name for layer in model.layers]:
        layer = model.get_layer(preprocess)
        normalisation = {"mean": np.ravel(layer.mean).tolist(),
                         "std": np.sqrt(np.ravel(layer.variance)).tolist(),
                         "where": "inside the model: feed raw 0..255 pixels"}
    with open(model_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return {
        "format": "keras_resnet.tflite.v1",
        "model_name": model.name,
        "keras_resnet_version": keras_resnet.__version__,
        "labels": labels,
        "input": {**spec.to_metadata(),
                  "colour_order": "grey" if channels == 1 else "RGB",
                  "pixel_range": [0, 255],
                  "normalisation": normalisation},
        "output": _output_kind(model),
        "source_checkpoint_sha256": digest,
        "calibration": None if calibration is None else {
            "images": int(len(calibration)), "seed": calibration_seed,
            "preprocessing": "keras_resnet.training.augment.preprocess_for_eval"},
    }


def _output_kind(model):
    """What the last layer gives: softmax probabilities or raw logits."""
    activation = getattr(model.layers[-1], "activation", None)
    return ("probabilities (softmax)" if getattr(activation, "__name__", "") == "softmax"
            else "logits")


def rgb_metadata(base):
    """Our metadata of a grey model, for its `rgb_input` twin."""
    spec, _ = InputSpec.from_metadata(base["input"])
    rgb = dataclasses.replace(spec, channels=3).to_metadata()
    return {**base, "input": {**base["input"], **rgb, "colour_order": "RGB",
                              "converted_to": "grey inside the model (rgb_to_grey)"}}


def with_metadata(content, metadata):
    """The `.tflite` bytes with our JSON metadata, the standard TFLite metadata
    and its labels file (what MediaPipe Tasks and Android Studio read)."""
    tensor = metadata["input_tensor"]
    height, width, channels = tensor["shape"][1:4]
    standard = standard_metadata.model_metadata(
        name=metadata["model_name"], version=keras_resnet.__version__,
        description=f"{metadata['model_name']} image classifier ({metadata['quantization']}), "
                    f"{len(metadata['labels'])} classes, exported by keras3-resnet",
        channels=channels, height=height, width=width, input_dtype=tensor["dtype"],
        output_description=f"class {metadata['output']}, in the order of {LABELS_FILE}")
    content = tflite_metadata.embed(content, metadata, {standard_metadata.NAME: standard})
    return standard_metadata.append_files(
        content, {LABELS_FILE: standard_metadata.labels_text(metadata["labels"])})


def io_details(content):
    """dtype, shape, scale and zero point of the model's input and output."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=content)
    result = {}
    for key, details in (("input_tensor", interpreter.get_input_details()[0]),
                         ("output_tensor", interpreter.get_output_details()[0])):
        scale, zero_point = details["quantization"]
        result[key] = {"dtype": np.dtype(details["dtype"]).name,
                       "shape": [int(d) for d in details["shape"]],
                       "scale": float(scale), "zero_point": int(zero_point)}
    return result
