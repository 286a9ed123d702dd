"""Sequence text <-> ``uint8`` tokens, one-hot encoding, reverse complement and shuffling.

Tokens index ``alphabet.letters`` (``0 .. C-1``, also the one-hot channel order); the
extra token ``C`` (``alphabet.unknown``) stands for N, any other ambiguity code and
padding.  Token arrays are ``(L,)`` or ``(N, L)`` ``uint8``; one-hot arrays are
channels-first, ``(C, L)`` or ``(N, C, L)``.

Everything here is vectorised: there is no Python loop per base, and the batched
functions (:func:`encode_many`, :func:`dinucleotide_shuffle_many`) process the whole
batch with each numpy call rather than one sequence at a time.

DNA and RNA letters are ordered so that the complement of channel ``c`` is ``C - 1 - c``
(``ACGT`` / ``ACGU``); reverse complementing a one-hot array is therefore a flip of both
the channel and the length axes (:func:`reverse_complement_one_hot`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from seqnet.alphabets import INVALID, Alphabet, get_alphabet
from seqnet.errors import ConfigError, InputError

__all__ = [
    "dinucleotide_shuffle_torch",
    "encode",
    "encode_many",
    "center_fit",
    "decode",
    "one_hot",
    "one_hot_torch",
    "reverse_complement",
    "reverse_complement_torch",
    "reverse_complement_one_hot",
    "dinucleotide_shuffle",
    "dinucleotide_shuffle_many",
]


# --------------------------------------------------------------------------- text -> tokens


def _expected(alphabet: Alphabet) -> str:
    kind = alphabet.name.upper() if alphabet.name in ("dna", "rna") else alphabet.name
    return f"expected {kind} letters {alphabet.letters} or ambiguity codes {alphabet.ambiguous}"


def _show_byte(byte: int) -> str:
    # A byte >= 0x80 is part of some multi-byte encoding: show it raw, not as Latin-1.
    return repr(chr(byte)) if byte < 0x80 else f"'\\x{byte:02x}'"


def _invalid(alphabet: Alphabet, shown: str, position: int, where: str | None,
             source: str | None) -> InputError:
    """The one-line error for an invalid character; ``position`` is 0-based."""
    prefix = "" if source is None else f"{source}: "
    if where is not None:
        prefix += f"{where}: "
    return InputError(
        f"{prefix}invalid character {shown} at position {position + 1}; {_expected(alphabet)}"
    )


def _record(name: str | None) -> str | None:
    # str() first: repr of a numpy string would read np.str_('...').
    return None if name is None else f"record {str(name)!r}"


def encode(seq: str | bytes, alphabet: str | Alphabet = "dna", *, name: str | None = None,
           source: str | None = None) -> np.ndarray:
    """Encode one sequence as tokens.

    Lower case (soft-masked) letters encode like upper case; ambiguity codes encode as
    the unknown token ``C``.

    Parameters
    ----------
    seq : str or bytes, length L
        The sequence text.
    alphabet : str or Alphabet, optional
        ``"dna"``, ``"rna"``, ``"protein"`` or an :class:`~seqnet.alphabets.Alphabet`.
        Default is ``"dna"``.
    name : str or None, optional
        Record name, used only in the error message. Default is None.
    source : str or None, optional
        File name, used only in the error message. Default is None.

    Returns
    -------
    tokens : numpy.ndarray, shape=(L,), dtype=uint8
        Token of each position.

    Raises
    ------
    InputError
        For a character outside the alphabet (including any non-ASCII character), naming
        the source, the record, the character and its 1-based position.
    """
    alphabet = get_alphabet(alphabet)
    if not isinstance(seq, (str, bytes, bytearray, memoryview)):
        seq = str(seq)  # e.g. a Biopython Seq
    if isinstance(seq, str):
        try:
            seq = seq.encode("ascii")
        except UnicodeEncodeError as err:
            raise _invalid(alphabet, repr(seq[err.start]), err.start, _record(name),
                           source) from None
    raw = np.frombuffer(seq, dtype=np.uint8)
    tokens = alphabet.lut[raw]
    # INVALID is 255, the largest uint8: one cheap max() decides whether to search.
    if tokens.size and tokens.max() == INVALID:
        pos = int(np.flatnonzero(tokens == INVALID)[0])
        raise _invalid(alphabet, _show_byte(int(raw[pos])), pos, _record(name), source)
    return tokens


def encode_many(seqs: Sequence[str], alphabet: str | Alphabet = "dna", *,
                length: int | None = None, names: Sequence[str] | None = None,
                source: str | None = None) -> np.ndarray:
    """Encode many sequences into one padded / centre-cropped token matrix.

    All sequences are joined and looked up at once, so the cost per sequence is a few
    C-level operations.  Sequences shorter than ``L`` are padded evenly on both sides with
    the unknown token; longer ones are centre-cropped (see :func:`center_fit`).

    Parameters
    ----------
    seqs : sequence of str or of bytes, length N
        The sequence texts (all ``str`` or all ``bytes``).
    alphabet : str or Alphabet, optional
        Alphabet or its name. Default is ``"dna"``.
    length : int or None, optional
        Output length ``L``; None uses the longest sequence. Default is None.
    names : sequence of str or None, optional
        Record names (length N), used only in error messages; without them an error names
        the 1-based sequence number instead. Default is None.
    source : str or None, optional
        File name, used only in error messages. Default is None.

    Returns
    -------
    tokens : numpy.ndarray, shape=(N, L), dtype=uint8
        One row per sequence.

    Raises
    ------
    InputError
        For a character outside the alphabet, naming the source, the record, the
        character and its 1-based position within that record.
    """
    alphabet = get_alphabet(alphabet)
    if isinstance(seqs, (str, bytes, bytearray)):
        raise TypeError("encode_many takes a sequence of sequences; use encode for one")
    if length is not None and length < 0:
        raise ConfigError(f"sequence length must be >= 0, got {length}")
    if names is not None and len(names) != len(seqs):
        raise ValueError(f"got {len(names)} names for {len(seqs)} sequences")
    n = len(seqs)
    lens = np.fromiter(map(len, seqs), dtype=np.int64, count=n)
    ends = np.cumsum(lens)
    starts = ends - lens

    def where(i: int) -> str:
        return _record(names[i]) if names is not None else f"sequence {i + 1}"

    if n and isinstance(seqs[0], str):
        text = "".join(seqs)
        try:
            buf = text.encode("ascii")
        except UnicodeEncodeError as err:
            i = int(np.searchsorted(ends, err.start, side="right"))
            raise _invalid(alphabet, repr(text[err.start]), err.start - int(starts[i]),
                           where(i), source) from None
    else:
        buf = b"".join(seqs)
    raw = np.frombuffer(buf, dtype=np.uint8)
    flat = alphabet.lut[raw]
    if flat.size and flat.max() == INVALID:
        pos = int(np.flatnonzero(flat == INVALID)[0])
        i = int(np.searchsorted(ends, pos, side="right"))
        raise _invalid(alphabet, _show_byte(int(raw[pos])), pos - int(starts[i]), where(i),
                       source)

    width = int(lens.max(initial=0)) if length is None else int(length)
    return fit_flat(flat, lens, width, alphabet.unknown)


def fit_flat(flat: np.ndarray, lengths: np.ndarray, length: int, pad_token: int) -> np.ndarray:
    """Lay concatenated records out as rows of one length, centre-cropped or padded.

    Parameters
    ----------
    flat : numpy.ndarray, shape=(sum(lengths),), dtype=uint8
        The records' tokens, concatenated.
    lengths : numpy.ndarray, shape=(N,), dtype=int
        Length of each record.
    length : int
        Output length ``L``.
    pad_token : int
        Token of padded positions (usually ``alphabet.unknown``).

    Returns
    -------
    tokens : numpy.ndarray, shape=(N, L), dtype=uint8
        Same placement as :func:`center_fit` applied to each record.
    """
    lens = np.asarray(lengths, dtype=np.int64)
    n, width = len(lens), int(length)
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8)
    if np.all(lens == width):
        return flat.reshape(n, width)
    ends = np.cumsum(lens)
    starts = ends - lens
    # Per row: copy `keep` tokens from offset `crop` of the sequence to column `pad`.
    keep = np.minimum(lens, width)
    crop = (lens - keep) // 2
    pad = (width - keep) // 2
    if np.any(crop):
        # Mark the kept span of every sequence in the joined buffer (+1 at start, -1 at end).
        delta = np.zeros(flat.size + 1, dtype=np.int8)
        np.add.at(delta, starts + crop, 1)
        np.add.at(delta, starts + crop + keep, -1)
        flat = flat[np.cumsum(delta[:-1], dtype=np.int8).astype(bool)]
    cols = np.arange(width)
    dest = (cols >= pad[:, None]) & (cols < (pad + keep)[:, None])
    out = np.full((n, width), pad_token, dtype=np.uint8)
    out[dest] = flat
    return out


def center_fit(tokens: np.ndarray, length: int, pad_token: int) -> np.ndarray:
    """Centre-crop or pad tokens to a fixed length.

    Padding is split evenly between the two sides, the odd extra position going to the
    right; cropping removes positions the same way, so padding then cropping back returns
    the input.

    Parameters
    ----------
    tokens : numpy.ndarray, shape=(..., L)
        Tokens; only the last axis changes.
    length : int
        Output length.
    pad_token : int
        Token written into padded positions (usually ``alphabet.unknown``).

    Returns
    -------
    fitted : numpy.ndarray, shape=(..., length)
        A new array of the same dtype.
    """
    tokens = np.asarray(tokens)
    if length < 0:
        raise ConfigError(f"sequence length must be >= 0, got {length}")
    size = tokens.shape[-1]
    if size >= length:
        start = (size - length) // 2
        return tokens[..., start:start + length].copy()
    out = np.full(tokens.shape[:-1] + (length,), pad_token, dtype=tokens.dtype)
    start = (length - size) // 2
    out[..., start:start + size] = tokens
    return out


def padding_mask(lengths: "torch.Tensor", length: int) -> "torch.Tensor":
    """Mask of the real (not padded) positions after :func:`center_fit` to ``length``.

    Parameters
    ----------
    lengths : torch.Tensor, shape=(N,)
        Real length of each record (records longer than ``length`` were cropped: their
        mask is all True), on any device.
    length : int
        The padded length ``L``.

    Returns
    -------
    mask : torch.Tensor, shape=(N, L), dtype=bool
        True at real positions, on ``lengths.device``.  Reverse-complemented tokens need
        the mask flipped along ``L`` too.
    """
    n = torch.clamp(lengths.long(), max=length)
    left = (length - n) // 2  # center_fit pads the odd extra position on the right
    pos = torch.arange(length, device=lengths.device)
    return (pos >= left[:, None]) & (pos < (left + n)[:, None])


def decode(tokens: np.ndarray, alphabet: str | Alphabet = "dna") -> str | list[str]:
    """Turn tokens back into upper-case text.

    Parameters
    ----------
    tokens : numpy.ndarray, shape=(L,) or (N, L)
        Tokens in ``0 .. C``.
    alphabet : str or Alphabet, optional
        Alphabet or its name. Default is ``"dna"``.

    Returns
    -------
    text : str or list of str
        One string for ``(L,)`` input, a list of N strings for ``(N, L)``.  The unknown
        token (ambiguity codes, padding) decodes to ``N`` (``X`` for protein).
    """
    alphabet = get_alphabet(alphabet)
    tokens = np.asarray(tokens)
    if tokens.ndim not in (1, 2):
        raise ValueError(f"decode takes (L,) or (N, L) tokens, got shape {tokens.shape}")
    _check_range(tokens, alphabet.unknown)
    ascii_ = alphabet.decode_table()[tokens]
    if tokens.ndim == 1:
        return ascii_.tobytes().decode("ascii")
    n, width = tokens.shape
    if width == 0:
        return [""] * n
    return [row.decode("ascii") for row in ascii_.view(f"S{width}").ravel().tolist()]


def _check_range(tokens: np.ndarray, unknown: int) -> None:
    if tokens.size and (int(tokens.max()) > unknown or int(tokens.min()) < 0):
        raise ValueError(f"tokens must lie in 0..{unknown}, "
                         f"got values {int(tokens.min())}..{int(tokens.max())}")


# --------------------------------------------------------------------------- one-hot


def one_hot(tokens: np.ndarray, alphabet: str | Alphabet = "dna", *, unknown: str = "zeros",
            dtype=np.float32) -> np.ndarray:
    """One-hot encode tokens with numpy (channels-first).

    Parameters
    ----------
    tokens : numpy.ndarray, shape=(L,) or (N, L)
        Tokens in ``0 .. C``.
    alphabet : str or Alphabet, optional
        Alphabet or its name; sets ``C``. Default is ``"dna"``.
    unknown : str, optional
        Column of the unknown token: ``"zeros"`` (all 0) or ``"uniform"`` (all ``1/C``).
        Default is ``"zeros"``.
    dtype : numpy dtype, optional
        Output dtype. Default is ``np.float32``.

    Returns
    -------
    x : numpy.ndarray, shape=(C, L) or (N, C, L)
        Contiguous one-hot array.
    """
    alphabet = get_alphabet(alphabet)
    tokens = np.asarray(tokens)
    c = alphabet.size
    _check_range(tokens, alphabet.unknown)
    # (C, C+1) table: column t is the one-hot column of token t.
    table = np.eye(c, c + 1, dtype=dtype)
    table[:, c] = unknown_value(unknown, c)
    # Gather per channel so the result is channels-first without a transpose copy.
    out = np.take(table, tokens, axis=1)  # (C, ..., L)
    return np.ascontiguousarray(np.moveaxis(out, 0, -2))


def unknown_value(unknown: str, c: int) -> float:
    """One-hot value of the unknown token in each of the ``c`` channels: 0 for
    ``"zeros"``, ``1 / c`` for ``"uniform"``.

    Raises
    ------
    ConfigError
        For any other ``unknown``.
    """
    if unknown == "zeros":
        return 0.0
    if unknown == "uniform":
        return 1.0 / c
    raise ConfigError(f"unknown must be 'zeros' or 'uniform', got {unknown!r}")


def one_hot_torch(tokens: torch.Tensor, n_letters: int, *, unknown_value: float = 0.0,
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """One-hot encode a token tensor on its own device (channels-first).

    Uses an embedding lookup into a ``(C + 1, C)`` identity-like table, much faster than
    ``F.one_hot`` on int64, then one transpose copy to channels-first.

    Parameters
    ----------
    tokens : torch.Tensor, shape=(N, L) or (L,)
        Tokens in ``0 .. C`` (uint8 or any integer dtype), on any device.  Values above
        ``C`` are an error (an index error on CPU, a device assert on GPU).
    n_letters : int
        Number of letters ``C`` (``alphabet.size``).
    unknown_value : float, optional
        Value of every channel for the unknown token ``C``; ``1 / C`` gives a uniform
        column. Default is 0.0.
    dtype : torch.dtype, optional
        Output dtype. Default is ``torch.float32``.

    Returns
    -------
    x : torch.Tensor, shape=(N, C, L) or (C, L)
        Contiguous one-hot tensor on ``tokens.device``.
    """
    # torch.eye(C + 1, C): identity rows for the letters, an all-zero row C for unknown.
    table = torch.eye(n_letters + 1, n_letters, dtype=dtype, device=tokens.device)
    if unknown_value != 0.0:
        table[n_letters] = unknown_value
    if tokens.dtype not in (torch.int32, torch.int64):
        tokens = tokens.to(torch.int32)
    return F.embedding(tokens, table).transpose(-1, -2).contiguous()


# --------------------------------------------------------------------------- reverse complement


def reverse_complement(tokens: np.ndarray, alphabet: str | Alphabet = "dna") -> np.ndarray:
    """Reverse complement tokens.

    Parameters
    ----------
    tokens : numpy.ndarray, shape=(L,) or (N, L)
        Tokens in ``0 .. C``; the unknown token stays unknown.
    alphabet : str or Alphabet, optional
        ``"dna"`` or ``"rna"`` (or an alphabet with a complement). Default is ``"dna"``.

    Returns
    -------
    rc : numpy.ndarray, shape=(L,) or (N, L)
        A new array, reversed along the last axis and complemented.

    Raises
    ------
    ConfigError
        For an alphabet without a complement (protein).
    """
    alphabet = get_alphabet(alphabet)
    table = alphabet.complement_tokens()
    tokens = np.asarray(tokens)
    return table.astype(tokens.dtype, copy=False)[tokens[..., ::-1]]


def reverse_complement_torch(tokens: torch.Tensor,
                             alphabet: str | Alphabet = "dna") -> torch.Tensor:
    """Reverse complement a token tensor on its own device.

    Parameters
    ----------
    tokens : torch.Tensor, shape=(N, L) or (L,)
        Integer tokens in ``0 .. C`` on any device.
    alphabet : str or Alphabet, optional
        ``"dna"`` or ``"rna"``. Default is ``"dna"``.

    Returns
    -------
    rc : torch.Tensor, shape=(N, L) or (L,)
        Same dtype and device as ``tokens``.

    Raises
    ------
    ConfigError
        For an alphabet without a complement (protein).
    """
    alphabet = get_alphabet(alphabet)
    table = alphabet.complement_tokens()
    c = alphabet.size
    if np.array_equal(table[:c], np.arange(c - 1, -1, -1)):
        # Complement of c is C-1-c: arithmetic, no table to copy to the device.
        comp = torch.where(tokens < c, (c - 1) - tokens, tokens)
    else:
        lut = torch.as_tensor(table, device=tokens.device).to(tokens.dtype)
        comp = lut[tokens.long()]
    return comp.flip(-1)


def reverse_complement_one_hot(x: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """Reverse complement a DNA / RNA one-hot array by flipping channels and length.

    Valid because the letters are ordered ``ACGT`` / ``ACGU`` (complement of channel ``c``
    is ``C - 1 - c``); all-zero or uniform unknown columns stay as they are.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor, shape=(N, 4, L) or (4, L)
        One-hot sequences, channels-first.

    Returns
    -------
    rc : numpy.ndarray or torch.Tensor, shape=(N, 4, L) or (4, L)
        A new contiguous array of the same type, dtype and device.
    """
    if x.ndim not in (2, 3) or x.shape[-2] != 4:
        raise ValueError(f"reverse_complement_one_hot takes (N, 4, L) or (4, L) DNA/RNA "
                         f"one-hot input, got shape {tuple(x.shape)}")
    if isinstance(x, torch.Tensor):
        return x.flip((-2, -1))
    return np.ascontiguousarray(np.asarray(x)[..., ::-1, ::-1])


# --------------------------------------------------------------------------- dinucleotide shuffle
#
# Altschul & Erickson (1985): a sequence is an Eulerian trail through the multigraph whose
# vertices are symbols and whose edges are its L - 1 dinucleotides.  A uniformly random trail
# with the same start (hence the same end and the same edge multiset) is drawn by
#   1. choosing, for every vertex but the final symbol z, its "last" out-edge so that the
#      last edges form a spanning arborescence directed to z, uniformly among such trees
#      (here by Wilson's loop-erased random walk, exact for directed multigraphs);
#   2. putting each vertex's other out-edges in uniformly random order, the last edge last;
#   3. walking from the first symbol, leaving each vertex by its next unused edge.
# All three steps run on many sequences of one length at once: the per-step Python loops
# are over symbols (step 1), random-walk steps (step 1) and positions (step 3), never over
# sequences.


def _shuffle_same_length(tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dinucleotide-shuffle each row of ``tokens`` ``(N, L)`` independently."""
    n, width = tokens.shape
    if n == 0 or width <= 2:
        return tokens.copy()
    if int(tokens.min()) < 0:
        raise ValueError("tokens must be non-negative")
    k = int(tokens.max()) + 1
    e = width - 1
    rows = np.arange(n)
    src = tokens[:, :-1].astype(np.intp)
    vert = (rows * k)[:, None] + src  # vertex id of each edge's source, per row

    # Out-edges grouped by source, each group in random order: sort by source + U[0, 1).
    order = np.argsort(src + rng.random((n, e)), axis=1)
    targets = np.take_along_axis(tokens[:, 1:], order, axis=1).ravel()  # flat (N * E,)
    degree = np.bincount(vert.ravel(), minlength=n * k)
    first = np.cumsum(degree) - degree  # flat position of each vertex's first out-edge

    roots = rows * k + tokens[:, -1]  # the final symbol of each row
    in_tree = degree == 0  # absent symbols need no last edge
    in_tree[roots] = True
    last = np.zeros(n * k, dtype=np.intp)  # flat position of each vertex's chosen last edge
    for v in range(k):
        walkers = np.flatnonzero(~in_tree[rows * k + v])
        if walkers.size == 0:
            continue
        # Random walk from v along random out-edges until it meets the tree; remembering
        # only each vertex's latest exit erases the loops.
        base, cur = walkers * k, np.full(walkers.size, v, dtype=np.intp)
        while base.size:
            node = base + cur
            pick = first[node] + rng.integers(degree[node])
            last[node] = pick
            cur = targets[pick].astype(np.intp)
            going = ~in_tree[base + cur]
            base, cur = base[going], cur[going]
        # Add the loop-erased path to the tree.
        base, cur = walkers * k, np.full(walkers.size, v, dtype=np.intp)
        while base.size:
            node = base + cur
            in_tree[node] = True
            cur = targets[last[node]].astype(np.intp)
            going = ~in_tree[base + cur]
            base, cur = base[going], cur[going]

    # Move each chosen last edge to the end of its group (the rest stays uniformly random).
    needs = degree > 0
    needs[roots] = False
    a, b = last[needs], (first + degree - 1)[needs]
    targets[a], targets[b] = targets[b], targets[a]

    return _walk(tokens[:, 0], targets, first, k, width)


