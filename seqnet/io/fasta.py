"""FASTA and gzipped FASTA: read, write, and coordinate-style record ids.

Reading uses Biopython's :func:`~Bio.SeqIO.FastaIO.SimpleFastaParser` (plain strings, no
``SeqRecord`` objects, several times faster than ``SeqIO.parse``).  Every problem a user can
cause with a bad file raises :class:`~seqnet.errors.InputError` with a one-line message that
starts with the path and names the line or record and what was expected.

Every reader here reads a file at most once: a named pipe or a process substitution
(``<(zcat x.fa.gz)``) cannot be read a second time, so such an input is read whole
(:func:`read_raw`) and parsed from those bytes, also when a problem sends the fast reader
back to the careful one.

Examples
--------
>>> ids, seqs = read_fasta("peaks.fa.gz")          # doctest: +SKIP
>>> write_fasta("out.fa", ids, seqs)               # doctest: +SKIP
>>> parse_coordinate_id("chr1:1,000-2,000(+)")
('chr1', 1000, 2000)
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import stat
import zlib
from collections.abc import Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import TextIO

import numpy as np
from Bio.SeqIO.FastaIO import SimpleFastaParser

from seqnet.errors import InputError
from seqnet.utils import atomic_path

__all__ = [
    "is_regular_file",
    "read_raw",
    "decompressed",
    "open_text",
    "read_fasta",
    "read_fasta_tokens",
    "write_fasta",
    "parse_coordinate_id",
]

GZIP_MAGIC = b"\x1f\x8b"

# How much of an offending line an error message shows.
_SHOW_CHARS = 40


def _show(text: str) -> str:
    """Quote ``text`` for an error message, cut to about 40 characters."""
    text = text.rstrip("\r\n")
    if len(text) > _SHOW_CHARS:
        text = text[:_SHOW_CHARS] + "..."
    return repr(text)


def _check_file(path: str | Path) -> Path:
    """Return ``path`` as a :class:`Path` after checking it is an existing regular file."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    if p.is_dir():
        raise InputError(f"{path}: is a directory; expected a file")
    return p


def is_regular_file(path: str | Path) -> bool:
    """Whether ``path`` is a regular file, which can be read more than once.

    A named pipe (``mkfifo``) or a process substitution (``<(zcat x.gz)``, seen as
    ``/dev/fd/N``) is not: its bytes can be read only once, so every reader reads such an
    input in one go (:func:`read_raw`) and parses the bytes it got.
    """
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def read_raw(path: str | Path) -> bytes:
    """All bytes of a file as stored (gzip not decompressed), read exactly once.

    Raises
    ------
    InputError
        If the file does not exist, is a directory or cannot be read.
    """
    p = _check_file(path)
    try:
        with open(p, "rb") as fh:
            return fh.read()
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None


def decompressed(path: str | Path, raw: bytes) -> bytes:
    """``raw`` gunzipped when it starts with the gzip magic bytes, else as is.

    Raises
    ------
    InputError
        ``{path}: truncated or corrupt gzip file (...)`` for damaged gzip data.
    """
    if raw[:2] != GZIP_MAGIC:
        return raw
    with read_errors(path):
        return gzip.decompress(raw)


def is_gzip(path: str | Path) -> bool:
    """Tell whether a file starts with the gzip magic bytes ``1f 8b``.

    Opens the file: for a pipe, which can be read only once, look at the bytes of
    :func:`read_raw` instead.

    Parameters
    ----------
    path : str or Path
        An existing file.

    Returns
    -------
    bool
        True for gzip (and bgzip) files, whatever their suffix.
    """
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_text(path: str | Path, data: bytes | None = None) -> TextIO:
    """Open a text file for reading, decompressing gzip transparently.

    Gzip is detected from the magic bytes ``1f 8b``, so a gzipped file without a ``.gz``
    suffix (and a plain file with one) is read correctly.  Text is decoded as UTF-8 with
    universal newlines.  Decoding and decompression errors surface while reading; wrap the
    reading in :func:`read_errors` to turn them into :class:`~seqnet.errors.InputError`.
    A regular file is streamed; anything else (a named pipe, ``<(...)``) is read once,
    whole, by :func:`read_raw`, since it cannot be opened a second time.

    Parameters
    ----------
    path : str or Path
        File to open.
    data : bytes or None, optional
        The file's bytes as stored, already read: read these instead of the file.
        Default is None.

    Returns
    -------
    TextIO
        A text handle; close it (or use it in a ``with`` block).

    Raises
    ------
    InputError
        If the file does not exist or is a directory.
    """
    if data is None and not is_regular_file(path):
        data = read_raw(path)
    if data is not None:
        stream = io.BytesIO(data)
        binary = gzip.GzipFile(fileobj=stream) if data[:2] == GZIP_MAGIC else stream
        return io.TextIOWrapper(binary, encoding="utf-8", newline=None)
    p = _check_file(path)
    try:
        if is_gzip(p):
            return gzip.open(p, "rt", encoding="utf-8", newline=None)
        return open(p, encoding="utf-8", newline=None)
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None


