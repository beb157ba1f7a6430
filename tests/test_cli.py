"""The `resnet` command: thin over the API, one-line errors with exit code 2."""

import pytest

from keras_resnet.cli import main


def test_summary_prints_the_model_and_its_macs(capsys):
    assert main(["summary", "ResNet20", "--input-shape", "28,28,1", "--classes", "10"]) == 0
    out = capsys.readouterr().out
    assert "conv4_block3_out" in out and "MACs per image: 30,821,248" in out


def test_unknown_model_is_a_one_line_error(capsys):
    assert main(["summary", "ResNet21"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("resnet: error: name='ResNet21' is not valid; allowed: ResNet18,")
    assert "\n" not in err


def test_bad_input_shape_is_a_one_line_error(capsys):
    assert main(["summary", "ResNet50", "--input-shape", "16,16,3"]) == 2
    assert capsys.readouterr().err.strip() == (
        "resnet: error: input_shape=(16, 16, 3) is not valid; allowed: height and width "
        "of at least 32 (the network's total stride), or None")
    with pytest.raises(SystemExit) as exit_info:
        main(["summary", "ResNet50", "--input-shape", "16,x,3"])
    assert exit_info.value.code == 2


def test_models_lists_the_names(capsys):
    assert main(["models"]) == 0
    assert capsys.readouterr().out.split()[:3] == ["ResNet18", "ResNet34", "ResNet50"]


@pytest.mark.parametrize("argv,message", [
    (["train", "--epochs", "-2"], "resnet: error: epochs=-2 is not valid; allowed: >= 0"),
    (["train", "--recipe", "cifar11"], "resnet: error: recipe='cifar11' is not valid; allowed: "),
    (["train", "--set", "optimizer=adam"],
     "resnet: error: optimizer='adam' is not valid; allowed: 'sgd', 'adamw'"),
    (["train", "--set", "lr=0.1"], "resnet: error: setting='lr' is not valid; allowed: description, model,"),
    (["train", "--resume", "/nonexistent/run"], "resnet: error: --resume='/nonexistent/run' is not valid"),
    (["train", "--resume", "/tmp", "--epochs", "3"],
     "resnet: error: --epochs is not valid with --resume: a resumed run keeps its own recipe"),
    (["train", "--batch-size", "0"], "resnet: error: batch_size=0 is not valid; allowed: > 0"),
    (["calibrate", "--rounds", "0"], "resnet: error: --rounds=0 is not valid; allowed: >= 1"),
])
def test_train_rejects_bad_arguments_at_once(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_train_refuses_to_overwrite_a_run(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{}")
    assert main(["train", "--output", str(tmp_path)]) == 2
    assert "holds another run; pass --resume to continue it or --overwrite" in capsys.readouterr().err
    assert (tmp_path / "config.json").read_text() == "{}"


def test_every_shipped_recipe_is_valid():
    import keras_resnet
    from keras_resnet.training.recipe import load_recipe, recipe_names

    assert {"fashion_mnist", "cifar_paper", "imagenet_resnet50"} <= set(recipe_names())
    for name in recipe_names():
        recipe = load_recipe(name)
        assert recipe.model in ("auto", *keras_resnet.list_models()) and recipe.description
