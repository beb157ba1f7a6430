package io.github.kerasresnet.core

/** dtype, shape and int8 quantization of one model tensor. */
class TensorSpec(val dtype: String, val shape: List<Int>, val scale: Float, val zeroPoint: Int) {
    val quantized get() = dtype == "int8"

    override fun toString() =
        if (quantized) "$dtype $shape (scale $scale, zero point $zeroPoint)" else "$dtype $shape"

    companion object {
        val DTYPES = listOf("float32", "int8")

        fun of(json: JsonObject): TensorSpec {
            val dtype = json.string("dtype")
            require(dtype in DTYPES) { "metadata: dtype=\"$dtype\" is not valid; allowed: $DTYPES" }
            return TensorSpec(
                dtype,
                json.list("shape").map { (it as Double).toInt() },
                json.double("scale").toFloat(),
                json.int("zero_point")
            )
        }
    }
}

/**
 * What the app needs to know about a model, read from the metadata JSON that
 * `resnet export` writes next to the `.tflite` file (model_<variant>.json).
 * Nothing about the model is hard-coded in the app.
 */
class ModelSpec(
    val labels: List<String>,
    val height: Int,
    val width: Int,
    val channels: Int,
    /**
     * The input contract's crop fraction: the image, aspect ratio kept, is
     * resized to cover round(H / f) × round(W / f), then centre-cropped (see Preprocess).
     */
    val cropFraction: Double,
    /** true when the model outputs logits, false when it outputs softmax probabilities. */
    val outputsLogits: Boolean,
    val input: TensorSpec,
    val output: TensorSpec
) {
    /**
     * Checks this metadata against the tensors the interpreter reports; throws
     * IllegalStateException naming every difference.
     */
    fun check(interpreterInput: TensorSpec, interpreterOutput: TensorSpec) {
        val problems = ArrayList<String>()
        for ((name, ours, theirs) in listOf(
            Triple("input", input, interpreterInput),
            Triple("output", output, interpreterOutput)
        )) {
            if (ours.dtype != theirs.dtype || ours.shape != theirs.shape) {
                problems.add("$name is $theirs in the model but $ours in the metadata")
            } else if (ours.quantized &&
                (Math.abs(ours.scale - theirs.scale) > 1e-6f * Math.abs(theirs.scale) ||
                    ours.zeroPoint != theirs.zeroPoint)
            ) {
                problems.add("$name quantization is $theirs in the model but $ours in the metadata")
            }
        }
        val image = listOf(height, width, channels)
        for ((name, shape) in listOf("metadata" to input.shape, "model" to interpreterInput.shape)) {
            if (shape.size != 4 || shape.drop(1) != image) {
                problems.add("the $name's input tensor is $shape but the metadata's image is " +
                    "${height}x${width}x$channels")
            }
        }
        if (output.shape.last() != labels.size) {
            problems.add("the metadata has ${labels.size} labels for ${output.shape.last()} outputs")
        }
        if (problems.isNotEmpty()) throw IllegalStateException(problems.joinToString("; "))
    }

    companion object {
        val CHANNELS = listOf(1, 3)
        /** Exports made before the contract was recorded name a style: its crop fraction. */
        val STYLE_CROP_FRACTIONS = mapOf("cifar" to 1.0, "imagenet" to 0.875)

        /** From the text of a metadata file. */
        fun parse(text: String) = of(JsonObject.parse(text))

        fun of(json: JsonObject): ModelSpec {
            val input = json.obj("input")
            val channels = input.int("channels")
            require(channels in CHANNELS) {
                "metadata: input.channels=$channels is not valid; allowed: $CHANNELS"
            }
            val cropFraction = if (input.has("crop_fraction")) {
                input.double("crop_fraction")
            } else {
                val style = if (input.has("style")) input.string("style") else "cifar"
                STYLE_CROP_FRACTIONS[style]
                    ?: throw IllegalArgumentException("metadata: input.style=\"$style\" is not valid; allowed: ${STYLE_CROP_FRACTIONS.keys}")
            }
            require(cropFraction > 0.0 && cropFraction <= 1.0) {
                "metadata: input.crop_fraction=$cropFraction is not valid; allowed: 0 < crop_fraction <= 1"
            }
            return ModelSpec(
                json.list("labels").map { it.toString() },
                input.int("height"),
                input.int("width"),
                channels,
                cropFraction,
                json.string("output").startsWith("logits"),
                TensorSpec.of(json.obj("input_tensor")),
                TensorSpec.of(json.obj("output_tensor"))
            )
        }
    }
}
