"""What ``seqnet prepare`` does: turn peaks into a positives FASTA and a negatives FASTA.

The training inputs seqnet reads (``--bed`` + ``--genome``, ``--positives``, a sequence
table) become two plain FASTA files, so each step of a pipeline hands the next one files
that any tool opens.  The same library functions as ``seqnet train`` do the work, so
``seqnet train --positives pos.fa --negatives neg.fa`` on prepared files trains on the
same sequences as ``seqnet train --bed ... --negatives shuffle|genome``:

* BED peaks: :func:`seqnet.data.bed_windows` (re-centred or ``--tile`` windows);
* ``shuffle`` negatives: :func:`seqnet.encode.dinucleotide_shuffle_many` with the same
  seed, written as ``<positive id>_shuf`` so that training keeps each negative in its
  positive's split;
* ``genome`` negatives: :func:`seqnet.io.genome.sample_background` (GC-matched, avoiding
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
from seqnet.errors import ConfigError, InputError

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
    wanted = [("--id-column", id_column), ("--seq-column", seq_column)]
    if label_column is not None:
        wanted.append(("--label-column", label_column))
    for option, name in wanted:
        if name not in header:
            raise InputError(
                f"{path}: no column {name!r} (columns: {', '.join(header)}); name the column with {option}"
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
    from seqnet.data import encode_records
    from seqnet.encode import decode, dinucleotide_shuffle_many

    tokens = encode_records(ids, seqs, alphabet, source)
    shuffled = dinucleotide_shuffle_many(tokens, seed=seed)
    return [f"{i}_shuf" for i in ids], [decode(t, alphabet) for t in shuffled]


def _validated(ids, seqs, alphabet, source: str) -> None:
    """Fail on the first invalid letter, naming the file, record and position."""
    from seqnet.data import encode_records

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
    from seqnet.io.fasta import read_fasta, write_fasta

    modes = [name for name, given in (("--positives", positives), ("--bed", bed), ("--table", table)) if given is not None]
    if len(modes) != 1:
        raise ConfigError(
            "name the positives one way: --positives POS.fa, --bed PEAKS.bed --genome GENOME.fa, or --table SEQS.tsv"
            + (f" (got {' and '.join(modes)})" if modes else "")
        )
    mode = modes[0]
    if mode != "--bed":
        for option, given in (("--genome", genome), ("--tile", tile or None), ("--length", length)):
            if given is not None:
                raise ConfigError(f"{option} goes with --bed")
    if mode != "--table" and label_column is not None:
        raise ConfigError("--label-column goes with --table")
    if length is not None and length < 1:
        raise ConfigError(f"--length must be >= 1, got {length}")
    negatives = None if negatives is None else str(negatives)
    if negatives == "genome" and mode != "--bed":
        raise ConfigError("--negatives genome needs --bed PEAKS.bed --genome GENOME.fa")
    if Path(out_positives).resolve() == Path(out_negatives).resolve():
        raise ConfigError(f"--out-positives and --out-negatives name the same file: {out_positives}")
    alpha = get_alphabet(alphabet)

    neg_ids: list[str] | None = None
    neg_seqs: list[str] | None = None
    if mode == "--bed":
        from seqnet.data import bed_windows

        if genome is None:
            raise ConfigError("--bed needs --genome GENOME.fa")
        if alpha.name != "dna":
            raise ConfigError("--bed/--genome input is DNA; drop --alphabet or use --alphabet dna")
        length = 200 if length is None else length
        fa, intervals, pos_ids, pos_seqs = bed_windows(bed, genome, length=length, tile=tile)
        source = str(genome)
        if negatives == "genome":
            from seqnet.io.genome import sample_background

            neg_ids, neg_seqs = sample_background(fa, len(pos_ids), length, exclude=intervals, gc_like=pos_seqs,
                                                  seed=seed)
    elif mode == "--positives":
        pos_ids, pos_seqs = read_fasta(positives)
        source = str(positives)
    else:
        ids, seqs, labels = read_sequence_table(table, id_column=id_column, seq_column=seq_column,
                                                label_column=label_column)
        source = str(table)
        if labels is None:
            pos_ids, pos_seqs = ids, seqs
        else:
            pos_ids = [i for i, y in zip(ids, labels) if y]
            pos_seqs = [s for s, y in zip(seqs, labels) if y]
            if not pos_ids:
                raise InputError(f"{table}: no rows labelled 1 in column {label_column!r}; expected some positives")
            if not labels.all():
                if negatives is not None:
                    raise ConfigError(
                        f"{table}: {int((~labels).sum())} rows are labelled 0 in column {label_column!r} and are the "
                        f"negatives; drop --negatives {negatives}"
                    )
                neg_ids = [i for i, y in zip(ids, labels) if not y]
                neg_seqs = [s for s, y in zip(seqs, labels) if not y]
                negatives = f"rows labelled 0 in {label_column}"
    if negatives is None:
        raise ConfigError(
            "name the negatives: --negatives shuffle, --negatives genome (with --bed) or --negatives NEG.fa"
            + (f" ({table} has no rows labelled 0 in column {label_column!r})" if label_column else "")
        )

    _validated(pos_ids, pos_seqs, alpha, source)
    if neg_ids is None:
        if negatives == "shuffle":
            neg_ids, neg_seqs = _shuffled(pos_ids, pos_seqs, alpha, source, seed)
        else:
            neg_ids, neg_seqs = read_fasta(negatives)
            clash = set(pos_ids).intersection(neg_ids)
            if clash:
                first = sorted(clash)[:3]
                raise InputError(
                    f"{negatives}: {len(clash)} record ids also occur among the positives "
                    f"(first: {', '.join(map(repr, first))}); ids must be unique across positives and negatives"
                )
            _validated(neg_ids, neg_seqs, alpha, negatives)
    elif mode == "--table":
        _validated(neg_ids, neg_seqs, alpha, source)
    for out in (out_positives, out_negatives):
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    # Everything is read and checked before the first byte is written.
    write_fasta(out_positives, pos_ids, pos_seqs)
    write_fasta(out_negatives, neg_ids, neg_seqs)
    return Prepared(n_positives=len(pos_ids), n_negatives=len(neg_ids), negatives=negatives)
