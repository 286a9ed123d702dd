"""Motif files for the tools biologists use: JASPAR, TRANSFAC and HOMER.

MEME files live in :mod:`seqnet.motifs.meme`; this module adds the three other formats
motif tools exchange, and :func:`write_all` writes all four side by side.

JASPAR (count matrix, as the JASPAR site serves ``.jaspar`` files)::

    >MA0139.2 CTCF
    A  [   281    56  ... ]
    C  [    49   ... ]
    G  [ ... ]
    T  [ ... ]

TRANSFAC (matrix table, one block per motif, ``//`` ends a block)::

    AC  MA0139.2
    XX
    ID  MA0139.2
    XX
    DE  CTCF
    XX
    P0      A      C      G      T
    01    281     49    482    101      G
    ...
    XX
    //

HOMER (``.motif``: header, then one row of A C G T probabilities per position)::

    >GCGCCCCCTGGTGGC	CTCF/MA0139.2	9.634821
    0.307777	0.053669	0.491785	0.146769
    ...

Format decisions, shared by the three writers:

* **Counts.** JASPAR and TRANSFAC hold integer counts. Each position's counts are
  ``pfm * nsites`` rounded with the largest-remainder method, so every column sums to
  exactly ``nsites`` (independent rounding can make columns sum to ``nsites +- 1``,
  which readers then report as inconsistent site totals). A motif with ``nsites == 0``
  has no counts to give; it is written as a percent matrix (columns summing to 100),
  TRANSFAC's own convention for matrices without sites.
* **RNA.** The three formats know only the DNA letters, so an ``ACGU`` motif is
  written with its U column under T (the same matrix; tools scanning RNA sequences
  read them as DNA anyway). MEME files keep ``ALPHABET= ACGU``.
* **Protein** (or any other alphabet) raises :class:`~seqnet.errors.ConfigError`:
  the formats have no columns for it. Use :func:`seqnet.motifs.meme.write_meme`.
* **No motifs** writes a valid empty file (zero records), so a run that found no
  motifs still produces every output a workflow expects.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from seqnet.errors import ConfigError, InputError
from seqnet.motifs.meme import write_meme
from seqnet.motifs.motif import ROW_SUM_TOLERANCE, Motif, _background
from seqnet.outputs import write_text_atomic

__all__ = [
    "write_jaspar",
    "write_transfac",
    "write_homer",
    "read_homer",
    "write_all",
    "counts_matrix",
    "homer_threshold",
]

_DNA = "ACGT"
# Alphabets the DNA-only formats accept; ACGU is written as ACGT (see module doc).
_DNA_LIKE = ("ACGT", "ACGU")
# Probability added to every letter of a HOMER matrix before renormalising: HOMER
# scores log(p / b), and one zero would make every site with that letter unfindable.
HOMER_PSEUDOCOUNT = 0.001
# Column total used for motifs with nsites == 0 (a percent matrix).
_PERCENT = 100

# IUPAC code of each set of equally likely nucleotides (Cavener's consensus rules).
_IUPAC = {
    "A": "A", "C": "C", "G": "G", "T": "T",
    "AC": "M", "AG": "R", "AT": "W", "CG": "S", "CT": "Y", "GT": "K",
    "ACG": "V", "ACT": "H", "AGT": "D", "CGT": "B", "ACGT": "N",
}  # fmt: skip


# -- shared helpers -------------------------------------------------------------------


def _dna_motifs(motifs: Sequence[Motif], fmt: str) -> list[Motif]:
    """The motifs as a list, checked to be DNA or RNA (written as DNA)."""
    motifs = list(motifs)
    for m in motifs:
        if not isinstance(m, Motif):
            raise ConfigError(f"{fmt} files take Motif objects, got {type(m).__name__}")
        if m.alphabet not in _DNA_LIKE:
            raise ConfigError(
                f"motif {m.name}: {fmt} files hold DNA (ACGT) or RNA (ACGU, written as ACGT) "
                f"matrices, not alphabet {m.alphabet!r}; write it as a MEME file instead"
            )
    return motifs


def _check_folder(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise ConfigError(f"cannot write {path}: folder {path.parent} does not exist")
    return path


def counts_matrix(motif: Motif) -> np.ndarray:
    """Integer letter counts of a motif, every position summing to the same total.

    Parameters
    ----------
    motif : Motif
        Any motif; its rows are renormalised to sum to 1 first (they may be off by up
        to 0.01).

    Returns
    -------
    numpy.ndarray, shape=(W, A), dtype=int64
        ``pfm * nsites`` rounded by the largest-remainder method: floor every cell,
        then give the leftover sites one each to the cells with the largest fractional
        parts (ties to the earlier letter). Each row sums to ``nsites`` exactly, or to
        100 when ``nsites`` is 0.
    """
    total = motif.nsites if motif.nsites > 0 else _PERCENT
    pfm = motif.pfm / motif.pfm.sum(axis=1, keepdims=True)
    exact = pfm * total
    counts = np.floor(exact).astype(np.int64)
    left = total - counts.sum(axis=1)  # 0 <= left < A per row
    # Stable sort on the negated remainders: largest first, ties to the earlier letter.
    order = np.argsort(-(exact - counts), axis=1, kind="stable")
    rank = np.argsort(order, axis=1)  # each cell's place in that order
    counts += rank < left[:, None]
    return counts


def _iupac_consensus(counts: np.ndarray) -> str:
    """Degenerate consensus of ``(W, 4)`` ACGT counts by Cavener's rules.

    A letter stands alone when it is more than half the column and twice the
    second; else the top two when together they are more than 3/4; else the top three
    when the fourth is absent; else ``N``.
    """
    letters = []
    for row in np.asarray(counts, dtype=np.float64):
        order = np.argsort(-row, kind="stable")
        c = row[order]
        total = c.sum()
        if total <= 0:
            letters.append("N")
            continue
        if c[0] > c[1:].sum() and c[0] > 2 * c[1]:
            chosen = order[:1]
        elif 4 * (c[0] + c[1]) > 3 * total:
            chosen = order[:2]
        elif c[3] == 0:
            chosen = order[:3]
        else:
            chosen = order
        letters.append(_IUPAC["".join(sorted(_DNA[i] for i in chosen))])
    return "".join(letters)


# -- JASPAR ---------------------------------------------------------------------------


def write_jaspar(path: str | os.PathLike, motifs: Sequence[Motif]) -> None:
    """Write motifs as a JASPAR count-matrix file (``.jaspar``).

    Parameters
    ----------
    path : str or os.PathLike
        Output file; written atomically (temp file, then rename).
    motifs : sequence of Motif
        DNA motifs (RNA ones are written with U as T). May be empty: an empty file.

    Notes
    -----
    Each record is a ``>ID NAME`` header, ``NAME`` being the motif's ``alt_name`` or,
    without one, its ``name`` again (JASPAR readers expect two fields), then rows
    ``A [ ... ]``, ``C``, ``G``, ``T`` of integer counts from :func:`counts_matrix`.
    ``Bio.motifs.parse(handle, "jaspar")`` reads the file back with the same counts,
    ids and names.

    Raises
    ------
    ConfigError
        For a protein (or other non-DNA) motif, or a missing output folder.
    """
    path = _check_folder(path)
    motifs = _dna_motifs(motifs, "JASPAR")
    lines: list[str] = []
    for m in motifs:
        counts = counts_matrix(m)
        width = max(len(str(int(counts.max()))), 3)
        lines.append(f">{m.name} {m.alt_name or m.name}")
        for j, letter in enumerate(_DNA):
            lines.append(f"{letter}  [ " + " ".join(f"{c:>{width}d}" for c in counts[:, j]) + " ]")
    write_text_atomic(path, "".join(line + "\n" for line in lines))


# -- TRANSFAC -------------------------------------------------------------------------


def write_transfac(path: str | os.PathLike, motifs: Sequence[Motif]) -> None:
    """Write motifs as a TRANSFAC matrix table.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; written atomically.
    motifs : sequence of Motif
        DNA motifs (RNA ones are written with U as T). May be empty: an empty file.

    Notes
    -----
    One block per motif: ``AC`` and ``ID`` hold ``name``, ``DE`` the ``alt_name``
    (left out when there is none); then the ``P0  A C G T`` matrix with
    rows ``01``, ``02``, ... of integer counts (:func:`counts_matrix`) and the
    position's IUPAC consensus letter, ``XX`` and ``//``. Keys and values are
    separated by two spaces and rows are numbered with two or more digits, as the
    strict ``Bio.motifs.parse(handle, "transfac")`` reader demands.

    Raises
    ------
    ConfigError
        For a protein (or other non-DNA) motif, or a missing output folder.
    """
    path = _check_folder(path)
    motifs = _dna_motifs(motifs, "TRANSFAC")
    lines: list[str] = []
    for m in motifs:
        counts = counts_matrix(m)
        consensus = _iupac_consensus(counts)
        width = max(len(str(int(counts.max()))), 6)
        digits = max(2, len(str(m.width)))
        lines += [f"AC  {m.name}", "XX", f"ID  {m.name}", "XX"]
        if m.alt_name:
            lines += [f"DE  {m.alt_name}", "XX"]
        lines.append("P0  " + " ".join(f"{letter:>{width}}" for letter in _DNA))
        for i, row in enumerate(counts):
            cells = " ".join(f"{c:>{width}d}" for c in row)
            lines.append(f"{i + 1:0{digits}d}  {cells}      {consensus[i]}")
        lines += ["XX", "//"]
    write_text_atomic(path, "".join(line + "\n" for line in lines))


# -- HOMER ----------------------------------------------------------------------------


def _homer_matrix(motif: Motif) -> np.ndarray:
    """The probabilities written to a HOMER file: smoothed, then rounded as printed."""
    pfm = motif.pfm / motif.pfm.sum(axis=1, keepdims=True)
    smoothed = (pfm + HOMER_PSEUDOCOUNT) / (1.0 + pfm.shape[1] * HOMER_PSEUDOCOUNT)
    return np.round(smoothed, 6)


def homer_threshold(pfm: np.ndarray, background=None, threshold_fraction: float = 0.6) -> float:
    """HOMER detection threshold of a probability matrix.

    Parameters
    ----------
    pfm : numpy.ndarray, shape=(W, 4)
        Letter probabilities (A C G T), all positive.
    background : sequence of float or None, optional
        A C G T frequencies. Default is None, uniform (what HOMER scores against).
    threshold_fraction : float, optional
        Fraction of the maximum score. Default is 0.6.

    Returns
    -------
    float
        ``threshold_fraction * sum_i max_a ln(p_ia / b_a)``: natural-log odds, HOMER's
        unit.
    """
    bg = _background(background, 4)
    return float(threshold_fraction * np.log(np.asarray(pfm) / bg).max(axis=1).sum())


def write_homer(
    path: str | os.PathLike,
    motifs: Sequence[Motif],
    *,
    background: Sequence[float] | None = None,
    threshold_fraction: float = 0.6,
) -> None:
    """Write motifs as a HOMER motif file (``.motif``).

    Parameters
    ----------
    path : str or os.PathLike
        Output file; written atomically.
    motifs : sequence of Motif
        DNA motifs (RNA ones are written with U as T). May be empty: an empty file.
    background : sequence of float or None, optional
        A C G T frequencies for the threshold's log-odds scores. Default is None,
        uniform, which is what HOMER itself scores against; pass another only when
        the threshold is meant for a tool that uses it.
    threshold_fraction : float, optional
        The detection threshold as a fraction of the motif's maximum log-odds score,
        in (0, 1]. HOMER's own library motifs mostly sit at 60-70 % of their maximum.
        Default is 0.6.

    Notes
    -----
    Each motif is a header line ``>CONSENSUS<TAB>NAME<TAB>THRESHOLD`` and one row of
    tab-separated A C G T probabilities per position. ``NAME`` follows HOMER's
    ``Factor/ID`` style: ``alt_name/name``, or just ``name`` without an alt name.
    Probabilities get a pseudocount of :data:`HOMER_PSEUDOCOUNT` per letter (then
    renormalised) so no letter is impossible, and are printed with 6 decimals.
    ``THRESHOLD`` is ``threshold_fraction`` times the maximum natural-log odds score
    of exactly the matrix written (see :func:`homer_threshold`); HOMER reports a site
    where a sequence scores at least that.

    Raises
    ------
    ConfigError
        For a protein (or other non-DNA) motif, a bad background or fraction, or a
        missing output folder.
    """
    path = _check_folder(path)
    motifs = _dna_motifs(motifs, "HOMER")
    if not (0.0 < threshold_fraction <= 1.0):
        raise ConfigError(f"threshold_fraction must be in (0, 1], got {threshold_fraction}")
    _background(background, 4)  # validate once, up front
    lines: list[str] = []
    for m in motifs:
        probs = _homer_matrix(m)
        threshold = homer_threshold(probs, background, threshold_fraction)
        consensus = m.consensus().replace("U", "T")
        name = f"{m.alt_name}/{m.name}" if m.alt_name else m.name
        lines.append(f">{consensus}\t{name}\t{threshold:.6f}")
        lines.extend("\t".join(f"{p:.6f}" for p in row) for row in probs)
    write_text_atomic(path, "".join(line + "\n" for line in lines))


def read_homer(path: str | os.PathLike) -> list[Motif]:
    """Read the motifs of a HOMER motif file.

    Parameters
    ----------
    path : str or os.PathLike
        A HOMER ``.motif`` / ``.motifs`` file: ``>`` headers with at least a consensus
        and a name, then rows of 4 numbers (A C G T, tab or space separated). Blank
        lines are skipped.

    Returns
    -------
    list of Motif
        ACGT motifs in file order. A ``NAME`` of the form ``Factor/ID[/...]`` (what
        :func:`write_homer` writes, and HOMER's ``CTCF(Zf)/CD4+-CTCF-ChIP-Seq/Homer``
        style) gives ``alt_name="Factor"`` and ``name="ID"``; any other name is the
        ``name`` (white space replaced by ``_``) with no alt name; without a name
        field the consensus is the name. Rows are renormalised to sum to 1 (HOMER
        files often print 3 decimals); ``nsites`` is 20, as HOMER files do not say.
        The threshold is not kept.

    Raises
    ------
    InputError
        For a missing file, a row before any header, a row without 4 non-negative
        numbers, or a motif without rows; the message names the file and line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError(f"{path}: no such HOMER motif file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read HOMER motif file ({exc})") from None

    def fail(lineno: int, message: str) -> InputError:
        return InputError(f"{path}, line {lineno}: {message}")

    pending: list[tuple[int, str, str | None, list[list[float]]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith(">"):
            # HOMER separates header fields by tabs; hand-made files sometimes by spaces.
            fields = line[1:].split("\t") if "\t" in line else line[1:].split()
            consensus = fields[0].strip()
            label = fields[1].strip() if len(fields) > 1 else ""
            if not consensus and not label:
                raise fail(lineno, "expected '>CONSENSUS<TAB>NAME<TAB>THRESHOLD' header")
            name, alt = _split_homer_name(label or consensus)
            pending.append((lineno, name, alt, []))
            continue
        if not pending:
            raise fail(lineno, f"expected a '>' motif header, got {line.strip()[:40]!r}")
        words = line.split()
        try:
            row = [float(w) for w in words]
        except ValueError:
            raise fail(lineno, f"expected 4 numbers (A C G T), got {line.strip()[:60]!r}") from None
        if len(row) != 4:
            raise fail(lineno, f"expected 4 numbers (A C G T), got {len(row)}")
        if not all(math.isfinite(v) and v >= 0 for v in row) or sum(row) <= 0:
            raise fail(lineno, "expected non-negative probabilities with a positive sum")
        if abs(sum(row) - 1.0) > max(ROW_SUM_TOLERANCE, 0.02):
            raise fail(lineno, f"row sums to {sum(row):.4g}, expected probabilities summing to 1")
        pending[-1][3].append(row)

    motifs = []
    for lineno, name, alt, rows in pending:
        if not rows:
            raise fail(lineno, f"motif {name} has no matrix rows")
        arr = np.array(rows)
        try:
            motifs.append(Motif(name, arr / arr.sum(axis=1, keepdims=True), alt_name=alt))
        except InputError as exc:
            raise fail(lineno, str(exc)) from None
    return motifs


def _split_homer_name(label: str) -> tuple[str, str | None]:
    """``(name, alt_name)`` of a HOMER name field."""
    label = re.sub(r"\s+", "_", label.strip())
    parts = label.split("/")
    if len(parts) >= 2 and parts[0] and parts[1]:
        return parts[1], parts[0]
    return label, None


# -- all formats ----------------------------------------------------------------------


def write_all(
    out_dir: str | os.PathLike,
    motifs: Sequence[Motif],
    *,
    background: Sequence[float] | None = None,
    stem: str = "motifs",
    urls: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write motifs in all four formats: MEME, JASPAR, TRANSFAC and HOMER.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Output folder, created if missing.
    motifs : sequence of Motif
        DNA or RNA motifs sharing one alphabet. May be empty (empty files).
    background : sequence of float or None, optional
        Letter frequencies for the MEME background line and the HOMER thresholds.
        Default is None, uniform.
    stem : str, optional
        File name stem. Default is ``"motifs"``.
    urls : mapping of str to str or None, optional
        Motif name -> URL for the MEME file's ``URL`` lines. Default is None.

    Returns
    -------
    dict of str to Path
        ``{"meme": out_dir/stem.meme, "jaspar": .../stem.jaspar,
        "transfac": .../stem.transfac, "homer": .../stem.homer}``.

    Raises
    ------
    ConfigError
        For protein motifs (checked before anything is written; use
        :func:`seqnet.motifs.meme.write_meme`), mixed alphabets, a bad background or
        a stem holding a path separator.
    """
    motifs = list(motifs)
    if not stem or "/" in stem or "\\" in stem or stem in (".", ".."):
        raise ConfigError(f"stem must be a plain file name stem, got {stem!r}")
    alphabets = {m.alphabet for m in motifs if isinstance(m, Motif)}
    if len(alphabets) > 1:
        raise ConfigError(f"cannot write motifs with different alphabets to one set of files: {sorted(alphabets)}")
    _dna_motifs(motifs, "JASPAR, TRANSFAC and HOMER")
    _background(background, 4)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {fmt: out_dir / f"{stem}.{fmt}" for fmt in ("meme", "jaspar", "transfac", "homer")}
    write_meme(paths["meme"], motifs, background=background, urls=urls)
    write_jaspar(paths["jaspar"], motifs)
    write_transfac(paths["transfac"], motifs)
    # HOMER scores against ACGT; an RNA background is in the same A C G(U) order.
    write_homer(paths["homer"], motifs, background=background)
    return paths
