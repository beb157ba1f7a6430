"""The JVM tests' golden vectors: inputs and expected outputs for the plain
Kotlin of the Android app (android_demo/core), computed by `keras_resnet.edge`'s
reference preprocessing, camera-frame conversion and postprocessing.

tests/test_android.py checks that the committed files are what this computes
now and runs the Kotlin tests against fresh ones. After a change to the
preprocessing, refresh the committed files with:

    .venv/bin/python tests/golden_vectors.py
"""

import os

import numpy as np
from PIL import Image

from keras_resnet.atomic_files import write_bytes, write_json
from keras_resnet.edge import camera, preprocess
from keras_resnet.edge.input_spec import InputSpec
from keras_resnet.edge.predictor import softmax, top_indices
from keras_resnet.edge.tflite import dequantize, quantize
from keras_resnet.export.android_assets import TOP_K

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "android_demo", "core", "src", "test", "resources", "golden")

LABELS = [f"class {i}" for i in range(10)]
SPECS = {  # model inputs the vectors cover: the default model's and three others
    "grey28-int8": (InputSpec(28, 28, 1), ("int8", 1.0, -128)),
    "rgb40-imagenet-float": (InputSpec.for_style(40, 3, "imagenet"), ("float32", 0.0, 0)),
    "rgb32-int8": (InputSpec(32, 32, 3), ("int8", 0.93, -7)),
    "rgb24x32-float": (InputSpec(24, 32, 3, 0.9), ("float32", 0.0, 0)),  # a 3:4 input
}


def _spec_json(key):
    spec, (dtype, scale, zero_point) = SPECS[key]
    height, width, channels = spec.height, spec.width, spec.channels
    return {"labels": LABELS, "input": spec.to_metadata(),
            "output": "probabilities (softmax)",
            "input_tensor": {"dtype": dtype, "shape": [1, height, width, channels],
                             "scale": scale, "zero_point": zero_point},
            "output_tensor": {"dtype": "float32", "shape": [1, 10], "scale": 0.0,
                              "zero_point": 0}}


def _photos():
    """Real inputs of odd sizes and aspect ratios: RGB photo crops (landscape,
    and 16:9 portrait), a grey one, an 8×8 digit (upsampling), and an RGBA
    crop with an alpha ramp."""
    from sklearn.datasets import load_digits, load_sample_images

    china, flower = load_sample_images().images
    grey = np.asarray(Image.fromarray(china[200:261, 300:377]).convert("L"))[..., None]
    digit = (load_digits().images[0] * 255 / 16).round().astype(np.uint8)[..., None]
    rgba = flower[150:197, 250:314]
    alpha = np.linspace(0, 255, rgba.shape[1]).round().astype(np.uint8)
    rgba = np.dstack([rgba, np.broadcast_to(alpha, rgba.shape[:2])])
    # china is 97×133: the resize rule floors its long side (rounding would differ)
    return {"china": china[50:147, 100:233], "flower": flower[100:177, 200:301],
            "tall": china[100:260, 250:340], "grey": grey, "digit": digit, "rgba": rgba}


def _expected(image, key):
    spec, (dtype, scale, zero_point) = SPECS[key]
    x = preprocess.preprocess_for_eval(image, spec)
    q = quantize(x, scale, zero_point) if dtype == "int8" else None
    return x, q


def _yuv_frame(rgb, row_padding, interleaved):
    """A YUV_420_888 frame's planes from an RGB image (even-position chroma
    samples), laid out as a camera would: padded rows, planar or NV21."""
    f = rgb.astype(np.float64)
    y = 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]
    u = 128 - 0.168736 * f[..., 0] - 0.331264 * f[..., 1] + 0.5 * f[..., 2]
    v = 128 + 0.5 * f[..., 0] - 0.418688 * f[..., 1] - 0.081312 * f[..., 2]
    y, u, v = (np.clip(np.round(p), 0, 255).astype(np.uint8) for p in (y, u, v))
    u, v = u[::2, ::2], v[::2, ::2]
    height, width = y.shape
    y_stride = width + row_padding
    y_plane = np.zeros((height, y_stride), np.uint8)
    y_plane[:, :width] = y
    rows, cols = u.shape
    if interleaved:  # NV21: V and U alternate in one buffer; U starts one byte later
        uv_stride, pixel_stride = 2 * cols + row_padding, 2
        vu = np.zeros((rows, uv_stride), np.uint8)
        vu[:, 0:2 * cols:2], vu[:, 1:2 * cols:2] = v, u
        flat = vu.ravel()[:(rows - 1) * uv_stride + 2 * cols]
        u_plane, v_plane = flat[1:], flat[:-1]
    else:
        uv_stride, pixel_stride = cols + row_padding, 1
        planes = []
        for p in (u, v):
            padded = np.zeros((rows, uv_stride), np.uint8)
            padded[:, :cols] = p
            planes.append(padded.ravel()[:(rows - 1) * uv_stride + cols])
        u_plane, v_plane = planes
    # Android's last row of a plane stops at the last pixel (no padding).
    y_bytes = y_plane.ravel()[:(height - 1) * y_stride + width]
    return {"width": width, "height": height, "y_row_stride": y_stride,
            "uv_row_stride": uv_stride, "uv_pixel_stride": pixel_stride}, \
        (y_bytes, u_plane, v_plane)


