"""Per-base attribution maps: gradient x input saliency and in-silico mutagenesis.

Both explain one output logit (``target``) of a model for each sequence and return a
``(N, C, L)`` map aligned with the one-hot input (channels = alphabet letters):

* :func:`saliency` — gradient of the logit with respect to the one-hot input, times
  the input (Simonyan et al. 2014; Shrikumar et al. 2017).  Non-zero only at the
  observed letter of each position: a first-order estimate of what that letter adds.
* :func:`in_silico_mutagenesis` — the exact change of the logit when the base at each
  position is replaced by each other letter (Alipanahi et al. 2015; Zhou & Troyanskaya
  2015).  0 for the observed letter.

Positions holding N / an ambiguity code / padding have no observed letter and are 0 in
both maps.  :func:`write_attributions` stores maps as ``.npz`` + long TSV; plotting is
:func:`seqnet.motifs.logos.draw_attribution`'s job.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from seqnet import inference
from seqnet.alphabets import Alphabet, get_alphabet
from seqnet.errors import ConfigError, InputError
from seqnet.inference import batches, eval_mode
from seqnet.kinds.sequence import SequenceInputs
from seqnet.models import run_model
from seqnet.outputs import atomic_path

__all__ = ["saliency", "in_silico_mutagenesis", "write_attributions"]

# Mutants built per group of sequences before they are cut into forward batches
# (bounds the mutant token arrays, not the model's batch).
_MUTANTS_PER_GROUP = 1 << 16


def _check_options(batch_size: int, target: int) -> None:
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ConfigError(f"batch_size must be an integer >= 1, got {batch_size}")
    if isinstance(target, bool) or int(target) != target or target < 0:
        raise ConfigError(f"target must be an output index >= 0, got {target}")


def _check_target(logits: torch.Tensor, target: int) -> None:
    if target >= logits.shape[1]:
        raise ConfigError(f"target {target} out of range: the model has {logits.shape[1]} outputs")


def saliency(
    model: nn.Module,
    inputs: SequenceInputs,
    *,
    target: int = 0,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Gradient x input of one logit with respect to the one-hot input.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, C, L)`` one-hot to ``(B, n_outputs)`` logits; on ``device``.  Run in
        eval mode; its training mode and parameters (``.grad`` included) are left as
        they were.
    inputs : SequenceInputs
        The sequences: tokens ``(N, L)``, their alphabet, the one-hot of unknown letters
        as in training, and the real lengths of centre-padded records (for models that
        mask padding).
    target : int, optional
        Output (task or class) whose logit is explained. Default is 0.
    batch_size : int, optional
        Sequences per backward pass. Default is 64.
    device : str or torch.device, optional
        Where to compute. Default is ``"cpu"``.

    Returns
    -------
    numpy.ndarray, shape=(N, C, L), dtype=float32
        ``d logit / d x[c, l]`` at the observed letter ``c`` of each position, 0 at
        every other letter and at N / padding positions (even with
        ``unknown="uniform"``, whose input there is not a letter).

    Raises
    ------
    ConfigError
        For a target outside the model's outputs or bad options.
    """
    _check_options(batch_size, target)
    device = torch.device(device)
    n, width = inputs.tokens.shape
    out = np.zeros((n, inputs.alphabet.size, width), dtype=np.float32)
    # cuDNN RNNs refuse a backward pass in eval mode; the native kernels do not.
    cudnn_off = torch.backends.cudnn.flags(enabled=False) if device.type == "cuda" else contextlib.nullcontext()
    with eval_mode(model), cudnn_off:
        for rows, x, mask in batches(inputs, batch_size, device):
            x.requires_grad_(True)
            logits = run_model(model, x, mask)
            _check_target(logits, target)
            # autograd.grad, not backward(): parameter .grad fields stay untouched.
            (grad,) = torch.autograd.grad(logits[:, target].float().sum(), x)
            letters = (x.detach() == 1).to(grad.dtype)  # N / padding (zeros or 1/C): no letter
            out[rows] = (grad * letters).float().cpu().numpy()
    return out


