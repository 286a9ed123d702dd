"""First-layer convolution filters -> position frequency matrices.

The method of Basset (Kelley et al. 2016) and Basenji: scan sequences with the model's
first convolution, keep every window where a filter responds strongly, and count the
letters of those windows.  The counts, aligned under the filter, are the filter's motif.

For filter ``f`` with raw outputs ``a_f`` (see :func:`filter_activations`):

1. ``t_f = mean(a_f) + threshold * (max(a_f) - mean(a_f))`` over every output position
   of every scanned sequence whose window holds at least one real letter (windows
   wholly in N / padding carry no sequence, so they do not set the scale).  With the
   default ``threshold=0.5`` a site scores at least halfway from the filter's average
   response to its best one.
2. Every output position with ``a_f > t_f`` is a *site*; the letters under the filter's
   taps at that position are counted, column by column.
3. ``counts + pseudocount * background`` normalised per column is the PFM; flanking
   columns below ``trim_bits`` of information (relative to the background, weighted
   by the column's coverage, see "Edges") are trimmed.

Choices, and why:

* **Raw outputs, before any activation.**  The rule in step 1 is invariant to a
  positive affine change of the outputs, so it picks the same sites before or after a
  following batch norm (eval mode, positive scale); a ReLU would make it depend on
  where zero lies, which batch norm moves.
* **Alignment.**  Output position ``j`` reads input positions
  ``j * stride - left + i * dilation`` for tap ``i = 0 .. W-1``, with ``left`` the
  convolution's left padding: its ``padding`` for an int / tuple, ``0`` for
  ``"valid"`` and ``dilation * (W - 1) // 2`` for ``"same"`` (PyTorch puts the odd
  extra zero of an even width on the right, as does
  :class:`~seqnet.models.common.SameConv1d`).
* **Dilation.**  A dilated filter's motif has ``W`` columns, one per tap (offsets
  ``0, d, 2d, ...``); the bases between taps are not seen by the filter and are not
  counted.
* **Edges.**  A window that hangs off the sequence (into the convolution's zero padding
  or the N / padding tokens of a shorter record) still counts: only its in-range real
  letters are counted, and each column is normalised by its own total.  Sites near
  the ends are kept that way, and the columns off the edge simply get fewer counts.
  N and other unknown letters contribute nothing anywhere.  For trimming, a column's
  information is multiplied by its count over the best-covered column's count, so a
  flank that only a handful of sites reach is not kept on the strength of a few
  letters.
* **Background.**  Letter frequencies of the scanned sequences (N / padding excluded),
  used for the pseudocounts and for the information content of trimming.

Reverse-complement merging (``merge_rc``): a model trained with reverse-complement
augmentation often learns a motif twice, once per strand.  The filter motifs are
compared with one another by TOMTOM (memelite, Pearson column scores as in
:func:`seqnet.motifs.match.run_tomtom`), each against the others' reverse complements; pairs whose best alignment is on the ``-`` strand with a Benjamini-Hochberg
q-value below 0.01 (per query, over the other motifs) are merged greedily, best q
first, each filter at most once: the higher-index filter's counts are reverse
complemented, shifted by TOMTOM's offset and added to the lower-index filter's, and
the result is trimmed again.  The merged motif keeps the lower index and name; its
``alt_name`` and :attr:`FilterMotif.merged` name the twin, which is reported as
skipped.  If TOMTOM fails (it needs matrices it can score), a mean column Pearson
correlation of at least 0.8 over at least half the shorter motif stands in for it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn

from seqnet.alphabets import Alphabet, get_alphabet
from seqnet.encode import reverse_complement
from seqnet.errors import ConfigError, InputError
from seqnet.motifs.motif import Motif

__all__ = [
    "FilterMotif",
    "filter_activations",
    "extract_motifs",
    "conv_geometry",
    "default_merge_rc",
]

#: q-value below which two filter motifs count as reverse-complement twins.
MERGE_Q = 0.01
#: Fallback (no TOMTOM): mean column Pearson correlation for twins.
MERGE_PEARSON = 0.8
# Sites per chunk when gathering window letters (bounds memory: chunk * W int64).
_SITE_CHUNK = 200_000


@dataclass(eq=False)
class FilterMotif:
    """The motif of one first-layer filter, or why there is none.

    Attributes
    ----------
    index : int
        Filter (output channel) index in the first convolution.
    motif : Motif or None
        The trimmed PFM, named ``"{name_prefix}_{index}"``; None when skipped.
    nsites : int
        Windows above the threshold that hold at least one real letter (for a merged
        motif, the sum over both filters).
    threshold : float
        The activation threshold ``t_f`` used.
    skipped : str or None
        Why there is no motif, e.g. ``"3 sites < 10"``; None when there is one.
    start : int
        Column of the filter's ``W``-column window where the motif's first column
        lies (after trimming; may be negative for a motif extended by a merge).
    counts : numpy.ndarray or None, shape=(W, A)
        Letter counts of this filter's untrimmed window, before pseudocounts (of
        this filter alone, also after a merge).
    merged : tuple of int
        Filters merged into this motif as reverse-complement twins.
    merged_into : int or None
        For a twin merged away, the filter that absorbed it.
    """

    index: int
    motif: Motif | None
    nsites: int
    threshold: float
    skipped: str | None = None
    start: int = 0
    counts: np.ndarray | None = field(default=None, repr=False)
    merged: tuple[int, ...] = ()
    merged_into: int | None = None


# -- model and input checks ---------------------------------------------------------------------


def _model_name(model: nn.Module) -> str:
    from seqnet.models import model_name

    return model_name(model)


def _first_conv(model: nn.Module, alphabet: Alphabet) -> nn.Conv1d:
    conv = getattr(model, "first_conv", None)
    if conv is None:
        raise ConfigError(
            f"model {_model_name(model)!r} has no convolutional first layer; motifs can only "
            "be read from convolutional filters"
        )
    if not isinstance(conv, nn.Conv1d) or conv.groups != 1:
        raise ConfigError(f"model {_model_name(model)!r}: first_conv is not a plain Conv1d")
    if conv.in_channels != alphabet.size:
        raise ConfigError(
            f"the first convolution takes {conv.in_channels} channels but the {alphabet.name} "
            f"alphabet has {alphabet.size} letters"
        )
    return conv


def conv_geometry(conv: nn.Conv1d) -> tuple[int, int, int, int]:
    """``(width, stride, dilation, left padding)`` of a Conv1d.

    Output position ``j`` reads input positions ``j * stride - left + i * dilation``,
    ``i = 0 .. width - 1``.  For ``padding="same"`` PyTorch pads ``total // 2`` on the
    left (``total = dilation * (width - 1)``) and the rest on the right.
    """
    k, s, d = conv.kernel_size[0], conv.stride[0], conv.dilation[0]
    if isinstance(conv.padding, str):
        left = d * (k - 1) // 2 if conv.padding == "same" else 0
    else:
        left = int(conv.padding[0])
    return k, s, d, left


def _check_tokens(tokens, alphabet: Alphabet) -> np.ndarray:
    tok = tokens.cpu().numpy() if isinstance(tokens, torch.Tensor) else np.asarray(tokens)
    if tok.ndim != 2:
        raise InputError(f"expected (N, L) token arrays, got shape {tok.shape}")
    if tok.size and (tok.min() < 0 or tok.max() > alphabet.unknown):
        raise InputError(f"tokens must lie in 0..{alphabet.unknown} for the {alphabet.name} alphabet")
    return tok.astype(np.uint8, copy=False)


def default_merge_rc(trained) -> bool:
    """Whether to merge reverse-complement twins for a :class:`~seqnet.checkpoint.TrainedModel`.

    True when the model was trained with reverse-complement augmentation
    (``config["train"]["rc_augment"]``) on a complementary alphabet (DNA / RNA).
    """
    train = (trained.config or {}).get("train") or {}
    return bool(train.get("rc_augment", False)) and trained.alphabet.has_complement


# -- activations --------------------------------------------------------------------------------


def _batches(
    conv: nn.Conv1d, tokens: np.ndarray, alphabet: Alphabet, unknown: str, batch_size: int, device
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(tokens (B, L), conv outputs (B, F, J) float32)`` per batch."""
    from seqnet.inference import batches
    from seqnet.kinds.sequence import SequenceInputs

    with torch.no_grad():
        for rows, x, _ in batches(SequenceInputs(tokens, alphabet, unknown), batch_size, device):
            yield tokens[rows], conv(x).float().cpu().numpy()


