package io.github.kerasresnet.core

import java.util.concurrent.ExecutionException
import java.util.concurrent.Executors
import java.util.concurrent.RejectedExecutionException
import java.util.concurrent.TimeUnit

/** What a call on the runner's thread gave: a value, or the failure (never thrown). */
sealed class Outcome<out T> {
    data class Ok<out T>(val value: T) : Outcome<T>()

    data class Failed(val error: Throwable) : Outcome<Nothing>() {
        val message: String get() = error.message ?: error.toString()
    }
}

/**
 * Owns one model on one dedicated thread: it is created, run and closed there
 * and nowhere else (LiteRT's GPU delegate, with its OpenGL backend, must be
 * used on the thread that created it). Every failure — `Error`s such as the
 * `UnsatisfiedLinkError` of a native library that cannot load included —
 * comes back as [Outcome.Failed] instead of escaping into the camera or UI
 * thread. Completion callbacks run on the runner's thread.
 */
class ClassifierRunner<M : AutoCloseable>(threadName: String = "classifier") : AutoCloseable {
    private val executor = Executors.newSingleThreadExecutor { task ->
        Thread(task, threadName).apply { isDaemon = true }
    }
    private var model: M? = null // read and written on the runner's thread only

    /** Closes the current model, if any, then creates the next one with [create]. */
    fun load(create: () -> M, done: (Outcome<M>) -> Unit) = submit(done) {
        model?.let { old -> model = null; old.close() }
        create().also { model = it }
    }

    /** Runs [task] on the model asynchronously; [done] gets its outcome. */
    fun <T> run(task: (M) -> T, done: (Outcome<T>) -> Unit) = submit(done) { task(loaded()) }

    /** Runs [task] on the model and waits for it (for a thread that may block, e.g. camera analysis). */
    fun <T> call(task: (M) -> T): Outcome<T> = try {
        executor.submit<Outcome<T>> { attempt { task(loaded()) } }.get()
    } catch (e: RejectedExecutionException) {
        Outcome.Failed(IllegalStateException(CLOSED))
    } catch (e: ExecutionException) {
        Outcome.Failed(e.cause ?: e)
    } catch (e: InterruptedException) {
        Thread.currentThread().interrupt()
        Outcome.Failed(e)
    }

    /**
     * Closes the model on its thread, after the work already queued, and stops
     * the thread; later calls fail with "closed". Does not wait (the UI thread
     * calls it in onDestroy): [awaitClosed] does.
     */
    override fun close() {
        try {
            executor.execute { model?.let { old -> model = null; attempt { old.close() } } }
        } catch (e: RejectedExecutionException) {
            return // already closed
        }
        executor.shutdown()
    }

    /** Waits up to [seconds] for [close] to finish; true when it has. */
    fun awaitClosed(seconds: Long): Boolean = executor.awaitTermination(seconds, TimeUnit.SECONDS)

    private fun <T> submit(done: (Outcome<T>) -> Unit, work: () -> T) {
        try {
            executor.execute { done(attempt(work)) }
        } catch (e: RejectedExecutionException) {
            done(Outcome.Failed(IllegalStateException(CLOSED)))
        }
    }

    private fun loaded(): M = model ?: throw IllegalStateException("no model is loaded")

    private fun <T> attempt(work: () -> T): Outcome<T> = try {
        Outcome.Ok(work())
    } catch (e: Throwable) {
        Outcome.Failed(e)
    }

    private companion object {
        const val CLOSED = "the classifier is closed"
    }
}
