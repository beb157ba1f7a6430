"""Writing our metadata into a `.tflite` file: a JSON document stored in a
buffer that an entry of the flatbuffer's `metadata` table names (the schema
module of `ai-edge-litert`; tflite-support's metadata writers cannot be
installed beside TensorFlow 2.21). The interpreter ignores entries it does not
know; `keras_resnet.edge.metadata.read` reads it back with `flatbuffers` alone."""

import json

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema

from keras_resnet.edge.metadata import NAME, read  # noqa: F401 (read: the other half)

IDENTIFIER = b"TFL3"


def embed(model_bytes, metadata):
    """The model with `metadata` (a JSON-able dict) stored under NAME,
    replacing an earlier entry of that name."""
    model = schema.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    payload = schema.BufferT()
    payload.data = np.frombuffer(json.dumps(metadata, sort_keys=True).encode(), np.uint8)
    model.buffers = model.buffers or []
    model.metadata = [m for m in (model.metadata or []) if _name(m.name) != NAME]
    model.buffers.append(payload)
    entry = schema.MetadataT()
    entry.name = NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)
    builder = flatbuffers.Builder(len(model_bytes) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=IDENTIFIER)
    return bytes(builder.Output())


def _name(name):
    return name.decode() if isinstance(name, bytes) else name
