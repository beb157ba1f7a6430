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
 * Not thread-safe: MainActivity creates, runs and closes it on the one thread
 * of a core `ClassifierRunner`, as the GPU delegate requires.
 */
class Classifier private constructor(
    private val interpreter: Interpreter,
    private val gpu: GpuDelegate?,
    val spec: ModelSpec
) : Closeable {
    class Result(val top: List<Classification>, val inferenceMs: Double)

    val onGpu get() = gpu != null
    val accelerator get() = if (onGpu) "GPU" else "CPU (XNNPACK, $THREADS threads)"

    private val input = ByteBuffer.allocateDirect(interpreter.getInputTensor(0).numBytes())
        .order(ByteOrder.nativeOrder())
    private val output = ByteBuffer.allocateDirect(interpreter.getOutputTensor(0).numBytes())
        .order(ByteOrder.nativeOrder())

    /** Top-3 labels of an image (any size; grey, RGB or RGBA) and the inference time. */
    fun classify(image: PixelImage): Result {
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

    override fun close() {
        interpreter.close()
        gpu?.close()
    }

    companion object {
        const val MODEL = "model.tflite"
        const val METADATA = "metadata.json"
        const val TOP_K = 3
        const val THREADS = 2

        /**
         * Throws IllegalStateException when the metadata disagrees with the
         * model, and whatever the native libraries throw (UnsatisfiedLinkError
         * is an Error): the caller must catch Throwable. Nothing is leaked
         * when it throws.
         */
        fun create(context: Context, useGpu: Boolean): Classifier {
            val spec = ModelSpec.parse(context.assets.open(METADATA).bufferedReader().use { it.readText() })
            var gpu: GpuDelegate? = null
            var interpreter: Interpreter? = null
            try {
                val options = Interpreter.Options().setNumThreads(THREADS).setUseXNNPACK(true)
                if (useGpu) gpu = gpuDelegate()?.also { options.addDelegate(it) }
                interpreter = Interpreter(mapModel(context), options)
                spec.check(tensorSpec(interpreter.getInputTensor(0)), tensorSpec(interpreter.getOutputTensor(0)))
                return Classifier(interpreter, gpu, spec)
            } catch (e: Throwable) {
                interpreter?.close()
                gpu?.close()
                throw e
            }
        }

        /** The GPU delegate with the device's best options, or null where it is not supported. */
        private fun gpuDelegate(): GpuDelegate? = CompatibilityList().use { compatibility ->
            if (compatibility.isDelegateSupportedOnThisDevice) GpuDelegate(compatibility.bestOptionsForThisDevice) else null
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
