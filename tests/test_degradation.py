"""The degradation experiment: end to end on a tiny budget, and its verdicts."""

import csv
import json
import os

import numpy as np
import pytest

from keras_resnet.cli import main
from keras_resnet.experiments.degradation import summarize


@pytest.mark.slow
def test_experiment_command_writes_every_figure_and_the_table(tmp_path, capsys):
    out = tmp_path / "degradation"
    # Every kind, one seed (the seed averaging is checked below on handmade runs).
    assert main(["experiment", "degradation", "--depths", "20,32", "--seeds", "0",
                 "--steps", "6", "--batch-size", "32", "--eval-every", "3",
                 "--grad-every", "3", "--train-limit", "256", "--test-images", "64",
                 "--output", str(out), "--quiet"]) == 0
    for name in ("errors.png", "gradients.png", "summary.md", "summary.json", "curves.csv"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "summary.json") as f:
        table = json.load(f)
    nets = {r["net"]: r for r in table["nets"]}
    assert set(nets) == {f"{k}-{d}" for k in ("plain", "plain-nobn", "resnet")
                         for d in (20, 32)}
    for row in nets.values():
        assert row["seeds"] == 1
        assert row["diverged"] or 0 <= row["train_error"] <= 1
        # Every main-path kernel (19 convolutions and the classifier of a
        # 20-layer net, 31 + 1 at 32 layers) at the initial step and every 3rd.
        with open(out / f"{row['net']}-seed0" / "gradients.csv") as f:
            rows = list(csv.DictReader(f))
        steps = sorted({int(r["step"]) for r in rows})
        assert steps == [1, 3, 6] or row["diverged"] and steps[0] == 1
        initial = [r for r in rows if r["step"] == "1"]
        assert [int(r["depth"]) for r in initial] == list(range(1, row["depth"] + 1))
        norms = np.array([float(r["grad_norm"]) for r in initial])
        assert np.all(np.isfinite(norms)) and np.all(norms > 0), row["net"]
        slope = 10 * np.polyfit(np.arange(1, row["depth"] + 1), np.log10(norms), 1)[0]
        assert row["grad_slope_at_init"] == pytest.approx(slope, rel=1e-6), row["net"]
    assert set(table["deeper_vs_shallower"]) <= {"plain", "plain-nobn", "resnet"}
    for run in ("plain-20-seed0", "resnet-32-seed0"):
        assert os.path.getsize(out / run / "gradients.csv") > 0
        assert os.path.getsize(out / run / "activations.csv") > 0
    printed = capsys.readouterr().out
    assert "| plain-32 |" in printed and "errors.png" in printed


def _run(kind, depth, seed, train_errors, norms):
    history = [{"accuracy": 1 - e, "val_accuracy": 1 - e - 0.01} for e in train_errors]
    gradients = [{"step": step, "depth": d, "grad_norm": n}
                 for step, row in ((1, norms), (9, norms)) for d, n in enumerate(row, 1)]
    return {"kind": kind, "depth": depth, "seed": seed, "history": history,
            "failure": None, "gradients": gradients}


def test_summary_averages_the_last_quarter_and_seeds_and_states_the_verdict():
    runs = [_run("plain", 20, s, [0.5, 0.4, 0.3, 0.2], [1, 1, 1]) for s in (0, 1)]
    runs += [_run("plain", 56, 0, [0.5, 0.45, 0.4, 0.3], [0.01, 0.1, 1]),
             _run("plain", 56, 1, [0.5, 0.45, 0.4, 0.4], [0.01, 0.1, 1])]
    table = summarize(runs, eval_every=100)
    rows = {r["net"]: r for r in table["nets"]}
    assert rows["plain-20"]["train_error"] == pytest.approx(0.2)
    assert rows["plain-56"]["train_error"] == pytest.approx(0.35)  # last point, 2 seeds
    assert rows["plain-56"]["grad_slope_at_init"] == pytest.approx(10.0)  # 10×/layer ×10
    verdict = table["deeper_vs_shallower"]["plain"]
    assert verdict["deeper_has_higher_train_error"]
    assert verdict["difference"] == pytest.approx(0.15)
