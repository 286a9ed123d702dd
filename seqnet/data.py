"""Labelled sequence sets: loading the CLI's input modes, fitting lengths, splitting.

A :class:`SequenceSet` holds ``uint8`` tokens ``(N, L)`` plus targets; one-hot floats are
made later, per batch, on the training device.

Input modes (one per call):

* positives + negatives FASTA (binary), where negatives may be ``"shuffle"``:
  dinucleotide-shuffled copies of the positives (the DeepBind protocol);
* one FASTA + a label table (binary, multi-label or multi-class);
* BED intervals + a genome FASTA (positives), with shuffled or GC-matched genomic
  negatives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from seqnet.alphabets import Alphabet, get_alphabet
from seqnet.encode import dinucleotide_shuffle_many, encode, fit_flat
from seqnet.errors import ConfigError, InputError


@dataclass
class SequenceSet:
    """Encoded sequences with targets.

    Attributes
    ----------
    ids : list of str
        Record ids, length ``N``.
    tokens : numpy.ndarray, shape (N, L), dtype uint8
        Tokens; ``alphabet.unknown`` marks N / ambiguity codes / padding.
    y : numpy.ndarray, shape (N, T) float32 or (N,) int64
        0/1 targets per task, or class indices for multi-class.
    task_type : str
        ``"binary"``, ``"multilabel"`` or ``"multiclass"``.
    names : list of str
        Task names, or class names for multi-class.
    alphabet : Alphabet
    groups : numpy.ndarray, shape (N,), dtype int64
        Split groups: records of one group always land in the same split (a shuffled
        negative stays with its positive).
    chroms : list of str or None
        Chromosome of each record when known (BED input or ``chrom:start-end`` ids).
    lengths : numpy.ndarray, shape (N,), dtype int32, or None
        Real length of each record inside ``L`` (shorter records are centre-padded);
        None means every record fills ``L``.
    shuffled : numpy.ndarray, shape (N,), dtype bool, or None
        True for the negatives made by dinucleotide-shuffling a positive
        (``--negatives shuffle``); training may draw them afresh every epoch.
    """

    ids: list[str]
    tokens: np.ndarray
    y: np.ndarray
    task_type: str
    names: list[str]
    alphabet: Alphabet
    groups: np.ndarray
    chroms: list[str | None] | None = None
    lengths: np.ndarray | None = None
    shuffled: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def length(self) -> int:
        return int(self.tokens.shape[1])

    def subset(self, index: np.ndarray) -> "SequenceSet":
        """Rows ``index`` as a new set (arrays copied by fancy indexing)."""
        return SequenceSet(
            ids=[self.ids[i] for i in index],
            tokens=self.tokens[index],
            y=self.y[index],
            task_type=self.task_type,
            names=self.names,
            alphabet=self.alphabet,
            groups=self.groups[index],
            chroms=None if self.chroms is None else [self.chroms[i] for i in index],
            lengths=None if self.lengths is None else self.lengths[index],
            shuffled=None if self.shuffled is None else self.shuffled[index],
        )


def task_name_from_path(path: str | Path) -> str:
    """A task name from a file name: ``ctcf_peaks.fa.gz`` -> ``ctcf_peaks``."""
    name = Path(path).name
    name = re.sub(r"(\.gz)?$", "", name)
    name = re.sub(r"\.(fa|fasta|fna|fas|bed|seq|txt)$", "", name, flags=re.I)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "task"


def encode_records(ids: Sequence[str], seqs: Sequence[str], alphabet: Alphabet, source: str) -> list[np.ndarray]:
    """Encode each record, failing on the first invalid letter with file + record + position."""
    return [encode(s, alphabet, name=i, source=source) for i, s in zip(ids, seqs)]


def read_token_lists(fasta: str | Path, alphabet: Alphabet) -> tuple[list[str], list[np.ndarray]]:
    """Ids and per-record token arrays of a FASTA file, parsed once (see :mod:`seqnet.cache`).

    The arrays are views into one concatenated token buffer (memory-mapped when the
    file's tokens come from the cache).
    """
    from seqnet.cache import fasta_tokens

    ids, flat, lens = fasta_tokens(fasta, alphabet)
    return ids, np.split(flat, np.cumsum(lens)[:-1]) if len(lens) else []


def resolve_length(token_lists: Sequence[np.ndarray], length: int | None, max_length: int) -> int:
    """Input length: ``length`` if given, else the longest record capped at ``max_length``."""
    if length is not None:
        return int(length)
    longest = max(len(t) for t in token_lists)
    return int(min(longest, max_length))


def real_lengths(token_lists: Sequence[np.ndarray], length: int) -> np.ndarray | None:
    """Real length of each record after fitting to ``length``, or None when none is padded."""
    lens = np.fromiter((min(len(t), length) for t in token_lists), dtype=np.int32, count=len(token_lists))
    return None if (lens == length).all() else lens


def fit_lengths(token_lists: Sequence[np.ndarray], length: int, pad_token: int) -> np.ndarray:
    """Centre-crop / pad every record to ``length``; returns ``(N, length)`` uint8."""
    if not len(token_lists):
        return np.zeros((0, length), dtype=np.uint8)
    lens = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    return fit_flat(np.concatenate(token_lists), lens, length, pad_token)


def read_sequences(fasta: str | Path, alphabet: Alphabet, length: int) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """Unlabelled sequences for a trained model: ids, tokens ``(N, length)`` and real lengths.

    Records are validated against ``alphabet`` and centre-cropped / padded to ``length``;
    the lengths are None when no record is padded (see :func:`real_lengths`).
    """

    ids, token_lists = read_token_lists(fasta, alphabet)
    return ids, fit_lengths(token_lists, length, alphabet.unknown), real_lengths(token_lists, length)


def _chroms_from_ids(ids: Sequence[str]) -> list[str | None]:
    from seqnet.io.fasta import parse_coordinate_id

    out: list[str | None] = []
    for i in ids:
        parsed = parse_coordinate_id(i)
        out.append(parsed[0] if parsed else None)
    return out


def _paired_groups(pos_ids: Sequence[str], neg_ids: Sequence[str]) -> tuple[np.ndarray, list[str | None]]:
    """Split groups and chromosomes of positives followed by the records of a negatives file.

    A negative named ``<positive id>_shuf`` (as ``seqnet prepare --negatives shuffle``
    writes them) joins its positive's group and chromosome, so training on prepared files
    splits exactly as ``--negatives shuffle`` does; any other negative is a group of its own.
    """
    n = len(pos_ids)
    index = {rid: k for k, rid in enumerate(pos_ids)}
    pos_chroms = _chroms_from_ids(pos_ids)
    neg_chroms = _chroms_from_ids(neg_ids)
    groups = np.arange(n + len(neg_ids))
    for j, rid in enumerate(neg_ids):
        k = index.get(rid[: -len("_shuf")]) if rid.endswith("_shuf") else None
        if k is not None:
            groups[n + j] = k
            neg_chroms[j] = pos_chroms[k]
    return groups, pos_chroms + neg_chroms


def load_positives_negatives(
    positives: str | Path,
    negatives: str | Path,
    *,
    alphabet: str | Alphabet = "dna",
    length: int | None = None,
    max_length: int = 1000,
    seed: int = 0,
    task_name: str | None = None,
) -> SequenceSet:
    """Binary set from a positives FASTA and a negatives FASTA or ``"shuffle"``.

    Parameters
    ----------
    positives : path
        FASTA (optionally gzipped) of bound sequences.
    negatives : path or ``"shuffle"``
        FASTA of unbound sequences, or ``"shuffle"`` for one dinucleotide-shuffled copy
        of each positive (seeded by ``seed``).
    alphabet : str or Alphabet
        Default is ``"dna"``.
    length : int or None
        Fixed input length; None = longest record capped at ``max_length``.
    task_name : str or None
        Name of the single task; default is derived from the positives file name.

    Returns
    -------
    SequenceSet
    """

    alphabet = get_alphabet(alphabet)
    pos_ids, pos_tok = read_token_lists(positives, alphabet)
    if str(negatives) == "shuffle":
        neg_tok = dinucleotide_shuffle_many(pos_tok, seed=seed)
        neg_ids = [f"{i}_shuf" for i in pos_ids]
        groups = np.concatenate([np.arange(len(pos_ids)), np.arange(len(pos_ids))])
        pos_chroms = _chroms_from_ids(pos_ids)
        chroms = pos_chroms + pos_chroms
    else:
        neg_ids, neg_tok = read_token_lists(negatives, alphabet)
        clash = set(pos_ids).intersection(neg_ids)
        if clash:
            first = sorted(clash)[:3]
            raise InputError(
                f"{negatives}: {len(clash)} record ids also occur in {positives} (first: {', '.join(map(repr, first))}); "
                "ids must be unique across positives and negatives"
            )
        groups, chroms = _paired_groups(pos_ids, neg_ids)
    all_tok = list(pos_tok) + list(neg_tok)
    L = resolve_length(all_tok, length, max_length)
    tokens = fit_lengths(all_tok, L, alphabet.unknown)
    lengths = real_lengths(all_tok, L)
    y = np.concatenate([np.ones(len(pos_tok)), np.zeros(len(neg_tok))]).astype(np.float32)[:, None]
    return SequenceSet(
        ids=list(pos_ids) + list(neg_ids),
        tokens=tokens,
        y=y,
        task_type="binary",
        names=[task_name or task_name_from_path(positives)],
        alphabet=alphabet,
        groups=groups.astype(np.int64),
        chroms=chroms,
        lengths=lengths,
        shuffled=np.arange(len(all_tok)) >= len(pos_tok) if str(negatives) == "shuffle" else None,
    )


def load_fasta_labels(
    fasta: str | Path,
    labels: str | Path,
    *,
    alphabet: str | Alphabet = "dna",
    length: int | None = None,
    max_length: int = 1000,
    task: str = "auto",
) -> SequenceSet:
    """Set from one FASTA and a label table (first column = record ids).

    Several 0/1 columns make a multi-label task, one 0/1 column a binary task, one
    column of class names a multi-class task, and numeric columns with fractions (or
    ``task="regression"``) a regression task (see :func:`seqnet.io.tables.read_labels`).
    """
    from seqnet.io.tables import read_labels

    alphabet = get_alphabet(alphabet)
    ids, tok = read_token_lists(fasta, alphabet)
    lab = read_labels(labels, ids, ids_source=str(fasta), task=task)
    L = resolve_length(tok, length, max_length)
    return SequenceSet(
        ids=list(ids),
        tokens=fit_lengths(tok, L, alphabet.unknown),
        lengths=real_lengths(tok, L),
        y=lab.y,
        task_type=lab.task_type,
        names=list(lab.names),
        alphabet=alphabet,
        groups=np.arange(len(ids), dtype=np.int64),
        chroms=_chroms_from_ids(ids),
    )


def bed_windows(bed: str | Path, genome: str | Path, *, length: int = 200, tile: bool = False):
    """The windows of BED peaks in a genome: what ``--bed`` input reads as positives.

    Parameters
    ----------
    bed, genome : path
        BED3+ peaks and the genome FASTA (indexed with pyfaidx).
    length : int
        Window length; each interval is re-centred to it. Default is 200.
    tile : bool
        Cut each interval into consecutive ``length`` windows instead. Default is False.

    Returns
    -------
    genome : pyfaidx.Fasta
    intervals : list of Interval
        The BED intervals (the tiles with ``tile``), e.g. to exclude from background.
    ids, seqs : list of str
        ``chrom:start-end`` ids and sequences of the windows.
    """
    from seqnet.io.genome import chrom_sizes, extract, open_genome, read_bed
    from seqnet.io.genome import tile as tile_intervals

    intervals = read_bed(bed)
    if not intervals:
        raise InputError(f"{bed}: no intervals found")
    fa = open_genome(genome)
    if tile:
        # Check the regions themselves first, so an error names the BED line's own coordinates.
        sizes = chrom_sizes(fa)
        extract(fa, [iv for iv in intervals if iv.chrom not in sizes or iv.end > sizes[iv.chrom]][:1], None,
                source=str(bed))
        intervals = tile_intervals(intervals, length)
        ids, seqs = extract(fa, intervals, None, source=str(bed))
    else:
        ids, seqs = extract(fa, intervals, length, source=str(bed))
    return fa, intervals, ids, seqs


def load_bed(
    bed: str | Path,
    genome: str | Path,
    negatives: str,
    *,
    length: int = 200,
    tile: bool = False,
    seed: int = 0,
    task_name: str | None = None,
) -> SequenceSet:
    """Binary set from BED peaks in a genome FASTA (pyfaidx) and generated negatives.

    Parameters
    ----------
    bed : path
        Peaks (BED3+); each re-centred to ``length`` bases around its midpoint.
    genome : path
        Genome FASTA; its ``.fai`` index is built when missing.
    negatives : str
        ``"shuffle"`` (dinucleotide-shuffled peaks) or ``"genome"`` (random GC-matched
        genomic windows that avoid the peaks and N runs).
    length : int
        Window length. Default is 200.
    tile : bool
        Cut each interval into consecutive windows of ``length`` instead of taking one
        window at its centre (for BED files marking whole regions). Default is False.
    """
    from seqnet.io.genome import sample_background

    alphabet = get_alphabet("dna")
    if negatives not in ("shuffle", "genome"):
        raise ConfigError(f"--negatives with --bed must be 'shuffle' or 'genome', got {negatives!r}")
    fa, intervals, pos_ids, pos_seqs = bed_windows(bed, genome, length=length, tile=tile)
    pos_tok = encode_records(pos_ids, pos_seqs, alphabet, str(genome))
    n = len(pos_ids)
    pos_chroms = [iv.chrom for iv in intervals]
    if negatives == "shuffle":
        neg_tok = dinucleotide_shuffle_many(pos_tok, seed=seed)
        neg_ids = [f"{i}_shuf" for i in pos_ids]
        groups = np.concatenate([np.arange(n), np.arange(n)])
        neg_chroms = list(pos_chroms)
    else:
        neg_ids, neg_seqs = sample_background(fa, n, length, exclude=intervals, gc_like=pos_seqs, seed=seed)
        neg_tok = encode_records(neg_ids, neg_seqs, alphabet, str(genome))
        groups = np.arange(2 * n)
        neg_chroms = [i.rsplit(":", 1)[0] for i in neg_ids]
    tokens = fit_lengths(list(pos_tok) + list(neg_tok), length, alphabet.unknown)
    y = np.concatenate([np.ones(n), np.zeros(len(neg_tok))]).astype(np.float32)[:, None]
    return SequenceSet(
        ids=list(pos_ids) + list(neg_ids),
        tokens=tokens,
        y=y,
        task_type="binary",
        names=[task_name or task_name_from_path(bed)],
        alphabet=alphabet,
        groups=groups.astype(np.int64),
        chroms=pos_chroms + neg_chroms,
        shuffled=np.arange(2 * n) >= n if negatives == "shuffle" else None,
    )


def split_indices(
    data: SequenceSet,
    *,
    valid_fraction: float,
    test_fraction: float,
    seed: int = 0,
    test_chroms: Sequence[str] | None = None,
    valid_chroms: Sequence[str] | None = None,
    stratify: bool = False,
) -> dict[str, np.ndarray]:
    """Split records into train / valid / test index arrays.

    Whole groups move together.  With ``test_chroms`` (and optionally ``valid_chroms``)
    records are split by chromosome; otherwise groups are assigned at random (seeded)
    in the given fractions.  The validation split falls back to a random fraction of the
    non-test groups when ``valid_chroms`` is not given.

    ``data`` is a :class:`SequenceSet` or any set with ``ids``, ``groups``, ``chroms``
    and ``y`` (e.g. :class:`seqnet.arrays.ArraySet`).  With ``stratify`` (single-label
    classification, random splits only) each class is split in the given fractions on
    its own, so small sets keep their class proportions in every split.

    Returns
    -------
    dict
        ``{"train": idx, "valid": idx, "test": idx}``, each a sorted int64 array.

    Raises
    ------
    InputError
        When chromosome splits are asked for but records have no coordinates, or a
        requested split comes out empty.
    """
    rng = np.random.default_rng(seed)
    n = len(data)
    if stratify and not (test_chroms or valid_chroms):
        return _stratified_split(data, valid_fraction, test_fraction, rng)
    is_test = np.zeros(n, dtype=bool)
    is_valid = np.zeros(n, dtype=bool)
    if test_chroms or valid_chroms:
        if data.chroms is None or any(c is None for c in data.chroms):
            missing = next((data.ids[i] for i, c in enumerate(data.chroms or [None] * n) if c is None), "?")
            raise InputError(
                f"--test-chroms needs coordinates for every record: record {missing!r} has no chrom:start-end id"
            )
        chroms = np.array(data.chroms, dtype=object)
        present = sorted(set(data.chroms))
        for flag, wanted, opt in ((is_test, test_chroms, "--test-chroms"), (is_valid, valid_chroms, "--valid-chroms")):
            if wanted:
                flag |= np.isin(chroms, list(wanted))
                if not flag.any():
                    raise InputError(
                        f"{opt} {','.join(wanted)}: no records on these chromosomes "
                        f"(records are on {', '.join(present[:8])}{', ...' if len(present) > 8 else ''})"
                    )
        # A shuffled negative follows its positive's group, not its own id.
        is_test = _spread_over_groups(is_test, data.groups)
        is_valid = _spread_over_groups(is_valid, data.groups) & ~is_test
    if not (test_chroms or valid_chroms) or not valid_chroms:
        groups = np.unique(data.groups[~is_test])
        rng.shuffle(groups)
        n_groups_total = len(np.unique(data.groups))
        n_test = 0 if test_chroms else int(round(test_fraction * n_groups_total))
        n_valid = int(round(valid_fraction * n_groups_total))
        if test_fraction > 0 and n_test == 0 and not test_chroms:
            n_test = 1
        if valid_fraction > 0 and n_valid == 0:
            n_valid = 1
        test_groups = groups[:n_test]
        valid_groups = groups[n_test : n_test + n_valid]
        if not test_chroms:
            is_test = np.isin(data.groups, test_groups)
        is_valid = np.isin(data.groups, valid_groups) & ~is_test
    is_train = ~(is_test | is_valid)
    if not is_train.any():
        raise InputError(f"no records left for training after the splits ({n} records)")
    return {
        "train": np.flatnonzero(is_train),
        "valid": np.flatnonzero(is_valid),
        "test": np.flatnonzero(is_test),
    }


def _stratified_split(data, valid_fraction: float, test_fraction: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random split per class (the class of a group is that of its first record)."""
    y = np.asarray(data.y)
    label = y if y.ndim == 1 else y.reshape(len(y), -1)[:, 0]
    groups, first = np.unique(data.groups, return_index=True)
    group_label = label[first]
    test_groups, valid_groups = [], []
    for c in np.unique(group_label):
        members = groups[group_label == c]
        rng.shuffle(members)
        n_test = int(round(test_fraction * len(members)))
        n_valid = int(round(valid_fraction * len(members)))
        test_groups.append(members[:n_test])
        valid_groups.append(members[n_test : n_test + n_valid])
    test_groups, valid_groups = np.concatenate(test_groups), np.concatenate(valid_groups)
    rest = np.setdiff1d(groups, np.concatenate([test_groups, valid_groups]))
    # Tiny classes may all round to 0: keep the promise of a non-empty split.
    if test_fraction > 0 and len(test_groups) == 0 and len(rest):
        test_groups, rest = rest[:1], rest[1:]
    if valid_fraction > 0 and len(valid_groups) == 0 and len(rest):
        valid_groups, rest = rest[:1], rest[1:]
    is_test = np.isin(data.groups, test_groups)
    is_valid = np.isin(data.groups, valid_groups)
    is_train = ~(is_test | is_valid)
    if not is_train.any():
        raise InputError(f"no records left for training after the splits ({len(data)} records)")
    return {"train": np.flatnonzero(is_train), "valid": np.flatnonzero(is_valid), "test": np.flatnonzero(is_test)}


def _spread_over_groups(flag: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Flag every record whose group has at least one flagged record."""
    return np.isin(groups, np.unique(groups[flag]))


def align_targets(data, tm, *, source: str, from_table: bool):
    """Targets of ``data`` in the output order of the trained model ``tm``.

    Positives/negatives input has one unnamed task, which maps onto a single-output
    model; a label table's columns must name the model's tasks.
    """
    if not from_table:
        if tm.task_type == "multiclass" or len(tm.names) != 1:
            raise InputError(
                f"{source}: the model has {len(tm.names)} outputs ({', '.join(tm.names[:5])}); "
                "evaluate it with --fasta and --labels naming them"
            )
        return data.y
    if tm.task_type == "multiclass":
        if data.task_type != "multiclass":
            raise InputError(f"{source}: the model predicts classes ({', '.join(tm.names)}); give a label table with one class column")
        unknown = sorted(set(data.names) - set(tm.names))
        if unknown:
            raise InputError(f"{source}: classes {', '.join(map(repr, unknown))} are not among the model's classes ({', '.join(tm.names)})")
        remap = np.array([tm.names.index(n) for n in data.names])
        return remap[data.y]
    missing = [n for n in tm.names if n not in data.names]
    if missing or data.task_type == "multiclass":
        raise InputError(
            f"{source}: label columns ({', '.join(data.names[:8])}) must include the model's tasks "
            f"{', '.join(tm.names)}" + (f" (missing: {', '.join(missing)})" if missing else "")
        )
    return data.y[:, [data.names.index(n) for n in tm.names]]
