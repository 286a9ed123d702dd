"""What a run keeps to show what the model learned: test metrics beside baselines and
confound checks, the test predictions, figures and ``report.html``.

:func:`score_test` scores the held-out test split and fits the baselines on the same split
(:mod:`seqnet.baselines`); :func:`write_evidence` writes ``test_predictions.tsv``,
``history.png``, ``curves.png`` (ROC / PR; ``scatter.png`` for regression),
``confusion.png`` (multi-class) and ``report.html`` into the run's scratch folder.
"""

from __future__ import annotations

import datetime as _dt
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from seqnet import inference
from seqnet.baselines import baselines as fit_baselines
from seqnet.metrics import score
from seqnet.outputs import write_bytes_atomic, write_text_atomic

log = logging.getLogger("seqnet")


def score_test(job, device, level: str) -> tuple[dict, np.ndarray]:
    """Test metrics (with ``baselines`` and ``checks``) and the test probabilities ``(N, T)``."""
    data, test = job.data, job.parts["test"]
    n_out = len(data.names)
    if len(test):
        prob = inference.predict(job.model, job.kind.inputs(test, job.preprocess), task_type=data.task_type,
                                 device=device)
        metrics = score(test.y, prob, data.task_type, data.names, split="test")
    else:
        log.info("no test split (test fraction 0): metrics.json has no scores")
        prob = np.zeros((0, n_out))
        metrics = score(data.y[:0], prob, data.task_type, data.names, split="test")
    log.info("test: n=%d, %s", metrics["n"], summary(metrics))
    found = fit_baselines(job.parts, level)
    if found:
        metrics["baselines"] = found
        key = "pearson" if "pearson" in metrics else "auroc"
        log.info("baselines: %s", ", ".join(f"{k} mean {key} {_fmt(v[key]['mean'])}" for k, v in found.items()))
    def predict(inputs):
        return inference.predict(job.model, inputs, task_type=data.task_type, device=device)

    checks = job.kind.checks(predict, data, test, job.preprocess)
    if checks:
        metrics["checks"] = checks
        log.info("checks: %s", ", ".join(f"{k} {_fmt(v)}" for k, v in checks.items()))
    return metrics, prob


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.4f}"


def summary(metrics: dict) -> str:
    """The test line of the log: mean AUROC (+ accuracy, macro-F1), or mean Pearson and MSE."""
    if "pearson" in metrics:
        return f"mean Pearson {_fmt(metrics['pearson']['mean'])}, mean MSE {_fmt(metrics['mse']['mean'])}"
    text = f"mean AUROC {_fmt(metrics['auroc']['mean'])}"
    if "accuracy" in metrics:
        text += f", accuracy {_fmt(metrics['accuracy'])}, macro-F1 {_fmt(metrics['macro_f1'])}"
    return text


def prediction_table(ids: list[str], y: np.ndarray, prob: np.ndarray, names: list[str], task_type: str,
                     split: str | None = None) -> pd.DataFrame:
    """``id`` (``split``), the label(s), then one probability (or value) column per output;
    multi-class tables add the ``predicted`` class.

    Label columns are ``label`` (multi-class: the class name) or ``<task>_label``;
    probability columns are the output names.
    """
    table = pd.DataFrame({"id": ids})
    if split is not None:
        table["split"] = split
    y = np.asarray(y)
    if task_type == "multiclass":
        table["label"] = [names[int(k)] for k in y]
    else:
        for t, name in enumerate(names):
            table[f"{name}_label"] = y.reshape(len(y), len(names))[:, t]
    for t, name in enumerate(names):
        table[name] = prob[:, t]
    if task_type == "multiclass":
        table["predicted"] = [names[k] for k in prob.argmax(axis=1)] if len(prob) else []
    return table


def figures(result, test, prob: np.ndarray, task_type: str, names: list[str]) -> dict[str, bytes]:
    """Title -> PNG: training curves, then the test figures (:func:`test_figures`)."""
    from seqnet.report import plots

    figs = {"training curves": plots.history_png(result.history, task_type)} if result.history else {}
    if len(test):
        figs.update(test_figures(np.asarray(test.y), prob, task_type, names))
    return figs


def test_figures(y: np.ndarray, prob: np.ndarray, task_type: str, names: list[str]) -> dict[str, bytes]:
    """Title -> PNG for labelled predictions: ROC / PR curves (and a confusion matrix for
    multi-class), or predicted vs true values for regression."""
    from seqnet.report import plots

    if task_type == "regression":
        return {"test predictions vs targets": plots.scatter_png(y, prob, names)}
    figs = {"test ROC and precision-recall curves": plots.curves_png(y, prob, names, task_type)}
    if task_type == "multiclass":
        figs["test confusion matrix"] = plots.confusion_png(y, prob, names)
    return figs


#: Where each figure goes in the run directory.
FIGURE_FILES = {"training curves": "history.png", "test ROC and precision-recall curves": "curves.png",
                "test predictions vs targets": "scatter.png", "test confusion matrix": "confusion.png"}


def write_evidence(tmp: Path, job, result, metrics: dict, prob: np.ndarray, warnings: list[str], name: str) -> None:
    """``test_predictions.tsv``, the figures and ``report.html`` into ``tmp``."""
    from seqnet.report.html import render

    data, test = job.data, job.parts["test"]
    table = prediction_table(test.ids, test.y, prob, data.names, data.task_type, split="test")
    write_text_atomic(tmp / "test_predictions.tsv", table.to_csv(sep="\t", index=False, float_format="%.6g"))
    figs = figures(result, test, prob, data.task_type, data.names)
    for title, png in figs.items():
        write_bytes_atomic(tmp / FIGURE_FILES[title], png)
    cfg = job.cfg
    facts = {
        "inputs": ", ".join(f"{k}={v['path']}" for k, v in (cfg.get("inputs") or {}).items()) or "-",
        "model": f"{cfg['model']} ({sum(p.numel() for p in job.model.parameters()):,} parameters)",
        "task": f"{data.task_type}: {', '.join(data.names[:8])}{' ...' if len(data.names) > 8 else ''}",
        "recipe": ", ".join(f"{k}={v}" for k, v in cfg["train"].items()),
        "seed": cfg["seed"],
        "kept epoch": f"{result.best_epoch} of {len(result.history)}" + (" (stopped early)" if result.stopped_early else ""),
        "written": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }
    page = render(title=f"seqnet run: {name}", facts=facts, warnings=warnings,
                  data_summary=job.kind.data_summary(job.parts), metrics=metrics, figures=figs)
    write_text_atomic(tmp / "report.html", page)


def log_header(device) -> None:
    """The first lines of ``train.log``: date, versions, device and the command line."""
    import torch

    from seqnet import __version__

    log.info("%s; seqnet %s, torch %s, Python %s; device %s", _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
             __version__, torch.__version__, sys.version.split()[0], device)
    from seqnet.provenance import COMMAND

    log.info("command: %s", COMMAND.get() or "(called from Python)")
