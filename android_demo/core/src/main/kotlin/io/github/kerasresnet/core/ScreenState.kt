package io.github.kerasresnet.core

/**
 * What the screen shows — the camera or the bundled samples, and which
 * sample — in one place that every path asks: the camera is bound only if
 * the screen is still in camera mode when CameraX's provider is ready (a tap
 * on "Sample images" before then wins), and a camera frame's result is shown
 * only in camera mode (a frame in flight when the user switched must not
 * overwrite the sample's result). [save] and [restore] carry it across an
 * activity recreation.
 */
class ScreenState(mode: Mode = Mode.CAMERA, sampleIndex: Int = 0) {
    enum class Mode { CAMERA, SAMPLES }

    var mode: Mode = mode
        private set
    var sampleIndex: Int = sampleIndex
        private set

    fun showCamera() {
        mode = Mode.CAMERA
    }

    /** Sample mode at [index] (wrapped around [count] samples). */
    fun showSamples(index: Int, count: Int) {
        mode = Mode.SAMPLES
        sampleIndex = if (count > 0) Math.floorMod(index, count) else 0
    }

    fun mayBindCamera() = mode == Mode.CAMERA

    fun showsCameraResults() = mode == Mode.CAMERA

    /** (mode name, sample index), for onSaveInstanceState. */
    fun save(): Pair<String, Int> = mode.name to sampleIndex

    companion object {
        /** The state saved by [save]; the camera mode when nothing (or garbage) was saved. */
        fun restore(mode: String?, sampleIndex: Int): ScreenState =
            ScreenState(Mode.values().firstOrNull { it.name == mode } ?: Mode.CAMERA,
                Math.max(0, sampleIndex))
    }
}