def _walk(start: np.ndarray, targets: np.ndarray, first: np.ndarray, k: int,
          width: int) -> np.ndarray:
    """Walk every row's trail: leave each vertex by its next unused edge."""
    n = start.size
    out = np.empty((n, width), dtype=start.dtype)
    out[:, 0] = start
    if n < 16:
        # Few rows: plain Python on lists beats numpy's per-call overhead.
        tgt, nxt = targets.tolist(), first.tolist()
        for r in range(n):
            base, cur = r * k, int(start[r])
            row = [cur]
            for _ in range(width - 1):
                node = base + cur
                cur = tgt[nxt[node]]
                nxt[node] += 1
                row.append(cur)
            out[r] = row
        return out
    nxt = first.copy()
    base = np.arange(n) * k
    cur = start.astype(np.intp)
    for i in range(1, width):
        node = base + cur  # one node per row, so the increment below has no duplicates
        pos = nxt[node]
        nxt[node] = pos + 1
        step = targets[pos]
        out[:, i] = step
        cur = step.astype(np.intp)
    return out


def dinucleotide_shuffle(tokens: np.ndarray,
                         rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Shuffle a sequence keeping every dinucleotide count exactly (Altschul–Erickson).

    The result is a uniformly random sequence among those with the same first symbol and
    the same count of every ordered pair of adjacent symbols (hence also the same last
    symbol and the same symbol counts).  The unknown token is one more symbol.

    Parameters
    ----------
    tokens : numpy.ndarray, shape=(L,), dtype=uint8
        Tokens of one sequence.
    rng : numpy.random.Generator or int or None, optional
        Random generator or seed; None draws fresh entropy. Default is None.

    Returns
    -------
    shuffled : numpy.ndarray, shape=(L,), dtype=uint8
        A new array (equal to the input when ``L <= 3`` or no other order exists).
    """
    tokens = np.asarray(tokens)
    if tokens.ndim != 1:
        raise ValueError(f"dinucleotide_shuffle takes one (L,) sequence, got shape "
                         f"{tokens.shape}; use dinucleotide_shuffle_many")
    return _shuffle_same_length(tokens[None, :], np.random.default_rng(rng))[0]


def dinucleotide_shuffle_many(tokens: Sequence[np.ndarray] | np.ndarray,
                              seed: int = 0) -> list[np.ndarray] | np.ndarray:
    """Dinucleotide-shuffle many sequences, each independently.

    Sequences of equal length are shuffled together, vectorised across sequences.  The
    output is deterministic for a given input and seed; note that one sequence's shuffle
    depends on the whole batch (its position and the other sequences), so it generally
    differs from ``dinucleotide_shuffle(seq, seed)``.

    Parameters
    ----------
    tokens : numpy.ndarray, shape=(N, L), or sequence of numpy.ndarray, shape=(L_i,)
        Token sequences.
    seed : int, optional
        Random seed. Default is 0.

    Returns
    -------
    shuffled : numpy.ndarray, shape=(N, L), or list of numpy.ndarray, shape=(L_i,)
        An array when given an array, else a list in input order.
    """
    rng = np.random.default_rng(seed)
    if isinstance(tokens, np.ndarray) and tokens.dtype != object:
        if tokens.ndim != 2:
            raise ValueError(f"dinucleotide_shuffle_many takes (N, L) tokens or a list of "
                             f"(L,) arrays, got shape {tokens.shape}")
        return _shuffle_same_length(tokens, rng)
    seqs = [np.asarray(s) for s in tokens]
    out: list[np.ndarray | None] = [None] * len(seqs)
    lens = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    for width in np.unique(lens):
        idx = np.flatnonzero(lens == width).tolist()
        group = np.stack([seqs[i] for i in idx]).reshape(len(idx), int(width))
        for i, row in zip(idx, _shuffle_same_length(group, rng)):
            out[i] = row
    return out


def dinucleotide_shuffle_torch(tokens: torch.Tensor, *, n_tokens: int | None = None,
                               generator: torch.Generator | None = None,
                               max_tries: int = 1000) -> torch.Tensor:
    """Dinucleotide-shuffle every row of a token matrix, on the tensor's own device.

    The Altschul-Erickson shuffle (each row's doublet counts, first and last token are
    kept, and every sequence with them is equally likely), vectorised across rows: the
    "last exit" edge of every token is drawn from its outgoing doublets and redrawn until
    those edges form a tree towards the last token; the other outgoing doublets of each
    token are put in random order; then one walk of ``L - 1`` steps over all rows at once
    spells the shuffled sequences.  No Python loop per sequence; on a GPU the whole batch
    never leaves the device.

    Parameters
    ----------
    tokens : torch.Tensor, shape=(N, L), integer dtype
        Token rows (the unknown token counts as a letter of its own).
    n_tokens : int or None, optional
        Number of distinct token values; None uses ``tokens.max() + 1``.
    generator : torch.Generator or None, optional
        Random generator on ``tokens.device``. Default is None (torch's global one).
    max_tries : int, optional
        Redraws of the last-exit edges before giving up (one draw succeeds with a
        probability of about 1/5 for DNA). Default is 1000.

    Returns
    -------
    shuffled : torch.Tensor, shape=(N, L)
        Same dtype and device as ``tokens``.
    """
    if tokens.ndim != 2:
        raise ValueError(f"dinucleotide_shuffle_torch takes (N, L) tokens, got shape {tuple(tokens.shape)}")
    n, length = tokens.shape
    if n == 0 or length < 3:
        return tokens.clone()
    dev = tokens.device
    x = tokens.long()
    v = int(n_tokens) if n_tokens is not None else int(x.max()) + 1
    src, dst, last = x[:, :-1], x[:, 1:], x[:, -1]
    rows = torch.arange(n, device=dev)
    counts = torch.zeros(n, v * v, dtype=torch.float64, device=dev)
    counts.scatter_add_(1, src * v + dst, torch.ones_like(src, dtype=torch.float64))
    counts = counts.view(n, v, v)
    active = counts.sum(2) > 0  # tokens with an outgoing doublet
    active[rows, last] = False  # the walk ends at the last token: it needs no exit edge

    # Last-exit edges: rejection-sample until they form a tree rooted at the last token.
    exit_to = torch.full((n, v), -1, dtype=torch.long, device=dev)
    todo = rows
    for _ in range(max_tries):
        k = len(todo)
        weights = counts[todo].reshape(k * v, v)
        has = weights.sum(1) > 0
        pick = torch.full((k * v,), -1, dtype=torch.long, device=dev)
        pick[has] = torch.multinomial(weights[has], 1, generator=generator).squeeze(1)
        pick = pick.view(k, v)
        act = active[todo]
        pick = torch.where(act, pick, torch.full_like(pick, -1))
        root = last[todo][:, None].expand(k, v)
        cur = torch.where(act, torch.arange(v, device=dev).expand(k, v), root)
        for _ in range(v):  # follow the exits: a tree leads every token to the root
            cur = torch.where(cur == root, cur, pick.gather(1, cur.clamp(min=0)))
        ok = (cur == root).all(1)
        exit_to[todo[ok]] = pick[ok]
        todo = todo[~ok]
        if len(todo) == 0:
            break
    else:
        raise RuntimeError(f"dinucleotide shuffle: no exit tree after {max_tries} draws for {len(todo)} rows")

    # Order each token's outgoing doublets at random, its exit edge last.
    key = torch.rand(src.shape, dtype=torch.float64, device=dev, generator=generator)
    # Which copy of the exit doublet goes last is drawn apart from the order keys: taking
    # the copy with the largest order key would leave the others biased towards the front.
    lot = torch.rand(src.shape, dtype=torch.float64, device=dev, generator=generator)
    is_exit = dst == exit_to.gather(1, src)
    best = torch.full((n, v), -1.0, dtype=torch.float64, device=dev)
    best.scatter_reduce_(1, src, torch.where(is_exit, lot, torch.full_like(lot, -1.0)), reduce="amax")
    key = torch.where(is_exit & (lot == best.gather(1, src)), torch.full_like(key, 2.0), key)
    order = torch.argsort(src.double() * 4.0 + key, dim=1)
    edges = dst.gather(1, order)
    ptr = torch.cumsum(counts.sum(2), dim=1).long() - counts.sum(2).long()  # first edge of each token

    out = torch.empty_like(x)
    cur = x[:, 0].clone()
    out[:, 0] = cur
    step = torch.ones((n, 1), dtype=torch.long, device=dev)
    for t in range(1, length):
        nxt = edges.gather(1, ptr.gather(1, cur[:, None])).squeeze(1)
        ptr.scatter_add_(1, cur[:, None], step)
        out[:, t] = nxt
        cur = nxt
    return out.to(tokens.dtype)