@contextlib.contextmanager
def read_errors(path: str | Path, kind: str = "text") -> Iterator[None]:
    """Turn decoding and decompression errors raised while reading into InputError.

    Parameters
    ----------
    path : str or Path
        The file being read, as the user gave it (used in the message).
    kind : str, optional
        What the file should be, for the message ("FASTA", "table", ...). Default is "text".

    Raises
    ------
    InputError
        ``{path}: not a text {kind} file ...`` for undecodable bytes and
        ``{path}: truncated or corrupt gzip file (...)`` for damaged gzip data.
    """
    try:
        yield
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not a text {kind} file (byte 0x{exc.object[exc.start]:02x} is not "
            f"UTF-8 text); expected a plain or gzipped text file"
        ) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: truncated or corrupt gzip file ({detail})") from None


def _looks_binary(line: str) -> bool:
    """True when a line holds control characters that no text format uses."""
    return any(ord(c) < 32 and c not in "\t\r\n\f\v" for c in line)


def read_fasta(path: str | Path, *, data: bytes | None = None) -> tuple[list[str], list[str]]:
    """Read a FASTA or gzipped FASTA file.

    Parameters
    ----------
    path : str or Path
        FASTA file, plain or gzip (detected from the content, not the suffix).
    data : bytes or None, optional
        The file's bytes as stored, already read (see :func:`open_text`): parsed instead
        of reading ``path``, which then only names the file in messages. Default is None.

    Returns
    -------
    ids : list of str
        Record ids: the first whitespace-delimited word of each header (Biopython's
        ``record.id``), in file order.
    seqs : list of str
        Sequences, multi-line records joined, letters exactly as in the file (case kept;
        validation of the letters is left to :mod:`seqnet.encode`).

    Raises
    ------
    InputError
        If the file is missing, a directory, empty, not FASTA (first non-blank line is not
        a ``>`` header), binary, a damaged gzip, or has a record with an empty id, an empty
        sequence, or an id used twice.
    """
    ids: list[str] = []
    seqs: list[str] = []
    first_record: dict[str, int] = {}
    with open_text(path, data) as handle, read_errors(path, "FASTA"):
        # Biopython silently skips text before the first '>', so a TSV or BED file would
        # come back as "no records"; look at the first non-blank line ourselves.
        first = None
        for lineno, line in enumerate(handle, start=1):
            if line.strip():
                first = line
                break
        if first is None:
            raise InputError(f"{path}: no FASTA records found; expected lines starting with '>'")
        if not first.startswith(">"):
            if _looks_binary(first):
                raise InputError(
                    f"{path}: not a text FASTA file (binary data on line {lineno}); "
                    f"expected lines starting with '>'"
                )
            raise InputError(
                f"{path}: line {lineno}: expected a FASTA header starting with '>', "
                f"found {_show(first)}"
            )
        for number, (title, seq) in enumerate(SimpleFastaParser(chain([first], handle)), 1):
            words = title.split(None, 1)
            if not words:
                raise InputError(
                    f"{path}: record {number} has an empty id; expected '>id' with the id "
                    f"right after '>'"
                )
            rid = words[0]
            if rid in first_record:
                raise InputError(
                    f"{path}: duplicate record id {rid!r} (records {first_record[rid]} "
                    f"and {number})"
                )
            if not seq:
                raise InputError(f"{path}: record {rid!r} (record {number}) has an empty sequence")
            first_record[rid] = number
            ids.append(rid)
            seqs.append(seq)
    return ids, seqs


