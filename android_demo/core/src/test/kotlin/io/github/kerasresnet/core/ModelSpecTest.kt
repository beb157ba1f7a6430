package io.github.kerasresnet.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** The metadata reader and its checks against the interpreter's tensors. */
class ModelSpecTest {
    private val metadata = """
        {"labels": ["T-shirt/top", "Trouser", "Pull\"over\u00e9"],
         "input": {"height": 28, "width": 30, "channels": 1, "style": "cifar", "pixel_range": [0, 255]},
         "output": "probabilities (softmax)",
         "input_tensor": {"dtype": "int8", "shape": [1, 28, 30, 1], "scale": 1.0, "zero_point": -128},
         "output_tensor": {"dtype": "int8", "shape": [1, 3], "scale": 0.00390625, "zero_point": -128},
         "calibration": null, "nested": {"a": [true, false, -1.5e-3]}}
    """

    private fun expectFailure(message: String, block: () -> Unit) {
        try {
            block()
            fail("no error; expected one containing \"$message\"")
        } catch (e: RuntimeException) {
            assertTrue("\"${e.message}\" lacks \"$message\"", e.message!!.contains(message))
        }
    }

    @Test
    fun readsTheMetadataThatResnetExportWrites() {
        val spec = ModelSpec.parse(metadata)
        assertEquals(listOf("T-shirt/top", "Trouser", "Pull\"overé"), spec.labels)
        assertEquals(28, spec.height)
        assertEquals(30, spec.width)
        assertEquals(1, spec.channels)
        assertFalse(spec.outputsLogits)
        assertEquals("int8", spec.input.dtype)
        assertEquals(-128, spec.input.zeroPoint)
        assertEquals(0.00390625f, spec.output.scale)
        spec.check(spec.input, spec.output)
    }

    @Test
    fun readsTheCropFractionOrAnOlderExportsStyle() {
        assertEquals(1.0, ModelSpec.parse(metadata).cropFraction, 0.0)
        assertEquals(0.875, ModelSpec.parse(metadata.replace("\"cifar\"", "\"imagenet\"")).cropFraction, 0.0)
        val recorded = metadata.replace("\"style\": \"cifar\"", "\"style\": \"imagenet\", \"crop_fraction\": 0.9")
        assertEquals(0.9, ModelSpec.parse(recorded).cropFraction, 0.0)
    }

    @Test
    fun namesEveryDifferenceFromTheInterpreter() {
        val spec = ModelSpec.parse(metadata)
        expectFailure("input quantization is int8 [1, 28, 30, 1] (scale 0.5, zero point -128) in the model") {
            spec.check(TensorSpec("int8", listOf(1, 28, 30, 1), 0.5f, -128), spec.output)
        }
        expectFailure("output is float32 [1, 3] in the model but int8") {
            spec.check(spec.input, TensorSpec("float32", listOf(1, 3), 0f, 0))
        }
        // Issue 27, 5: a model whose input is not the metadata's image would overflow
        // the input buffer or leave stale bytes in it.
        expectFailure("the model's input tensor is [1, 32, 32, 3] but the metadata's image is 28x30x1") {
            spec.check(TensorSpec("int8", listOf(1, 32, 32, 3), 1.0f, -128), spec.output)
        }
        val inconsistent = ModelSpec.parse(metadata.replace("\"width\": 30", "\"width\": 28"))
        expectFailure("the metadata's input tensor is [1, 28, 30, 1] but the metadata's image is 28x28x1") {
            inconsistent.check(spec.input, spec.output)
        }
        val wrongLabels = ModelSpec.parse(metadata.replace("\"Trouser\", ", ""))
        expectFailure("the metadata has 2 labels for 3 outputs") { wrongLabels.check(spec.input, spec.output) }
    }

    @Test
    fun rejectsBadMetadataWithOneLine() {
        expectFailure("metadata: missing \"input\"") { ModelSpec.parse("{}") }
        expectFailure("input.channels=2 is not valid; allowed: [1, 3]") {
            ModelSpec.parse(metadata.replace("\"channels\": 1", "\"channels\": 2"))
        }
        expectFailure("input.style=\"vgg\" is not valid") {
            ModelSpec.parse(metadata.replace("\"cifar\"", "\"vgg\""))
        }
        expectFailure("input.crop_fraction=1.5 is not valid; allowed: 0 < crop_fraction <= 1") {
            ModelSpec.parse(metadata.replace("\"style\"", "\"crop_fraction\": 1.5, \"style\""))
        }
        expectFailure("dtype=\"uint8\" is not valid; allowed: [float32, int8]") {
            ModelSpec.parse(metadata.replace("\"dtype\": \"int8\"", "\"dtype\": \"uint8\""))
        }
        expectFailure("JSON: expected '}'") { Json.parse("{\"a\": 1") }
        expectFailure("JSON: unexpected text after the value") { Json.parse("[1] 2") }
    }

    @Test
    fun rejectsBadImagesAndRotations() {
        expectFailure("rotation=45 is not valid; allowed: 0, 90, 180, 270") {
            Orientation.rotate(PixelImage(2, 2, 1, FloatArray(4)), 45)
        }
        expectFailure("channels=2 is not valid") { PixelImage(2, 2, 2, FloatArray(8)) }
        expectFailure("3 values do not fill a 2x2x1 image") { PixelImage(2, 2, 1, FloatArray(3)) }
    }

    @Test
    fun argbPixelsKeepTheirChannelsAndAlpha() {
        val image = PixelImage.fromArgb(2, 1, intArrayOf(0x80FF0010.toInt(), 0xFF000000.toInt()))
        assertEquals(listOf(255f, 0f, 16f, 128f, 0f, 0f, 0f, 255f), image.data.toList())
        val composited = Preprocess.toChannels(image, 3)
        assertEquals(255f * (128f / 255f), composited[0, 0, 0])
    }
}
