"""Keras model → SavedModel → `.tflite`, one file per quantization, with metadata.

    export_model("runs/x/checkpoints/best.keras", "exports/x", ["float32", "int8"])

The model is exported as a SavedModel with a fixed input shape (batch 1 by
default), converted with `TFLiteConverter.from_saved_model` allowing TFLite
builtin ops only (a model that would need the Flex delegate fails, naming the
ops), verified with the LiteRT interpreter, and written with its metadata.
Everything goes to a temporary directory beside `out_dir` first, renamed into
place only when every variant succeeded: a failed export leaves nothing.
"""

import os
import re
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_resnet.arguments import invalid
from keras_resnet.atomic_files import write_bytes, write_json, write_text
from keras_resnet.edge.preprocess import GREY_WEIGHTS
from keras_resnet.export.tuned import tuned_int8
from keras_resnet.export.variant_metadata import (io_details, rgb_metadata, shared_metadata,
                                                  with_metadata)
from keras_resnet.export.variants import (NEEDS_CALIBRATION, QUANTIZATIONS, TUNED, ExportError,
                                          Tuning)


def export_model(model_path, out_dir, quantizations, *, calibration=None, labels=None,
                 calibration_seed=None, test=None, batch_size=1, overwrite=False,
                 latency_runs=50, input_spec=None, run_dir=None, tuning=Tuning()):
    """Writes out_dir/saved_model, and for each quantization model_<q>.tflite
    with its metadata as model_<q>.json; with `test` also report.json and
    report.md. Returns the report (or {quantization: path} without `test`).

    `calibration` (needed for int8) and `test`'s images are float32 N×H×W×C
    arrays of real images already passed through the training side's
    evaluation preprocessing; `test` is (images, labels). `input_spec` is that
    preprocessing's InputSpec (default: the model's input, crop fraction 1),
    recorded in the metadata.
    The tuned variants (int8-qat, int8-pruned to `tuning.sparsity`,
    int8-clustered to `tuning.clusters` values per kernel) fine-tune for
    `tuning.epochs` on the data of the run in `run_dir`.
    """
    for q in quantizations:
        if q not in QUANTIZATIONS:
            raise invalid("quantize", q, ", ".join(QUANTIZATIONS))
        if q in NEEDS_CALIBRATION and calibration is None:
            raise ValueError(f"quantize={q!r} needs calibration images: export a checkpoint "
                             "inside a run directory, or pass calibration data")
        if q in TUNED and run_dir is None:
            raise ValueError(f"quantize={q!r} needs the training data: export a "
                             "checkpoint inside a run directory")
    tuning.check()
    if os.path.exists(out_dir) and not overwrite:
        raise ValueError(f"output directory {out_dir!r} exists; allowed: a new directory, "
                         "or --overwrite")
    model = _load(model_path)
    parent = os.path.dirname(os.path.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        base = tuned_base = shared_metadata(model, model_path, labels, calibration,
                                            calibration_seed, input_spec)
        wanted = [q for q in quantizations if q in TUNED]
        tuned = tuned_int8(wanted, model_path, run_dir, calibration, work,
                           tuning) if wanted else {}
        if model.input_shape[-1] == 1:  # deployable files take RGB, as cameras give it
            model, base = rgb_input(model), rgb_metadata(base)
            calibration, test = _as_rgb(calibration), test and (_as_rgb(test[0]), test[1])
        saved = os.path.join(work, "saved_model")
        _write_saved_model(model, saved, batch_size)
        written = {}
        for q in quantizations:
            content = tuned[q] if q in TUNED else convert(saved, q, calibration)
            metadata = {**(tuned_base if q in TUNED else base), **io_details(content),
                        "quantization": q}
            if q in TUNED:
                metadata["fine_tuning"] = {"epochs": tuning.epochs, **(
                    {"sparsity": tuning.sparsity} if q == "int8-pruned" else
                    {"clusters": tuning.clusters} if q == "int8-clustered" else {})}
            name = f"model_{q}.tflite"
            write_bytes(os.path.join(work, name), with_metadata(content, metadata))
            write_json(os.path.join(work, f"model_{q}.json"), metadata)
            written[q] = os.path.join(out_dir, name)
        result = written
        if test is not None:
            result = _verify(model, work, out_dir, written, test, latency_runs)
        if os.path.exists(out_dir):
            shutil.rmtree(out_dir)
        os.replace(work, out_dir)
        os.chmod(out_dir, 0o755)
        return result
    finally:
        if os.path.exists(work):
            shutil.rmtree(work)


def _verify(model, work, out_dir, written, test, runs):
    from keras_resnet.cpu import cpu_description, int8_capability
    from keras_resnet.edge.tflite import TFLiteModel
    from keras_resnet.export.verify import keras_latency_ms, markdown, verify_variant

    images, labels = test
    keras_probs = model.predict(images, batch_size=256, verbose=0)
    median, p90 = keras_latency_ms(model, runs)
    report = {"model": model.name,
              "keras": {"images": int(len(labels)),
                        "accuracy": float(np.mean(keras_probs.argmax(1) == labels)),
                        "latency": {"median_ms": median, "p90_ms": p90}},
              "cpu": cpu_description(), "int8_instructions": int8_capability(),
              "variants": {}}
    for q, final_path in written.items():
        local = os.path.join(work, os.path.basename(final_path))
        channels = TFLiteModel(local).input["shape"][-1]  # tuned variants keep a grey input
        variant = verify_variant(local, keras_probs, images[..., :channels], labels, runs)
        variant["file"] = final_path
        report["variants"][q] = variant
    write_json(os.path.join(work, "report.json"), report)
    write_text(os.path.join(work, "report.md"), markdown(report))
    return report


def _load(model_path):
    if not (isinstance(model_path, str) and model_path.endswith(".keras")
            and os.path.isfile(model_path)):
        raise invalid("model", model_path, "an existing .keras file")
    try:
        model = keras.saving.load_model(model_path, compile=False)
    except Exception as error:  # a zip that is no Keras model, a corrupt file
        raise ValueError(f"model={model_path!r} is not a loadable Keras model "
                         f"({type(error).__name__})") from None
    return in_float32(model)


def in_float32(model):
    """`model`, or a float32 copy of it when it computes in mixed precision
    (TFLite has no bfloat16 kernels; float16 is what the float16 variant is for).
    Mixed-precision variables are float32 already, so the weights copy exactly."""
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model
    copy = keras.models.clone_model(model, clone_function=lambda layer: type(layer).from_config(
        {**layer.get_config(), "dtype": "float32"}))
    copy.set_weights(model.get_weights())
    return copy


def rgb_input(model):
    """A grey-input model behind an RGB input: a fixed 1×1 convolution
    `rgb_to_grey` with the input contract's grey weights (GREY_WEIGHTS, those of
    `tf.image.rgb_to_grayscale`), so a camera frame goes in as it comes and the
    model sees the grey image that training computed."""
    height, width, _ = model.input_shape[1:]
    image = keras.Input((height, width, 3), name="image")
    to_grey = keras.layers.Conv2D(1, 1, use_bias=False, trainable=False, name="rgb_to_grey")
    grey = to_grey(image)
    to_grey.set_weights([GREY_WEIGHTS.reshape(1, 1, 3, 1)])
    return keras.Model(image, model(grey), name=model.name)


def _as_rgb(images):
    return None if images is None else np.repeat(np.asarray(images, np.float32), 3, axis=-1)


def _write_saved_model(model, path, batch_size):
    archive = keras.export.ExportArchive()
    archive.track(model)
    spec = tf.TensorSpec((batch_size, *model.input_shape[1:]), tf.float32, name="image")
    archive.add_endpoint(name="serve", fn=lambda x: model(x, training=False),
                         input_signature=[spec])
    archive.write_out(path, verbose=False)


def convert(saved_model, quantization, calibration=None):
    """The `.tflite` bytes of one quantization; builtin ops only."""
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model, signature_keys=["serve"])
    builtins = tf.lite.OpsSet.TFLITE_BUILTINS
    if quantization != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "uint8":
        calibration = _spanning(calibration)
    if quantization in NEEDS_CALIBRATION:
        converter.representative_dataset = lambda: ([image[None]] for image in calibration)
        builtins = (tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
                    if quantization == "int16x8" else tf.lite.OpsSet.TFLITE_BUILTINS_INT8)
    if quantization == "int8-io":
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    if quantization == "uint8":  # raw camera bytes in (scale 1, zero point 0), float out
        converter.inference_input_type = tf.uint8
    converter.target_spec.supported_ops = [builtins]
    try:
        content = converter.convert()
    except Exception as error:
        ops = sorted(set(re.findall(r"\btf\.([A-Z]\w+)", str(error))))
        if ops:
            raise ExportError(f"the model uses TensorFlow op(s) that TFLite has no builtin "
                              f"for: {', '.join(ops)} (they would need the Flex delegate)") from None
        raise ExportError(f"TFLite conversion ({quantization}) failed: "
                          f"{str(error).strip().splitlines()[0]}") from None
    if quantization == "uint8":
        tensor = io_details(content)["input_tensor"]
        if (tensor["scale"], tensor["zero_point"]) != (1.0, 0):
            raise ExportError(f"the uint8 variant's input quantization is scale "
                              f"{tensor['scale']}, zero point {tensor['zero_point']}; raw "
                              "pixels need 1 and 0 (does the model take 0..255 input?)")
    return content


def _spanning(calibration):
    """The calibration images with the first one's two first pixels set to 0 and
    255, so that the input's calibrated range is exactly 0..255 (uint8 input
    scale 1, zero point 0: raw camera bytes, what MediaPipe and ML Kit feed)."""
    calibration = np.array(calibration, np.float32)
    calibration[0].reshape(-1)[:2] = (0.0, 255.0)
    return calibration