def write_golden_vectors(out_dir=GOLDEN):
    """cases.json plus little-endian binary files (.u8, .i8, .f32)."""
    os.makedirs(out_dir, exist_ok=True)
    files = {}

    def put(name, array):
        array = np.ascontiguousarray(array)
        suffix = {np.uint8: "u8", np.int8: "i8", np.float32: "f32"}[array.dtype.type]
        files[f"{name}.{suffix}"] = array.astype(array.dtype.newbyteorder("<")).tobytes()
        return f"{name}.{suffix}"

    cases = {"preprocess": [], "camera": [], "quantize": [], "postprocess": []}
    photos = _photos()
    pairs = [("china", k) for k in SPECS] + [("flower", k) for k in SPECS] + [
        ("grey", "grey28-int8"), ("grey", "rgb40-imagenet-float"), ("digit", "grey28-int8"),
        ("rgba", "grey28-int8"), ("rgba", "rgb32-int8"), ("tall", "grey28-int8"),
        ("tall", "rgb40-imagenet-float"), ("tall", "rgb24x32-float")]
    for photo, key in pairs:
        image = photos[photo]
        x, q = _expected(image, key)
        name = f"{photo}-{key}"
        cases["preprocess"].append({
            "name": name, "spec": _spec_json(key),
            "image": {"file": put(f"{photo}-input", image), "height": image.shape[0],
                      "width": image.shape[1], "channels": image.shape[2]},
            "expected": put(f"{name}-expected", x),
            "expected_int8": None if q is None else put(f"{name}-expected", q)})
    frames = [("nv21", photos["flower"][:48, :64], 8, True, (0, 90, 180, 270)),
              ("i420-odd", photos["china"][:47, :63], 3, False, (90,))]
    for frame_name, rgb, padding, interleaved, rotations in frames:
        layout, planes = _yuv_frame(rgb, padding, interleaved)
        layout.update({plane: put(f"{frame_name}-{plane}", data)
                       for plane, data in zip(("y", "u", "v"), planes)})
        converted = camera.yuv420_to_rgb(layout["width"], layout["height"], planes[0],
                                         layout["y_row_stride"], planes[1], planes[2],
                                         layout["uv_row_stride"], layout["uv_pixel_stride"])
        for degrees in rotations:
            for key in ("grey28-int8", "rgb40-imagenet-float", "rgb24x32-float"):
                upright = camera.rotate(converted, degrees)
                x, q = _expected(upright, key)  # the contract on the whole upright frame
                name = f"{frame_name}-{degrees}-{key}"
                cases["camera"].append({
                    "name": name, "frame": layout, "rotation": degrees, "spec": _spec_json(key),
                    "expected_rgb": put(f"{frame_name}-{degrees}-rgb", upright),
                    "expected": put(f"{name}-expected", x),
                    "expected_int8": None if q is None else put(f"{name}-expected", q)})
    halves = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 126.5, 127.5, 128.5, -128.5, -129.5, 254.5,
                       255.0, 0.49999997, 3.0000002], np.float32)
    for scale, zero_point in ((1.0, 0), (1.0, -128), (0.5, 3)):
        name = f"halves-{scale}-{zero_point}"
        cases["quantize"].append({
            "name": name, "values": put("halves", halves), "scale": scale,
            "zero_point": zero_point,
            "expected": put(f"{name}-expected", quantize(halves * np.float32(scale), scale,
                                                          zero_point))})
    rng = np.random.default_rng(0)
    outputs = [("logits", rng.normal(0, 3, 10).astype(np.float32), "float32", 0.0, 0, True),
               ("ties", np.array([1, 3, 3, 0, 3, -1, 2, 2, 0, 1], np.float32), "float32",
                0.0, 0, True),
               ("int8-probabilities", rng.integers(-128, 128, 10).astype(np.int8), "int8",
                1 / 256, -128, False),
               ("int8-logits", rng.integers(-128, 128, 10).astype(np.int8), "int8", 0.1, 3, True)]
    for name, raw, dtype, scale, zero_point, logits in outputs:
        values = dequantize(raw, scale, zero_point) if dtype == "int8" else raw
        if logits:
            values = softmax(values)
        cases["postprocess"].append({
            "name": name, "output": put(f"post-{name}", raw), "dtype": dtype, "scale": scale,
            "zero_point": zero_point, "logits": logits,
            "expected_probabilities": put(f"post-{name}-expected", values),
            "expected_top": top_indices(values, TOP_K)})
    for name, data in files.items():
        write_bytes(os.path.join(out_dir, name), data)
    write_json(os.path.join(out_dir, "cases.json"), cases)
    return cases


if __name__ == "__main__":
    write_golden_vectors()
    print(f"golden vectors written to {GOLDEN}")
