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

:func:`group_effects` switches off groups of filters together (the members of one motif
cluster) and reports the signed change of every output's predicted probability, so a
motif reads as "raises P(Oct4)" or "lowers it".  It computes the first convolution once
per batch and replays its output with the group's channels zeroed, which is what
zeroing their weights and bias gives, so each group costs a pass through the layers
above the first convolution only.

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

__all__ = ["ablate_filter", "filter_influence", "group_effects"]


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


class _Replay:
    """Record the first convolution's outputs of one forward pass, then replay them with
    some channels zeroed (the same outputs as zeroing those filters' weights and bias)."""

    def __init__(self, conv: nn.Conv1d) -> None:
        self.conv, self.outputs, self.calls = conv, [], 0
        self.zeroed: list[int] = []

    def record(self, module, args, output):
        self.outputs.append(output.detach())

    def replay(self, x: torch.Tensor) -> torch.Tensor:
        out = self.outputs[self.calls].clone()
        self.calls += 1
        out[:, self.zeroed] = 0.0
        return out


def group_effects(
    model: nn.Module,
    inputs,
    groups: list[list[int]],
    *,
    task_type: str,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Signed effect of each group of first-layer filters on each output's prediction.

    Parameters
    ----------
    model : torch.nn.Module
        A model with a convolutional ``first_conv``, on ``device``; left unchanged.
    inputs : seqnet.kinds.sequence.SequenceInputs
        Sequences to score.
    groups : list of list of int
        Filter indices switched off together (one motif cluster each).
    task_type : str
        ``"binary"``, ``"multilabel"``, ``"multiclass"`` (per-class probabilities) or
        ``"regression"`` (the predicted values).
    batch_size : int, optional
        Sequences per forward pass. Default is 256.
    device : str or torch.device, optional
        Where to compute. Default is ``"cpu"``.

    Returns
    -------
    numpy.ndarray, shape=(G, T), float64
        Mean over the sequences of ``prediction(intact) - prediction(group zeroed)``
        for each output: positive when the motif raises that output's probability.

    Raises
    ------
    ConfigError
        For a model without a convolutional first layer, a filter index out of range
        or an unknown task type.
    """
    from seqnet.inference import batches, eval_mode, to_probabilities
    from seqnet.models import run_model

    if task_type not in ("binary", "multilabel", "multiclass", "regression"):
        raise ConfigError(f"task_type must be binary, multilabel, multiclass or regression, got {task_type!r}")
    conv = _first_conv(model, inputs.alphabet)
    for g in groups:
        bad = [i for i in g if not 0 <= i < conv.out_channels]
        if bad:
            raise ConfigError(f"filter index {bad[0]} out of range 0..{conv.out_channels - 1}")
    total, n = None, 0
    replay = _Replay(conv)
    with eval_mode(model), torch.no_grad():
        for _, x, mask in batches(inputs, batch_size, device):
            replay.outputs, replay.calls = [], 0
            handle = conv.register_forward_hook(replay.record)
            try:
                base = to_probabilities(run_model(model, x, mask), task_type)
            finally:
                handle.remove()
            effects = [(base - to_probabilities(p, task_type)).sum(dim=0)
                       for p in _ablated_outputs(model, conv, replay, groups, x, mask)]
            batch = torch.stack(effects).double().cpu() if effects else torch.zeros((0, base.shape[1]), dtype=torch.float64)
            total = batch if total is None else total + batch
            n += x.shape[0]
    if total is None:
        return np.zeros((len(groups), 0))
    return (total / max(n, 1)).numpy()


def _ablated_outputs(model: nn.Module, conv: nn.Conv1d, replay: _Replay, groups: list[list[int]], x, mask):
    """The model's outputs on one batch with each group of filters zeroed, in order."""
    from seqnet.models import run_model

    if not replay.outputs:
        # The model does not call its first convolution as a module: zero the weights.
        for g in groups:
            with contextlib.ExitStack() as stack:
                for i in g:
                    stack.enter_context(ablate_filter(conv, i))
                yield run_model(model, x, mask)
        return
    conv.forward = replay.replay  # an instance attribute: nn.Module.__call__ uses it
    try:
        for g in groups:
            replay.calls, replay.zeroed = 0, list(g)
            yield run_model(model, x, mask)
    finally:
        del conv.forward
