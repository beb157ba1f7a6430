package io.github.kerasresnet.core

/**
 * A YUV_420_888 camera frame as Android's ImageProxy hands it over: three
 * planes, each with a row stride; U and V share a pixel stride (1: planar,
 * 2: interleaved). The same steps as `keras_resnet.edge.camera` on the Python side.
 */
class YuvFrame(
    val width: Int,
    val height: Int,
    val y: ByteArray,
    val yRowStride: Int,
    val u: ByteArray,
    val v: ByteArray,
    val uvRowStride: Int,
    val uvPixelStride: Int
) {
    /**
     * RGB with full-range BT.601 (JPEG) coefficients in 16-bit fixed point,
     * rounding half up: R = Y + 1.402 V', G = Y - 0.344136 U' - 0.714136 V',
     * B = Y + 1.772 U', where U' = U - 128 and V' = V - 128; clamped to 0..255.
     */
    fun toRgb() = toRgb(0, 0, height, width)

    /** The rectangle at (top, left) of size rows × cols, converted as [toRgb] describes. */
    fun toRgb(top: Int, left: Int, rows: Int, cols: Int): PixelImage {
        require(top >= 0 && left >= 0 && top + rows <= height && left + cols <= width) {
            "region ${cols}x$rows at ($left, $top) is not inside the ${width}x$height frame"
        }
        val out = FloatArray(rows * cols * 3)
        for (r in 0 until rows) for (c in 0 until cols) {
            val row = top + r
            val col = left + c
            val luma = y[row * yRowStride + col].toInt() and 0xFF
            val chroma = (row / 2) * uvRowStride + (col / 2) * uvPixelStride
            val cu = (u[chroma].toInt() and 0xFF) - 128
            val cv = (v[chroma].toInt() and 0xFF) - 128
            val i = 3 * (r * cols + c)
            out[i] = clamp(luma + ((R_V * cv + HALF) shr 16))
            out[i + 1] = clamp(luma - ((G_U * cu + G_V * cv + HALF) shr 16))
            out[i + 2] = clamp(luma + ((B_U * cu + HALF) shr 16))
        }
        return PixelImage(cols, rows, 3, out)
    }

    /**
     * The whole frame, RGB, turned upright by `degrees` (clockwise): what the
     * input contract ([Preprocess.forEval]) then resizes and crops, exactly as
     * it does a photo, so the camera and a file of the same picture give the
     * model the same input.
     */
    fun upright(degrees: Int): PixelImage = Orientation.rotate(toRgb(), degrees)

    companion object {
        const val R_V = 91881
        const val G_U = 22554
        const val G_V = 46802
        const val B_U = 116130
        const val HALF = 1 shl 15

        private fun clamp(value: Int) = Math.max(0, Math.min(255, value)).toFloat()
    }
}

object Orientation {
    /** `image` turned clockwise by 0, 90, 180 or 270 degrees (ImageInfo.rotationDegrees). */
    fun rotate(image: PixelImage, degrees: Int): PixelImage {
        require(degrees in listOf(0, 90, 180, 270)) { "rotation=$degrees is not valid; allowed: 0, 90, 180, 270" }
        if (degrees == 0) return image
        val w = image.width
        val h = image.height
        val c = image.channels
        val turned = degrees != 180
        val outW = if (turned) h else w
        val outH = if (turned) w else h
        val out = FloatArray(image.data.size)
        for (r in 0 until outH) for (col in 0 until outW) {
            val srcRow: Int
            val srcCol: Int
            when (degrees) {
                90 -> { srcRow = h - 1 - col; srcCol = r }
                180 -> { srcRow = h - 1 - r; srcCol = w - 1 - col }
                else -> { srcRow = col; srcCol = w - 1 - r }
            }
            System.arraycopy(image.data, (srcRow * w + srcCol) * c, out, (r * outW + col) * c, c)
        }
        return PixelImage(outW, outH, c, out)
    }
}
