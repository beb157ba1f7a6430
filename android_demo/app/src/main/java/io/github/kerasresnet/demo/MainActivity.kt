package io.github.kerasresnet.demo

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.net.Uri
import android.os.Bundle
import android.provider.Settings
import android.util.Size
import android.view.View
import android.widget.Button
import android.widget.ImageView
import android.widget.TextView
import android.widget.Toast
import androidx.activity.enableEdgeToEdge
import androidx.activity.result.contract.ActivityResultContracts
import androidx.appcompat.app.AppCompatActivity
import androidx.appcompat.widget.SwitchCompat
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import androidx.core.view.ViewCompat
import androidx.core.view.WindowInsetsCompat
import io.github.kerasresnet.core.ClassifierRunner
import io.github.kerasresnet.core.FrameGuard
import io.github.kerasresnet.core.JsonObject
import io.github.kerasresnet.core.ModelSpec
import io.github.kerasresnet.core.Outcome
import io.github.kerasresnet.core.PixelImage
import io.github.kerasresnet.core.ScreenState
import io.github.kerasresnet.core.UiHandoff
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/**
 * Camera mode: the preview with the top-3 labels of the latest frame and the
 * inference time. Sample mode: the bundled images (assets/samples) one at a
 * time, with what the Python side predicted for each (assets/golden.json).
 * Without the camera permission, a screen that says so and offers both;
 * without a usable camera, the sample mode with a message. The model lives
 * on the one thread of a [ClassifierRunner]: loaded, run and closed there.
 * Results reach the UI through a [UiHandoff] that drops them once the
 * activity is destroyed; one [ScreenState] decides what the screen shows.
 */
class MainActivity : AppCompatActivity() {
    private lateinit var preview: PreviewView
    private lateinit var sampleImage: ImageView
    private lateinit var results: TextView
    private lateinit var timing: TextView
    private lateinit var expected: TextView
    private lateinit var modeButton: Button
    private lateinit var nextButton: Button
    private lateinit var gpuSwitch: SwitchCompat
    private lateinit var permissionPanel: View

    private val analysisExecutor: ExecutorService = Executors.newSingleThreadExecutor()
    private val runner = ClassifierRunner<Classifier>("classifier")
    private val ui = UiHandoff { runOnUiThread(it) }
    private var state = ScreenState()
    private var modelError: String? = null // why the last load failed, until one succeeds
    @Volatile
    private var spec: ModelSpec? = null // of the loaded model; null until one loads
    @Volatile
    private var accelerator = ""
    private var cameraProvider: ProcessCameraProvider? = null
    private var askedForPermission = false
    private val samples by lazy { loadGolden() }

