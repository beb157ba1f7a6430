"""The degradation experiment of He et al. 2015 (Figures 1 and 6, section 4.1)
on Fashion-MNIST: plain and residual nets of two depths, the same recipe.

    resnet experiment degradation --depths 20,56 --seeds 0,1 --steps 500

For every seed, depth and kind — "plain", "plain-nobn" (without BatchNorm)
and "resnet" — it trains through `keras_resnet.training.fit.train` with the GradientFlow
callback, evaluating the test images every `eval_every` steps for the curves
only (no model selection: the paper's figures plot test error the same way),
then writes into OUT:

    <kind>-<depth>-seed<s>/   each run (keras_resnet.training.run_dir layout + gradients.csv…)
    errors.png                training error (dashed) and test error (bold)
                              against iterations, plain nets left, ResNets right
    gradients.png             gradient norm against layer depth at
                              initialisation and after training (deepest nets)
    summary.json, summary.md  the table: errors averaged over the last quarter
                              of the evaluations and over seeds, whether
                              degradation appeared and whether shortcuts removed
                              it, and which way gradient norms went with depth
"""

import dataclasses
import os

import numpy as np

from keras_resnet.arguments import invalid
from keras_resnet.atomic_files import write_csv, write_text
from keras_resnet.training.run_dir import RunDir

KINDS = {"plain": {"shortcut": "none"},
         "plain-nobn": {"shortcut": "none", "batch_norm": False},
         "resnet": {}}
DEPTHS = (20, 32, 44, 56, 110)
LAST = 0.25  # the stretch of evaluations the table averages


def run_experiment(out_dir, *, depths=(20, 56), seeds=(0, 1), kinds=tuple(KINDS), steps=500,
                   batch_size=128, eval_every=100, grad_every=50, train_limit=0,
                   test_images=2000, verbose=2):
    """Trains every net and writes the figures and the table; returns the table."""
    check(depths, seeds, kinds)
    from keras_resnet.experiments.diagnostics import GradientFlow, plot_gradient_norms
    from keras_resnet.training.data import eval_split, load_splits
    from keras_resnet.training.fit import TrainingFailed, train
    from keras_resnet.training.recipe import load_recipe

    base = load_recipe("fashion_mnist", {
        "epochs": 0, "steps": steps, "steps_per_epoch": eval_every, "batch_size": batch_size,
        "train_limit": train_limit, "test_limit": test_images, "validation_size": 0,
        "schedule": "multistep", "milestones": [0.5, 0.75], "warmup_epochs": 0,
        "label_smoothing": 0.0, "weight_decay": 1e-4})  # the paper's CIFAR recipe
    splits = load_splits(base)
    # The test images stand in for the validation split: curves, not selection.
    splits = dataclasses.replace(splits, validation=splits.test)
    probe = next(iter(eval_split(splits, "test", base)))[0]
    os.makedirs(out_dir, exist_ok=True)
    runs = []
    for seed in seeds:
        for depth in depths:
            for kind in kinds:
                name = f"{kind}-{depth}-seed{seed}"
                recipe = dataclasses.replace(base, model=f"ResNet{depth}", seed=seed,
                                             model_options=dict(KINDS[kind]))
                path = os.path.join(out_dir, name)
                flow = GradientFlow(path, probe, every=grad_every)
                try:
                    summary = train(recipe, path, overwrite=True, verbose=verbose,
                                    splits=splits, callbacks=[flow])
                    history, failure = summary["history"], None
                except TrainingFailed as error:  # e.g. a NaN loss without BatchNorm
                    state = os.path.join(path, "state.json")
                    history = RunDir(path).read_state()["history"] if os.path.exists(state) \
                        else []
                    failure = str(error)
                runs.append({"kind": kind, "depth": depth, "seed": seed, "name": name,
                             "history": history, "failure": failure,
                             "gradients": flow.gradients})
    table = summarize(runs, eval_every)
    plot_errors(runs, eval_every, os.path.join(out_dir, "errors.png"))
    deepest = max(depths)
    report_grads = {f"{r['kind']}-{deepest} (seed {seeds[0]})": r["gradients"] for r in runs
                    if r["depth"] == deepest and r["seed"] == seeds[0] and r["gradients"]}
    plot_gradient_norms(report_grads, os.path.join(out_dir, "gradients.png"))
    RunDir(out_dir).write_json("summary.json", table)
    text = markdown(table)
    write_text(os.path.join(out_dir, "summary.md"), text)
    write_csv(os.path.join(out_dir, "curves.csv"), _curve_rows(runs, eval_every))
    return table


def check(depths, seeds, kinds):
    """Raises ValueError naming a bad depth, seed list or kind (no TensorFlow)."""
    for depth in depths:
        if depth not in DEPTHS:
            raise invalid("depth", depth, ", ".join(map(str, DEPTHS)))
    for kind in kinds:
        if kind not in KINDS:
            raise invalid("kind", kind, ", ".join(KINDS))
    if not seeds or len(set(seeds)) != len(seeds):
        raise invalid("seeds", list(seeds), "distinct integers")


