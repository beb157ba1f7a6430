package io.github.kerasresnet.core

/**
 * An image as float32 values in 0..255, row-major height × width × channels
 * (1 = grey, 3 = RGB, 4 = RGBA), the layout the model's input tensor has.
 */
class PixelImage(val width: Int, val height: Int, val channels: Int, val data: FloatArray) {
    init {
        require(width > 0 && height > 0) { "image size ${width}x$height is not valid; allowed: positive sizes" }
        require(channels in listOf(1, 3, 4)) { "channels=$channels is not valid; allowed: 1, 3 or 4" }
        require(data.size == width * height * channels) {
            "${data.size} values do not fill a ${width}x${height}x$channels image"
        }
    }

    operator fun get(row: Int, col: Int, channel: Int) = data[(row * width + col) * channels + channel]

    /** The rectangle at (top, left) of size height × width. */
    fun crop(top: Int, left: Int, height: Int, width: Int): PixelImage {
        require(top >= 0 && left >= 0 && top + height <= this.height && left + width <= this.width) {
            "crop ${width}x$height at ($left, $top) is not inside the ${this.width}x${this.height} image"
        }
        val out = FloatArray(width * height * channels)
        for (r in 0 until height) {
            val from = ((top + r) * this.width + left) * channels
            System.arraycopy(data, from, out, r * width * channels, width * channels)
        }
        return PixelImage(width, height, channels, out)
    }

    companion object {
        /** From Android's ARGB_8888 ints (Bitmap.getPixels): RGBA, alpha kept for compositing. */
        fun fromArgb(width: Int, height: Int, argb: IntArray): PixelImage {
            val out = FloatArray(width * height * 4)
            for (i in 0 until width * height) {
                val p = argb[i]
                out[4 * i] = ((p shr 16) and 0xFF).toFloat()
                out[4 * i + 1] = ((p shr 8) and 0xFF).toFloat()
                out[4 * i + 2] = (p and 0xFF).toFloat()
                out[4 * i + 3] = ((p ushr 24) and 0xFF).toFloat()
            }
            return PixelImage(width, height, 4, out)
        }

        /** From unsigned bytes, height × width × channels. */
        fun fromBytes(width: Int, height: Int, channels: Int, bytes: ByteArray) =
            PixelImage(width, height, channels, FloatArray(bytes.size) { (bytes[it].toInt() and 0xFF).toFloat() })
    }
}
