"""A `.tflite` file in the LiteRT interpreter: predictions and latency.

Imports no TensorFlow: ai_edge_litert (or tflite_runtime), numpy only. An
int8 or uint8 input is quantized as q = round(x / scale) + zero_point,
rounding half to even (numpy's rule), clipped to the type's range (a uint8
input of scale 1 and zero point 0 takes the 0..255 pixels as they are).
"""

import statistics
import time

import numpy as np

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # pragma: no cover - boards with the older runtime
    from tflite_runtime.interpreter import Interpreter


QUANTIZED = (np.int8, np.uint8)


def quantize(x, scale, zero_point, dtype=np.int8):
    """q = round(x / scale) + zero_point in float32, half to even, clipped to `dtype`."""
    x = np.asarray(x, np.float32)
    info = np.iinfo(dtype)
    return np.clip(np.round(x / np.float32(scale)) + zero_point, info.min, info.max).astype(dtype)


def dequantize(q, scale, zero_point):
    """float32 (q - zero_point) × scale."""
    return (np.asarray(q).astype(np.float32) - zero_point) * np.float32(scale)


class TFLiteModel:
    def __init__(self, path, threads=None):
        self.path = path
        self.interpreter = Interpreter(model_path=path, num_threads=threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]

    def predict_one(self, image):
        """Probabilities (float32) for one H×W×C image of 0..255 pixels."""
        x = np.asarray(image, np.float32)[None]
        scale, zero_point = self.input["quantization"]
        if self.input["dtype"] in QUANTIZED:
            x = quantize(x, scale, zero_point, self.input["dtype"])
        self.interpreter.set_tensor(self.input["index"], x.astype(self.input["dtype"]))
        self.interpreter.invoke()
        y = self.interpreter.get_tensor(self.output["index"])[0]
        scale, zero_point = self.output["quantization"]
        if self.output["dtype"] in QUANTIZED:
            y = dequantize(y, scale, zero_point)
        return y.astype(np.float32)

    def predict(self, images):
        return np.stack([self.predict_one(image) for image in images])

    def latency_ms(self, runs=50):
        """Median and 90th percentile of `runs` invocations on one input, in ms."""
        x = np.zeros(self.input["shape"], self.input["dtype"])
        self.interpreter.set_tensor(self.input["index"], x)
        self.interpreter.invoke()  # warm-up
        return time_ms(self.interpreter.invoke, runs)


def time_ms(call, runs):
    """Median and 90th percentile of the wall time of `runs` calls, in ms."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]
