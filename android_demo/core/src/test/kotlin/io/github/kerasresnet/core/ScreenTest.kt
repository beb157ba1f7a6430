package io.github.kerasresnet.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * The plain-Kotlin rules behind MainActivity's fixes (issue 27): each test
 * replays the sequence that went wrong in the app.
 */
class ScreenTest {
    /** The UI thread as a queue the test drains when it wants. */
    private class UiQueue {
        val queue = ArrayList<Runnable>()
        fun drain() {
            while (queue.isNotEmpty()) queue.removeAt(0).run()
        }
    }

    /** 1: the model loads after the activity was destroyed; the posted permission request must not run. */
    @Test
    fun workPostedBeforeOnDestroyDoesNotRunAfterIt() {
        val ui = UiQueue()
        val handoff = UiHandoff { ui.queue.add(it) }
        val launched = ArrayList<String>()
        handoff.post { launched.add("before") }
        ui.drain()
        handoff.post { launched.add("permission request") } // the load callback, on the classifier thread
        handoff.close() // onDestroy runs first on the UI thread
        ui.drain()
        handoff.post { launched.add("after") }
        ui.drain()
        assertEquals(listOf("before"), launched)
        assertFalse(handoff.isOpen)
    }

    /** 2: a frame whose conversion throws is reported, and the next frame is analysed. */
    @Test
    fun aFailingFrameIsReportedAndAnalysisGoesOn() {
        val errors = ArrayList<String>()
        val guard = FrameGuard { errors.add(it.message ?: it.toString()) }
        val bad = YuvFrame(4, 4, ByteArray(16), 4, ByteArray(4), ByteArray(4), 2, 1)
        guard.run { bad.toRgb(2, 2, 4, 4) } // a region outside the frame: require fails
        var analysed = 0
        guard.run { YuvFrame(2, 2, ByteArray(4), 2, ByteArray(1), ByteArray(1), 1, 1).upright(90); analysed++ }
        guard.run { throw OutOfMemoryError("a frame too large") } // an Error, not an Exception
        assertEquals(1, analysed)
        assertEquals(2, guard.failures)
        assertTrue(errors[0], errors[0].startsWith("region 4x4 at (2, 2) is not inside the 4x4 frame"))
        assertEquals("a frame too large", errors[1])
    }

    /** 3: "Sample images" tapped before CameraX is ready: no camera binding, no camera results. */
    @Test
    fun sampleModeChosenBeforeTheCameraStartsWins() {
        val state = ScreenState()
        state.showCamera() // the first load asks for the camera; the provider is not ready yet
        state.showSamples(0, 10) // the user taps "Sample images"
        assertFalse(state.mayBindCamera()) // the provider's callback must not bind now
        assertFalse(state.showsCameraResults()) // nor a frame in flight overwrite the sample's result
        state.showCamera()
        assertTrue(state.mayBindCamera() && state.showsCameraResults())
    }

    @Test
    fun sampleModeAndIndexSurviveRecreation() {
        val state = ScreenState()
        state.showSamples(12, 10)
        assertEquals(2, state.sampleIndex)
        val (mode, index) = state.save()
        val restored = ScreenState.restore(mode, index)
        assertEquals(ScreenState.Mode.SAMPLES, restored.mode)
        assertEquals(2, restored.sampleIndex)
        assertEquals(ScreenState.Mode.CAMERA, ScreenState.restore(null, 0).mode)
        assertEquals(ScreenState.Mode.CAMERA, ScreenState.restore("GARBAGE", -3).mode)
        assertEquals(0, ScreenState.restore("SAMPLES", -3).sampleIndex)
    }
}
