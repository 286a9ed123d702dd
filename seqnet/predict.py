"""What ``seqnet predict`` and ``seqnet evaluate`` do: a trained model applied to files.

Both take a run directory (or ``model.pt``) and an :class:`~seqnet.inputs.InputSpec`
naming inputs of the model's kind; the kind reads and prepares them as at training time
and :func:`seqnet.inference.predict` runs the model.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd

from seqnet.inputs import InputSpec
from seqnet.outputs import atomic_path, claim, write_json_atomic


def _run_input(run: str | Path) -> Path:
    """What an output must not replace: the run directory, or the checkpoint file given."""
    from seqnet.checkpoint import resolve_run

    path = resolve_run(run)
    return path.parent if Path(run).is_dir() else path


def _model_and_kind(run: str | Path, spec: InputSpec, purpose: str, device: str, rc_average: bool, **options):
    """The checked input kind, the trained model on its device, and the device (``options``:
    the command's other kind-specific parameters, checked by :func:`seqnet.kinds.detect`)."""
    from seqnet.checkpoint import load
    from seqnet.kinds import detect
    from seqnet.utils import resolve_device

    kind = detect(spec, purpose, rc_average=rc_average, **options)
    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    tm.require_kind(kind, run)
    return kind, tm, dev


def predict_table(run: str | Path, spec: InputSpec, *, rc_average: bool = False, batch_size: int = 1024,
                  device: str = "auto", crop: str | None = None) -> pd.DataFrame:
    """Predictions of a trained model for unlabelled inputs.

    Parameters
    ----------
    run : path
        Run directory or ``model.pt``.
    spec : InputSpec
        ``fasta`` (or ``bed`` + ``genome``), ``timeseries`` + ``conditions``, ``table``
        or ``images``, of the model's kind.  Sequences shorter than the model's input
        are padded with N; a longer one is an error naming it (score long sequences
        with ``seqnet scan``) unless ``crop="centre"``.  BED intervals shorter than the
        input get the window of the input's length centred on them (``tile``: cut into
        consecutive windows).  Arrays are prepared with the training statistics.
    rc_average : bool
        Average the predictions of both strands (sequences). Default is False.
    batch_size : int
        Default is 1024.
    device : str
        ``auto``, ``cpu`` or ``cuda[:N]``. Default is ``"auto"``.
    crop : str or None
        ``"centre"``: score the centre of sequences longer than the model's input.
        Default is None (they are an error).

    Returns
    -------
    pandas.DataFrame
        ``id``, then one column per task / class (probabilities) or regression target
        (values).
    """
    from seqnet import inference

    kind, tm, dev = _model_and_kind(run, spec, "predict", device, rc_average, crop=crop)
    ids, inputs = kind.read(spec, tm) if crop is None else kind.read(spec, tm, crop=crop)
    prob = inference.predict(tm.model, inputs, task_type=tm.task_type, batch_size=batch_size, device=dev,
                             rc_average=rc_average)
    table = pd.DataFrame(prob, columns=tm.names)
    table.insert(0, "id", ids)
    if tm.task_type == "multiclass":
        table["predicted"] = [tm.names[k] for k in prob.argmax(axis=1)] if len(prob) else []
    return table


def write_predictions(run: str | Path, spec: InputSpec, out: str | Path, **options) -> pd.DataFrame:
    """:func:`predict_table` written to ``out`` as TSV (atomically; ``out`` may not be an input).

    ``options`` are those of :func:`predict_table`.  Returns the table.
    """
    with claim(out, {**spec.files(), "run": _run_input(run)}):
        table = predict_table(run, spec, **options)
        with atomic_path(out) as tmp:
            table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    return table


def evaluate(run: str | Path, spec: InputSpec, *, out: str | Path | None = None,
             predictions: str | Path | None = None, out_dir: str | Path | None = None, rc_average: bool = False,
             batch_size: int = 1024, seed: int = 0, device: str = "auto", missing_labels: str = "error",
             crop: str | None = None) -> dict:
    """Metrics of a trained model on labelled inputs of its kind.

    Parameters
    ----------
    run : path
        Run directory or ``model.pt``.
    spec : InputSpec
        Labelled inputs of the model's kind (as for ``seqnet train``).
    out : path or None
        Also write the metrics here as JSON. Default is None.
    predictions : path or None
        Also write per-record labels and predictions here as TSV (as the run's
        ``test_predictions.tsv``, without the split column). Default is None.
    out_dir : path or None
        Also write a folder with ``metrics.json``, ``predictions.tsv`` and the figures
        (ROC / PR curves, confusion matrix, or a scatter plot for regression).
        Default is None.
    rc_average : bool
        Average the predictions of both strands (sequences). Default is False.
    batch_size : int
        Default is 1024.
    seed : int
        Seed of ``negatives="shuffle"``. Default is 0.
    device : str
        Default is ``"auto"``.
    missing_labels : str
        ``"error"``, or ``"mask"``: missing cells of a multi-label table are left out of
        their task's metrics. Default is ``"error"``.
    crop : str or None
        ``"centre"``: score the centre of sequences longer than the model's input;
        None: such a sequence is an error. Default is None.

    Returns
    -------
    dict
        As in ``metrics.json`` (see :mod:`seqnet.metrics`), with ``split`` ``"all"``.

    All outputs are written atomically and never over an input.
    """
    from seqnet import inference
    from seqnet.metrics import score

    sources = {**spec.files(), "run": _run_input(run)}
    wanted = {"out": out, "predictions": predictions, "out_dir": out_dir}
    with contextlib.ExitStack() as stack:
        for param, path in wanted.items():
            if path is not None:
                stack.enter_context(claim(path, sources, param=param, folder=param == "out_dir"))
        kind, tm, dev = _model_and_kind(run, spec, "evaluate", device, rc_average)
        ids, inputs, y = kind.load_for_model(spec, tm, seed=seed, missing=missing_labels, crop=crop)
        prob = inference.predict(tm.model, inputs, task_type=tm.task_type, batch_size=batch_size, device=dev,
                                 rc_average=rc_average)
        metrics = score(y, prob, tm.task_type, tm.names, split="all")
        _write_evaluation(wanted, metrics, ids, y, prob, tm)
    return metrics


def _write_evaluation(wanted: dict, metrics: dict, ids, y, prob, tm) -> None:
    """The outputs :func:`evaluate` was asked for."""
    from seqnet.outputs import staged_dir, write_bytes_atomic, write_text_atomic
    from seqnet.training.evidence import FIGURE_FILES, prediction_table, test_figures

    table = prediction_table(ids, y, prob, tm.names, tm.task_type)
    if wanted["out"] is not None:
        write_json_atomic(wanted["out"], metrics)
    if wanted["predictions"] is not None:
        write_text_atomic(wanted["predictions"], table.to_csv(sep="\t", index=False, float_format="%.6g"))
    if wanted["out_dir"] is not None:
        with staged_dir(wanted["out_dir"]) as tmp:
            write_json_atomic(tmp / "metrics.json", metrics)
            write_text_atomic(tmp / "predictions.tsv", table.to_csv(sep="\t", index=False, float_format="%.6g"))
            for title, png in test_figures(np.asarray(y), prob, tm.task_type, tm.names).items():
                write_bytes_atomic(tmp / FIGURE_FILES[title], png)
