"""MEME motif files: write the minimal format, read minimal and full MEME output.

The writer follows the MEME suite's "minimal MEME motif format" (version 4), which
Tomtom, FIMO, SEA, Biopython (``Bio.motifs.parse(handle, "minimal")``) and memelite all
read::

    MEME version 4

    ALPHABET= ACGT

    strands: + -

    Background letter frequencies
    A 0.250000 C 0.250000 G 0.250000 T 0.250000

    MOTIF MA0139.2 CTCF

    letter-probability matrix: alength= 4 w= 15 nsites= 913
     0.307777  0.053669  0.491785  0.146769
    ...
    URL https://jaspar.elixir.no/matrix/MA0139.2/

Every line layout choice above is one of those readers' expectations: the background
line is single-space separated (Biopython splits it on one space), the matrix rows follow
the ``letter-probability`` line directly and each motif ends with a blank line (memelite
only stores a motif when it reads the line after its last row).  ``E=`` is written only
for a motif that has an E-value (MEME's own readers default it).  The second word of a
``MOTIF`` line is MEME's alternate name; memelite keeps the rest of the line as one key
(``"MA0139.2 CTCF"``), so motifs without an ``alt_name`` are written with their ID
alone, and an optional ``URL`` line (which every reader skips) can point elsewhere.

The reader is small and ours: it takes the minimal format and the full ``meme.txt``
output (whose extra sections it skips) and reports problems as
:class:`~seqnet.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from seqnet.errors import ConfigError, InputError
from seqnet.outputs import write_text_atomic
from seqnet.motifs.motif import ROW_SUM_TOLERANCE, Motif, _background

__all__ = ["write_meme", "read_meme"]

PROTEIN_LETTERS = "ACDEFGHIKLMNPQRSTVWY"
# Alphabets the minimal format names with "ALPHABET= <letters>".
_KNOWN_ALPHABETS = ("ACGT", "ACGU", PROTEIN_LETTERS)


def write_meme(
    path: str | os.PathLike,
    motifs: Sequence[Motif],
    *,
    background: Sequence[float] | None = None,
    strands: str = "+ -",
    evalues: Mapping[str, float] | None = None,
    urls: Mapping[str, str] | None = None,
) -> None:
    """Write motifs as a MEME minimal motif format (version 4) file.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; written atomically (temp file, then rename).
    motifs : sequence of Motif
        Motifs sharing one alphabet (ACGT, ACGU or the 20 amino acids). May be empty.
    background : sequence of float or None, optional
        Letter frequencies in alphabet order, normalised before writing. Default is
        None, uniform.
    strands : str, optional
        ``"+ -"`` (both strands) or ``"+"``; the line is only written for DNA, as MEME
        does. Default is ``"+ -"``.
    evalues : mapping of str to float or None, optional
        Motif name -> E-value, written as ``E=`` on its matrix line; motifs without
        one get no ``E=``. Default is None.
    urls : mapping of str to str or None, optional
        Motif name -> URL, written as a ``URL`` line after its matrix. Default is None.

    Raises
    ------
    ConfigError
        For motifs with different or unsupported alphabets, a bad background or a bad
        ``strands`` value.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ConfigError(f"cannot write {path}: folder {path.parent} does not exist")
    motifs = list(motifs)
    alphabets = {m.alphabet for m in motifs}
    if len(alphabets) > 1:
        raise ConfigError(f"cannot write motifs with different alphabets to one MEME file: {sorted(alphabets)}")
    alphabet = alphabets.pop() if alphabets else "ACGT"
    if alphabet not in _KNOWN_ALPHABETS:
        raise ConfigError(f"MEME files take the ACGT, ACGU or protein alphabet, not {alphabet!r}")
    if strands not in ("+ -", "+"):
        raise ConfigError(f"strands must be '+ -' or '+', got {strands!r}")
    bg = _background(background, len(alphabet))

    lines = ["MEME version 4", "", f"ALPHABET= {alphabet}", ""]
    if alphabet == "ACGT":
        lines += [f"strands: {strands}", ""]
    lines.append("Background letter frequencies")
    lines.append(" ".join(f"{letter} {freq:.6f}" for letter, freq in zip(alphabet, bg)))
    lines.append("")
    for m in motifs:
        lines.append(f"MOTIF {m.name} {m.alt_name}" if m.alt_name else f"MOTIF {m.name}")
        lines.append("")
        e = (evalues or {}).get(m.name)
        lines.append(
            f"letter-probability matrix: alength= {len(alphabet)} w= {m.width} "
            f"nsites= {m.nsites}" + (f" E= {e:.2g}" if e is not None else "")
        )
        lines.extend(" " + "  ".join(f"{p:.6f}" for p in row) for row in m.pfm)
        url = (urls or {}).get(m.name)
        if url:
            lines.append(f"URL {url}")
        lines.append("")
    write_text_atomic(path, "\n".join(lines) + "\n")


# -- reading --------------------------------------------------------------------------

_KEY_VALUE = re.compile(r"(\w+)=\s*(\S+)")


class _Pending:
    """A motif whose MOTIF line has been read, waiting for its matrix."""

    def __init__(self, name: str, alt_name: str | None, lineno: int) -> None:
        self.name = name
        self.alt_name = alt_name
        self.lineno = lineno
        self.motif: Motif | None = None


