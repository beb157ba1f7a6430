"""Our metadata inside a `.tflite` file: a JSON document stored in a buffer
that an entry of the flatbuffer's `metadata` table names. Reading needs only
`flatbuffers` and the schema module that `ai-edge-litert` ships (no
TensorFlow, no tflite-support, whose metadata writers cannot be installed
beside TensorFlow 2.21); the interpreter ignores entries it does not know."""

import json

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema

NAME = "keras_resnet.metadata"
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


def read(model_bytes):
    """The metadata dict stored under NAME, or None."""
    model = schema.Model.GetRootAs(model_bytes, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if _name(entry.Name()) == NAME:
            data = model.Buffers(entry.Buffer()).DataAsNumpy()
            return json.loads(bytes(data).decode())
    return None


def _name(name):
    return name.decode() if isinstance(name, bytes) else name
