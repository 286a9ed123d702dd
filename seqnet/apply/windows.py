"""Many genome windows through a :class:`~seqnet.apply.trunk.StrandBank`: shared work.

``seqnet variants`` scores a reference window per variant site, its SNVs and a null set
of random SNVs.  For models with a shared trunk this module:

* packs the windows into chunks of at most ``max_bases`` bases: overlapping windows of
  one chromosome become one stretch of genome, and stretches (or separate windows) are
  laid end to end, so one "valid" convolution per chunk serves every window in it (a
  window's interior outputs read only its own bases; its padded outputs are recomputed);
* scores each SNV from its reference window's pre-activations, recomputing only the
  ``k`` outputs under the edited base, for both strands at once.

The results agree with plain per-window passes to float32 rounding
(``tests/test_apply_variants.py`` checks ``diff`` against ``seqnet predict``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["Chunk", "genome_chunks", "token_chunks", "bank_logits"]

#: Windows whose pre-activations are held at once (each ``2F x L`` floats).
_GROUP = 128


@dataclass
class Chunk:
    """A stretch of tokens and the windows cut from it.

    Attributes
    ----------
    tokens : numpy.ndarray, shape (n,), uint8
    offsets : numpy.ndarray, shape (W,), int
        Window starts in ``tokens``.
    index : numpy.ndarray, shape (W,), int
        The windows' numbers among all windows scored.
    """

    tokens: np.ndarray
    offsets: np.ndarray
    index: np.ndarray


def _pack(pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]], max_bases: int) -> list[Chunk]:
    """Lay (tokens, offsets, index) pieces end to end into chunks of about ``max_bases``."""
    chunks, cur = [], []
    size = 0
    for piece in pieces:
        if cur and size + len(piece[0]) > max_bases:
            chunks.append(cur)
            cur, size = [], 0
        cur.append(piece)
        size += len(piece[0])
    if cur:
        chunks.append(cur)
    out = []
    for group in chunks:
        starts = np.cumsum([0] + [len(t) for t, _, _ in group[:-1]])
        out.append(Chunk(np.concatenate([t for t, _, _ in group]),
                         np.concatenate([o + s for (_, o, _), s in zip(group, starts)]),
                         np.concatenate([i for _, _, i in group])))
    return out


def genome_chunks(windows: list[tuple[str, int]], read, length: int, max_bases: int = 1 << 16) -> list[Chunk]:
    """Chunks of the genome windows ``(chrom, start)``; ``read(chrom, lo, hi)`` gives tokens."""
    order = sorted(range(len(windows)), key=lambda i: windows[i])
    pieces = []
    run: list[int] = []
    for i in order + [None]:
        if run and (i is None or windows[i][0] != windows[run[0]][0]
                    or windows[i][1] > windows[run[-1]][1] + length
                    or windows[i][1] + length - windows[run[0]][1] > max_bases):
            chrom, lo = windows[run[0]]
            hi = windows[run[-1]][1] + length
            starts = np.array([windows[j][1] for j in run], dtype=np.int64)
            pieces.append((read(chrom, lo, hi), starts - lo, np.array(run, dtype=np.int64)))
            run = []
        if i is not None:
            run.append(i)
    return _pack(pieces, max_bases)


def token_chunks(tokens: np.ndarray, max_bases: int = 1 << 16) -> list[Chunk]:
    """Chunks of separate windows ``(N, L)``, laid end to end."""
    length = tokens.shape[1]
    return _pack([(t, np.zeros(1, dtype=np.int64), np.array([k])) for k, t in enumerate(tokens)], max_bases) \
        if length else []


def bank_logits(bank, chunks: list[Chunk], n_windows: int, length: int, edit_window: np.ndarray,
                edit_letter: np.ndarray, *, device, unknown_value: float = 0.0):
    """Logits of every window (both strands) and of an SNV at offset ``length // 2`` of some.

    Parameters
    ----------
    bank : StrandBank
    chunks : list of Chunk
        Covering windows ``0 .. n_windows - 1``.
    length : int
    edit_window, edit_letter : numpy.ndarray, shape (E,)
        Each SNV's window and new letter token.
    device : torch.device
    unknown_value : float
        One-hot value of unknown bases. Default is 0.

    Returns
    -------
    ref_fwd, ref_rev : torch.Tensor, shape (n_windows, T), float32, CPU
    alt_fwd, alt_rev : torch.Tensor, shape (E, T)
    """
    from seqnet.encode import one_hot_torch

    c = bank.bank.weight.shape[1]
    out = None
    edits_of: dict[int, list[int]] = {}
    for e, w in enumerate(edit_window.tolist()):
        edits_of.setdefault(w, []).append(e)
    for chunk in chunks:
        tok = torch.from_numpy(np.ascontiguousarray(chunk.tokens)).to(device)
        x = one_hot_torch(tok, c, unknown_value=unknown_value)
        valid = torch.nn.functional.conv1d(x[None], bank.bank.weight, bank.bank.bias)[0]
        for g in range(0, len(chunk.offsets), _GROUP):
            offs = torch.as_tensor(chunk.offsets[g : g + _GROUP], device=device)
            idx = chunk.index[g : g + _GROUP]
            z = bank.preactivations(x, offs, length, valid=valid)
            wins = tok[offs[:, None] + torch.arange(length, device=device)]
            local = [(k, e) for k, w in enumerate(idx.tolist()) for e in edits_of.get(w, [])]
            ew = torch.as_tensor([k for k, _ in local], dtype=torch.long, device=device)
            es = torch.as_tensor([e for _, e in local], dtype=torch.long)
            letter = torch.as_tensor(edit_letter[es.numpy()] if len(es) else np.zeros(0), dtype=torch.long,
                                     device=device)
            rf, rr, af, ar = (t.float().cpu() for t in bank.snv_logits(z, wins, ew, length // 2, letter, unknown_value))
            if out is None:
                n_out = rf.shape[1]
                out = [torch.zeros((n_windows, n_out)), torch.zeros((n_windows, n_out)),
                       torch.zeros((len(edit_window), n_out)), torch.zeros((len(edit_window), n_out))]
            rows = torch.from_numpy(np.asarray(idx, dtype=np.int64))
            out[0][rows], out[1][rows] = rf, rr
            out[2][es], out[3][es] = af, ar
    if out is None:
        return tuple(torch.zeros((n, 0)) for n in (n_windows, n_windows, len(edit_window), len(edit_window)))
    return tuple(out)
