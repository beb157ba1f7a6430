"""The Android demo: its plain Kotlin against the Python side on the JVM, the
committed assets, the assets command, and the app's resources."""

import filecmp
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the tomli backport (a dependency there)
    import tomli as tomllib
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import golden_vectors
from keras_resnet.cli import main
from keras_resnet.edge import Predictor, metadata
from keras_resnet.export import android_assets

APP = os.path.join(golden_vectors.ROOT, "android_demo")
MAIN = os.path.join(APP, "app", "src", "main")
CORE = os.path.join(APP, "core", "src")
JUNIT = ["/usr/share/java/junit4.jar", "/usr/share/java/hamcrest-core.jar"]
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    out = tmp_path_factory.mktemp("golden")
    golden_vectors.write_golden_vectors(str(out))
    return out


def test_committed_golden_vectors_are_what_the_python_side_computes_now(vectors):
    committed = golden_vectors.GOLDEN
    with open(os.path.join(committed, "cases.json")) as f, open(vectors / "cases.json") as g:
        assert json.load(f) == json.load(g), "stale: run .venv/bin/python tests/golden_vectors.py"
    for path in sorted(glob.glob(str(vectors / "*.*"))):
        name = os.path.basename(path)
        other = os.path.join(committed, name)
        if name.endswith(".f32"):  # summation order may differ between numpy builds
            fresh, old = np.fromfile(path, "<f4"), np.fromfile(other, "<f4")
            assert fresh.shape == old.shape and np.abs(fresh - old).max() <= 1e-4, name
        else:
            assert filecmp.cmp(path, other, shallow=False), name
    assert sorted(os.listdir(committed)) == sorted(os.listdir(vectors))