def in_silico_mutagenesis(
    model: nn.Module,
    inputs: SequenceInputs,
    *,
    target: int = 0,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Change of one logit for every single-base substitution.

    Every position holding a letter is mutated to each of the ``C - 1`` other letters
    (``3 L`` mutants per DNA sequence); the mutants of many sequences are scored
    together in batches of ``batch_size``, so the cost is about
    ``N (C - 1) L / batch_size`` forward passes.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, C, L)`` one-hot to ``(B, n_outputs)`` logits; on ``device``.  Run in
        eval mode; its training mode is restored afterwards.
    inputs : SequenceInputs
        The sequences (see :func:`saliency`).
    target : int, optional
        Output (task or class) whose logit is explained. Default is 0.
    batch_size : int, optional
        Mutant sequences per forward pass. Default is 256.
    device : str or torch.device, optional
        Where to compute. Default is ``"cpu"``.

    Returns
    -------
    numpy.ndarray, shape=(N, C, L), dtype=float32
        ``logit(sequence with letter c at l) - logit(sequence)``; 0 for the observed
        letter and at N / padding positions (nothing observed to substitute).

    Raises
    ------
    ConfigError
        For a target outside the model's outputs or bad options.
    """
    _check_options(batch_size, target)
    tok = inputs.tokens.cpu().numpy()
    lengths = None if inputs.lengths is None else inputs.lengths.cpu().numpy()
    n, width = tok.shape
    c = inputs.alphabet.size
    out = np.zeros((n, c, width), dtype=np.float32)

    def score(t: np.ndarray, lens) -> np.ndarray:
        found = inference.logits(model, replace(inputs, tokens=t, lengths=lens), batch_size=batch_size, device=device)
        _check_target(found, target)
        return found[:, target].numpy().astype(np.float64)

    group = max(1, _MUTANTS_PER_GROUP // max(1, width * (c - 1)))
    for g0 in range(0, n if width else 0, group):
        g_tok = tok[g0 : g0 + group]
        g_len = None if lengths is None else lengths[g0 : g0 + group]
        ref = score(g_tok, g_len)
        # Every (sequence, position, other letter) at positions holding a letter.
        seq, pos = np.nonzero(g_tok < c)
        seq, pos = np.repeat(seq, c - 1), np.repeat(pos, c - 1)
        letter = (g_tok[seq, pos] + np.tile(np.arange(1, c), len(seq) // (c - 1))) % c
        mutants = g_tok[seq]  # fancy indexing copies
        mutants[np.arange(seq.size), pos] = letter
        out[g0 + seq, letter, pos] = score(mutants, None if g_len is None else g_len[seq]) - ref[seq]
    return out


def write_attributions(
    out_dir: str | os.PathLike,
    ids: Sequence[str],
    tokens: np.ndarray,
    scores: Mapping[str, np.ndarray],
    *,
    alphabet: str | Alphabet,
) -> dict:
    """Write attribution maps as ``attributions.npz`` and ``attributions.tsv``.

    ``attributions.npz`` holds ``ids`` (str), ``tokens`` ``(N, L)`` uint8, ``letters``
    (the alphabet) and one ``(N, C, L)`` float32 array per method (the keys of
    ``scores``, e.g. ``saliency`` and ``ism``).

    ``attributions.tsv`` is long format, one row per sequence, position and method:
    ``id``, ``position`` (1-based), ``ref`` (the observed letter, N for unknown /
    padding), ``method``, ``score``, then one column per letter with the full map.
    ``score`` summarises the position: the value at the observed letter for
    gradient-based maps (all of gradient x input), and for ``ism`` (whose observed
    letter is 0 by definition) minus the mean change over the other letters — how
    much the logit drops, on average, when the observed base is mutated away
    (positive: the base supports the target).

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder, created if missing; both files are written atomically.
    ids : sequence of str, length N
        Record ids.
    tokens : numpy.ndarray, shape=(N, L), dtype=uint8
        The sequences the maps explain.
    scores : mapping of str to numpy.ndarray, shape=(N, C, L)
        Method name -> map, e.g. ``{"saliency": ..., "ism": ...}``.
    alphabet : str or Alphabet
        Alphabet of the tokens.

    Returns
    -------
    dict
        ``{"npz": Path, "tsv": Path, "n": N, "length": L, "methods": [...]}``.

    Raises
    ------
    InputError
        When the ids, tokens and maps do not agree in shape, or a method name is
        reserved (``ids``, ``tokens``, ``letters``) or not an identifier.
    """
    import pandas as pd

    alphabet = get_alphabet(alphabet)
    out_dir = Path(out_dir)
    ids = [str(i) for i in ids]
    tok = np.asarray(tokens)
    if tok.ndim != 2 or tok.shape[0] != len(ids):
        raise InputError(f"got {len(ids)} ids for tokens of shape {tok.shape}")
    n, width = tok.shape
    c = alphabet.size
    maps = {}
    for method, arr in scores.items():
        if not str(method).isidentifier() or method in ("ids", "tokens", "letters"):
            raise InputError(f"attribution method name {method!r} must be an identifier other than ids/tokens/letters")
        arr = np.asarray(arr, dtype=np.float32)
        if arr.shape != (n, c, width):
            raise InputError(f"{method} map has shape {arr.shape}, expected {(n, c, width)}")
        maps[str(method)] = arr
    out_dir.mkdir(parents=True, exist_ok=True)
    npz_path, tsv_path = out_dir / "attributions.npz", out_dir / "attributions.tsv"
    with atomic_path(npz_path) as tmp, open(tmp, "wb") as fh:
        # A file object: np.savez would append ".npz" to the temporary name.
        np.savez_compressed(fh, ids=np.array(ids, dtype=str), tokens=tok.astype(np.uint8),
                            letters=np.array(alphabet.letters), **maps)

    ref = alphabet.decode_table()[tok].view("S1").astype(str)  # (N, L)
    frames = []
    for method, arr in maps.items():
        per_letter = arr.transpose(0, 2, 1).reshape(n * width, c)  # (N*L, C)
        if method == "ism":
            # Mean over the C - 1 substitutions (the observed letter's 0 excluded).
            score = 0.0 - per_letter.sum(axis=1) / max(c - 1, 1)  # 0.0 -: no "-0" in the file
        else:
            score = per_letter.sum(axis=1)  # only the observed letter is non-zero
        frame = pd.DataFrame({
            "id": np.repeat(np.array(ids, dtype=object), width),
            "position": np.tile(np.arange(1, width + 1), n),
            "ref": ref.ravel(),
            "method": method,
            "score": score,
        })
        for j, letter in enumerate(alphabet.letters):
            frame[letter] = per_letter[:, j]
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["id", "position", "ref", "method", "score", *alphabet.letters])
    with atomic_path(tsv_path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    return {"npz": npz_path, "tsv": tsv_path, "n": n, "length": width, "methods": list(maps)}
