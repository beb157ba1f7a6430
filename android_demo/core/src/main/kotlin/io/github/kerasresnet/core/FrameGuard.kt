package io.github.kerasresnet.core

/**
 * Runs the work of one camera frame so that nothing escapes: CameraX calls
 * the analyzer through its executor without a catch, so an exception from
 * the YUV conversion (an unexpected plane layout, a failed `require`) or from
 * the model would end the process. Any Throwable goes to [onError] instead,
 * and the next frame is analysed as usual.
 */
class FrameGuard(private val onError: (Throwable) -> Unit) {
    var failures = 0
        private set

    fun run(work: () -> Unit) {
        try {
            work()
        } catch (e: Throwable) {
            failures++
            onError(e)
        }
    }
}
