package io.github.kerasresnet.core

/**
 * Hands work from the classifier and camera threads to the UI thread, and
 * only while the screen lives: after [close] (the activity's onDestroy, on
 * the UI thread) posted work is dropped. Without it, a model that finishes
 * loading after the activity is destroyed (Back, or a recreation for
 * rotation, dark mode or a locale change, before the first load ends) would
 * launch the permission request through an unregistered
 * ActivityResultLauncher, which throws IllegalStateException, or bind the
 * camera to a destroyed lifecycle. The check runs on the UI thread when the
 * work runs, so nothing slips in between a post and onDestroy.
 */
class UiHandoff(private val uiThread: (Runnable) -> Unit) {
    @Volatile
    private var open = true

    val isOpen: Boolean get() = open

    /** Runs [work] on the UI thread, unless the screen has closed by then. */
    fun post(work: () -> Unit) {
        if (open) uiThread(Runnable { if (open) work() })
    }

    fun close() {
        open = false
    }
}