def filter_activations(
    model: nn.Module,
    tokens: np.ndarray,
    *,
    alphabet: str | Alphabet,
    unknown: str = "zeros",
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Outputs of the model's first convolution over a set of sequences.

    These are the raw convolution outputs (bias included), before any batch norm or
    activation function.  The whole ``(N, F, L_out)`` array is returned, which takes
    ``4 N F L_out`` bytes; :func:`extract_motifs` streams instead.

    Parameters
    ----------
    model : torch.nn.Module
        A seqnet model (or any module) whose ``first_conv`` is an ``nn.Conv1d`` taking
        one-hot input; it must already be on ``device``.
    tokens : numpy.ndarray, shape=(N, L), dtype=uint8
        Token sequences (``alphabet.unknown`` for N / padding).
    alphabet : str or Alphabet
        Alphabet of the tokens.
    unknown : str, optional
        One-hot of the unknown token: ``"zeros"`` or ``"uniform"``, as the model was
        trained. Default is ``"zeros"``.
    batch_size : int, optional
        Sequences per forward pass. Default is 256.
    device : str or torch.device, optional
        Where to compute. Default is ``"cpu"``.

    Returns
    -------
    numpy.ndarray, shape=(N, F, L_out), dtype=float32
        ``F`` filters; ``L_out`` is the convolution's output length (``L`` for
        ``"same"`` padding; ``L + 1`` for DeepBind's symmetric padding of an even width).

    Raises
    ------
    ConfigError
        For a model without a convolutional first layer or one that does not take
        this alphabet.
    """
    alphabet = get_alphabet(alphabet)
    conv = _first_conv(model, alphabet)
    tokens = _check_tokens(tokens, alphabet)
    parts = [act for _, act in _batches(conv, tokens, alphabet, unknown, batch_size, device)]
    if not parts:
        with torch.no_grad():
            x = torch.zeros(1, alphabet.size, tokens.shape[1], device=torch.device(device))
            n_out = conv(x).shape[-1]
        return np.zeros((0, conv.out_channels, n_out), dtype=np.float32)
    return np.concatenate(parts)


# -- extraction ---------------------------------------------------------------------------------


class _Windows:
    """Letters under the filter taps at every output position of a batch."""

    def __init__(self, conv: nn.Conv1d, n_out: int, alphabet: Alphabet) -> None:
        k, s, d, left = conv_geometry(conv)
        self.k, self.unknown = k, alphabet.unknown
        # Margin of unknown tokens on both sides: every tap index then lands in range.
        self.margin = max(left, 0) + d * (k - 1) + s
        starts = np.arange(n_out) * s - left
        self.taps = starts[:, None] + d * np.arange(k)[None, :] + self.margin  # (J, W)

    def padded(self, tok: np.ndarray) -> np.ndarray:
        out = np.full((tok.shape[0], tok.shape[1] + 2 * self.margin), self.unknown, dtype=np.uint8)
        out[:, self.margin : self.margin + tok.shape[1]] = tok
        return out

    def any_real(self, padded: np.ndarray) -> np.ndarray:
        """``(B, J)`` bool: the window holds at least one real letter."""
        real = padded < self.unknown
        return real[:, self.taps].any(axis=-1)


def _sequence_background(tokens: np.ndarray, alphabet: Alphabet) -> np.ndarray:
    freq = np.bincount(tokens.ravel(), minlength=alphabet.size + 1)[: alphabet.size].astype(np.float64)
    if freq.sum() == 0:
        raise InputError(f"the sequences hold no {alphabet.letters} letters to count (all N or padding)")
    return freq / freq.sum()


def _pfm(counts: np.ndarray, background: np.ndarray, pseudocount: float) -> np.ndarray:
    """``(W, A)`` probabilities from counts plus ``pseudocount * background`` per column."""
    smoothed = counts + pseudocount * background[None, :]
    totals = smoothed.sum(axis=1, keepdims=True)
    # A column no site reached (all off the edge) and no pseudocount: the background.
    return np.where(totals > 0, smoothed / np.where(totals > 0, totals, 1.0), background[None, :])


def _information(pfm: np.ndarray, background: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pfm > 0, pfm * np.log2(pfm / background[None, :]), 0.0)
    return terms.sum(axis=1)


def _trim(pfm: np.ndarray, counts: np.ndarray, background: np.ndarray,
          trim_bits: float) -> tuple[int, int] | None:
    """``(first, last + 1)`` of the columns between the outermost ones >= ``trim_bits``.

    A column's information is weighted by its coverage (its letter count over the
    best-covered column's): a column that only a few sites reach (off the sequence
    edge for the rest) has unreliable letter frequencies and cannot hold the motif's
    end on its own.
    """
    totals = counts.sum(axis=1)
    coverage = totals / totals.max() if totals.max() > 0 else np.ones_like(totals)
    keep = np.flatnonzero(_information(pfm, background) * coverage >= trim_bits)
    if keep.size == 0:
        return None
    return int(keep[0]), int(keep[-1]) + 1


def extract_motifs(
    model,
    tokens: np.ndarray,
    *,
    alphabet: str | Alphabet,
    threshold: float = 0.5,
    min_sites: int = 10,
    trim_bits: float = 0.2,
    pseudocount: float = 0.1,
    unknown: str = "zeros",
    batch_size: int = 256,
    device: str | torch.device = "cpu",
    merge_rc: bool | None = None,
    name_prefix: str = "filter",
    both_strands: bool | None = None,
) -> tuple[list[FilterMotif], np.ndarray]:
    """Turn each first-layer filter into a PFM from its strongest activations.

    See the module documentation for the method.  Two passes over the data (per-filter
    mean and maximum, then the counts), each one convolution per batch; memory is one
    batch of activations, not the whole ``(N, F, L_out)`` array.

    Parameters
    ----------
    model : torch.nn.Module or TrainedModel
        A model whose ``first_conv`` is an ``nn.Conv1d`` on one-hot input, on
        ``device``; or a :class:`~seqnet.checkpoint.TrainedModel` (``seqnet.load``),
        which also supplies the ``merge_rc`` default.
    tokens : numpy.ndarray, shape=(N, L), dtype=uint8
        Sequences to scan, e.g. the training sequences.
    alphabet : str or Alphabet
        Alphabet of the tokens.
    threshold : float, optional
        Where the activation threshold lies between each filter's mean (0) and maximum
        (1) output, in [0, 1). Default is 0.5 (Basset's rule).
    min_sites : int, optional
        Filters with fewer sites are skipped (``skipped`` gives the count). Default is 10.
    trim_bits : float, optional
        Flanking columns with less information than this (bits, relative to the
        background) are trimmed; 0 keeps every column. A filter with no column
        reaching it is skipped. Default is 0.2.
    pseudocount : float, optional
        Pseudo-sites added to every column, spread over the letters by the background
        (``pseudocount * background[a]`` added to letter ``a``'s count).  The default
        0.1 is a tenth of one site: it only keeps letters never seen from probability
        exactly 0 (which log-odds scoring cannot take), and hardly moves motifs built
        from ``min_sites`` or more sites. Default is 0.1.
    unknown : str, optional
        One-hot of N / padding as in training: ``"zeros"`` or ``"uniform"``.
        Default is ``"zeros"``.
    batch_size : int, optional
        Sequences per convolution call. Default is 256.
    device : str or torch.device, optional
        Where to compute. Default is ``"cpu"``.
    merge_rc : bool or None, optional
        Merge filters that learned the same motif on opposite strands (DNA / RNA).
        Default is None: for a TrainedModel, whether it was trained with
        reverse-complement augmentation (:func:`default_merge_rc`); else False.
    name_prefix : str, optional
        Motif names are ``"{name_prefix}_{index}"``. Default is ``"filter"``.
    both_strands : bool or None, optional
        Also scan the reverse complement of every sequence, as a strand-symmetric
        model (DeepBind ``both_strands=True``) does. Default is None: the model's own
        ``both_strands`` attribute (False when absent).

    Returns
    -------
    filters : list of FilterMotif
        One per filter, in filter order.
    background : numpy.ndarray, shape=(A,)
        Letter frequencies of the scanned sequences (N / padding excluded), summing to 1.

    Raises
    ------
    ConfigError
        For a model without a convolutional first layer ("model 'lstm' has no
        convolutional first layer; ..."), bad options, or ``merge_rc`` / ``both_strands``
        with an alphabet that has no complement.
    InputError
        For tokens that are not ``(N, L)`` in the alphabet's range or hold no letters.
    """
    alphabet = get_alphabet(alphabet)
    _check_extract_options(threshold, min_sites, trim_bits, pseudocount)
    net, merge_rc, both_strands = _model_and_strands(model, alphabet, merge_rc, both_strands)
    conv = _first_conv(net, alphabet)
    tokens = _scanned_tokens(tokens, alphabet, both_strands)
    shaping = _Shaping(_sequence_background(tokens, alphabet), pseudocount, trim_bits, alphabet, name_prefix)
    scan = _Scan(conv, tokens, alphabet, unknown, batch_size, device)
    thresholds = _thresholds(scan, threshold)
    counts, nsites = _site_counts(scan, thresholds)
    results = _filter_motifs(counts, nsites, thresholds, min_sites, shaping)
    if merge_rc:
        _merge_twins(results, shaping)
    return results, shaping.background


def _check_extract_options(threshold: float, min_sites: int, trim_bits: float, pseudocount: float) -> None:
    """Range checks of :func:`extract_motifs`' numeric options."""
    if not 0.0 <= threshold < 1.0:
        raise ConfigError(f"threshold must be in [0, 1), got {threshold}")
    if isinstance(min_sites, bool) or int(min_sites) != min_sites or min_sites < 1:
        raise ConfigError(f"min_sites must be an integer >= 1, got {min_sites}")
    if not (trim_bits >= 0 and math.isfinite(trim_bits)):
        raise ConfigError(f"trim_bits must be finite and >= 0, got {trim_bits}")
    if not (pseudocount >= 0 and math.isfinite(pseudocount)):
        raise ConfigError(f"pseudocount must be finite and >= 0, got {pseudocount}")


def _model_and_strands(model, alphabet: Alphabet, merge_rc: bool | None,
                       both_strands: bool | None) -> tuple[nn.Module, bool, bool]:
    """``(network, merge_rc, both_strands)``: the module inside a TrainedModel, defaults resolved."""
    from seqnet.checkpoint import TrainedModel

    trained = model if isinstance(model, TrainedModel) else None
    net = trained.model if trained is not None else model
    if merge_rc is None:
        merge_rc = default_merge_rc(trained) if trained is not None else False
    if both_strands is None:
        both_strands = bool(getattr(net, "both_strands", False))
    if (merge_rc or both_strands) and not alphabet.has_complement:
        raise ConfigError(f"the {alphabet.name} alphabet has no reverse complement: cannot merge or scan strands")
    return net, merge_rc, both_strands


def _scanned_tokens(tokens, alphabet: Alphabet, both_strands: bool) -> np.ndarray:
    """The checked ``(N, L)`` tokens, followed by their reverse complements for ``both_strands``."""
    tokens = _check_tokens(tokens, alphabet)
    if both_strands:
        tokens = np.concatenate([tokens, reverse_complement(tokens, alphabet)])
    return tokens


@dataclass(frozen=True, eq=False)
class _Shaping:
    """How letter counts become a named motif (pseudocounts, trimming, names)."""

    background: np.ndarray  # (A,) letter frequencies of the scanned sequences
    pseudocount: float
    trim_bits: float
    alphabet: Alphabet
    name_prefix: str


@dataclass(frozen=True, eq=False)
class _Scan:
    """One pass of the first convolution over the tokens; iterate once per pass."""

    conv: nn.Conv1d
    tokens: np.ndarray
    alphabet: Alphabet
    unknown: str
    batch_size: int
    device: str | torch.device

    def __iter__(self) -> Iterator[tuple[_Windows, np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(windows, padded tokens, valid (B, J), activations (B, F, J))`` per batch."""
        windows = None
        batches = _batches(self.conv, self.tokens, self.alphabet, self.unknown, self.batch_size, self.device)
        for tok, act in batches:
            if windows is None:
                windows = _Windows(self.conv, act.shape[-1], self.alphabet)
            padded = windows.padded(tok)
            yield windows, padded, windows.any_real(padded), act


def _thresholds(scan: _Scan, threshold: float) -> np.ndarray:
    """Pass 1: ``(F,)`` thresholds ``t_f`` from each filter's mean and maximum output.

    Only windows holding at least one real letter count.
    """
    n_filters = scan.conv.out_channels
    total = np.zeros(n_filters)
    n_valid = 0
    peak = np.full(n_filters, -np.inf)
    for _, _, valid, act in scan:
        v = valid[:, None, :]
        total += np.where(v, act, 0.0).sum(axis=(0, 2), dtype=np.float64)
        n_valid += int(valid.sum())
        if valid.any():
            peak = np.maximum(peak, np.where(v, act, -np.inf).max(axis=(0, 2)))
    mean = total / max(n_valid, 1)
    return mean + threshold * (peak - mean)


def _site_counts(scan: _Scan, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pass 2: letters under the taps of every window above its filter's threshold.

    Returns ``(counts (F, W, A) float64, nsites (F,) int64)``; unknown letters are not counted.
    """
    n_filters, k, n_letters = scan.conv.out_channels, scan.conv.kernel_size[0], scan.alphabet.size
    counts = np.zeros(n_filters * k * (n_letters + 1), dtype=np.int64)
    nsites = np.zeros(n_filters, dtype=np.int64)
    cols = np.arange(k)
    for windows, padded, valid, act in scan:
        above = (act > thresholds[None, :, None].astype(np.float32)) & valid[:, None, :]
        b, f, j = np.nonzero(above)
        nsites += np.bincount(f, minlength=n_filters)
        for s in range(0, b.size, _SITE_CHUNK):
            bb, ff, jj = b[s : s + _SITE_CHUNK], f[s : s + _SITE_CHUNK], j[s : s + _SITE_CHUNK]
            letters = padded[bb[:, None], windows.taps[jj]]  # (S, W)
            flat = ((ff[:, None] * k + cols[None, :]) * (n_letters + 1) + letters).ravel()
            counts += np.bincount(flat, minlength=counts.size)
    counts = counts.reshape(n_filters, k, n_letters + 1)[:, :, :n_letters].astype(np.float64)
    return counts, nsites


def _filter_motifs(counts: np.ndarray, nsites: np.ndarray, thresholds: np.ndarray, min_sites: int,
                   shaping: _Shaping) -> list[FilterMotif]:
    """One FilterMotif per filter: skipped under ``min_sites`` sites, else trimmed counts."""
    results = []
    for i in range(len(nsites)):
        fm = FilterMotif(index=i, motif=None, nsites=int(nsites[i]), threshold=float(thresholds[i]),
                         counts=counts[i])
        if nsites[i] < min_sites:
            fm.skipped = f"{int(nsites[i])} sites < {min_sites}"
        else:
            _set_motif(fm, counts[i], 0, f"{shaping.name_prefix}_{i}", shaping)
        results.append(fm)
    return results


def _set_motif(fm: FilterMotif, counts: np.ndarray, offset: int, name: str, shaping: _Shaping,
               alt_name: str | None = None) -> bool:
    """Trim ``counts`` into ``fm.motif``; False (and ``fm.skipped`` set) when nothing is left."""
    pfm = _pfm(counts, shaping.background, shaping.pseudocount)
    span = _trim(pfm, counts, shaping.background, shaping.trim_bits)
    if span is None:
        fm.motif = None
        fm.skipped = f"no column reaches {shaping.trim_bits:g} bits"
        return False
    a, b = span
    fm.motif = Motif(name, pfm[a:b], nsites=fm.nsites, alt_name=alt_name, alphabet=shaping.alphabet.letters)
    fm.start = offset + a
    fm.skipped = None
    return True


# -- reverse-complement merging -----------------------------------------------------------------


def _rc_counts(counts: np.ndarray, alphabet: Alphabet) -> np.ndarray:
    comp = alphabet.complement_tokens()[: alphabet.size]
    return counts[::-1][:, comp]


def _twin_pairs(motifs: list[Motif]) -> list[tuple[float, int, int, int]]:
    """Candidate twins ``(q or -r, i, j, offset)``, ``i < j`` positions in ``motifs``.

    ``offset``: the column of ``rc(motifs[j])`` aligned with column 0 of ``motifs[i]``.
    """
    from seqnet.motifs.match import benjamini_hochberg, run_tomtom

    n = len(motifs)
    try:
        p, _, offset, _, strand = run_tomtom([m.pfm for m in motifs], [m.pfm for m in motifs], quiet=True)
    except Exception as exc:  # memelite / numba failures: fall back to correlations
        warnings.warn(f"TOMTOM failed on the filter motifs ({exc}); merging by column correlation",
                      stacklevel=3)
        return _twin_pairs_pearson(motifs)
    off_diag = ~np.eye(n, dtype=bool)
    q = np.ones((n, n))
    q[off_diag] = benjamini_hochberg(p[off_diag].reshape(n, n - 1), axis=1).ravel()
    pairs = []
    for i in range(n):
        for j in range(i + 1, n):
            # Either direction may be tested; use the better one, which must be '-'.
            a, b = (i, j) if q[i, j] <= q[j, i] else (j, i)
            if q[a, b] < MERGE_Q and strand[a, b] == 1:
                o = int(offset[a, b])
                if a != i:
                    # TOMTOM aligned j's column c with rc(i)'s column c + o; seen from i,
                    # i's column u lies under rc(j)'s column u + W_j - W_i + o.
                    o = motifs[j].width - motifs[i].width + o
                pairs.append((float(q[a, b]), i, j, o))
    return pairs


def _twin_pairs_pearson(motifs: list[Motif]) -> list[tuple[float, int, int, int]]:
    """Twins by the mean Pearson correlation of aligned columns (no TOMTOM)."""

    def centred(p):
        c = p - p.mean(axis=1, keepdims=True)
        norm = np.linalg.norm(c, axis=1, keepdims=True)
        return c / np.where(norm > 0, norm, 1.0)

    pairs = []
    for i in range(len(motifs)):
        x = centred(motifs[i].pfm)
        for j in range(i + 1, len(motifs)):
            fwd, rc = centred(motifs[j].pfm), centred(motifs[j].pfm[::-1, ::-1])
            need = max(3, math.ceil(min(len(x), len(rc)) / 2))
            best = {}
            for name, y in (("+", fwd), ("-", rc)):
                best[name] = (-np.inf, 0)
                for o in range(-(len(x) - need), len(y) - need + 1):
                    c0, c1 = max(0, -o), min(len(x), len(y) - o)
                    if c1 - c0 < need:
                        continue
                    r = float((x[c0:c1] * y[c0 + o : c1 + o]).sum(axis=1).mean())
                    if r > best[name][0]:
                        best[name] = (r, o)
            r, o = best["-"]
            if r >= MERGE_PEARSON and r > best["+"][0]:
                pairs.append((-r, i, j, o))
    return pairs


def _merge_twins(results: list[FilterMotif], shaping: _Shaping) -> None:
    """Merge reverse-complement twins in place (see the module documentation)."""
    live = [fm for fm in results if fm.motif is not None]
    if len(live) < 2:
        return
    used: set[int] = set()
    for _, a, b, o in sorted(_twin_pairs([fm.motif for fm in live])):
        if a in used or b in used:
            continue
        keep, twin = live[a], live[b]
        merged, lo = _merged_counts(keep, twin, o, shaping.alphabet)
        trial = FilterMotif(keep.index, None, keep.nsites + twin.nsites, keep.threshold)
        if not _set_motif(trial, merged, lo, keep.motif.name, shaping,
                          alt_name=f"{keep.motif.name}+{twin.motif.name}_rc"):
            continue
        used.update((a, b))
        keep.motif, keep.start, keep.nsites = trial.motif, trial.start, trial.nsites
        keep.merged = keep.merged + (twin.index,)
        twin.motif = None
        twin.merged_into = keep.index
        twin.skipped = f"merged into {shaping.name_prefix}_{keep.index} as its reverse complement"


def _merged_counts(keep: FilterMotif, twin: FilterMotif, o: int,
                   alphabet: Alphabet) -> tuple[np.ndarray, int]:
    """``(counts, lo)``: ``keep``'s window counts plus ``twin``'s reverse complemented onto them.

    ``o`` is the TOMTOM offset of the trimmed motifs (see :func:`_twin_pairs`); ``lo`` is
    the column of ``keep``'s window where the merged counts start (<= 0).
    """
    # Untrimmed frames: keep's window column u holds rc(twin window) column u + shift.
    k_twin = twin.counts.shape[0]
    shift = k_twin - twin.start - twin.motif.width - keep.start + o
    lo = min(0, -shift)
    hi = max(keep.counts.shape[0], k_twin - shift)
    merged = np.zeros((hi - lo, alphabet.size))
    merged[-lo : -lo + keep.counts.shape[0]] += keep.counts
    merged[-shift - lo : -shift - lo + k_twin] += _rc_counts(twin.counts, alphabet)
    return merged, lo
