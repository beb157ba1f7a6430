"""Reading our metadata from a `.tflite` file with the pure-Python `flatbuffers`
package alone (no TensorFlow, no generated schema module), so that any LiteRT
or tflite-runtime install can read it. `keras_resnet.export.tflite_metadata` writes it."""

import json

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
    buf = bytearray(model_bytes)
    model = table.Table(buf, encode.Get(packer.uoffset, buf, 0))
    entries, buffers = _field(model, MODEL_METADATA), _field(model, MODEL_BUFFERS)
    if not entries or not buffers:
        return None
    for i in range(model.VectorLen(entries)):
        entry = _vector_item(model, entries, i)
        name_field = _field(entry, 0)
        if not name_field or entry.String(name_field + entry.Pos).decode() != NAME:
            continue
        index_field = _field(entry, 1)
        index = entry.Get(number_types.Uint32Flags, index_field + entry.Pos) if index_field else 0
        data = _vector_item(model, buffers, index)
        start, length = data.Vector(_field(data, 0)), data.VectorLen(_field(data, 0))
        return json.loads(bytes(buf[start:start + length]).decode())
    return None
