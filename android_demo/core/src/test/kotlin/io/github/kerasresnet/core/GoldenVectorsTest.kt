package io.github.kerasresnet.core

import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * The Kotlin preprocessing, camera conversion and postprocessing against
 * vectors that the Python side (tests/golden_vectors.py) computed from the
 * same inputs. The folder is the system
 * property golden.dir, else the committed src/test/resources/golden.
 */
class GoldenVectorsTest {
    private val dir = File(System.getProperty("golden.dir") ?: "src/test/resources/golden")

    @Suppress("UNCHECKED_CAST")
    private val cases = Json.parse(File(dir, "cases.json").readText()) as Map<String, List<Map<String, Any?>>>

    private fun bytes(name: Any?) = File(dir, name as String).readBytes()

    private fun floats(name: Any?): FloatArray {
        val buffer = ByteBuffer.wrap(bytes(name)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
        return FloatArray(buffer.remaining()).also { buffer.get(it) }
    }

    private fun int(value: Any?) = (value as Double).toInt()

    @Suppress("UNCHECKED_CAST")
    private fun spec(case: Map<String, Any?>) =
        ModelSpec.of(JsonObject(case["spec"] as Map<String, Any?>, case["name"] as String))

    /** Float tensors within 1e-5 of the 0..255 range; int8 tensors exactly. */
    private fun checkInput(name: String, case: Map<String, Any?>, image: PixelImage) {
        val spec = spec(case)
        val x = Preprocess.forEval(image, spec)
        val expected = floats(case["expected"])
        assertEquals("$name: size", expected.size, x.size)
        var worst = 0f
        for (i in x.indices) worst = Math.max(worst, Math.abs(x[i] - expected[i]))
        assertTrue("$name: max difference $worst / 255 > 1e-5", worst / 255f <= 1e-5f)
        val int8 = case["expected_int8"] ?: return
        val q = Preprocess.quantize(x, spec.input.scale, spec.input.zeroPoint)
        assertArrayEquals("$name: int8 input", bytes(int8), q)
    }

    @Test
    fun preprocessingMatchesPython() {
        val list = cases.getValue("preprocess")
        assertTrue(list.size >= 10)
        for (case in list) {
            @Suppress("UNCHECKED_CAST")
            val image = case["image"] as Map<String, Any?>
            val pixels = PixelImage.fromBytes(int(image["width"]), int(image["height"]),
                int(image["channels"]), bytes(image["file"]))
            checkInput(case["name"] as String, case, pixels)
        }
    }

    @Test
    fun cameraFramesMatchPython() {
        val list = cases.getValue("camera")
        assertTrue(list.size >= 8)
        val rotations = HashSet<Int>()
        for (case in list) {
            val name = case["name"] as String
            @Suppress("UNCHECKED_CAST")
            val f = case["frame"] as Map<String, Any?>
            val frame = YuvFrame(int(f["width"]), int(f["height"]), bytes(f["y"]), int(f["y_row_stride"]),
                bytes(f["u"]), bytes(f["v"]), int(f["uv_row_stride"]), int(f["uv_pixel_stride"]))
            val degrees = int(case["rotation"])
            rotations.add(degrees)
            val upright = Orientation.rotate(frame.toRgb(), degrees)
            val expectedRgb = bytes(case["expected_rgb"])
            assertArrayEquals("$name: RGB", expectedRgb, ByteArray(upright.data.size) { upright.data[it].toInt().toByte() })
            // Issue 27, 4: the input contract on the whole upright frame, as for a photo.
            val whole = frame.upright(degrees)
            assertArrayEquals("$name: upright frame", upright.data, whole.data, 0f)
            checkInput(name, case, whole)
        }
        assertEquals(setOf(0, 90, 180, 270), rotations)
    }

    /** Exact halves: rounding half to even, as numpy does, then clipping. */
    @Test
    fun quantizationRoundsLikePython() {
        val list = cases.getValue("quantize")
        assertEquals(3, list.size)
        for (case in list) {
            val scale = (case["scale"] as Double).toFloat()
            val x = floats(case["values"])
            for (i in x.indices) x[i] = x[i] * scale
            val q = Preprocess.quantize(x, scale, int(case["zero_point"]))
            assertArrayEquals(case["name"] as String, bytes(case["expected"]), q)
        }
    }

    @Test
    fun postprocessingMatchesPython() {
        for (case in cases.getValue("postprocess")) {
            val name = case["name"] as String
            val scale = (case["scale"] as Double).toFloat()
            val zeroPoint = int(case["zero_point"])
            val raw = if (case["dtype"] == "int8") {
                Postprocess.dequantize(bytes(case["output"]), scale, zeroPoint)
            } else {
                floats(case["output"])
            }
            val probabilities = if (case["logits"] == true) Postprocess.softmax(raw) else raw
            val expected = floats(case["expected_probabilities"])
            for (i in expected.indices) {
                assertEquals("$name: probability $i", expected[i], probabilities[i], 1e-6f)
            }
            val labels = (0 until raw.size).map { "class $it" }
            val top = Postprocess.topK(probabilities, labels, 3).map { it.index }
            assertEquals(name, (case["expected_top"] as List<*>).map { int(it) }, top)
        }
    }
}
