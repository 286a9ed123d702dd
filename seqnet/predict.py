"""What ``seqnet predict`` and ``seqnet evaluate`` do: a trained model applied to files.

Both take a run directory (or ``model.pt``) and an :class:`~seqnet.inputs.InputSpec`
naming inputs of the model's kind; the kind reads and prepares them as at training time
and :func:`seqnet.inference.predict` runs the model.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd

from seqnet.inputs import InputSpec
from seqnet.outputs import atomic_path, claim, write_json_atomic


def _run_input(run: str | Path) -> Path:
    """What an output must not replace: the run directory, or the checkpoint file given."""
    from seqnet.checkpoint import resolve_run

    path = resolve_run(run)
    return path.parent if Path(run).is_dir() else path


def _model_and_kind(run: str | Path, spec: InputSpec, purpose: str, device: str, rc_average: bool):
    """The checked input kind, the trained model on its device, and the device."""
    from seqnet.checkpoint import load
    from seqnet.kinds import detect
    from seqnet.utils import resolve_device

    kind = detect(spec, purpose, rc_average=rc_average)
    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    tm.require_kind(kind, run)
    return kind, tm, dev


def predict_table(run: str | Path, spec: InputSpec, *, rc_average: bool = False, batch_size: int = 1024,
                  device: str = "auto") -> pd.DataFrame:
    """Predictions of a trained model for unlabelled inputs.

    Parameters
    ----------
    run : path
        Run directory or ``model.pt``.
    spec : InputSpec
        ``fasta``, ``timeseries`` + ``conditions``, ``table`` or ``images``, of the
        model's kind.  Sequences of another length than the model's are centre-cropped
        or padded with N; arrays are prepared with the training statistics.
    rc_average : bool
        Average the predictions of both strands (sequences). Default is False.
    batch_size : int
        Default is 1024.
    device : str
        ``auto``, ``cpu`` or ``cuda[:N]``. Default is ``"auto"``.

    Returns
    -------
    pandas.DataFrame
        ``id``, then one column per task / class (probabilities) or regression target
        (values).
    """
    from seqnet import inference

    kind, tm, dev = _model_and_kind(run, spec, "predict", device, rc_average)
    ids, inputs = kind.read(spec, tm)
    prob = inference.predict(tm.model, inputs, task_type=tm.task_type, batch_size=batch_size, device=dev,
                             rc_average=rc_average)
    table = pd.DataFrame(prob, columns=tm.names)
    table.insert(0, "id", ids)
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


def evaluate(run: str | Path, spec: InputSpec, *, out: str | Path | None = None, rc_average: bool = False,
             batch_size: int = 1024, seed: int = 0, device: str = "auto", missing_labels: str = "error") -> dict:
    """Metrics of a trained model on labelled inputs of its kind.

    Parameters
    ----------
    run : path
        Run directory or ``model.pt``.
    spec : InputSpec
        Labelled inputs of the model's kind (as for ``seqnet train``).
    out : path or None
        Also write the metrics here as JSON (atomically; never over an input).
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

    Returns
    -------
    dict
        As in ``metrics.json`` (see :mod:`seqnet.metrics`), with ``split`` ``"all"``.
    """
    from seqnet import inference
    from seqnet.metrics import score

    holder = claim(out, {**spec.files(), "run": _run_input(run)}) if out is not None else contextlib.nullcontext()
    with holder:
        kind, tm, dev = _model_and_kind(run, spec, "evaluate", device, rc_average)
        inputs, y = kind.load_for_model(spec, tm, seed=seed, missing=missing_labels)
        prob = inference.predict(tm.model, inputs, task_type=tm.task_type, batch_size=batch_size, device=dev,
                                 rc_average=rc_average)
        metrics = score(y, prob, tm.task_type, tm.names, split="all")
        if out is not None:
            write_json_atomic(out, metrics)
    return metrics