    private val requestPermission =
        registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
            if (granted) showCamera() else showPermissionDenied()
        }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge() // the default from targetSdk 35 on Android 15; the same on older versions
        setContentView(R.layout.activity_main)
        applyWindowInsets()
        preview = findViewById(R.id.preview)
        sampleImage = findViewById(R.id.sample_image)
        results = findViewById(R.id.results)
        timing = findViewById(R.id.timing)
        expected = findViewById(R.id.expected)
        modeButton = findViewById(R.id.mode_button)
        nextButton = findViewById(R.id.next_button)
        gpuSwitch = findViewById(R.id.gpu_switch)
        permissionPanel = findViewById(R.id.permission_panel)

        modeButton.setOnClickListener {
            if (state.mode == ScreenState.Mode.SAMPLES) startCameraOrAsk() else showSamples()
        }
        nextButton.setOnClickListener { showSample(state.sampleIndex + 1) }
        gpuSwitch.setOnCheckedChangeListener { _, checked -> loadClassifier(checked) }
        findViewById<Button>(R.id.grant_button).setOnClickListener { openAppSettings() }
        findViewById<Button>(R.id.samples_button).setOnClickListener { showSamples() }

        if (savedInstanceState != null) {
            state = ScreenState.restore(savedInstanceState.getString(STATE_MODE),
                savedInstanceState.getInt(STATE_SAMPLE))
        }
        loadClassifier(useGpu = false)
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        val (mode, index) = state.save()
        outState.putString(STATE_MODE, mode)
        outState.putInt(STATE_SAMPLE, index)
    }

    /** A permission granted in the app's settings shows the camera on return. */
    override fun onResume() {
        super.onResume()
        if (permissionPanel.visibility == View.VISIBLE && spec != null && cameraGranted()) showCamera()
    }

    override fun onDestroy() {
        ui.close() // first: nothing posted from now on runs on a destroyed activity
        super.onDestroy()
        cameraProvider?.unbindAll()
        analysisExecutor.shutdown()
        runner.close() // closes the model on its thread without blocking this one
    }

    /** Keeps the panel and the preview clear of the status and navigation bars (edge to edge). */
    private fun applyWindowInsets() {
        val panel = findViewById<View>(R.id.panel)
        val padding = panel.paddingBottom
        ViewCompat.setOnApplyWindowInsetsListener(findViewById(R.id.root)) { root, insets ->
            val bars = insets.getInsets(WindowInsetsCompat.Type.systemBars() or WindowInsetsCompat.Type.displayCutout())
            root.setPadding(bars.left, bars.top, bars.right, 0)
            panel.setPadding(panel.paddingLeft, panel.paddingTop, panel.paddingRight, padding + bars.bottom)
            insets
        }
    }

    /**
     * Loads the model on the runner's thread; the first successful load shows
     * the saved mode (the camera's analyzer needs the input size). A GPU that
     * fails, or that the device does not support, leaves the switch off and
     * the model on the CPU, with the reason shown.
     */
    private fun loadClassifier(useGpu: Boolean) {
        val firstLoad = spec == null
        runner.load({ Classifier.create(this, useGpu) }) { outcome ->
            val loaded = (outcome as? Outcome.Ok)?.value
            val loadedSpec = loaded?.spec
            val loadedOn = loaded?.accelerator ?: ""
            val onGpu = loaded?.onGpu ?: false
            ui.post {
                when (outcome) {
                    is Outcome.Ok -> {
                        spec = loadedSpec
                        accelerator = loadedOn
                        modelError = null
                        timing.text = getString(R.string.model_loaded, loadedOn)
                        if (useGpu && !onGpu) {
                            setGpuSwitch(false)
                            Toast.makeText(this, R.string.gpu_unsupported, Toast.LENGTH_LONG).show()
                        }
                        when {
                            state.mode == ScreenState.Mode.SAMPLES -> showSamples()
                            firstLoad -> startCameraOrAsk()
                        }
                    }
                    is Outcome.Failed -> {
                        modelError = outcome.message
                        results.text = getString(R.string.model_error, outcome.message)
                        if (useGpu) gpuSwitch.isChecked = false // its listener reloads on the CPU
                    }
                }
            }
        }
    }

    /** Sets the switch without reloading the model. */
    private fun setGpuSwitch(checked: Boolean) {
        gpuSwitch.setOnCheckedChangeListener(null)
        gpuSwitch.isChecked = checked
        gpuSwitch.setOnCheckedChangeListener { _, on -> loadClassifier(on) }
    }

    private fun cameraGranted() =
        ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED

    private fun startCameraOrAsk() {
        state.showCamera()
        if (cameraGranted()) {
            showCamera()
        } else if (!askedForPermission && ui.isOpen) {
            askedForPermission = true
            requestPermission.launch(Manifest.permission.CAMERA)
        } else {
            showPermissionDenied()
        }
    }

    /** Shows the views of the camera mode or of the sample mode. */
    private fun showMode(samples: Boolean) {
        permissionPanel.visibility = View.GONE
        preview.visibility = if (samples) View.GONE else View.VISIBLE
        for (view in listOf(sampleImage, nextButton, expected)) {
            view.visibility = if (samples) View.VISIBLE else View.GONE
        }
        modeButton.setText(if (samples) R.string.use_camera else R.string.show_samples)
    }

    private fun showCamera() {
        state.showCamera()
        showMode(samples = false)
        val future = ProcessCameraProvider.getInstance(this)
        future.addListener({
            try {
                bindCamera(future.get())
            } catch (e: Exception) { // ExecutionException: the camera service is unavailable
                showSamplesBecause(getString(R.string.camera_error, e.message ?: e.toString()))
            }
        }, ContextCompat.getMainExecutor(this))
    }

    /** The back camera, else the front one (the manifest marks the camera optional), else null. */
    private fun availableCamera(provider: ProcessCameraProvider): CameraSelector? =
        listOf(CameraSelector.DEFAULT_BACK_CAMERA, CameraSelector.DEFAULT_FRONT_CAMERA).firstOrNull {
            try {
                provider.hasCamera(it)
            } catch (e: Exception) { // CameraInfoUnavailableException
                false
            }
        }

    private fun bindCamera(provider: ProcessCameraProvider) {
        cameraProvider = provider
        if (!state.mayBindCamera() || !ui.isOpen) return // samples chosen meanwhile, or destroyed
        val modelSpec = spec ?: return
        val camera = availableCamera(provider) ?: return showSamplesBecause(getString(R.string.no_camera))
        val previewUseCase = Preview.Builder().build().also { it.setSurfaceProvider(preview.surfaceProvider) }
        val analysis = ImageAnalysis.Builder()
            .setResolutionSelector(
                ResolutionSelector.Builder().setResolutionStrategy(
                    ResolutionStrategy(Size(640, 480), ResolutionStrategy.FALLBACK_RULE_CLOSEST_LOWER_THEN_HIGHER)
                ).build()
            )
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_YUV_420_888)
            .build()
        val guard = FrameGuard { error ->
            ui.post { results.text = getString(R.string.frame_error, error.message ?: error.toString()) }
        }
        analysis.setAnalyzer(analysisExecutor, FrameAnalyzer(guard) { image ->
            val outcome = runner.call { it.classify(image) } // blocks this analysis thread, not the UI
            ui.post { if (state.showsCameraResults()) show(outcome) }
        })
        try {
            provider.unbindAll()
            provider.bindToLifecycle(this, camera, previewUseCase, analysis)
        } catch (e: Exception) { // IllegalArgument/IllegalState: the camera cannot take these use cases
            showSamplesBecause(getString(R.string.camera_error, e.message ?: e.toString()))
        }
    }

    /** The sample mode, with why the camera is not shown (a toast: the results line is the samples'). */
    private fun showSamplesBecause(reason: String) {
        showSamples()
        Toast.makeText(this, reason, Toast.LENGTH_LONG).show()
    }

    private fun showPermissionDenied() {
        preview.visibility = View.GONE
        permissionPanel.visibility = View.VISIBLE
    }

    private fun openAppSettings() {
        startActivity(Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", packageName, null)))
    }

    private fun showSamples() {
        cameraProvider?.unbindAll()
        state.showSamples(state.sampleIndex, samples.size)
        showMode(samples = true)
        showSample(state.sampleIndex)
    }

    private fun showSample(index: Int) {
        if (samples.isEmpty()) {
            results.setText(R.string.no_samples)
            return
        }
        state.showSamples(index, samples.size)
        val (file, label) = samples[state.sampleIndex]
        val bitmap = assets.open(file).use { BitmapFactory.decodeStream(it) }
        sampleImage.setImageBitmap(bitmap)
        expected.text = getString(R.string.expected_label, label)
        val image = bitmap.toPixelImage()
        runner.run({ it.classify(image) }) { outcome ->
            ui.post { if (state.mode == ScreenState.Mode.SAMPLES) show(outcome) }
        }
    }

    private fun show(outcome: Outcome<Classifier.Result>) {
        when (outcome) {
            is Outcome.Ok -> {
                results.text = outcome.value.top.joinToString("\n") {
                    getString(R.string.label_line, it.label, 100f * it.probability)
                }
                timing.text = getString(R.string.inference_time, outcome.value.inferenceMs, accelerator)
            }
            // Without a model, the load's error is the one worth reading.
            is Outcome.Failed -> results.text = modelError?.let { getString(R.string.model_error, it) }
                ?: getString(R.string.run_error, outcome.message)
        }
    }

    /** (asset path, top label the Python side predicted) for each bundled sample. */
    private fun loadGolden(): List<Pair<String, String>> {
        val golden = JsonObject.parse(assets.open("golden.json").bufferedReader().use { it.readText() }, "golden.json")
        return golden.list("samples").map { item ->
            @Suppress("UNCHECKED_CAST")
            val sample = JsonObject(item as Map<String, Any?>, "golden.json sample")
            @Suppress("UNCHECKED_CAST")
            val top = JsonObject((sample.list("top")[0]) as Map<String, Any?>, "golden.json top")
            sample.string("file") to top.string("label")
        }
    }

    private companion object {
        const val STATE_MODE = "mode"
        const val STATE_SAMPLE = "sample"
    }

    private fun Bitmap.toPixelImage(): PixelImage {
        val argb = IntArray(width * height)
        getPixels(argb, 0, width, 0, 0, width, height)
        return PixelImage.fromArgb(width, height, argb)
    }
}
