package io.github.kerasresnet.core

import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/** The runner's one-thread ownership and its turning of failures into outcomes. */
class ClassifierRunnerTest {
    /** A stand-in model that records the thread of every call on it. */
    private class Model(val name: String, val log: MutableList<String>) : AutoCloseable {
        init {
            log.add("create $name on ${Thread.currentThread().name}")
        }

        fun classify(x: Int): Int {
            log.add("run $name on ${Thread.currentThread().name}")
            return x * 2
        }

        override fun close() {
            log.add("close $name on ${Thread.currentThread().name}")
        }
    }

    private fun <T> await(start: ((Outcome<T>) -> Unit) -> Unit): Outcome<T> {
        val latch = CountDownLatch(1)
        var result: Outcome<T>? = null
        start { result = it; latch.countDown() }
        assertTrue("no outcome within 5 s", latch.await(5, TimeUnit.SECONDS))
        return result!!
    }

    private fun failure(outcome: Outcome<*>): String = when (outcome) {
        is Outcome.Failed -> outcome.message
        is Outcome.Ok -> throw AssertionError("expected a failure, got ${outcome.value}")
    }

    @Test
    fun createsRunsAndClosesTheModelOnItsOwnThreadOnly() {
        val log = Collections.synchronizedList(mutableListOf<String>())
        val runner = ClassifierRunner<Model>("model-thread")
        assertTrue(await<Model> { runner.load({ Model("a", log) }, it) } is Outcome.Ok)
        assertEquals(Outcome.Ok(6), runner.call { it.classify(3) })
        assertEquals(Outcome.Ok(8), await<Int> { runner.run({ m -> m.classify(4) }, it) })
        runner.close() // returns at once (onDestroy must not block the UI thread)
        assertTrue("closed within 5 s", runner.awaitClosed(5))
        assertNotEquals("model-thread", Thread.currentThread().name)
        assertEquals(listOf("create a", "run a", "run a", "close a").map { "$it on model-thread" }, log)
    }

    @Test
    fun loadingAnotherModelClosesTheFirstBeforeCreatingTheSecond() {
        val log = Collections.synchronizedList(mutableListOf<String>())
        val runner = ClassifierRunner<Model>("t")
        await<Model> { runner.load({ Model("cpu", log) }, it) }
        await<Model> { runner.load({ Model("gpu", log) }, it) }
        assertEquals(Outcome.Ok(2), runner.call { it.classify(1) })
        runner.close()
        assertTrue(runner.awaitClosed(5))
        assertEquals(listOf("create cpu", "close cpu", "create gpu", "run gpu", "close gpu").map { "$it on t" }, log)
    }

    @Test
    fun errorsFromNativeLoadingAndFromRunningBecomeOutcomes() {
        val runner = ClassifierRunner<Model>()
        val missing = await<Model> { done ->
            runner.load({ throw UnsatisfiedLinkError("dlopen failed: cannot locate symbol \"strtod_l\"") }, done)
        }
        assertTrue(failure(missing).contains("strtod_l"))
        assertEquals("no model is loaded", failure(runner.call { it.classify(1) }))
        await<Model> { runner.load({ Model("m", mutableListOf()) }, it) }
        val bad = runner.call<Int> { throw IllegalArgumentException("input has 3 channels; the model takes 1") }
        assertEquals("input has 3 channels; the model takes 1", failure(bad))
        assertEquals(Outcome.Ok(10), runner.call { it.classify(5) }) // still usable afterwards
        runner.close()
    }

    @Test
    fun afterCloseEveryCallFailsCleanly() {
        val log = Collections.synchronizedList(mutableListOf<String>())
        val runner = ClassifierRunner<Model>()
        await<Model> { runner.load({ Model("m", log) }, it) }
        runner.close()
        runner.close() // twice is harmless
        assertTrue(runner.awaitClosed(5))
        assertEquals("the classifier is closed", failure(runner.call { it.classify(1) }))
        assertEquals("the classifier is closed", failure(await<Int> { runner.run({ m -> m.classify(1) }, it) }))
        assertEquals("the classifier is closed", failure(await<Model> { runner.load({ Model("late", log) }, it) }))
        assertEquals(listOf("create m", "close m"), log.map { it.substringBefore(" on ") })
    }
}
