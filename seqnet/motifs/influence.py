"""Which first-layer filters does a model actually use?  Filter ablation.

A filter's *influence* is what the model loses when that filter is switched off: its
weights and bias in the first convolution are set to zero (so its output is 0
everywhere, the value of a filter that never matches), the data are scored again, and
the predictions are compared with the intact model's.  With labels the loss is the
drop in mean AUROC (Basset's filter influence, measured on the metric); without them,
the mean absolute change of the predicted probabilities.

Cost: ``F + 1`` prediction passes over the data (one per filter, plus the baseline),
so about ``F + 1`` times :func:`seqnet.inference.predict` — fine for hundreds of
filters and a few thousand sequences; subsample the sequences for more.

For models with batch norm after the first convolution, the zeroed output becomes the
batch norm's constant ``beta - gamma * mean / std`` rather than 0: the filter still
stops carrying any sequence information, which is what the ablation measures.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn as nn

from seqnet.errors import ConfigError, InputError
from seqnet.motifs.extract import _first_conv

__all__ = ["ablate_filter", "filter_influence"]


@contextlib.contextmanager
def ablate_filter(conv: nn.Conv1d, index: int) -> Iterator[nn.Conv1d]:
    """Zero output channel ``index`` of ``conv`` (weights and bias) inside a ``with``.

    The original values are copied back on leaving, also when the body raises, so the
    model is bit-for-bit what it was.

    Parameters
    ----------
    conv : torch.nn.Conv1d
        The convolution, e.g. ``model.first_conv``.
    index : int
        Output channel (filter) to switch off.

    Yields
    ------
    torch.nn.Conv1d
        ``conv`` itself, with the filter zeroed.
    """
    if not 0 <= index < conv.out_channels:
        raise ConfigError(f"filter index {index} out of range 0..{conv.out_channels - 1}")
    with torch.no_grad():
        weight = conv.weight[index].clone()
        bias = None if conv.bias is None else conv.bias[index].clone()
        try:
            conv.weight[index].zero_()
            if bias is not None:
                conv.bias[index].zero_()
            yield conv
        finally:
            conv.weight[index].copy_(weight)
            if bias is not None:
                conv.bias[index].copy_(bias)


def filter_influence(
    model: nn.Module,
    inputs,
    y: np.ndarray | None = None,
    *,
    task_type: str,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Influence of every first-layer filter on the model's predictions.

    Parameters
    ----------
    model : torch.nn.Module
        A model with a convolutional ``first_conv``, on ``device``.  It is left
        unchanged (weights restored, training mode as before).
    inputs : seqnet.kinds.sequence.SequenceInputs
        Sequences to score: tokens ``(N, L)``, alphabet, one-hot of unknown letters and
        real lengths of padded records.
    y : numpy.ndarray or None, shape=(N, T) or (N,)
        Labels as in training (0/1 per task; class indices for multi-class), or None.
        Default is None.
    task_type : str
        ``"binary"``, ``"multilabel"`` or ``"multiclass"``.
    batch_size : int, optional
        Sequences per forward pass. Default is 256.
    device : str or torch.device, optional
        Where to compute. Default is ``"cpu"``.

    Returns
    -------
    numpy.ndarray, shape=(F,), float64
        With ``y``: baseline mean AUROC minus the mean AUROC with the filter zeroed
        (positive = the filter helps; about 0 = unused).  Without ``y``: the mean
        absolute change of the predicted probabilities over all sequences and outputs.

    Raises
    ------
    ConfigError
        For a model without a convolutional first layer or an unknown task type.
    InputError
        When ``y`` does not match the sequences or no task has both classes.
    """
    from seqnet.inference import predict
    from seqnet.metrics import classification_metrics

    if task_type not in ("binary", "multilabel", "multiclass"):
        raise ConfigError(f"task_type must be binary, multilabel or multiclass, got {task_type!r}")
    conv = _first_conv(model, inputs.alphabet)
    kw = dict(task_type=task_type, batch_size=batch_size, device=device)
    base = predict(model, inputs, **kw)
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(inputs):
            raise InputError(f"got {len(y)} labels for {len(inputs)} sequences")
        names = [f"t{i}" for i in range(base.shape[1])]

        def mean_auroc(prob: np.ndarray) -> float:
            auroc = classification_metrics(y, prob, task_type, names)["auroc"]["mean"]
            if auroc is None:
                raise InputError("no task has both positive and negative labels: AUROC is undefined")
            return auroc

        baseline = mean_auroc(base)
    out = np.zeros(conv.out_channels)
    for f in range(conv.out_channels):
        with ablate_filter(conv, f):
            prob = predict(model, inputs, **kw)
        out[f] = baseline - mean_auroc(prob) if y is not None else float(np.abs(prob - base).mean())
    return out
