"""Batched prediction: from token arrays (optionally averaged over both strands), or from
float arrays (time series, tables, images)."""

from __future__ import annotations

import numpy as np
import torch

from seqnet.alphabets import Alphabet
from seqnet.encode import one_hot_torch, padding_mask, reverse_complement_torch, unknown_value
from seqnet.models import run_model


def to_probabilities(logits: torch.Tensor, task_type: str) -> torch.Tensor:
    """Sigmoid per task (binary / multi-label), softmax over classes (multi-class), or the
    outputs themselves (regression)."""
    if task_type == "multiclass":
        return torch.softmax(logits.float(), dim=1)
    if task_type == "regression":
        return logits.float()
    return torch.sigmoid(logits.float())


@torch.no_grad()
def predict_logits(
    model: torch.nn.Module,
    tokens: np.ndarray | torch.Tensor,
    *,
    alphabet: Alphabet,
    unknown: str = "zeros",
    batch_size: int = 1024,
    device: torch.device | str = "cpu",
    reverse_complement: bool = False,
    lengths: np.ndarray | None = None,
) -> torch.Tensor:
    """Run ``model`` over tokens in batches, in eval mode.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, C, L)`` one-hot to ``(B, n_outputs)`` logits.
    tokens : numpy.ndarray or torch.Tensor, shape (N, L), dtype uint8
    alphabet : Alphabet
    unknown : str
        ``"zeros"`` or ``"uniform"``. Default is ``"zeros"``.
    batch_size : int
        Default is 1024.
    device : torch.device or str
        Default is ``"cpu"``.
    reverse_complement : bool
        Score the reverse complement instead. Default is False.
    lengths : numpy.ndarray, shape (N,), or None
        Real length of each centre-padded record, for models that mask padding.
        Default is None (no padding).

    Returns
    -------
    torch.Tensor, shape (N, n_outputs), float32, on the CPU
    """
    was_training = model.training
    model.eval()
    device = torch.device(device)
    tok = torch.as_tensor(tokens)
    lens = None if lengths is None or not getattr(model, "takes_mask", False) else torch.as_tensor(lengths)
    uval = unknown_value(unknown, alphabet.size)
    autocast = device.type == "cuda"
    out = []
    try:
        for start in range(0, tok.shape[0], batch_size):
            batch = tok[start : start + batch_size].to(device, non_blocking=True)
            mask = None
            if lens is not None:
                mask = padding_mask(lens[start : start + batch_size].to(device), batch.shape[1])
            if reverse_complement:
                batch = reverse_complement_torch(batch, alphabet)
                mask = None if mask is None else mask.flip(1)
            x = one_hot_torch(batch, alphabet.size, unknown_value=uval)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=autocast):
                logits = run_model(model, x, mask)
            out.append(logits.float().cpu())
    finally:
        model.train(was_training)
    if not out:
        return torch.zeros((0, 0))
    return torch.cat(out)


def predict_proba(
    model: torch.nn.Module,
    tokens: np.ndarray | torch.Tensor,
    *,
    alphabet: Alphabet,
    task_type: str,
    unknown: str = "zeros",
    batch_size: int = 1024,
    device: torch.device | str = "cpu",
    rc_average: bool = False,
    lengths: np.ndarray | None = None,
) -> np.ndarray:
    """Probabilities for each record.

    With ``rc_average`` the probabilities of the sequence and of its reverse complement
    are averaged (DNA / RNA only).

    Returns
    -------
    numpy.ndarray, shape (N, n_outputs), float64
    """
    kw = dict(alphabet=alphabet, unknown=unknown, batch_size=batch_size, device=device, lengths=lengths)
    prob = to_probabilities(predict_logits(model, tokens, **kw), task_type)
    if rc_average:
        prob_rc = to_probabilities(predict_logits(model, tokens, reverse_complement=True, **kw), task_type)
        prob = 0.5 * (prob + prob_rc)
    return prob.double().numpy()


@torch.no_grad()
def predict_array_logits(
    model: torch.nn.Module,
    x: np.ndarray | torch.Tensor,
    *,
    mask: np.ndarray | torch.Tensor | None = None,
    batch_size: int = 1024,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Run an array model over float inputs in batches, in eval mode.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, *shape)`` (and a mask, when it ``takes_mask``) to ``(B, n_outputs)``.
    x : numpy.ndarray or torch.Tensor, shape (N, *shape), float32
        ``(N, T, F)``, ``(N, F)`` or ``(N, C, H, W)``.
    mask : numpy.ndarray or torch.Tensor or None, bool, shaped like ``x``
        True where observed. Default is None.
    batch_size : int
        Default is 1024.
    device : torch.device or str
        Default is ``"cpu"``.

    Returns
    -------
    torch.Tensor, shape (N, n_outputs), float32, on the CPU
    """
    was_training = model.training
    model.eval()
    device = torch.device(device)
    xt = torch.as_tensor(x)
    mt = None if mask is None or not getattr(model, "takes_mask", False) else torch.as_tensor(mask)
    autocast = device.type == "cuda"
    out = []
    try:
        for start in range(0, xt.shape[0], batch_size):
            xb = xt[start : start + batch_size].to(device, non_blocking=True)
            mb = None if mt is None else mt[start : start + batch_size].to(device, non_blocking=True)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=autocast):
                logits = run_model(model, xb, mb)
            out.append(logits.float().cpu())
    finally:
        model.train(was_training)
    if not out:
        return torch.zeros((0, 0))
    return torch.cat(out)


def predict_arrays(
    model: torch.nn.Module,
    x: np.ndarray | torch.Tensor,
    *,
    task_type: str,
    mask: np.ndarray | torch.Tensor | None = None,
    batch_size: int = 1024,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """Probabilities (classification) or predicted values (regression) for float inputs.

    Returns
    -------
    numpy.ndarray, shape (N, n_outputs), float64
    """
    logits = predict_array_logits(model, x, mask=mask, batch_size=batch_size, device=device)
    return to_probabilities(logits, task_type).double().numpy()
