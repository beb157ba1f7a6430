"""The standard TFLite model metadata that MediaPipe Tasks, Android Studio's ML
model binding and the TFLite Support library read: a `ModelMetadata`
flatbuffer (file identifier "M001", schema `metadata_schema.fbs` 1.x) stored
in the model's metadata entry "TFLITE_METADATA", and its associated files
(here `labels.txt`) appended to the `.tflite` file as an uncompressed zip.

Written with the `flatbuffers` builder against the schema's field numbers:
the maintained writers (tflite-support, MediaPipe's `metadata_writers`) need
protobuf < 4 or absl-py 2, which cannot share an environment with TensorFlow
2.21 and tfmot 0.8.1 (README, "How it is built"). `keras_resnet.edge.standard_metadata`
reads it back without TensorFlow; a test runs the files in MediaPipe itself.
"""

import io
import zipfile

import flatbuffers

from keras_resnet.edge.metadata import STANDARD_NAME as NAME  # noqa: F401 (convert stores under it)
from keras_resnet.edge.metadata import TENSOR_AXIS_LABELS

IDENTIFIER = b"M001"
PARSER_VERSION = "1.0.0"  # every field written here exists since schema 1.0
LABELS_FILE = "labels.txt"
# Schema enums and union tags.
RGB, GRAYSCALE = 1, 2
FEATURE_PROPERTIES, IMAGE_PROPERTIES = 1, 2
NORMALIZATION_OPTIONS = 1


def model_metadata(*, name, description, version, channels, height, width, input_dtype,
                   output_description):
    """The ModelMetadata flatbuffer of an image classifier whose input takes raw
    0..255 pixels (normalisation is inside the graph: mean 0, std 1); its
    labels travel in the associated file LABELS_FILE (`append_files`)."""
    b = flatbuffers.Builder(1024)

    def strings(*values):
        return [b.CreateString(v) for v in values]

    def table(fields):
        """fields: [(slot, kind, value)], kind "offset", "byte" or "uint"."""
        b.StartObject(max(slot for slot, _, _ in fields) + 1)
        for slot, kind, value in fields:
            {"offset": b.PrependUOffsetTRelativeSlot, "byte": b.PrependUint8Slot,
             "uint": b.PrependUint32Slot}[kind](slot, value, 0)
        return b.EndObject()

    def vector(offsets):
        b.StartVector(4, len(offsets), 4)
        for offset in reversed(offsets):
            b.PrependUOffsetTRelative(offset)
        return b.EndVector()

    def floats(values):
        b.StartVector(4, len(values), 4)
        for value in reversed(values):
            b.PrependFloat32(value)
        return b.EndVector()

    # Input: image properties, normalisation (identity: it happens in the graph), range.
    size = table([(0, "uint", width), (1, "uint", height)])
    image = table([(0, "byte", RGB if channels == 3 else GRAYSCALE), (1, "offset", size)])
    content = table([(0, "byte", IMAGE_PROPERTIES), (1, "offset", image)])
    normalisation = table([(0, "offset", floats([0.0])), (1, "offset", floats([1.0]))])
    unit = table([(0, "byte", NORMALIZATION_OPTIONS), (1, "offset", normalisation)])
    stats = table([(0, "offset", floats([255.0])), (1, "offset", floats([0.0]))])
    input_name, input_text = strings(
        "image", f"{height}×{width} {'RGB' if channels == 3 else 'grey'} image, raw pixel "
                 f"values 0..255 as {input_dtype}; resize with the aspect ratio kept and "
                 "centre-crop to the input (the model normalises inside)")
    tensor_in = table([(0, "offset", input_name), (1, "offset", input_text),
                       (3, "offset", content), (4, "offset", vector([unit])),
                       (5, "offset", stats)])
    # Output: class scores, labels as an associated file.
    file_name, file_text = strings(LABELS_FILE, "class names, one a line, in output order")
    labels_file = table([(0, "offset", file_name), (1, "offset", file_text),
                         (2, "byte", TENSOR_AXIS_LABELS)])
    feature = _empty(b)
    out_content = table([(0, "byte", FEATURE_PROPERTIES), (1, "offset", feature)])
    output_name, output_text = strings("scores", output_description)
    out_stats = table([(0, "offset", floats([1.0])), (1, "offset", floats([0.0]))])
    tensor_out = table([(0, "offset", output_name), (1, "offset", output_text),
                        (3, "offset", out_content), (5, "offset", out_stats),
                        (6, "offset", vector([labels_file]))])
    subgraph = table([(2, "offset", vector([tensor_in])), (3, "offset", vector([tensor_out]))])
    name, description, version, parser = strings(name, description, version, PARSER_VERSION)
    root = table([(0, "offset", name), (1, "offset", description), (2, "offset", version),
                  (3, "offset", vector([subgraph])), (7, "offset", parser)])
    b.Finish(root, file_identifier=IDENTIFIER)
    return bytes(b.Output())


def _empty(builder):
    """A table without fields (FeatureProperties)."""
    builder.StartObject(0)
    return builder.EndObject()


def append_files(model_bytes, files):
    """The model with `files` ({name: bytes}) appended as an uncompressed zip,
    as the TFLite metadata populator packs associated files."""
    buffer = io.BytesIO(model_bytes)
    buffer.seek(0, io.SEEK_END)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_STORED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def labels_text(labels):
    return "".join(f"{label}\n" for label in labels).encode()
