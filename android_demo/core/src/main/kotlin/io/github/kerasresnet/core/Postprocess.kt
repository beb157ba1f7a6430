package io.github.kerasresnet.core

/** One label of a prediction. */
data class Classification(val index: Int, val label: String, val probability: Float)

object Postprocess {
    /** float values of int8 outputs: (q - zeroPoint) × scale in float32. */
    fun dequantize(q: ByteArray, scale: Float, zeroPoint: Int) =
        FloatArray(q.size) { (q[it] - zeroPoint).toFloat() * scale }

    /** Softmax computed in float64 after subtracting the largest logit. */
    fun softmax(logits: FloatArray): FloatArray {
        var top = Float.NEGATIVE_INFINITY
        for (v in logits) if (v > top) top = v
        val exp = DoubleArray(logits.size) { Math.exp((logits[it] - top).toDouble()) }
        val total = exp.sum()
        return FloatArray(logits.size) { (exp[it] / total).toFloat() }
    }

    /** The model's output as probabilities, whatever its dtype and kind. */
    fun probabilities(spec: ModelSpec, output: FloatArray) =
        if (spec.outputsLogits) softmax(output) else output

    /** The k most probable classes, best first; ties go to the lower index. */
    fun topK(probabilities: FloatArray, labels: List<String>, k: Int): List<Classification> {
        val order = probabilities.indices.sortedWith(Comparator { a, b ->
            val byValue = probabilities[b].compareTo(probabilities[a])
            if (byValue != 0) byValue else a.compareTo(b)
        })
        return order.take(k).map { Classification(it, labels[it], probabilities[it]) }
    }
}
