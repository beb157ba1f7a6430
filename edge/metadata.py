"""Reading metadata from a `.tflite` file with the pure-Python `flatbuffers`
package alone (no TensorFlow, no generated schema module), so that any LiteRT
or tflite-runtime install can read it: ours (`read`, a JSON document that
`keras_resnet.export.tflite_metadata` writes) and the standard TFLite metadata
that MediaPipe reads (`read_standard`, `keras_resnet.export.standard_metadata`)."""

import io
import json
import zipfile

from flatbuffers import encode, number_types, packer, table

NAME = "keras_resnet.metadata"
# Field numbers in the TFLite schema: Model.buffers 4, Model.metadata 6;
# Metadata.name 0, Metadata.buffer 1; Buffer.data 0.
MODEL_BUFFERS, MODEL_METADATA = 4, 6


def _field(tab, number):
    return tab.Offset(4 + 2 * number)


def _vector_item(tab, field, index):
    return table.Table(tab.Bytes, tab.Indirect(tab.Vector(field) + 4 * index))


def read(model_bytes):
    """The metadata dict stored under NAME, or None."""
    content = _entry(model_bytes, NAME)
    return None if content is None else json.loads(content.decode())


def _entry(model_bytes, name):
    """The bytes of the buffer that the model's metadata entry `name` names, or None."""
    buf = bytearray(model_bytes)
    model = table.Table(buf, encode.Get(packer.uoffset, buf, 0))
    entries, buffers = _field(model, MODEL_METADATA), _field(model, MODEL_BUFFERS)
    if not entries or not buffers:
        return None
    for i in range(model.VectorLen(entries)):
        entry = _vector_item(model, entries, i)
        if _string(entry, 0) != name:
            continue
        index_field = _field(entry, 1)
        index = entry.Get(number_types.Uint32Flags, index_field + entry.Pos) if index_field else 0
        data = _vector_item(model, buffers, index)
        start, length = data.Vector(_field(data, 0)), data.VectorLen(_field(data, 0))
        return bytes(buf[start:start + length])
    return None


def _string(tab, number):
    field = _field(tab, number)
    return tab.String(field + tab.Pos).decode() if field else None


def _table(tab, number):
    field = _field(tab, number)
    return table.Table(tab.Bytes, tab.Indirect(field + tab.Pos)) if field else None


def _byte(tab, number):
    field = _field(tab, number)
    return tab.Get(number_types.Uint8Flags, field + tab.Pos) if field else 0


def _floats(tab, number):
    field = _field(tab, number)
    if not field:
        return []
    start = tab.Vector(field)
    return [tab.Get(number_types.Float32Flags, start + 4 * i) for i in range(tab.VectorLen(field))]


def _tables(tab, number):
    field = _field(tab, number)
    return [_vector_item(tab, field, i) for i in range(tab.VectorLen(field))] if field else []


STANDARD_NAME = "TFLITE_METADATA"
COLOR_SPACES = {0: "unknown", 1: "RGB", 2: "grey"}
TENSOR_AXIS_LABELS = 2


def read_standard(model_bytes):
    """The standard TFLite metadata's main facts, or None when the file has none:
    {"name", "description", "version", "color_space", "normalization": {"mean",
    "std"}, "labels" (from the TENSOR_AXIS_LABELS file appended as a zip)}."""
    content = _entry(model_bytes, STANDARD_NAME)
    if content is None:
        return None
    buf = bytearray(content)
    root = table.Table(buf, encode.Get(packer.uoffset, buf, 0))
    subgraph = (_tables(root, 3) or [None])[0]
    inputs = _tables(subgraph, 2) if subgraph else []
    outputs = _tables(subgraph, 3) if subgraph else []
    result = {"name": _string(root, 0), "description": _string(root, 1),
              "version": _string(root, 2), "color_space": None, "normalization": None,
              "labels": None}
    if inputs:
        content_table = _table(inputs[0], 3)
        if content_table is not None and _byte(content_table, 0) == 2:  # ImageProperties
            result["color_space"] = COLOR_SPACES.get(_byte(_table(content_table, 1), 0))
        for unit in _tables(inputs[0], 4):
            if _byte(unit, 0) == 1:  # NormalizationOptions
                options = _table(unit, 1)
                result["normalization"] = {"mean": _floats(options, 0), "std": _floats(options, 1)}
    label_files = [_string(f, 0) for t in outputs for f in _tables(t, 6)
                   if _byte(f, 2) == TENSOR_AXIS_LABELS]
    if label_files:
        result["labels"] = _associated_text(model_bytes, label_files[0]).splitlines()
    return result


def _associated_text(model_bytes, name):
    """A file of the zip appended to the model, as text ("" when it is missing)."""
    try:
        with zipfile.ZipFile(io.BytesIO(model_bytes)) as archive:
            return archive.read(name).decode()
    except (zipfile.BadZipFile, KeyError):
        return ""
