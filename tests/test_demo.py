"""`make demo`, shortened to 400 steps of 32 images: interrupted with Ctrl-C
after its first epoch, resumed with RESUME=, then checked file by file."""

import json
import os
import re
import signal
import subprocess
import time

import pytest

from keras_resnet.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _interruptible():
    # A terminal's default; a shell's background job starts with SIGINT ignored
    # and would pass that on.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _make(*args):
    return subprocess.Popen(["make", "--no-print-directory", "demo", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=_interruptible)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(first output, resumed output, run directory) of an interrupted demo."""
    parent = tmp_path_factory.mktemp("demo_runs")
    first = _make("STEPS=400", "BATCH=32", f"OUTPUT={parent}")
    deadline = time.time() + 300
    while time.time() < deadline and first.poll() is None:
        runs = os.listdir(parent)
        if runs and os.path.exists(os.path.join(parent, runs[0], "state.json")):
            break
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    first_output = first.communicate(timeout=120)[0]
    (run,) = os.listdir(parent)
    run = os.path.join(parent, run)
    resumed = _make(f"RESUME={run}")
    resumed_output = resumed.communicate(timeout=600)[0]
    assert resumed.returncode == 0, resumed_output[-3000:]
    return first_output, resumed_output, run


@pytest.mark.slow
def test_ctrl_c_leaves_a_run_that_resume_finishes(demo):
    first_output, resumed_output, run = demo
    assert f"interrupted; continue with: make demo RESUME={run}" in first_output
    with open(os.path.join(run, "summary.json")) as f:
        summary = json.load(f)
    assert summary["optimizer_steps"] == summary["total_steps"] == 400
    assert [h["epoch"] for h in summary["history"]] == [1, 2]


@pytest.mark.slow
def test_a_ready_machine_makes_no_pip_or_apt_call(demo):
    first_output, resumed_output, _ = demo
    for output in (first_output, resumed_output):
        assert "pip install" not in output, "the venv stamp is stale: run make test"
        assert "apt-get" not in output


@pytest.mark.slow
def test_printed_summary_and_reports_state_the_same_figures(demo):
    _, output, run = demo
    with open(os.path.join(run, "demo.json")) as f:
        result = json.load(f)
    with open(os.path.join(run, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(run, "export", "report.json")) as f:
        exported = json.load(f)
    with open(os.path.join(run, "demo.md")) as f:
        assert f.read() in output

    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in output.splitlines() if line.startswith("| Keras") or
            line.startswith("| TFLite")}
    keras_row = rows["Keras float32 (best.keras)"]
    assert float(keras_row[0]) == round(summary["test"]["accuracy"], 4)
    assert float(keras_row[0]) == round(result["accuracy"]["keras"], 4)
    assert float(keras_row[1]) == round(os.path.getsize(f"{run}/checkpoints/best.keras") / 1024, 1)
    for q in ("float32", "int8"):
        accuracy, kib, one, two = rows[f"TFLite {q}"]
        variant = exported["variants"][q]
        assert float(accuracy) == round(variant["accuracy"], 4) == round(result["accuracy"][q], 4)
        assert float(kib) == round(os.path.getsize(variant["file"]) / 1024, 1)
        assert float(one) == round(variant["latency"]["1_thread"]["median_ms"], 3)
        assert float(two) == round(variant["latency"]["2_thread"]["median_ms"], 3)
        assert variant["images"] == summary["test"]["images"] == 10000
    # every step ran and wrote its files
    files = result["files"]
    for path in [files["model"], files["tflite_float32"], files["tflite_int8"],
                 *files["reports"], *files["plots"]]:
        assert os.path.getsize(path) > 0, path
    for name in ("model_float32.json", "model_int8.json", "saved_model"):
        assert os.path.exists(os.path.join(run, "export", name))
    assert result["android"] in output
    # the time estimate, measured over the first training steps of each session
    for session in demo[:2]:
        assert re.search(r"expected: about \d+\.\d min from the start of training to the "
                         r"report \(a training step took 0\.\d{3} s here, \d+ images/s\)",
                         session)
    assert 0 < result["expected_seconds"] < 3600
    assert f"against {result['expected_seconds'] / 60:.1f} min expected" in output
    # TensorFlow's pools, sized to the cores this process may use
    with open(os.path.join(run, "config.json")) as f:
        threads = json.load(f)["device"]["threads"]
    assert threads["intra_op"] == threads["inter_op"] == threads["cores"]
    assert threads["cores"] <= len(os.sched_getaffinity(0))


@pytest.mark.slow
def test_the_short_demo_learns_and_int8_stays_within_a_point(demo):
    _, _, run = demo
    with open(os.path.join(run, "demo.json")) as f:
        accuracy = json.load(f)["accuracy"]
    # 400 steps of 32 images: measured 0.793 (int8 0.793); chance is 0.1
    assert accuracy["keras"] > 0.7
    assert accuracy["float32"] == pytest.approx(accuracy["keras"], abs=1e-4)
    assert accuracy["int8"] >= accuracy["keras"] - 0.01


def test_two_demo_runs_never_share_a_directory(tmp_path):
    from keras_resnet.cli.options import new_run_dir

    first = new_run_dir(str(tmp_path), "demo")
    os.makedirs(first)
    second = new_run_dir(str(tmp_path), "demo")
    assert second != first and not os.path.exists(second)


@pytest.mark.parametrize("argv, message", [
    (["demo", "--steps", "-5"], "steps=-5 is not valid"),
    (["demo", "--batch-size", "0"], "batch_size=0 is not valid"),
    (["demo", "--dataset", "mnist"], "dataset='mnist' is not valid"),
    (["demo", "--resume", "/nonexistent/run"], "is not valid; allowed: a run directory"),
])
def test_bad_demo_arguments_are_one_line_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("steps,window,timed", [
    (5, None, 0), (15, 5, 10), (59, 10, 49), (60, 50, 10), (400, 50, 100)])
def test_the_step_timer_skips_the_fast_first_steps_and_reports_once(steps, window, timed):
    from keras_resnet.training.callbacks import StepTimer

    reports = []
    timer = StepTimer(reports.append)
    timer.params = {"steps": steps}
    for epoch in range(2):  # only the first epoch is timed
        timer.on_epoch_begin(epoch)
        for batch in range(steps):
            if window is not None and window <= batch < window + timed:
                time.sleep(0.002)  # only the window's steps are slow
            timer.on_train_batch_end(batch)
        timer.on_test_begin()
        timer.on_epoch_end(epoch)
    assert len(reports) == (1 if timed else 0)
    if timed:
        assert 0.002 <= reports[0] < 0.01


def test_the_epoch_timer_reports_the_second_epoch_and_the_estimate_inverts_its_model():
    """The re-estimate after two epochs: the timer reports the second epoch a
    fit runs (the first also traces), once; an epoch's time (steps and
    validation) gives back the step time that the estimate's model of an
    epoch was built from."""
    from keras_resnet.demo.report import (EXPORT_SECONDS, estimate_seconds,
                                          seconds_per_step_from_epoch)
    from keras_resnet.training.callbacks import SteadyEpochTimer

    reports = []
    timer = SteadyEpochTimer(lambda epoch, seconds: reports.append((epoch, seconds)))
    for epoch, seconds in ((3, 0.05), (4, 0.01), (5, 0.05)):  # a resumed run starts at 3
        timer.on_epoch_begin(epoch)
        time.sleep(seconds)
        timer.on_epoch_end(epoch)
    assert len(reports) == 1 and reports[0][0] == 4 and 0.01 <= reports[0][1] < 0.05
    plan = {"epochs": 10, "steps_per_epoch": 400, "total_steps": 4000}
    step, validation, test = 0.2, 5000, 10000
    one_epoch = (estimate_seconds(plan, 9, 128, step, validation, 0)
                 - estimate_seconds(plan, 10, 128, step, validation, 0))
    assert seconds_per_step_from_epoch(plan, 128, one_epoch, validation) == pytest.approx(step)
    assert estimate_seconds(plan, 1, 128, step, validation, test) == pytest.approx(
        9 * one_epoch + 3 * test * step / 128 / 3 + EXPORT_SECONDS)
