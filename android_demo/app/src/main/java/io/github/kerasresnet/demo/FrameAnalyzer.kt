package io.github.kerasresnet.demo

import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import io.github.kerasresnet.core.PixelImage
import io.github.kerasresnet.core.YuvFrame

/**
 * CameraX analyzer: each YUV_420_888 frame → RGB → upright (the frame's
 * rotation degrees) → centred crop with the model input's aspect ratio →
 * `onImage`, converting only the pixels of the crop. The conversion is the
 * tested plain code of the core module.
 */
class FrameAnalyzer(
    private val height: Int,
    private val width: Int,
    private val onImage: (PixelImage) -> Unit
) : ImageAnalysis.Analyzer {
    override fun analyze(image: ImageProxy) {
        image.use { onImage(upright(it)) }
    }

    private fun upright(image: ImageProxy): PixelImage {
        val (y, u, v) = image.planes
        val frame = YuvFrame(
            image.width, image.height,
            y.buffer.toByteArray(), y.rowStride,
            u.buffer.toByteArray(), v.buffer.toByteArray(), u.rowStride, u.pixelStride
        )
        return frame.uprightCrop(image.imageInfo.rotationDegrees, height, width)
    }

    private fun java.nio.ByteBuffer.toByteArray(): ByteArray {
        rewind()
        return ByteArray(remaining()).also { get(it) }
    }
}