@pytest.mark.slow
def test_kotlin_core_agrees_with_python_on_the_jvm(vectors, tmp_path):
    """Compiles android_demo/core and its JUnit tests with Debian's kotlinc and
    runs them against freshly generated vectors."""
    assert shutil.which("kotlinc") and os.path.isfile(JUNIT[0]), \
        "the JVM tests need kotlinc and JUnit 4: run `make android-tools` (make test does)"
    sources = glob.glob(os.path.join(CORE, "main", "kotlin", "**", "*.kt"), recursive=True)
    tests = glob.glob(os.path.join(CORE, "test", "kotlin", "**", "*.kt"), recursive=True)
    classes = tmp_path / "classes"
    compiled = subprocess.run(["kotlinc", *sources, *tests, "-cp", ":".join(JUNIT),
                               "-d", str(classes)], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr[-3000:]
    stdlib = "/usr/share/java/kotlin-stdlib.jar"
    names = [os.path.splitext(os.path.basename(t))[0] for t in tests]
    run = subprocess.run(["java", f"-Dgolden.dir={vectors}", "-cp",
                          ":".join([str(classes), stdlib, *JUNIT]), "org.junit.runner.JUnitCore",
                          *[f"io.github.kerasresnet.core.{n}" for n in names]],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    count = int(re.search(r"OK \((\d+) tests?\)", run.stdout).group(1))
    written = 0
    for path in tests:
        with open(path) as f:
            written += f.read().count("@Test")
    assert count == written >= 13


def _committed_assets():
    with open(os.path.join(MAIN, "assets", "metadata.json")) as f:
        meta = json.load(f)
    with open(os.path.join(MAIN, "assets", "golden.json")) as f:
        golden = json.load(f)
    return meta, golden, os.path.join(MAIN, "assets", "model.tflite")


def test_committed_assets_agree_with_each_other():
    meta, golden, model_path = _committed_assets()
    with open(model_path, "rb") as f:
        content = f.read()
    assert metadata.read(content) == meta
    predictor = Predictor(model_path)
    for key, details in (("input_tensor", predictor.model.input),
                         ("output_tensor", predictor.model.output)):
        scale, zero_point = details["quantization"]
        assert meta[key]["dtype"] == np.dtype(details["dtype"]).name
        assert meta[key]["shape"] == [int(d) for d in details["shape"]]
        assert meta[key]["scale"] == pytest.approx(scale, rel=1e-6)
        assert meta[key]["zero_point"] == zero_point
    assert len(meta["labels"]) == meta["output_tensor"]["shape"][-1]
    assert meta["input_tensor"]["shape"][1:] == [meta["input"][k]
                                                 for k in ("height", "width", "channels")]
    assert golden["model_sha256"] == hashlib.sha256(content).hexdigest()
    assert len(golden["samples"]) >= 8
    right = 0
    for sample in golden["samples"]:
        rgba = np.asarray(Image.open(os.path.join(MAIN, "assets", sample["file"])).convert("RGBA"))
        top = android_assets.top_k_as_the_app_does(predictor, rgba)
        assert [i for i, _ in top] == [t["index"] for t in sample["top"]], sample["file"]
        for (_, p), t in zip(top, sample["top"]):
            assert p == pytest.approx(t["probability"], abs=1e-5)
        right += sample["top"][0]["label"] == sample["truth"]
    assert right >= 8  # one Fashion-MNIST test image per class


@pytest.mark.slow
def test_android_assets_command_replaces_the_assets(exported, tmp_path, capsys):
    out, _ = exported
    assets = tmp_path / "assets"
    (assets / "samples").mkdir(parents=True)
    (assets / "samples" / "stale.png").write_bytes(b"old")
    code = main(["android-assets", str(out / "model_int8-io.tflite"), "--assets", str(assets)])
    assert code == 0
    files = sorted(os.listdir(assets))
    assert files == ["golden.json", "metadata.json", "model.tflite", "samples"]
    assert sorted(os.listdir(assets / "samples")) == [f"{i:02d}.png" for i in range(10)]
    with open(assets / "golden.json") as f:
        golden = json.load(f)
    assert [s["file"] for s in golden["samples"]] == [f"samples/{i:02d}.png" for i in range(10)]
    capsys.readouterr()
    assert main(["android-assets", str(out / "missing.tflite"), "--assets", str(assets)]) == 2
    assert "is not valid; allowed: an existing .tflite file" in capsys.readouterr().err
    (tmp_path / "notes.tflite").write_text("not a model")
    assert main(["android-assets", str(tmp_path / "notes.tflite"), "--assets", str(assets)]) == 2
    err = capsys.readouterr().err
    assert "allowed: a .tflite file that `resnet export` wrote" in err and err.count("\n") == 1
    assert sorted(os.listdir(assets)) == files  # nothing half-written, no staging left


@pytest.mark.slow
def test_samples_from_an_image_folder(exported, folder, tmp_path):
    out, _ = exported
    samples = tmp_path / "photos"
    (samples / "Bag").mkdir(parents=True)  # a folder named as a label gives the truth
    (samples / "misc").mkdir()
    for i in range(3):
        shutil.copy(folder / "bag" / f"{4 * i:03d}.png", samples / "Bag" / f"{i}.png")
    shutil.copy(folder / "trouser" / "notes.png", samples / "Bag" / "00.png")  # text
    shutil.copy(folder / "trouser" / "001.jpg", samples / "misc" / "trousers.jpg")
    assets = tmp_path / "assets"
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable file\(s\): .*00.png"):
        golden = android_assets.write_assets(str(out / "model_int8.tflite"), str(assets), str(samples))
    assert [s["truth"] for s in golden["samples"]] == ["Bag"] * 3 + [None]
    assert [s["top"][0]["label"] for s in golden["samples"]] == ["Bag"] * 3 + ["Trouser"]
    assert sorted(os.listdir(assets / "samples")) == [f"{i:02d}.png" for i in range(4)]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="allowed: a folder holding readable"):
        android_assets.write_assets(str(out / "model_int8.tflite"), str(assets), str(empty))


def _resources():
    names = {"string": set(), "color": set(), "style": set(), "id": set(),
             "layout": set(), "drawable": set()}
    res = os.path.join(MAIN, "res")
    for path in glob.glob(os.path.join(res, "*", "*.xml")):
        kind = os.path.basename(os.path.dirname(path)).split("-")[0]
        root = ET.parse(path).getroot()  # every resource file parses as XML
        stem = os.path.splitext(os.path.basename(path))[0]
        if kind in ("layout", "drawable"):
            names[kind].add(stem)
        if kind == "values":
            for item in root:
                names[item.tag].add(item.get("name"))
        for element in root.iter():
            for value in element.attrib.values():
                if value.startswith("@+id/"):
                    names["id"].add(value[5:])
    return names


def test_manifest_layouts_and_code_reference_only_what_exists():
    names = _resources()
    manifest = ET.parse(os.path.join(MAIN, "AndroidManifest.xml")).getroot()
    permissions = [e.get(ANDROID_NS + "name") for e in manifest.iter("uses-permission")]
    assert "android.permission.CAMERA" in permissions
    launchers = [a for a in manifest.iter("activity")
                 if any(c.get(ANDROID_NS + "name") == "android.intent.category.LAUNCHER"
                        for c in a.iter("category"))]
    assert [a.get(ANDROID_NS + "name") for a in launchers] == [".MainActivity"]
    assert os.path.exists(os.path.join(MAIN, "java", "io", "github", "kerasresnet", "demo",
                                       "MainActivity.kt"))
    xml_files = [os.path.join(MAIN, "AndroidManifest.xml")] + glob.glob(
        os.path.join(MAIN, "res", "*", "*.xml"))
    references = []
    for path in xml_files:
        for element in ET.parse(path).getroot().iter():
            for value in element.attrib.values():
                match = re.fullmatch(r"@(string|id|layout|drawable|color|style)/(\w+)", value)
                if match:
                    references.append((path, *match.groups()))
    kotlin = glob.glob(os.path.join(MAIN, "java", "**", "*.kt"), recursive=True)
    for path in kotlin:
        with open(path) as f:
            references += [(path, kind, name) for kind, name in
                           re.findall(r"\bR\.(string|id|layout|drawable|color)\.(\w+)", f.read())]
    assert len(references) > 30
    missing = [r for r in references if r[2] not in names[r[1]]]
    assert not missing, missing


def test_build_files_parse_and_the_frame_to_label_path_is_complete():
    with open(os.path.join(APP, "gradle", "libs.versions.toml"), "rb") as f:
        catalog = tomllib.load(f)
    for section in ("versions", "libraries", "plugins"):
        assert catalog[section]
    for library in catalog["libraries"].values():
        assert library["version"]["ref"] in catalog["versions"]
    assert {"litert", "litert-gpu", "camerax-core", "camerax-view"} <= set(catalog["libraries"])
    with open(os.path.join(APP, "app", "build.gradle.kts")) as f:
        build = f.read()
    for name in re.findall(r"libs\.([\w.]+)\)", build):
        key = name.replace(".", "-")
        assert key in catalog["libraries"] or key.removeprefix("plugins-") in catalog["plugins"], name
    assert int(re.search(r"minSdk = (\d+)", build).group(1)) >= 24
    with open(os.path.join(APP, "gradle", "wrapper", "gradle-wrapper.properties")) as f:
        assert "distributionUrl=https\\://services.gradle.org/distributions/gradle-" in f.read()
    code = glob.glob(os.path.join(APP, "**", "*.kt"), recursive=True)
    assert len(code) >= 8
    for path in code:
        with open(path) as f:
            text = f.read()
        assert not re.search(r"\bTODO\b|NotImplemented|FIXME", text), path
        if f"{os.sep}core{os.sep}" in path:
            assert "import android" not in text, path


# Static checks for the crash paths found by reading the LiteRT 1.4 and CameraX
# 1.4 sources: each rule names what would crash. They stay lints because the
# app module needs the Android SDK to compile, which these machines cannot
# fetch; the rules themselves (UiHandoff, FrameGuard, ScreenState, the shape
# check, the contract on the whole frame) are plain Kotlin in core, where JVM
# tests exercise their behaviour, and these checks only make sure the app
# goes through them.
NATIVE_CREATION = re.compile(r"\bInterpreter\(|\bClassifier\.create\(")
RUNNER_LAMBDA = re.compile(r"\.(load|run)\(\s*$|\.call\s*$")
CAUGHT = re.compile(r"\s*catch\s*\(\s*\w+\s*:\s*([\w.]+)\s*\)\s*\{")
FINALLY = re.compile(r"\s*finally\s*\{")


def _enclosing(text, position):
    """(text before the brace, what follows the block) of every {...} block
    around position in Kotlin source, innermost first."""
    stack, found = [], []
    for i, ch in enumerate(text):
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            start = stack.pop()
            if start < position < i:
                found.append((start, i))
    return [(text[:start].rstrip(), text[end + 1:]) for start, end in
            sorted(found, reverse=True)]


def _handlers(after):
    """The catch types and finally bodies that follow a try block."""
    caught, finals = [], []
    while True:
        match = CAUGHT.match(after) or FINALLY.match(after)
        if not match:
            return caught, finals
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(after[i], 0)
            i += 1
        (caught if match.re is CAUGHT else finals).append(
            match.group(1) if match.re is CAUGHT else after[match.end():i])
        after = after[i:]


def _tries(text, position):
    return [_handlers(after) for before, after in _enclosing(text, position)
            if before.endswith("try")]


def crash_patterns(files):
    """The known crash paths in the app's sources; files maps a path relative
    to android_demo/ to its text. Returns one line per finding."""
    found = []
    catalog = tomllib.loads(files["gradle/libs.versions.toml"])
    litert = tuple(int(p) for p in catalog["versions"]["litert"].split("."))
    build = files["app/build.gradle.kts"]
    min_sdk = int(re.search(r"minSdk = (\d+)", build).group(1))
    if litert < (1, 4, 1) and min_sdk < 26:
        found.append(f"LiteRT {catalog['versions']['litert']} needs API 26 (strtod_l) but minSdk is "
                     f"{min_sdk}: use LiteRT 1.4.1 or later, or minSdk 26")
    if re.search(r"^\s*jvmToolchain\(", files["core/build.gradle.kts"], re.M) and \
            "foojay-resolver" not in files["settings.gradle.kts"]:
        found.append("core: jvmToolchain without a toolchain resolver fails where only another JDK is installed")
    kotlin = {path: text for path, text in files.items() if path.endswith(".kt")}
    app = "\n".join(kotlin.values())
    for path, text in kotlin.items():
        def line(position, path=path, text=text):
            return f"{path}:{text.count(chr(10), 0, position) + 1}"

        for match in NATIVE_CREATION.finditer(text):
            caught = [t for handled, _ in _tries(text, match.start()) for t in handled]
            in_runner = any(RUNNER_LAMBDA.search(before)
                            for before, _ in _enclosing(text, match.start()))
            if "Throwable" not in caught and not in_runner:
                found.append(f"{line(match.start())}: {match.group(0)} outside a catch (e: Throwable) "
                             "or the runner (UnsatisfiedLinkError is an Error, not an Exception)")
        for match in re.finditer(r"\bCompatibilityList\(\)(\s*\.use\b)?", text):
            if not match.group(1) and not any("close()" in body for _, finals in
                                              _tries(text, match.start()) for body in finals):
                found.append(f"{line(match.start())}: CompatibilityList neither in .use nor "
                             "closed in a finally")
        for match in re.finditer(r"\.classify\(", text):
            if path.endswith("Classifier.kt"):
                continue
            if not any(RUNNER_LAMBDA.search(before)
                       for before, _ in _enclosing(text, match.start())):
                found.append(f"{line(match.start())}: classify off the runner's thread "
                             "(the GPU delegate must run where it was created)")
        for match in re.finditer(r"\bbindToLifecycle\(([^)]*)\)|\bfuture\.get\(\)", text):
            if not any(caught for caught, _ in _tries(text, match.start())):
                found.append(f"{line(match.start())}: {match.group(0)[:20]} outside a try "
                             "(throws when no camera can take the use cases)")
            if "DEFAULT_BACK_CAMERA" in (match.group(1) or ""):
                found.append(f"{line(match.start())}: binds the back camera with no fallback "
                             "(the manifest marks the camera optional)")
        for match in re.finditer(r"\brunOnUiThread\s*\{", text):
            found.append(f"{line(match.start())}: runOnUiThread {{ … }} bypasses the UiHandoff "
                         "(the work may run after onDestroy: an unregistered launcher throws)")
        if path.endswith("FrameAnalyzer.kt") and "guard.run {" not in text:
            found.append(f"{path}: the analyzer's work is not in a FrameGuard (CameraX calls "
                         "analyzers without a catch: one exception ends the process)")
    app_module = "\n".join(text for path, text in kotlin.items() if path.startswith("app/"))
    if "bindToLifecycle(" in app_module and "state.mayBindCamera()" not in app_module:
        found.append("the camera is bound without asking the ScreenState (samples chosen "
                     "before CameraX was ready would be overwritten by camera results)")
    if "bindToLifecycle(" in app and not ("hasCamera(" in app and "DEFAULT_FRONT_CAMERA" in app):
        found.append("no camera fallback: check hasCamera for the back, then the front camera")
    if int(re.search(r"targetSdk = (\d+)", build).group(1)) >= 35 and \
            "setOnApplyWindowInsetsListener" not in app:
        found.append("targetSdk 35 draws edge to edge: apply the window insets")
    return found


def _android_sources():
    paths = ["gradle/libs.versions.toml", "app/build.gradle.kts", "core/build.gradle.kts",
             "settings.gradle.kts"]
    paths += [os.path.relpath(p, APP) for p in
              glob.glob(os.path.join(APP, "**", "*.kt"), recursive=True)]
    files = {}
    for path in paths:
        with open(os.path.join(APP, path)) as f:
            files[path] = f.read()
    return files


def test_the_app_has_none_of_the_known_crash_paths():
    assert crash_patterns(_android_sources()) == []


ACTIVITY = "app/src/main/java/io/github/kerasresnet/demo/MainActivity.kt"
ANALYZER = "app/src/main/java/io/github/kerasresnet/demo/FrameAnalyzer.kt"
CLASSIFIER = "app/src/main/java/io/github/kerasresnet/demo/Classifier.kt"
CRASHES = {  # a known-bad edit of today's sources -> what the check must say
    "litert 1.4.0": ("gradle/libs.versions.toml", 'litert = "1.4.1"', 'litert = "1.4.0"',
                     "needs API 26"),
    "catch Exception": (CLASSIFIER, "catch (e: Throwable)", "catch (e: Exception)",
                        "Interpreter( outside a catch"),
    "create on the UI thread": (ACTIVITY, "runner.load({ Classifier.create(this, useGpu) })",
                                "val made = Classifier.create(this, useGpu)\n"
                                "        runner.load({ made })", "Classifier.create( outside"),
    "compatibility leak": (CLASSIFIER, "CompatibilityList().use {", "CompatibilityList().let {",
                           "neither in .use nor closed"),
    "classify off thread": (ACTIVITY, "runner.call { it.classify(image) }",
                            "classifier.classify(image)", "classify off the runner"),
    "back camera only": (ACTIVITY, "bindToLifecycle(this, camera,",
                         "bindToLifecycle(this, CameraSelector.DEFAULT_BACK_CAMERA,", "no fallback"),
    "bind outside try": (ACTIVITY, "        try {\n            provider.unbindAll()",
                         "        run {\n            provider.unbindAll()", "outside a try"),
    "no front camera": (ACTIVITY, "CameraSelector.DEFAULT_FRONT_CAMERA).", ").",
                        "no camera fallback"),
    "toolchain": ("core/build.gradle.kts", "kotlin {", "kotlin {\n    jvmToolchain(17)",
                  "toolchain resolver"),
    "post after destroy": (ACTIVITY, "ui.post { if (state.showsCameraResults()) show(outcome) }",
                           "runOnUiThread { show(outcome) }", "bypasses the UiHandoff"),
    "unguarded analyzer": (ANALYZER, "image.use { guard.run { onImage(upright(it)) } }",
                           "image.use { onImage(upright(it)) }", "not in a FrameGuard"),
    "bind in sample mode": (ACTIVITY, "if (!state.mayBindCamera() || !ui.isOpen) return",
                            "if (!ui.isOpen) return", "without asking the ScreenState"),
    "no insets": (ACTIVITY, "ViewCompat.setOnApplyWindowInsetsListener(",
                  "ViewCompat.setOnApplyWindowInsets(", "window insets"),
}


@pytest.mark.parametrize("name", sorted(CRASHES))
def test_the_crash_check_finds_each_known_bad_pattern(name):
    path, good, bad, message = CRASHES[name]
    files = _android_sources()
    assert good in files[path], f"{name}: the sources changed; update the mutation"
    files[path] = files[path].replace(good, bad, 1)
    found = crash_patterns(files)
    assert any(message in line for line in found), (name, found)
