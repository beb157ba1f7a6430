"""Checks of exported `.tflite` variants against the Keras model they came from."""

import gzip

import numpy as np
import tensorflow as tf

from keras_resnet.cpu import int8_note
from keras_resnet.edge.tflite import TFLiteModel, time_ms


def keras_latency_ms(model, runs=50):
    """Median and p90 of one-image forward passes of the Keras model, in ms."""
    x = tf.zeros((1, *model.input_shape[1:]))
    forward = tf.function(lambda t: model(t, training=False))
    forward(x)
    return time_ms(lambda: np.asarray(forward(x)), runs)


def verify_variant(path, keras_probs, images, labels, runs=50):
    """Accuracy, agreement with Keras, output difference, size, ops, latency."""
    model = TFLiteModel(path, threads=1)
    probs = model.predict(images)
    size, gzipped = sizes(path)
    predicted, expected = probs.argmax(1), keras_probs.argmax(1)
    latency = {}
    for threads in (1, 2):
        median, p90 = TFLiteModel(path, threads=threads).latency_ms(runs)
        latency[f"{threads}_thread"] = {"median_ms": median, "p90_ms": p90}
    return {
        "file": path,
        "bytes": size, "gzip_bytes": gzipped,
        "ops": op_names(path),
        "weights": weight_stats(path),
        "images": int(len(labels)),
        "accuracy": float(np.mean(predicted == labels)),
        "agreement_with_keras": float(np.mean(predicted == expected)),
        "max_abs_output_difference": float(np.abs(probs - keras_probs).max()),
        "latency": latency,
    }


def markdown(report):
    """The report as a Markdown table."""
    keras_row = report["keras"]
    lines = [f"# Export of {report['model']}", "",
             f"Test images: {keras_row['images']}; Keras float accuracy "
             f"{keras_row['accuracy']:.4f}; Keras latency (1 image) "
             f"{keras_row['latency']['median_ms']:.2f} ms median.", "",
             "| variant | size | gzip | weight sparsity | accuracy | agreement | "
             "max output diff | 1 thread ms (median / p90) | 2 threads ms (median / p90) |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for name, v in report["variants"].items():
        one, two = v["latency"]["1_thread"], v["latency"]["2_thread"]
        sparsity = v["weights"]["sparsity"]
        lines.append(
            f"| {name} | {v['bytes'] / 1024:.0f} KiB | {v['gzip_bytes'] / 1024:.0f} KiB | "
            f"{'–' if sparsity is None else f'{sparsity:.1%}'} | "
            f"{v['accuracy']:.4f} | {v['agreement_with_keras']:.4f} | "
            f"{v['max_abs_output_difference']:.2e} | {one['median_ms']:.2f} / {one['p90_ms']:.2f} | "
            f"{two['median_ms']:.2f} / {two['p90_ms']:.2f} |")
    one_thread = {name: v["latency"]["1_thread"]["median_ms"]
                  for name, v in report["variants"].items()}
    notes = [f"- {name}: {int8_note(ms, one_thread['float32'])}"
             for name, ms in one_thread.items() if "float32" in one_thread and "int8" in name]
    if report.get("cpu"):
        lines += ["", f"Latencies measured on {report['cpu']} (LiteRT).", *notes]
    return "\n".join(lines) + "\n"


def sizes(path):
    """(bytes, gzip-compressed bytes) of a file."""
    with open(path, "rb") as f:
        data = f.read()
    return len(data), len(gzip.compress(data, 9))


def op_names(path):
    """Sorted builtin op names of a `.tflite` file (custom ops as CUSTOM:<name>)."""
    from ai_edge_litert import schema_py_generated as schema

    with open(path, "rb") as f:
        model = schema.Model.GetRootAs(f.read(), 0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    ops = set()
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if names.get(builtin) == "CUSTOM":
            ops.add(f"CUSTOM:{code.CustomCode().decode()}")
        else:
            ops.add(names.get(builtin, str(builtin)))
    return sorted(ops)


WEIGHT_TYPES = {0: np.float32, 1: np.float16, 9: np.int8}  # schema TensorType codes


def weight_stats(path):
    """Sparsity (fraction of zeros) of the kernels of the convolutions and
    dense layers stored in a `.tflite` file, and the most distinct values in
    one output channel (at most the cluster count of a clustered model)."""
    from ai_edge_litert import schema_py_generated as schema

    with open(path, "rb") as f:
        content = f.read()
    model = schema.Model.GetRootAs(content, 0)
    graph = model.Subgraphs(0)
    kinds = {schema.BuiltinOperator.CONV_2D, schema.BuiltinOperator.FULLY_CONNECTED}
    zeros = total = distinct = 0
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) not in kinds:
            continue
        tensor = graph.Tensors(op.Inputs(1))
        buffer = model.Buffers(tensor.Buffer())
        raw = (buffer.DataAsNumpy() if buffer.DataLength()
               else np.frombuffer(content, np.uint8, buffer.Size(), buffer.Offset())
               if buffer.Offset() > 1 else None)  # float16 models dequantize first
        if raw is None or tensor.Type() not in WEIGHT_TYPES:
            continue
        kernel = np.frombuffer(raw.tobytes(), WEIGHT_TYPES[tensor.Type()])
        channels = kernel.reshape(int(tensor.ShapeAsNumpy()[0]), -1)  # output channel first
        zeros += int(np.sum(kernel == 0))
        total += kernel.size
        distinct = max(distinct, max(len(np.unique(c)) for c in channels))
    if not total:  # weights stored as float16 behind DEQUANTIZE ops
        return {"sparsity": None, "max_distinct_per_channel": None}
    return {"sparsity": zeros / total, "max_distinct_per_channel": distinct}
