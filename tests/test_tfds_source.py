"""Training from a TFDS dataset loaded through tfds.load's machinery, offline."""

import numpy as np
import pytest

from keras_resnet.edge.input_spec import InputSpec
from keras_resnet.training import fashion_mnist
from keras_resnet.training.recipe import load_recipe


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    import tfds_fashion_mnist

    directory = str(tmp_path_factory.mktemp("tfds"))
    builder = tfds_fashion_mnist.FashionMnistIdxSubset(data_dir=directory)
    builder.download_and_prepare()
    return directory


def test_tfds_source_reads_the_real_images(data_dir):
    import tensorflow_datasets as tfds

    from keras_resnet.training import tfds_source

    (x, y), carved, (xt, yt), names, how = tfds_source.load(
        "fashion_mnist_idx_subset", data_dir, InputSpec(28, 28, 1))
    assert carved is None and how.startswith("in memory: 4000 images decode to 0.00 GiB")
    (x0, y0), (xt0, yt0) = fashion_mnist.load()
    assert x.shape == (3000, 28, 28, 1) and xt.shape == (1000, 28, 28, 1)
    # Same pixels and labels as the IDX files, whatever order TFDS stored them in.
    order = np.argsort([hash(img.tobytes()) for img in x])
    expected = np.argsort([hash(img.tobytes()) for img in x0[:3000]])
    np.testing.assert_array_equal(x[order], x0[:3000][expected])
    np.testing.assert_array_equal(y[order], y0[:3000][expected])
    assert names[9] == "Ankle boot"
    assert len(tfds.load("fashion_mnist_idx_subset", split="test", data_dir=data_dir)) == 1000


@pytest.mark.slow
def test_training_on_a_tfds_dataset(data_dir, tmp_path):
    from keras_resnet.training.fit import train

    recipe = load_recipe("fashion_mnist", {
        "dataset": "tfds:fashion_mnist_idx_subset", "data_dir": data_dir,
        "validation_size": 500, "epochs": 4, "warmup_epochs": 0.5})
    summary = train(recipe, str(tmp_path / "run"), verbose=0)
    assert summary["test"]["images"] == 1000
    assert summary["test"]["accuracy"] > 0.6  # measured 0.735; chance: 0.1


def test_unknown_tfds_name(tmp_path):
    from keras_resnet.training import tfds_source

    with pytest.raises(ValueError, match=r"^dataset='tfds:no_such_set' is not valid"):
        tfds_source.load("no_such_set", str(tmp_path), InputSpec(28, 28, 1))


@pytest.fixture(scope="module")
def imagenet_dir(tmp_path_factory):
    """A tiny ImageNet 2012 prepared by TFDS's own imagenet2012 builder from
    manual-download archives laid out like the real ones: 4 synsets of 12
    generated photos in ILSVRC2012_img_train.tar, 24 in ILSVRC2012_img_val.tar."""
    import io
    import tarfile

    import tensorflow_datasets as tfds
    from PIL import Image

    from photos import photo

    root = tmp_path_factory.mktemp("imagenet")
    manual = root / "downloads" / "manual"
    manual.mkdir(parents=True)
    labels_file = tfds.core.tfds_path("datasets/imagenet2012/labels.txt")
    synsets = labels_file.read_text().split()[:4]

    def jpeg(label, seed):
        out = io.BytesIO()
        Image.fromarray(photo(label, 4, seed)).save(out, "JPEG", quality=80)
        return out.getvalue()

    def add(tar, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(manual / "ILSVRC2012_img_train.tar", "w") as train:
        for label, synset in enumerate(synsets):
            inner = io.BytesIO()
            with tarfile.open(fileobj=inner, mode="w") as images:
                for k in range(12):
                    add(images, f"{synset}_{k}.JPEG", jpeg(label, 100 * label + k))
            add(train, f"{synset}.tar", inner.getvalue())
    with tarfile.open(manual / "ILSVRC2012_img_val.tar", "w") as val:
        for k in range(24):
            add(val, f"ILSVRC2012_val_{k + 1:08d}.JPEG", jpeg(k % 4, 9000 + k))
    builder = tfds.builder("imagenet2012", data_dir=str(root))
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))
    return str(root)


def test_an_unprepared_manual_dataset_names_the_command(tmp_path):
    from keras_resnet.training import tfds_source

    with pytest.raises(FileNotFoundError, match=r"^TFDS dataset 'imagenet2012' is not prepared"
                                                r".* then run: tfds build imagenet2012 "
                                                r"--data_dir .* --manual_dir .*manual$"):
        tfds_source.prepared_builder("imagenet2012", str(tmp_path))


def test_streamed_tfds_records_are_a_function_of_seed_and_step(imagenet_dir):
    from keras_resnet.training.data import eval_split, load_splits
    from keras_resnet.training.pipeline import Augmentation, train_stream

    splits = load_splits(load_recipe("imagenet_resnet50", {
        "data_dir": imagenet_dir, "image_size": 32, "loading": "stream",
        "validation_size": 0.25}))
    assert splits.streaming and splits.train[1] is None
    assert splits.notes[-1].startswith("streaming the records: loading='stream'")
    validation = sum(len(b[0]) for b in eval_split(splits, "validation", None))
    assert validation == len(splits.validation[0]) > 0
    # The two sides of the id hash share no record, in any read order.
    seen = [{bytes(image) for image, _ in records.dataset(shuffle_seed=seed).as_numpy_iterator()}
            for records, seed in ((splits.train[0], 1), (splits.validation[0], None))]
    assert len(seen[0]) == len(splits.train[0]) and not seen[0] & seen[1]

    def batches(start):
        stream = train_stream(splits.train[0], None, 1000, batch_size=4, seed=3,
                              start_step=start, total_steps=6, spec=splits.spec,
                              augmentation=Augmentation("imagenet"), deterministic=True)
        return [(np.asarray(x), np.asarray(y).argmax(1)) for x, y, _ in stream]

    whole, tail = batches(0), batches(4)
    assert len(whole) == 6 and len(tail) == 2
    for (x0, y0), (x1, y1) in zip(whole[4:], tail):
        np.testing.assert_array_equal(x0, x1)
        np.testing.assert_array_equal(y0, y1)
    assert set(np.concatenate([y for _, y in whole])) <= {0, 1, 2, 3}


@pytest.mark.slow
def test_the_imagenet_recipe_runs_end_to_end_on_a_local_imagenet(imagenet_dir, tmp_path):
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import sys; from keras_resnet.cli import main; sys.exit(main())",
         "train", "--recipe", "imagenet_resnet50", "--data-dir", imagenet_dir,
         "--steps", "3", "--batch-size", "8", "--set", "image_size=64",
         "--set", "validation_size=16", "--set", "warmup_epochs=0", "--set", "loading=stream",
         "--output", str(tmp_path / "run"), "--quiet"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "adapted to the data: streaming the records" in result.stdout
    with open(tmp_path / "run" / "summary.json") as f:
        summary = json.load(f)
    # 3 steps, rounded up to whole epochs of the training records.
    assert summary["optimizer_steps"] == summary["total_steps"] >= 3
    assert summary["recipe"]["model"] == "ResNet50"
    assert summary["test"]["images"] == 24  # ImageNet's validation split is the test
    assert len(summary["test"]["per_class_accuracy"]) == 1000
