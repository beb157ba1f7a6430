"""Named pretrained weights, served from 127.0.0.1 (no internet): downloaded,
verified, converted and cached once; the converted models compute what the
source models do; every failure is one line and leaves nothing in the cache."""

import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading

import h5py
import keras
import numpy as np
import pytest

import keras_resnet as kr
from helpers import randomize
from keras_resnet import weights_registry
from pytorch_fixtures import HERE, seeded_inputs, seeded_state_dict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Server:
    """Files by URL path; counts GET requests; can cut a file short."""

    def __init__(self):
        self.files, self.requests, self.truncated = {}, [], set()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2] if self.path in server.truncated
                                 else data)

            def log_message(self, *args):
                """Quiet: the tests read `requests`, not the log."""

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, url, data):
        """Serves `data` where the mirror maps the original `url`."""
        path = "/" + url.split("://", 1)[1].split("/", 1)[1]
        self.files[path] = data
        return path


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.httpd.shutdown()


@pytest.fixture
def home(tmp_path, monkeypatch, server):
    """An empty KERAS_HOME and the local server as the weights mirror."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setenv("KERAS_RESNET_WEIGHTS_MIRROR", server.url)
    server.requests.clear()
    server.truncated.clear()
    return tmp_path / "keras-home" / "keras_resnet"


def _cache_files(home):
    return sorted(os.path.relpath(os.path.join(d, f), home)
                  for d, _, names in os.walk(home) for f in names)


@pytest.fixture(scope="module")
def keras_source(tmp_path_factory):
    """A keras.applications ResNet50 with random weights (BatchNorm statistics
    included) and its weights in the layout of keras.applications' own files."""
    from keras.src.legacy.saving import legacy_h5_format

    source = randomize(keras.applications.ResNet50(
        weights=None, input_shape=(64, 64, 3), classifier_activation=None),
        np.random.default_rng(1))
    path = tmp_path_factory.mktemp("keras-source") / "resnet50.h5"
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, source)
    return source, path.read_bytes()


def _serve_keras(server, monkeypatch, data):
    stem, _, notop = weights_registry.KERAS_FILES["ResNet50"]
    monkeypatch.setitem(weights_registry.KERAS_FILES, "ResNet50",
                        (stem, hashlib.md5(data).hexdigest(), notop))
    return server.serve(weights_registry.weights_entry("keras:ResNet50").sources[True].url, data)


def test_imagenet_weights_are_fetched_once_and_match_keras_applications(
        server, home, monkeypatch, keras_source):
    source, data = keras_source
    path = _serve_keras(server, monkeypatch, data)
    model = kr.ResNet50(weights="imagenet", input_shape=(64, 64, 3), classifier_activation=None)
    assert server.requests == [path]
    rng = np.random.default_rng(0)
    x = (rng.uniform(-1, 1, (3, 64, 64, 3)) * np.array([20.0, 60.0, 100.0])[:, None, None, None]
         ).astype("float32")  # caffe-preprocessed scale
    expected = source.predict(x, verbose=0)
    tolerance = 1e-4 * np.abs(expected).max()
    assert np.abs(expected[0] - expected[2]).max() > 50 * tolerance
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=tolerance, rtol=0)

    again = kr.ResNet50(weights="imagenet", input_shape=(64, 64, 3), classifier_activation=None)
    features = kr.ResNet50(weights="keras:ResNet50", include_top=False, pooling="avg")
    assert server.requests == [path]  # the cached conversion served both
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    assert features.output_shape == (None, 2048)
    digest = hashlib.sha256(data).hexdigest()[:16]
    assert _cache_files(home) == [f"converted/keras-ResNet50-{digest}.h5",
                                  "downloads/resnet50_weights_tf_dim_ordering_tf_kernels.h5"]


def _catalogue_entry(monkeypatch, tmp_path, name, entry):
    """The catalogue with one more entry (a file whose hash the test knows)."""
    with open(weights_registry.CATALOGUE) as f:
        catalogue = json.load(f)
    catalogue[name] = entry
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(catalogue))
    monkeypatch.setattr(weights_registry, "CATALOGUE", str(path))


