package io.github.kerasresnet.demo

import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import io.github.kerasresnet.core.FrameGuard
import io.github.kerasresnet.core.PixelImage
import io.github.kerasresnet.core.YuvFrame

/**
 * CameraX analyzer: each YUV_420_888 frame → RGB → upright (the frame's
 * rotation degrees) → `onImage`, whole: the model's input contract then
 * resizes and crops it as it does any photo. The conversion is the tested
 * plain code of the core module. Any failure goes to the [guard] (CameraX
 * runs analyzers without a catch); the frame is closed either way. The
 * planes' byte arrays are reused from frame to frame.
 */
class FrameAnalyzer(
    private val guard: FrameGuard,
    private val onImage: (PixelImage) -> Unit
) : ImageAnalysis.Analyzer {
    private val planes = arrayOf(ByteArray(0), ByteArray(0), ByteArray(0))

    override fun analyze(image: ImageProxy) {
        image.use { guard.run { onImage(upright(it)) } }
    }

    private fun upright(image: ImageProxy): PixelImage {
        val (y, u, v) = image.planes
        val frame = YuvFrame(
            image.width, image.height,
            copy(0, y.buffer), y.rowStride,
            copy(1, u.buffer), copy(2, v.buffer), u.rowStride, u.pixelStride
        )
        return frame.upright(image.imageInfo.rotationDegrees)
    }

    /** The plane's bytes in the array kept for plane [index] (replaced when the size changes). */
    private fun copy(index: Int, buffer: java.nio.ByteBuffer): ByteArray {
        buffer.rewind()
        if (planes[index].size != buffer.remaining()) planes[index] = ByteArray(buffer.remaining())
        buffer.get(planes[index])
        return planes[index]
    }
}
