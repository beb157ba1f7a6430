package io.github.kerasresnet.demo

import android.content.Context
import android.os.SystemClock
import io.github.kerasresnet.core.Classification
import io.github.kerasresnet.core.ModelSpec
import io.github.kerasresnet.core.PixelImage
import io.github.kerasresnet.core.Postprocess
import io.github.kerasresnet.core.Preprocess
import io.github.kerasresnet.core.TensorSpec
import java.io.Closeable
import java.io.FileInputStream
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.Tensor
import org.tensorflow.lite.gpu.CompatibilityList
import org.tensorflow.lite.gpu.GpuDelegate

/**
 * The exported model in the LiteRT interpreter: XNNPACK on the CPU, or the GPU
 * delegate when asked for and supported. Everything about the model comes
 * from assets/metadata.json, checked against the interpreter's own tensors.
 */
class Classifier private constructor(
    private val interpreter: Interpreter,
    private val gpu: GpuDelegate?,
    val spec: ModelSpec
) : Closeable {
    class Result(val top: List<Classification>, val inferenceMs: Double)

    val accelerator get() = if (gpu != null) "GPU" else "CPU (XNNPACK, $THREADS threads)"

    private val input = ByteBuffer.allocateDirect(interpreter.getInputTensor(0).numBytes())
        .order(ByteOrder.nativeOrder())
    private val output = ByteBuffer.allocateDirect(interpreter.getOutputTensor(0).numBytes())
        .order(ByteOrder.nativeOrder())

    private var closed = false

    /**
     * Top-3 labels of an image (any size; grey, RGB or RGBA) and the inference
     * time; null once closed (a camera frame may arrive while the model is swapped).
     */
    @Synchronized
    fun classify(image: PixelImage): Result? {
        if (closed) return null
        val x = Preprocess.forEval(image, spec)
        input.rewind()
        if (spec.input.quantized) {
            input.put(Preprocess.quantize(x, spec.input.scale, spec.input.zeroPoint))
        } else {
            input.asFloatBuffer().put(x)
        }
        input.rewind()
        output.rewind()
        val start = SystemClock.elapsedRealtimeNanos()
        interpreter.run(input, output)
        val elapsedMs = (SystemClock.elapsedRealtimeNanos() - start) / 1e6
        output.rewind()
        val classes = spec.output.shape.last()
        val raw = if (spec.output.quantized) {
            val q = ByteArray(classes).also { output.get(it) }
            Postprocess.dequantize(q, spec.output.scale, spec.output.zeroPoint)
        } else {
            FloatArray(classes).also { output.asFloatBuffer().get(it) }
        }
        val probabilities = Postprocess.probabilities(spec, raw)
        return Result(Postprocess.topK(probabilities, spec.labels, TOP_K), elapsedMs)
    }

    @Synchronized
    override fun close() {
        closed = true
        interpreter.close()
        gpu?.close()
    }

    companion object {
        const val MODEL = "model.tflite"
        const val METADATA = "metadata.json"
        const val TOP_K = 3
        const val THREADS = 2

        /** Throws IllegalStateException when the metadata disagrees with the model. */
        fun create(context: Context, useGpu: Boolean): Classifier {
            val spec = ModelSpec.parse(context.assets.open(METADATA).bufferedReader().use { it.readText() })
            val options = Interpreter.Options().setNumThreads(THREADS).setUseXNNPACK(true)
            var gpu: GpuDelegate? = null
            if (useGpu) {
                val compatibility = CompatibilityList()
                if (compatibility.isDelegateSupportedOnThisDevice) {
                    gpu = GpuDelegate(compatibility.bestOptionsForThisDevice)
                    options.addDelegate(gpu)
                }
                compatibility.close()
            }
            val interpreter = Interpreter(mapModel(context), options)
            try {
                spec.check(tensorSpec(interpreter.getInputTensor(0)), tensorSpec(interpreter.getOutputTensor(0)))
            } catch (e: IllegalStateException) {
                interpreter.close()
                gpu?.close()
                throw e
            }
            return Classifier(interpreter, gpu, spec)
        }

        private fun mapModel(context: Context): MappedByteBuffer =
            context.assets.openFd(MODEL).use { fd ->
                FileInputStream(fd.fileDescriptor).use { stream ->
                    stream.channel.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
                }
            }

        private fun tensorSpec(tensor: Tensor): TensorSpec {
            val dtype = tensor.dataType().name.lowercase() // FLOAT32 -> "float32", INT8 -> "int8"
            val quantization = tensor.quantizationParams()
            return TensorSpec(dtype, tensor.shape().toList(), quantization.scale, quantization.zeroPoint)
        }
    }
}