@pytest.fixture(scope="module")
def torchvision_file(tmp_path_factory):
    """The recorded torchvision ResNet-18 state dict as torchvision publishes
    one (a .pth named with its SHA-256's first 8 hex digits), and its logits."""
    import torch

    with open(os.path.join(HERE, "torchvision-resnet18.json")) as f:
        fixture = json.load(f)
    state = seeded_state_dict(fixture["keys"], fixture["seed"])
    path = tmp_path_factory.mktemp("torchvision") / "resnet18.pth"
    torch.save({k: torch.from_numpy(v) for k, v in state.items()}, path)
    data = path.read_bytes()
    logits = np.load(os.path.join(HERE, "torchvision-resnet18-logits.npy"))
    return data, hashlib.sha256(data).hexdigest(), fixture["seed"], logits


@pytest.fixture(scope="module")
def initialised_torchvision_file(tmp_path_factory):
    """A torchvision-layout ResNet-18 state dict holding Keras' own initial
    weights (BatchNorm at its defaults), which trains like a real start; the
    seeded weights above are built to expose misplaced tensors and their
    features are too large to train at the recipe's learning rate."""
    import torch

    from keras_resnet.converters.pytorch import torch_name

    state = {}
    for layer in kr.ResNet18(input_shape=(32, 32, 3)).layers:
        values = [np.asarray(w) for w in layer.weights]
        if not values or layer.name == "preprocess":
            continue
        name = torch_name(layer.name, avg_down=False)
        if len(values) == 4:  # BatchNorm
            parts = dict(zip(("weight", "bias", "running_mean", "running_var"), values))
        elif layer.name == "predictions":
            parts = {"weight": values[0].T, "bias": values[1]}
        else:
            parts = {"weight": values[0].transpose(3, 2, 0, 1)}
        state.update({f"{name}.{k}": torch.from_numpy(np.ascontiguousarray(v))
                      for k, v in parts.items()})
    path = tmp_path_factory.mktemp("torchvision-init") / "resnet18.pth"
    torch.save(state, path)
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest(), None, None


def _serve_torchvision(server, monkeypatch, tmp_path, torchvision_file, data=None,
                       resize=36, crop=32):
    served, digest, _, _ = torchvision_file
    url = f"https://download.pytorch.org/models/resnet18-{digest[:8]}.pth"
    name = "torchvision:resnet18.TEST"
    _catalogue_entry(monkeypatch, tmp_path, name, {
        "architecture": "resnet18", "crop": crop, "resize": resize, "interpolation": "bilinear",
        "licence": "test", "recipe": "", "top1": None, "url": url})
    return name, server.serve(url, served if data is None else data)


def test_torchvision_weights_by_name_reproduce_the_pytorch_logits(
        server, home, monkeypatch, tmp_path, torchvision_file):
    name, path = _serve_torchvision(server, monkeypatch, tmp_path, torchvision_file)
    _, digest, seed, reference = torchvision_file
    model = kr.ResNet18(weights=name, input_shape=(64, 64, 3), classifier_activation=None)
    x = seeded_inputs(seed).transpose(0, 2, 3, 1)
    # The converter's own tolerance (tests/test_pytorch_converter.py).
    assert np.abs(np.asarray(model(x)) - reference).max() <= 1e-4 * np.abs(reference).max()
    kr.ResNet18(weights=name, include_top=False)
    assert server.requests == [path]
    assert _cache_files(home) == [f"converted/torchvision-resnet18.TEST-{digest[:16]}.h5",
                                  f"downloads/resnet18-{digest[:8]}.pth"]


