"""Writing metadata into a `.tflite` file: our JSON document, and the standard
TFLite metadata (`standard_metadata`), each stored in a buffer that an entry
of the flatbuffer's `metadata` table names (the schema module of
`ai-edge-litert`). The interpreter ignores entries it does not know;
`keras_resnet.edge.metadata.read` reads ours back with `flatbuffers` alone."""

import json

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema

from keras_resnet.edge.metadata import NAME, read  # noqa: F401 (read: the other half)

IDENTIFIER = b"TFL3"


def embed(model_bytes, metadata, entries=None):
    """The model with `metadata` (a JSON-able dict) stored under NAME, and each
    of `entries` ({name: bytes}) under its name, replacing earlier entries of
    those names. Bytes appended to the model (a zip) are not kept."""
    entries = {NAME: json.dumps(metadata, sort_keys=True).encode(), **(entries or {})}
    model = schema.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    model.buffers = model.buffers or []
    model.metadata = [m for m in (model.metadata or []) if _name(m.name) not in entries]
    for name, content in entries.items():
        payload = schema.BufferT()
        payload.data = np.frombuffer(content, np.uint8)
        model.buffers.append(payload)
        entry = schema.MetadataT()
        entry.name = name
        entry.buffer = len(model.buffers) - 1
        model.metadata.append(entry)
    builder = flatbuffers.Builder(len(model_bytes) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=IDENTIFIER)
    return bytes(builder.Output())


def _name(name):
    return name.decode() if isinstance(name, bytes) else name
