"""The `resnet` command: thin over the API, one-line errors with exit code 2."""

import pytest

from resnet_cli import main


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
