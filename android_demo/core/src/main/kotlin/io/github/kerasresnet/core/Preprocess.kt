package io.github.kerasresnet.core

import kotlin.math.abs
import kotlin.math.ceil
import kotlin.math.floor
import kotlin.math.max
import kotlin.math.min

/**
 * The model's evaluation preprocessing, step for step as the Python side
 * (`keras_resnet.edge.preprocess`, itself tested against training's TensorFlow):
 *
 * - channels: alpha composited onto black (c × a/255); grey =
 *   (R·0.2989 + G·0.5870) + B·0.1140 in float32; grey → RGB repeats the value.
 * - resize: bilinear with antialiasing, the triangle kernel of
 *   `tf.image.resize(antialias=True)`: half-pixel centres, the kernel widened
 *   by 1/scale when shrinking, weights summed in order and normalised per
 *   output pixel, all in float32; rows then columns, accumulated in float64.
 * - the input contract (`keras_resnet.edge.input_spec`, README "The input
 *   contract"): the image, aspect ratio kept, is resized to cover
 *   round(H / f) × round(W / f) (f = the metadata's crop fraction; the side
 *   that binds becomes exact, the other floor(side × scale)), then the centre
 *   H × W crop at offsets round((resized - crop) / 2), half to even.
 * - int8 inputs: q = round(x / scale) + zeroPoint, rounding half to even
 *   (numpy's rule), clipped to -128..127.
 */
object Preprocess {
    private val GREY = floatArrayOf(0.2989f, 0.5870f, 0.1140f)

    fun toChannels(image: PixelImage, channels: Int): PixelImage {
        var src = image
        if (src.channels == 4) {
            val out = FloatArray(src.width * src.height * 3)
            for (i in 0 until src.width * src.height) {
                val alpha = src.data[4 * i + 3] / 255f
                for (c in 0 until 3) out[3 * i + c] = src.data[4 * i + c] * alpha
            }
            src = PixelImage(src.width, src.height, 3, out)
        }
        if (src.channels == channels) return src
        val pixels = src.width * src.height
        val out = FloatArray(pixels * channels)
        if (channels == 1) {
            for (i in 0 until pixels) {
                out[i] = src.data[3 * i] * GREY[0] + src.data[3 * i + 1] * GREY[1] + src.data[3 * i + 2] * GREY[2]
            }
        } else {
            for (i in 0 until pixels) for (c in 0 until 3) out[3 * i + c] = src.data[i]
        }
        return PixelImage(src.width, src.height, channels, out)
    }

    /** Per output index: the first input index and the normalised weights from there. */
    private class Kernel(val start: IntArray, val weights: Array<FloatArray>)

    private fun kernel(inSize: Int, outSize: Int): Kernel {
        val scale = outSize.toFloat() / inSize.toFloat()
        val inverse = 1f / scale
        val width = max(inverse, 1f)
        val starts = IntArray(outSize)
        val weights = Array(outSize) { x ->
            val centre = (x.toFloat() + 0.5f) * inverse
            val start = max(ceil(centre - width - 0.5f).toInt(), 0)
            val end = min(floor(centre + width - 0.5f).toInt(), inSize - 1) + 1
            starts[x] = start
            val w = FloatArray(max(end - start, 0)) { i ->
                val offset = (start + i).toFloat() + 0.5f - centre
                max(0f, 1f - abs(offset * (1f / width)))
            }
            var total = 0f
            for (v in w) total += v
            if (total > 0f) {
                val norm = 1f / total
                for (i in w.indices) w[i] = w[i] * norm
            }
            w
        }
        return Kernel(starts, weights)
    }

    /** Antialiased bilinear resize (see the class comment). */
    fun resize(image: PixelImage, height: Int, width: Int): PixelImage {
        if (image.height == height && image.width == width) return image
        val c = image.channels
        val rows = kernel(image.height, height)
        val cols = kernel(image.width, width)
        val tmp = DoubleArray(height * image.width * c)
        for (o in 0 until height) {
            val w = rows.weights[o]
            for (i in w.indices) {
                val from = (rows.start[o] + i) * image.width * c
                val weight = w[i].toDouble()
                for (j in 0 until image.width * c) tmp[o * image.width * c + j] += weight * image.data[from + j]
            }
        }
        val out = FloatArray(height * width * c)
        for (o in 0 until height) for (p in 0 until width) {
            val w = cols.weights[p]
            for (ch in 0 until c) {
                var sum = 0.0
                for (i in w.indices) sum += w[i].toDouble() * tmp[(o * image.width + cols.start[p] + i) * c + ch]
                out[(o * width + p) * c + ch] = sum.toFloat()
            }
        }
        return PixelImage(width, height, c, out)
    }

    /** (resized height, resized width, top, left) of the contract's crop for an image of this size. */
    fun cropBox(imageHeight: Int, imageWidth: Int, spec: ModelSpec): IntArray {
        val targetH = Math.rint(spec.height / spec.cropFraction).toInt()
        val targetW = Math.rint(spec.width / spec.cropFraction).toInt()
        val h: Int
        val w: Int
        if (imageHeight.toLong() * targetW >= imageWidth.toLong() * targetH) {  // the width binds
            h = max(targetH, (imageHeight.toLong() * targetW / imageWidth).toInt())
            w = targetW
        } else {
            h = targetH
            w = max(targetW, (imageWidth.toLong() * targetH / imageHeight).toInt())
        }
        return intArrayOf(h, w, Math.rint((h - spec.height) / 2.0).toInt(), Math.rint((w - spec.width) / 2.0).toInt())
    }

    /** float32 height × width × channels in 0..255, as training evaluates. */
    fun forEval(image: PixelImage, spec: ModelSpec): FloatArray {
        val converted = toChannels(image, spec.channels)
        val (h, w, top, left) = cropBox(converted.height, converted.width, spec)
        return resize(converted, h, w).crop(top, left, spec.height, spec.width).data
    }

    /** int8 values of `x` for a tensor with this scale and zero point. */
    fun quantize(x: FloatArray, scale: Float, zeroPoint: Int) = ByteArray(x.size) {
        val q = Math.rint((x[it] / scale).toDouble()) + zeroPoint
        max(-128.0, min(127.0, q)).toInt().toByte()
    }
}
