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
import tomllib
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from export import android
from resnet_edge import Predictor, metadata

APP = os.path.join(android.ROOT, "android_demo")
MAIN = os.path.join(APP, "app", "src", "main")
CORE = os.path.join(APP, "core", "src")
JUNIT = ["/usr/share/java/junit4.jar", "/usr/share/java/hamcrest-core.jar"]
ANDROID_NS = "{http://schemas.android.com/apk/res/android}"


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    out = tmp_path_factory.mktemp("golden")
    android.write_golden_vectors(str(out))
    return out


def test_committed_golden_vectors_are_what_the_python_side_computes_now(vectors):
    committed = android.GOLDEN
    with open(os.path.join(committed, "cases.json")) as f, open(vectors / "cases.json") as g:
        assert json.load(f) == json.load(g), "stale: run make android-assets"
    for path in sorted(glob.glob(str(vectors / "*.*"))):
        name = os.path.basename(path)
        other = os.path.join(committed, name)
        if name.endswith(".f32"):  # summation order may differ between numpy builds
            fresh, old = np.fromfile(path, "<f4"), np.fromfile(other, "<f4")
            assert fresh.shape == old.shape and np.abs(fresh - old).max() <= 1e-4, name
        else:
            assert filecmp.cmp(path, other, shallow=False), name
    assert sorted(os.listdir(committed)) == sorted(os.listdir(vectors))


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
    assert count >= 9


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
        top = android.top_k_as_the_app_does(predictor, rgba)
        assert [i for i, _ in top] == [t["index"] for t in sample["top"]], sample["file"]
        for (_, p), t in zip(top, sample["top"]):
            assert p == pytest.approx(t["probability"], abs=1e-5)
        right += sample["top"][0]["label"] == sample["truth"]
    assert right >= 8  # one Fashion-MNIST test image per class


def test_android_assets_command_replaces_the_assets(exported, tmp_path, capsys):
    out, _ = exported
    assets = tmp_path / "assets"
    (assets / "samples").mkdir(parents=True)
    (assets / "samples" / "stale.png").write_bytes(b"old")
    code = android.main([str(out / "model_int8-io.tflite"), "--assets", str(assets),
                         "--golden", str(tmp_path / "golden")])
    assert code == 0
    files = sorted(os.listdir(assets))
    assert files == ["golden.json", "metadata.json", "model.tflite", "samples"]
    assert sorted(os.listdir(assets / "samples")) == [f"{i:02d}.png" for i in range(10)]
    with open(assets / "golden.json") as f:
        golden = json.load(f)
    assert [s["file"] for s in golden["samples"]] == [f"samples/{i:02d}.png" for i in range(10)]
    assert os.path.exists(tmp_path / "golden" / "cases.json")
    with pytest.raises(SystemExit) as bad:
        android.main([str(out / "missing.tflite"), "--assets", str(assets)])
    assert bad.value.code == 2
    assert "is not valid; allowed: an existing .tflite file" in capsys.readouterr().err
    (tmp_path / "notes.tflite").write_text("not a model")
    with pytest.raises(SystemExit) as bad:
        android.main([str(tmp_path / "notes.tflite"), "--assets", str(assets)])
    assert bad.value.code == 2
    assert "allowed: a .tflite file that `resnet export` wrote" in capsys.readouterr().err
    assert sorted(os.listdir(assets)) == files  # nothing half-written, no staging left


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
        golden = android.write_assets(str(out / "model_int8.tflite"), str(assets), str(samples))
    assert [s["truth"] for s in golden["samples"]] == ["Bag"] * 3 + [None]
    assert [s["top"][0]["label"] for s in golden["samples"]] == ["Bag"] * 3 + ["Trouser"]
    assert sorted(os.listdir(assets / "samples")) == [f"{i:02d}.png" for i in range(4)]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="allowed: a folder holding readable"):
        android.write_assets(str(out / "model_int8.tflite"), str(assets), str(empty))


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