# Letters Biopython's parser drops from sequence lines (it strips line ends and spaces).
_SEQ_WHITESPACE = b" \r\n"
# Blank lines (white space, then a line end) before the first header, which
# read_fasta skips too; " >a" is not a header there, so it is not one here either.
_LEADING_BLANK_LINES = re.compile(rb"(?:[^\S\n]*\n)*")


def read_fasta_tokens(
    path: str | Path, alphabet, *, data: bytes | None = None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read a FASTA file straight into tokens, without a Python string per sequence.

    The whole file is read as bytes, once (gzip decompressed in one go), split at
    line-start ``>``, and each record is stripped of line ends and spaces and mapped to
    tokens by one :meth:`bytes.translate`: several times faster than :func:`read_fasta`
    followed by encoding.  It accepts exactly what :func:`read_fasta` +
    :func:`seqnet.encode.encode` accept: when anything looks wrong (not FASTA, empty ids
    or sequences, duplicate ids, a letter outside the alphabet, damaged gzip, ...) it
    parses the same bytes again the careful way, which raises the precise one-line error.
    The file itself is never read twice, so a named pipe or ``<(zcat x.fa.gz)`` works.

    Parameters
    ----------
    path : str or Path
        FASTA file, plain or gzip.
    alphabet : Alphabet
        Alphabet to encode with.
    data : bytes or None, optional
        The file's bytes as stored, already read (e.g. by :func:`read_raw`): parsed
        instead of reading ``path``, which then only names the file in messages.
        Default is None.

    Returns
    -------
    ids : list of str
        Record ids (first word of each header), in file order.
    tokens : numpy.ndarray, shape=(sum(lengths),), dtype=uint8
        All records' tokens, concatenated.
    lengths : numpy.ndarray, shape=(N,), dtype=int64
        Length of each record.

    Raises
    ------
    InputError
        As :func:`read_fasta`, or for a letter outside ``alphabet`` (naming the record
        and the 1-based position).
    """
    from seqnet.encode import INVALID

    stored = read_raw(path) if data is None else data
    try:
        raw = gzip.decompress(stored) if stored[:2] == GZIP_MAGIC else stored
    except (EOFError, zlib.error, gzip.BadGzipFile):
        return _careful_tokens(path, alphabet, stored)
    start = _LEADING_BLANK_LINES.match(raw).end()  # no copy of the text
    if raw[start : start + 1] != b">":
        return _careful_tokens(path, alphabet, stored)
    parsed = _split_records(raw, start, bytes(alphabet.lut.tolist()))
    if parsed is None:
        return _careful_tokens(path, alphabet, stored)
    ids, seqs = parsed
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    if not lengths.all() or len(set(ids)) != len(ids):
        return _careful_tokens(path, alphabet, stored)
    tokens = np.frombuffer(bytearray().join(seqs), dtype=np.uint8)
    if tokens.size and tokens.max() == INVALID:
        return _careful_tokens(path, alphabet, stored)
    return ids, tokens, lengths


def _split_records(raw: bytes, start: int, table: bytes) -> tuple[list[str], list[bytes]] | None:
    """Ids and token bytes of each record of FASTA text ``raw`` (a ``>`` at ``start``);
    None for an empty header or one that is not UTF-8."""
    chunks = raw.split(b"\n>")
    chunks[0] = chunks[0][start + 1 :]
    ids: list[str] = []
    seqs: list[bytes] = []
    try:
        for chunk in chunks:
            head, _, seq = chunk.partition(b"\n")
            # Split the decoded text, as read_fasta does: str.split also splits at
            # non-ASCII white space (a no-break space), bytes.split would not.
            ids.append(head.decode("utf-8").split(None, 1)[0])
            # bytes.translate drops the white space and maps letters to tokens in one C pass.
            seqs.append(seq.translate(table, _SEQ_WHITESPACE))
    except (IndexError, UnicodeDecodeError):
        return None
    return ids, seqs


def _careful_tokens(path: str | Path, alphabet, data: bytes) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`read_fasta` + per-record encoding of the bytes already read: slower, and
    exact about what is wrong."""
    from seqnet.encode import encode

    ids, seqs = read_fasta(path, data=data)
    parts = [encode(s, alphabet, name=i, source=str(path)) for i, s in zip(ids, seqs)]
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    return ids, np.concatenate(parts) if parts else np.zeros(0, np.uint8), lengths


def write_fasta(
    path: str | Path,
    ids: Sequence[str],
    seqs: Sequence[str],
    line_width: int | None = 80,
) -> None:
    """Write records to a FASTA file atomically.

    The records go to a temporary file in the destination directory, which then replaces
    ``path`` with :func:`os.replace`, so a reader never sees a half-written file and a
    failure leaves nothing behind.

    Parameters
    ----------
    path : str or Path
        Output file; gzip-compressed when the name ends with ``.gz``.
    ids : sequence of str
        Record ids, written as the whole header.  They must be non-empty and contain no
        whitespace, so that :func:`read_fasta` gives them back unchanged.
    seqs : sequence of str
        Sequences, same length as ``ids``.
    line_width : int or None, optional
        Residues per line; ``None`` or ``0`` writes each sequence on one line.
        Default is 80.

    Raises
    ------
    InputError
        If an id is empty or contains whitespace, or the directory is missing or not
        writable.
    ValueError
        If ``ids`` and ``seqs`` differ in length or ``line_width`` is negative.
    """
    if len(ids) != len(seqs):
        raise ValueError(f"write_fasta: {len(ids)} ids but {len(seqs)} sequences")
    if line_width is not None and line_width < 0:
        raise ValueError(f"write_fasta: line_width must be >= 0, got {line_width}")
    for number, rid in enumerate(ids, start=1):
        if not rid or any(c.isspace() for c in rid):
            raise InputError(
                f"{path}: record id {rid!r} (record {number}) is empty or contains "
                f"whitespace; FASTA ids are single words"
            )
    p = Path(path)
    parent = p.parent
    if not parent.is_dir():
        raise InputError(f"{path}: directory {str(parent)!r} does not exist")

    try:
        with atomic_path(p) as tmp, open(tmp, "wb") as raw:
            if p.name.endswith(".gz"):
                # mtime=0 makes the output byte-identical across runs.
                with gzip.GzipFile(
                    filename=p.name[:-3], mode="wb", fileobj=raw, mtime=0, compresslevel=6
                ) as gz:
                    _write_records(gz, ids, seqs, line_width)
            else:
                _write_records(raw, ids, seqs, line_width)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _write_records(out, ids: Sequence[str], seqs: Sequence[str], line_width: int | None) -> None:
    """Write FASTA text to a binary stream in large chunks."""
    chunk: list[str] = []
    for rid, seq in zip(ids, seqs):
        chunk.append(f">{rid}\n")
        if line_width and len(seq) > line_width:
            chunk.extend(seq[i : i + line_width] + "\n" for i in range(0, len(seq), line_width))
        else:
            chunk.append(seq + "\n")
        if len(chunk) > 4096:
            out.write("".join(chunk).encode("utf-8"))
            chunk = []
    out.write("".join(chunk).encode("utf-8"))


_COORD = re.compile(
    r"^(?P<chrom>\S+):(?P<start>\d{1,3}(?:,\d{3})+|\d+)-(?P<end>\d{1,3}(?:,\d{3})+|\d+)"
    r"(?:\([+\-.]\))?$"
)


def parse_coordinate_id(record_id: str) -> tuple[str, int, int] | None:
    """Parse a record id of the form ``chrom:start-end``.

    Accepted: ``chr1:100-200``, ``chr1:100-200(+)`` (strand ``+``, ``-`` or ``.``, ignored)
    and thousands separators ``chr1:1,000-2,000``.  The chromosome is everything before
    the last ``:`` that is followed by coordinates, so names containing ``:`` work.
    Coordinates are returned as written (no change of base).

    Parameters
    ----------
    record_id : str
        A FASTA record id.

    Returns
    -------
    tuple of (str, int, int) or None
        ``(chrom, start, end)``, or None when the id is not of that form or ``end < start``.
    """
    m = _COORD.match(record_id)
    if m is None:
        return None
    start = int(m["start"].replace(",", ""))
    end = int(m["end"].replace(",", ""))
    if end < start:
        return None
    return m["chrom"], start, end
