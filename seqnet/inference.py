"""The one batched forward loop: every prediction, score and attribution goes through here.

Inputs of any kind reach a model as an :class:`~seqnet.kinds.base.Inputs` object (made
by the input kind, see :mod:`seqnet.kinds`): it holds the data in host (or device) memory in its compact
form — ``uint8`` tokens for sequences, float arrays otherwise — and builds model-ready
batches on the device with ``Inputs.take``.  :func:`batches` walks it;
:func:`logits` and :func:`predict` run a model over it in eval mode (bf16 autocast on
CUDA); the attribution code uses :func:`batches` directly when it needs gradients.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
import numpy as np
import torch
import torch.nn as nn

from seqnet.errors import ConfigError
from seqnet.kinds.base import Inputs
from seqnet.models import run_model


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode inside the ``with``; the caller's training mode restored after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def batches(inputs: Inputs, batch_size: int, device: torch.device | str) -> Iterator[tuple[slice, torch.Tensor, torch.Tensor | None]]:
    """Consecutive batches of ``inputs``: ``(rows, x, mask)`` with ``x`` on ``device``.

    Parameters
    ----------
    inputs : Inputs
    batch_size : int
        Records per batch (the last may be smaller).
    device : torch.device or str

    Yields
    ------
    rows : slice
        The records of the batch.
    x : torch.Tensor, shape (B, ...)
        ``(B, C, L)`` one-hot sequences, ``(B, T, F)``, ``(B, F)`` or ``(B, C, H, W)``.
    mask : torch.Tensor or None
        Padding mask ``(B, L)`` or observed-value mask shaped like ``x``.
    """
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ConfigError(f"batch_size must be an integer >= 1, got {batch_size}")
    device = torch.device(device)
    n = len(inputs)
    for start in range(0, n, batch_size):
        rows = slice(start, min(start + batch_size, n))
        x, mask = inputs.take(rows, device)
        yield rows, x, mask


@torch.no_grad()
def logits(model: nn.Module, inputs: Inputs, *, batch_size: int = 1024,
           device: torch.device | str = "cpu") -> torch.Tensor:
    """Run ``model`` over ``inputs`` in batches, in eval mode (its mode restored after).

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch (and a mask, when it ``takes_mask``) to ``(B, n_outputs)`` logits;
        on ``device``.
    inputs : Inputs
    batch_size : int
        Default is 1024.
    device : torch.device or str
        Default is ``"cpu"``.

    Returns
    -------
    torch.Tensor, shape (N, n_outputs), float32, on the CPU
        ``(0, 0)`` for no inputs.
    """
    device = torch.device(device)
    out = []
    with eval_mode(model):
        for _, x, mask in batches(inputs, batch_size, device):
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
                out.append(run_model(model, x, mask).float().cpu())
    return torch.cat(out) if out else torch.zeros((0, 0))


def to_probabilities(logits: torch.Tensor, task_type: str) -> torch.Tensor:
    """Sigmoid per task (binary / multi-label), softmax over classes (multi-class), or the
    outputs themselves (regression)."""
    if task_type == "multiclass":
        return torch.softmax(logits.float(), dim=1)
    if task_type == "regression":
        return logits.float()
    return torch.sigmoid(logits.float())


def predict(model: nn.Module, inputs: Inputs, *, task_type: str, batch_size: int = 1024,
            device: torch.device | str = "cpu", rc_average: bool = False) -> np.ndarray:
    """Probabilities (classification) or predicted values (regression) for ``inputs``.

    Parameters
    ----------
    model, inputs, batch_size, device
        As in :func:`logits`.
    task_type : str
        ``"binary"``, ``"multilabel"``, ``"multiclass"`` or ``"regression"``.
    rc_average : bool
        Average with the predictions for the reverse complements (sequences of a
        complementable alphabet only). Default is False.

    Returns
    -------
    numpy.ndarray, shape (N, n_outputs), float64
    """
    kw = dict(batch_size=batch_size, device=device)
    other = inputs.flipped() if rc_average else None  # refuse before the first pass, not after
    prob = to_probabilities(logits(model, inputs, **kw), task_type)
    if other is not None:
        prob = 0.5 * (prob + to_probabilities(logits(model, other, **kw), task_type))
    return prob.double().numpy()