def summarize(runs, eval_every):
    """Errors over the last LAST of the evaluations, mean over seeds; verdicts."""
    nets = {}
    for r in runs:
        nets.setdefault((r["kind"], r["depth"]), []).append(r)
    rows = []
    for (kind, depth), group in sorted(nets.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        finished = [r for r in group if not r["failure"] and r["history"]]
        train_err = [_tail_mean([1 - h["accuracy"] for h in r["history"]]) for r in finished]
        test_err = [_tail_mean([1 - h["val_accuracy"] for h in r["history"]]) for r in finished]
        slopes = {when: [_depth_slope(r["gradients"], when) for r in group if r["gradients"]]
                  for when in ("first", "last")}
        rows.append({
            "net": f"{kind}-{depth}", "kind": kind, "depth": depth,
            "seeds": len(group), "diverged": len(group) - len(finished),
            "train_error": float(np.mean(train_err)) if train_err else None,
            "test_error": float(np.mean(test_err)) if test_err else None,
            "train_error_per_seed": train_err,
            "grad_slope_at_init": _mean(slopes["first"]),
            "grad_slope_after_training": _mean(slopes["last"]),
        })
    by_net = {(r["kind"], r["depth"]): r for r in rows}
    verdicts = {}
    depths = sorted({r["depth"] for r in rows})
    if len(depths) >= 2:
        shallow, deep = depths[0], depths[-1]
        for kind in sorted({r["kind"] for r in rows}):
            a, b = by_net.get((kind, shallow)), by_net.get((kind, deep))
            if a and b and a["train_error"] is not None and b["train_error"] is not None:
                verdicts[kind] = {"shallow": shallow, "deep": deep,
                                  "deeper_has_higher_train_error":
                                      b["train_error"] > a["train_error"],
                                  "difference": b["train_error"] - a["train_error"]}
    return {"evaluated_every": eval_every, "averaged_over": f"last {LAST:.0%} of evaluations",
            "nets": rows, "deeper_vs_shallower": verdicts}


def markdown(table):
    lines = ["| net | seeds | diverged | train error | test error | "
             "log10 grad-norm slope per 10 layers, init → trained |",
             "|---|--:|--:|--:|--:|--:|"]
    for r in table["nets"]:
        lines.append(f"| {r['net']} | {r['seeds']} | {r['diverged']} | "
                     f"{_pct(r['train_error'])} | {_pct(r['test_error'])} | "
                     f"{_num(r['grad_slope_at_init'])} → {_num(r['grad_slope_after_training'])} |")
    lines.append("")
    for kind, v in table["deeper_vs_shallower"].items():
        verdict = "higher" if v["deeper_has_higher_train_error"] else "not higher"
        lines.append(f"- {kind}: the {v['deep']}-layer net's training error is {verdict} than "
                     f"the {v['shallow']}-layer net's ({100 * v['difference']:+.2f} points)")
    lines += ["", "Errors: mean over the last quarter of the evaluations, then over seeds. "
              "Slope: least-squares slope of log10(gradient norm) against depth, ×10; "
              "negative means the norms shrink towards the output, positive that they "
              "shrink towards the input (vanishing).", ""]
    return "\n".join(lines)


def plot_errors(runs, eval_every, path):
    """Figure 6 of the paper: training error dashed, test error bold, per net
    (mean over seeds), one panel per kind."""
    from keras_resnet.training import plots  # matplotlib: not for the CLI's checks

    kinds = list(dict.fromkeys(r["kind"] for r in runs))
    figure, axes = plots.plt.subplots(1, len(kinds), figsize=(5.5 * len(kinds), 4),
                                      squeeze=False, sharey=True)
    for ax, kind in zip(axes[0], kinds):
        depths = sorted({r["depth"] for r in runs if r["kind"] == kind})
        for color, depth in enumerate(depths):
            group = [r["history"] for r in runs if (r["kind"], r["depth"]) == (kind, depth)
                     and r["history"]]
            if not group:
                continue
            n = min(len(h) for h in group)
            steps = [eval_every * (i + 1) for i in range(n)]
            for key, style, width, label in (("accuracy", "--", 1, "train"),
                                             ("val_accuracy", "-", 2.2, "test")):
                error = np.mean([[100 * (1 - h[i][key]) for i in range(n)] for h in group], 0)
                ax.plot(steps, error, style, linewidth=width, color=f"C{color}",
                        label=f"{kind}-{depth} {label}")
        ax.set_title(kind)
        ax.set_xlabel("iterations")
        ax.set_ylabel("error (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    plots.save_figure(figure, path)


def _curve_rows(runs, eval_every):
    return [{"net": f"{r['kind']}-{r['depth']}", "seed": r["seed"], "step": eval_every * (i + 1),
             "train_error": 1 - h["accuracy"], "test_error": 1 - h["val_accuracy"]}
            for r in runs for i, h in enumerate(r["history"])]


def _depth_slope(rows, when):
    steps = sorted({r["step"] for r in rows})
    step = steps[0] if when == "first" else steps[-1]
    chosen = [r for r in rows if r["step"] == step and r["grad_norm"] > 0]
    if len(chosen) < 2:
        return None
    depth = np.array([r["depth"] for r in chosen], float)
    return float(10 * np.polyfit(depth, np.log10([r["grad_norm"] for r in chosen]), 1)[0])


def _tail_mean(values):
    k = max(1, round(LAST * len(values)))
    return float(np.mean(values[-k:]))


def _mean(values):
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _pct(value):
    return "–" if value is None else f"{100 * value:.2f}%"


def _num(value):
    return "–" if value is None else f"{value:+.2f}"