def test_every_failure_is_one_line_and_leaves_no_cache_entry(
        server, home, monkeypatch, tmp_path, torchvision_file):
    data = torchvision_file[0]
    name, path = _serve_torchvision(server, monkeypatch, tmp_path, torchvision_file,
                                    data=data[:-10] + b"0123456789")
    with pytest.raises(ValueError, match=r"does not have a SHA-256 starting [0-9a-f]{8} .*"
                                         "nothing was kept") as wrong:
        kr.ResNet18(weights=name)
    server.truncated.add(path)
    with pytest.raises(RuntimeError, match="could not download .*resnet18-") as short:
        kr.ResNet18(weights=name)
    monkeypatch.setenv("KERAS_RESNET_WEIGHTS_MIRROR", "http://127.0.0.1:9")  # nothing listens
    with pytest.raises(RuntimeError) as down:
        kr.ResNet18(weights=name)
    for needed in ("could not download http://127.0.0.1:9/models/resnet18-",
                   "resnet weights fetch torchvision:resnet18.TEST",
                   os.path.join(str(home), "downloads", "resnet18-"), "resnet import-weights"):
        assert needed in str(down.value)
    with pytest.raises(ValueError, match="weights='timm:resnet18.nope' is not valid; allowed"):
        kr.ResNet18(weights="timm:resnet18.nope")
    with pytest.raises(ValueError, match="'imagenet' only for ResNet50/101/152"):
        kr.ResNet18(weights="imagenet")
    with pytest.raises(ValueError, match="variant='v1.5' is not valid; allowed: 'v1'"):
        kr.ResNet50(weights="keras:ResNet50", variant="v1.5")
    with pytest.raises(ValueError, match="constructor builds groups=32"):
        kr.ResNeXt50_32x4d(weights="torchvision:resnet50.IMAGENET1K_V2")
    for error in (wrong, short, down):
        assert "\n" not in str(error.value)
    assert [f for f in _cache_files(home) if not f.startswith(".")] == []
    assert not os.path.exists(home / "converted")
    assert os.listdir(home / "downloads") == []  # no staging folder left either


def test_a_file_placed_by_hand_is_used_after_its_hash_is_checked(
        server, home, monkeypatch, tmp_path, torchvision_file):
    name, _ = _serve_torchvision(server, monkeypatch, tmp_path, torchvision_file)
    data, digest = torchvision_file[:2]
    (home / "downloads").mkdir(parents=True)
    placed = home / "downloads" / f"resnet18-{digest[:8]}.pth"
    placed.write_bytes(data[:1000])
    with pytest.raises(ValueError, match="does not have a SHA-256 starting .*delete it"):
        kr.ResNet18(weights=name)
    placed.write_bytes(data)
    kr.ResNet18(weights=name, include_top=False)
    assert server.requests == []


@pytest.mark.slow
def test_weights_commands_and_finetune_from_a_served_checkpoint(
        server, home, monkeypatch, tmp_path, initialised_torchvision_file, folder):
    name, path = _serve_torchvision(server, monkeypatch, tmp_path, initialised_torchvision_file)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.path.join(ROOT, "tests")]),
           "KERAS_RESNET_TEST_CATALOGUE": weights_registry.CATALOGUE}
    listed = _resnet(["weights", "list"], env)
    assert "| torchvision:resnet18.TEST | resnet18 | – | 36 → 32 | no |" in listed.stdout
    fetched = _resnet(["weights", "fetch", name], env)
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    assert server.requests == [path]
    assert "| torchvision:resnet18.TEST | resnet18 | – | 36 → 32 | yes |" in _resnet(
        ["weights", "list"], env).stdout
    out = tmp_path / "tuned"
    tuned = _resnet(["finetune", "--weights", name, "--data-dir", str(folder),
                     "--epochs", "1", "--output", str(out), "--quiet",
                     "--set", "batch_size=32", "--set", "validation_size=0.15",
                     "--set", "test_size=0.15", "--set", "warmup_epochs=0.0"], env)
    assert tuned.returncode == 0, tuned.stderr[-3000:]
    assert server.requests == [path]  # the fetched weights served the fine-tuning
    with open(out / "finetune" / "config.json") as f:
        recipe = json.load(f)["recipe"]
    assert (recipe["image_size"], recipe["crop_fraction"]) == (32, 32 / 36)
    bad = _resnet(["weights", "fetch", "torchvision:resnet18.nope"], env)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith(
        "resnet: error: weights='torchvision:resnet18.nope' is not valid; allowed")


def _resnet(argv, env):
    code = ("import os, sys; from keras_resnet import weights_registry; "
            "weights_registry.CATALOGUE = os.environ['KERAS_RESNET_TEST_CATALOGUE']; "
            "from keras_resnet.cli import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                          text=True, env=env, timeout=600)