def read_meme(path: str | os.PathLike) -> list[Motif]:
    """Read the motifs of a MEME motif file (minimal format or full MEME output).

    Only each motif's ``letter-probability matrix`` is read; log-odds matrices, site
    lists, URLs and other sections are skipped. A ``.gz`` file is decompressed.

    Parameters
    ----------
    path : str or os.PathLike
        The MEME file.

    Returns
    -------
    list of Motif
        In file order, with the MOTIF line's first word as ``name``, its second word
        (if any) as ``alt_name``, and ``nsites`` from the matrix header (20 when absent,
        as in MEME).

    Raises
    ------
    InputError
        For a missing file, a file without a ``MEME version`` line, a custom alphabet
        definition, or a malformed matrix; the message names the file and line.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError(f"{path}: no such MEME file") from None
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read MEME file ({exc})") from None
    lines = text.splitlines()

    def fail(lineno: int, message: str) -> InputError:
        return InputError(f"{path}, line {lineno}: {message}")

    saw_version = False
    alphabet: str | None = None
    done: list[_Pending] = []
    current: _Pending | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        i += 1
        stripped = line.strip()
        if line.startswith("MEME version"):
            saw_version = True
        elif line.startswith("ALPHABET"):
            if not line.startswith("ALPHABET="):
                raise fail(lineno, "custom alphabet definitions are not supported; expected 'ALPHABET= ACGT'")
            alphabet = line[len("ALPHABET=") :].strip().upper()
            if alphabet not in _KNOWN_ALPHABETS:
                raise fail(lineno, f"unsupported alphabet {alphabet!r}; expected ACGT, ACGU or {PROTEIN_LETTERS}")
        elif line.split(maxsplit=1)[:1] == ["MOTIF"]:
            if not saw_version:
                raise fail(lineno, "MOTIF before the 'MEME version' line; not a MEME motif file")
            words = line.split()
            if len(words) < 2:
                raise fail(lineno, "expected 'MOTIF <name> [<alt name>]'")
            # Full MEME 4 output writes "MOTIF 1 width = 21 ...": no alt name there.
            alt = words[2] if len(words) > 2 and words[2] != "width" else None
            if current is not None:
                done.append(current)
            current = _Pending(words[1], alt, lineno)
        elif stripped.startswith("letter-probability matrix"):
            if current is None:
                raise fail(lineno, "letter-probability matrix before any MOTIF line")
            if current.motif is not None:
                raise fail(lineno, f"second letter-probability matrix for motif {current.name}")
            i = _read_matrix(lines, i, lineno, current, alphabet, fail)
    if current is not None:
        done.append(current)
    if not saw_version:
        raise InputError(f"{path}: not a MEME motif file (no 'MEME version' line)")
    for pending in done:
        if pending.motif is None:
            raise fail(pending.lineno, f"motif {pending.name} has no letter-probability matrix")
    return [p.motif for p in done]


def _read_matrix(lines, i, header_lineno, current: _Pending, alphabet, fail) -> int:
    """Parse the matrix whose header is line ``header_lineno``; return the next index."""
    header = lines[header_lineno - 1]
    fields = dict(_KEY_VALUE.findall(header.split(":", 1)[1] if ":" in header else ""))
    try:
        alength = int(fields["alength"]) if "alength" in fields else None
        width = int(fields["w"]) if "w" in fields else None
        nsites = int(round(float(fields["nsites"]))) if "nsites" in fields else 20
    except ValueError:
        raise fail(header_lineno, "expected 'alength= A w= W nsites= N' with numbers") from None
    if width is not None and width < 1:
        raise fail(header_lineno, f"motif width w= {width}, expected >= 1")
    if alphabet is None:
        # No ALPHABET line: the matrix width says which of the standard ones.
        alphabet = {4: "ACGT", 20: PROTEIN_LETTERS}.get(alength if alength is not None else 4)
        if alphabet is None:
            raise fail(header_lineno, f"no ALPHABET line and alength= {alength} is neither 4 nor 20")
    if alength is not None and alength != len(alphabet):
        raise fail(header_lineno, f"alength= {alength} but the alphabet {alphabet} has {len(alphabet)} letters")

    rows: list[list[float]] = []
    while i < len(lines) and (width is None or len(rows) < width):
        lineno = i + 1
        words = lines[i].split()
        if not words or not _is_number(words[0]):
            if width is None:
                break  # without w=, the matrix ends at the first non-row line
            raise fail(
                lineno,
                f"expected row {len(rows) + 1} of {width} of motif {current.name}, got {lines[i].strip()!r}",
            )
        try:
            row = [float(w) for w in words]
        except ValueError:
            raise fail(
                lineno, f"matrix row of motif {current.name} holds a non-number: {lines[i].strip()!r}"
            ) from None
        if len(row) != len(alphabet):
            raise fail(lineno, f"matrix row has {len(row)} values, expected {len(alphabet)}")
        if not all(np.isfinite(row)) or min(row) < 0:
            raise fail(lineno, "matrix row holds negative or non-finite probabilities")
        if abs(sum(row) - 1.0) > ROW_SUM_TOLERANCE:
            raise fail(lineno, f"matrix row sums to {sum(row):.4g}, expected probabilities summing to 1")
        rows.append(row)
        i += 1
    if width is not None and len(rows) < width:
        raise fail(len(lines), f"file ends after {len(rows)} of {width} rows of motif {current.name}")
    if not rows:
        raise fail(header_lineno + 1, f"motif {current.name} has an empty letter-probability matrix")
    try:
        current.motif = Motif(
            current.name, np.array(rows), nsites=max(nsites, 0), alt_name=current.alt_name, alphabet=alphabet
        )
    except InputError as exc:
        raise fail(current.lineno, str(exc)) from None
    return i


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True
