"""What ``seqnet prepare`` does: turn peaks into a positives FASTA and a negatives FASTA.

The training inputs seqnet reads (``--bed`` + ``--genome``, ``--positives``, a sequence
table) become two plain FASTA files, so each step of a pipeline hands the next one files
that any tool opens.  The same library functions as ``seqnet train`` do the work, so
``seqnet train --positives pos.fa --negatives neg.fa`` on prepared files trains on the
same sequences as ``seqnet train --bed ... --negatives shuffle|genome``:

* BED peaks: :func:`seqnet.kinds.sequence_loaders.bed_windows` (re-centred or ``--tile`` windows);
* ``shuffle`` negatives: :func:`seqnet.encode.dinucleotide_shuffle_many` with the same
  seed, written as ``<positive id>_shuf`` so that training keeps each negative in its
  positive's split;
* ``genome`` negatives: :func:`seqnet.io.background.sample_background` (GC-matched, avoiding
  the peaks);
* a negatives FASTA is validated and copied.

A sequence table (e.g. DeepBind's ``*.seq.gz``: ``FoldID EventID seq Bound``) gives ids,
sequences and, optionally, a 0/1 label column splitting it into positives and negatives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqnet.alphabets import get_alphabet
from seqnet.errors import ConfigError, InputError, opt
from seqnet.outputs import claim

__all__ = ["Prepared", "prepare", "read_sequence_table"]


@dataclass
class Prepared:
    """What :func:`prepare` wrote: record counts and where the negatives came from."""

    n_positives: int
    n_negatives: int
    negatives: str


def read_sequence_table(
    path: str | Path,
    *,
    id_column: str = "id",
    seq_column: str = "seq",
    label_column: str | None = None,
) -> tuple[list[str], list[str], np.ndarray | None]:
    """Read ids, sequences and optional 0/1 labels from a TSV / CSV table with a header.

    Parameters
    ----------
    path : str or Path
        Table (``.csv`` comma-separated, anything else tab-separated; gzip detected).
    id_column, seq_column : str
        Columns holding record ids and sequences. Defaults are ``"id"`` and ``"seq"``.
    label_column : str or None
        Column of 0/1 labels (1 = positive). Default is None (no labels).

    Returns
    -------
    ids, seqs : list of str
    labels : numpy.ndarray of bool, shape (N,), or None

    Raises
    ------
    InputError
        For a missing column, an empty or duplicate id, an empty sequence or a label that
        is not 0 or 1, naming the line.
    """
    from seqnet.io.tables import _check_ids, _read_cells

    header, cells, lines = _read_cells(path)
    if len(cells) == 0:
        raise InputError(f"{path}: no data rows; expected a header row and one row per sequence")
    wanted = [("id_column", id_column), ("seq_column", seq_column)]
    if label_column is not None:
        wanted.append(("label_column", label_column))
    for option, name in wanted:
        if name not in header:
            raise InputError(
                f"{path}: no column {name!r} (columns: {', '.join(header)}); name the column with {opt(option)}"
            )
    ids = cells[header.index(id_column)]
    _check_ids(path, ids, lines, id_column)
    seqs = cells[header.index(seq_column)]
    empty = np.flatnonzero((seqs == "").to_numpy())
    if empty.size:
        raise InputError(f"{path}: line {lines[empty[0]]}, column {seq_column!r}: empty sequence")
    labels = None
    if label_column is not None:
        raw = cells[header.index(label_column)]
        ones = raw.isin(["1", "1.0"]).to_numpy()
        zeros = raw.isin(["0", "0.0"]).to_numpy()
        bad = np.flatnonzero(~(ones | zeros))
        if bad.size:
            raise InputError(
                f"{path}: line {lines[bad[0]]}, column {label_column!r}: expected 0 or 1, found {raw.iloc[bad[0]]!r}"
            )
        labels = ones
    return ids.tolist(), seqs.tolist(), labels


def _shuffled(ids, seqs, alphabet, source: str, seed: int) -> tuple[list[str], list[str]]:
    """Dinucleotide-shuffled copies, exactly as ``seqnet train --negatives shuffle`` makes them."""
    from seqnet.kinds.sequence_loaders import encode_records
    from seqnet.encode import decode, dinucleotide_shuffle_many

    tokens = encode_records(ids, seqs, alphabet, source)
    shuffled = dinucleotide_shuffle_many(tokens, seed=seed)
    return [f"{i}_shuf" for i in ids], [decode(t, alphabet) for t in shuffled]


def _validated(ids, seqs, alphabet, source: str) -> None:
    """Fail on the first invalid letter, naming the file, record and position."""
    from seqnet.kinds.sequence_loaders import encode_records

    encode_records(ids, seqs, alphabet, source)


def prepare(
    out_positives: str | Path,
    out_negatives: str | Path,
    *,
    positives: str | Path | None = None,
    bed: str | Path | None = None,
    genome: str | Path | None = None,
    table: str | Path | None = None,
    negatives: str | Path | None = None,
    length: int | None = None,
    tile: bool = False,
    id_column: str = "id",
    seq_column: str = "seq",
    label_column: str | None = None,
    alphabet: str = "dna",
    seed: int = 0,
) -> Prepared:
    """Write a positives FASTA and a negatives FASTA from one input mode.

    Parameters
    ----------
    out_positives, out_negatives : path
        FASTA files to write (gzipped when the name ends in ``.gz``), each atomically.
    positives : path or None
        FASTA of positives (letters and ids copied as they are).
    bed, genome : path or None
        BED peaks in a genome FASTA; windows of ``length`` (default 200) bases.
    table : path or None
        Sequence table; see :func:`read_sequence_table`.  With ``label_column`` the rows
        labelled 1 are the positives and those labelled 0 the negatives.
    negatives : str or path or None
        ``"shuffle"`` (dinucleotide-shuffled positives), ``"genome"`` (GC-matched genomic
        background, with ``bed``) or a FASTA of negatives.  None only for a labelled
        table that has rows labelled 0.
    tile : bool
        With ``bed``: cut each interval into consecutive windows instead of centring one.
    alphabet : str
        Alphabet the sequences are checked against. Default is ``"dna"``.
    seed : int
        Seed of the shuffle or the background sampling. Default is 0.

    Returns
    -------
    Prepared
    """
    from seqnet.io.fasta import write_fasta

    mode = _mode(positives, bed, table, genome, tile, length, label_column, negatives)
    if Path(out_positives).resolve() == Path(out_negatives).resolve():
        raise ConfigError(f"{opt('out_positives')} and {opt('out_negatives')} name the same file: {out_positives}")
    alpha = get_alphabet(alphabet)
    negatives = None if negatives is None else str(negatives)
    if mode == "bed":
        rec = _from_bed(bed, genome, alpha, 200 if length is None else length, tile, negatives, seed)
    elif mode == "positives":
        rec = _Records(*_read_fasta(positives), source=str(positives), negatives=negatives)
    else:
        rec = _from_table(table, id_column, seq_column, label_column, negatives)
    if rec.negatives is None:
        raise ConfigError(
            f"name the negatives: {opt('negatives')} shuffle, {opt('negatives')} genome (with {opt('bed')}) "
            f"or {opt('negatives')} NEG.fa"
            + (f" ({table} has no rows labelled 0 in column {label_column!r})" if label_column else "")
        )
    _validated(rec.pos_ids, rec.pos_seqs, alpha, rec.source)
    _complete_negatives(rec, alpha, seed, from_table=mode == "table")
    sources = {"positives": positives, "bed": bed, "genome": genome, "table": table, "negatives": negatives}
    with claim(out_positives, sources, param="out_positives"), \
            claim(out_negatives, sources, param="out_negatives"):
        # Everything is read and checked before the first byte is written.
        write_fasta(out_positives, rec.pos_ids, rec.pos_seqs)
        write_fasta(out_negatives, rec.neg_ids, rec.neg_seqs)
    return Prepared(n_positives=len(rec.pos_ids), n_negatives=len(rec.neg_ids), negatives=rec.negatives)


@dataclass
class _Records:
    """Positives and (when already known) negatives, with where they came from."""

    pos_ids: list[str]
    pos_seqs: list[str]
    source: str
    negatives: str | None
    neg_ids: list[str] | None = None
    neg_seqs: list[str] | None = None


def _read_fasta(path) -> tuple[list[str], list[str]]:
    from seqnet.io.fasta import read_fasta

    return read_fasta(path)


def _mode(positives, bed, table, genome, tile, length, label_column, negatives) -> str:
    """Which input names the positives (``"positives"``, ``"bed"`` or ``"table"``), with
    the options that go with it checked."""
    from seqnet.inputs import one_of

    mode = one_of({"positives": positives is not None, "bed": bed is not None, "table": table is not None},
                  "name the positives one way",
                  f"{opt('positives')} POS.fa, {opt('bed')} PEAKS.bed {opt('genome')} GENOME.fa, or {opt('table')} SEQS.tsv")
    if mode != "bed":
        for option, given in (("genome", genome), ("tile", tile or None), ("length", length)):
            if given is not None:
                raise ConfigError(f"{opt(option)} goes with {opt('bed')}")
    if mode != "table" and label_column is not None:
        raise ConfigError(f"{opt('label_column')} goes with {opt('table')}")
    if length is not None and length < 1:
        raise ConfigError(f"{opt('length')} must be >= 1, got {length}")
    if negatives is not None and str(negatives) == "genome" and mode != "bed":
        raise ConfigError(f"{opt('negatives')} genome needs {opt('bed')} PEAKS.bed {opt('genome')} GENOME.fa")
    if mode == "bed" and genome is None:
        raise ConfigError(f"{opt('bed')} needs {opt('genome')} GENOME.fa")
    return mode


def _from_bed(bed, genome, alpha, length: int, tile: bool, negatives, seed: int) -> _Records:
    """BED windows as positives; with ``negatives="genome"``, GC-matched background too."""
    from seqnet.kinds.sequence_loaders import bed_windows

    if alpha.name != "dna":
        raise ConfigError(f"{opt('bed')}/{opt('genome')} input is DNA; drop {opt('alphabet')} or use {opt('alphabet')} dna")
    fa, intervals, pos_ids, pos_seqs = bed_windows(bed, genome, length=length, tile=tile)
    rec = _Records(pos_ids, pos_seqs, source=str(genome), negatives=negatives)
    if negatives == "genome":
        from seqnet.io.background import sample_background

        rec.neg_ids, rec.neg_seqs = sample_background(fa, len(pos_ids), length, exclude=intervals, gc_like=pos_seqs,
                                                      seed=seed)
    return rec


def _from_table(table, id_column: str, seq_column: str, label_column: str | None, negatives) -> _Records:
    """A sequence table's rows: all positives, or split by a 0/1 label column."""
    ids, seqs, labels = read_sequence_table(table, id_column=id_column, seq_column=seq_column, label_column=label_column)
    if labels is None:
        return _Records(ids, seqs, source=str(table), negatives=negatives)
    rec = _Records([i for i, y in zip(ids, labels) if y], [s for s, y in zip(seqs, labels) if y], source=str(table),
                   negatives=negatives)
    if not rec.pos_ids:
        raise InputError(f"{table}: no rows labelled 1 in column {label_column!r}; expected some positives")
    if not labels.all():
        if negatives is not None:
            raise ConfigError(
                f"{table}: {int((~labels).sum())} rows are labelled 0 in column {label_column!r} and are the "
                f"negatives; drop {opt('negatives')} {negatives}"
            )
        rec.neg_ids = [i for i, y in zip(ids, labels) if not y]
        rec.neg_seqs = [s for s, y in zip(seqs, labels) if not y]
        rec.negatives = f"rows labelled 0 in {label_column}"
    return rec


def _complete_negatives(rec: _Records, alpha, seed: int, *, from_table: bool) -> None:
    """Shuffle or read the negatives when the input did not bring them; validate them."""
    if rec.neg_ids is None:
        if rec.negatives == "shuffle":
            rec.neg_ids, rec.neg_seqs = _shuffled(rec.pos_ids, rec.pos_seqs, alpha, rec.source, seed)
            return
        rec.neg_ids, rec.neg_seqs = _read_fasta(rec.negatives)
        clash = set(rec.pos_ids).intersection(rec.neg_ids)
        if clash:
            first = sorted(clash)[:3]
            raise InputError(
                f"{rec.negatives}: {len(clash)} record ids also occur among the positives "
                f"(first: {', '.join(map(repr, first))}); ids must be unique across positives and negatives"
            )
        _validated(rec.neg_ids, rec.neg_seqs, alpha, rec.negatives)
    elif from_table:
        _validated(rec.neg_ids, rec.neg_seqs, alpha, rec.source)
