"""Indexed genome FASTA (pyfaidx): opening with a checked ``.fai`` index, sequence
sizes and window extraction.

Coordinates are 0-based, half-open, as in BED (:mod:`seqnet.io.bed`).

Examples
--------
>>> genome = open_genome("genome.fa")                               # doctest: +SKIP
>>> peaks = read_bed("peaks.bed")                                   # doctest: +SKIP
>>> ids, seqs = extract(genome, peaks, 200, source="peaks.bed")     # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import hashlib
import mmap
import os
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import pyfaidx

from seqnet.errors import InputError
from seqnet.io.bed import Interval, recenter
from seqnet.io.fasta import GZIP_MAGIC, _looks_binary, _show, is_gzip, open_text, read_errors
from seqnet.utils import cache_root

__all__ = [
    "open_genome",
    "index_problem",
    "chrom_sizes",
    "extract",
]


# How many chromosome names an "unknown chromosome" message lists.
_SHOW_CHROMS = 5


def _cached_index_paths(path: Path) -> tuple[Path, Path]:
    """Where the .fai / .gzi of a genome go when they cannot sit beside it.

    The name hashes the absolute path, size and modification time, so an edited genome
    usually gets a fresh index; an edit that keeps all three (``os.utime``, a copy with
    its times kept) is caught by :func:`index_problem`, which proves an index current.
    """
    st = path.stat()
    key = f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode()
    digest = hashlib.sha256(key).hexdigest()[:16]
    folder = cache_root() / "fai"
    return folder / f"{path.name}.{digest}.fai", folder / f"{path.name}.{digest}.gzi"


def _dir_writable(folder: Path) -> bool:
    """Whether we may write in ``folder``.

    Root passes ``os.access`` everywhere, so a folder whose mode has no write bit at all
    (``chmod a-w``, e.g. a shared read-only data folder) also counts as read-only.
    """
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    return os.access(folder, os.W_OK) and bool(mode & 0o222)


def _is_bgzf(path: Path) -> bool:
    """BGZF is gzip with an extra field holding the subfield id ``BC``."""
    with open(path, "rb") as fh:
        head = fh.read(18)
    return len(head) >= 18 and head[:2] == GZIP_MAGIC and bool(head[3] & 4) and head[12:14] == b"BC"


def _check_genome_text(path: Path, shown: str) -> None:
    """Fail early, with a clear message, on files that are not FASTA."""
    with open_text(path) as handle, read_errors(shown, "FASTA"):
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if line.startswith(">"):
                return
            if _looks_binary(line):
                raise InputError(
                    f"{shown}: not a text FASTA file (binary data on line {lineno}); "
                    f"expected a genome FASTA"
                )
            raise InputError(
                f"{shown}: line {lineno}: expected a FASTA header starting with '>', "
                f"found {_show(line)}"
            )
    raise InputError(f"{shown}: no FASTA records found; expected lines starting with '>'")


def _fasta(path: Path, shown: str, **index_paths) -> pyfaidx.Fasta:
    """Open with pyfaidx, translating its indexing errors into InputError."""
    try:
        return pyfaidx.Fasta(str(path), as_raw=True, rebuild=True, **index_paths)
    except UnicodeDecodeError:  # before ValueError, its base class
        raise InputError(
            f"{shown}: not a text FASTA file (bytes that are not UTF-8 text)"
        ) from None
    except pyfaidx.FastaIndexingError as exc:
        detail = " ".join(str(exc).split())
        raise InputError(
            f"{shown}: cannot index genome FASTA ({detail}); every sequence line of a "
            f"record but the last must have the same length"
        ) from None
    except ValueError as exc:
        if "Duplicate key" in str(exc):
            name = str(exc).split('"')[1] if '"' in str(exc) else str(exc)
            raise InputError(f"{shown}: duplicate sequence name {name!r}") from None
        # A damaged index file: pyfaidx fails while splitting its lines.
        index = index_paths.get("indexname", f"{path}.fai")
        raise InputError(
            f"{shown}: cannot read its index {index} ({exc}); delete the index to rebuild it"
        ) from None


def open_genome(path: str | Path) -> pyfaidx.Fasta:
    """Open an indexed genome FASTA, building the ``.fai`` index when missing or stale.

    The index is written beside the genome (``genome.fa.fai``, where samtools puts it)
    when that directory is writable.  Otherwise (a shared read-only data folder) it goes
    to ``$SEQNET_CACHE/fai/`` (default ``~/.cache/seqnet/fai/``) under a name hashing the
    genome's absolute path, size and modification time.  bgzip-compressed genomes
    (``.gz`` / ``.bgz``) are supported (their ``.gzi`` index follows the same rule); plain
    gzip is not, as it has no random access.

    An existing index is used only once its content is proven to describe the genome as
    it is now (modification times prove nothing: a copy or ``touch`` reorders them): for
    every sequence, a ``>name`` header line must end where the index says the sequence
    starts, and its first, middle and last lines must have the lengths the index implies;
    after the last sequence only blank lines may follow.  A stale index is rebuilt (in
    the cache folder when the genome's folder is read-only).

    Parameters
    ----------
    path : str or Path
        Genome FASTA.

    Returns
    -------
    pyfaidx.Fasta
        Opened with ``as_raw=True``: slicing gives ``str``.  Sequence names are the first
        word of each header.

    Raises
    ------
    InputError
        If the file is missing, not a regular file (a pipe), not FASTA, plain-gzip
        compressed, has lines of unequal length within a record, a sequence name used
        twice, or an index that cannot be made to match it.
    """
    shown = str(path)
    p = Path(path)
    _check_genome_file(p, shown)
    gz = is_gzip(p)
    beside = [Path(f"{p}.fai")] + ([Path(f"{p}.gzi")] if gz else [])
    writable = _dir_writable(p.parent)
    if beside[0].exists() or writable:
        genome = _open_current(p, shown, {}, beside, may_rebuild=writable)
        if genome is not None:
            return genome
    fai, gzi = _cached_index_paths(p)
    try:
        fai.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"{shown}: cannot write its .fai index beside it nor in {fai.parent} "
            f"({exc.strerror}); set SEQNET_CACHE to a writable folder"
        ) from None
    names = {"indexname": str(fai), **({"gzi_indexname": str(gzi)} if gz else {})}
    try:
        genome = _open_current(p, shown, names, [fai, gzi], may_rebuild=True)
    except OSError as exc:
        raise InputError(
            f"{shown}: cannot write its .fai index in {fai.parent} ({exc}); set "
            f"SEQNET_CACHE to a writable folder"
        ) from None
    if genome is None:
        raise InputError(f"{shown}: its index {fai} does not match the genome and cannot be deleted; delete it")
    return genome


def _check_genome_file(p: Path, shown: str) -> None:
    """A genome must be an existing, non-empty regular FASTA file (bgzip if compressed)."""
    if not p.exists():
        raise InputError(f"{shown}: no such file")
    if p.is_dir():
        raise InputError(f"{shown}: is a directory; expected a genome FASTA file")
    if not p.is_file():
        raise InputError(
            f"{shown}: not a regular file (a pipe?); a genome FASTA is read at random "
            f"positions through its index: save it to a file"
        )
    if p.stat().st_size == 0:
        raise InputError(f"{shown}: empty file; expected a genome FASTA")
    if is_gzip(p):
        if not _is_bgzf(p):
            raise InputError(
                f"{shown}: gzip-compressed genome is not bgzip (no random access); bgzip it "
                f"(gunzip {p.name}, then bgzip the result) or decompress it"
            )
        if not p.name.lower().endswith((".gz", ".bgz")):
            raise InputError(f"{shown}: bgzip-compressed genome must be named *.gz or *.bgz")
    _check_genome_text(p, shown)


def _open_current(
    p: Path, shown: str, names: dict, files: list[Path], *, may_rebuild: bool
) -> pyfaidx.Fasta | None:
    """Open ``p`` with the index at ``names`` (pyfaidx's defaults when empty), checked
    against the genome's content.

    A stale index is deleted and rebuilt when ``may_rebuild``; without it, and when an
    index beside the genome cannot be written, the answer is None (use the cache folder).
    An OSError while writing an index in the cache folder propagates.
    """
    for _ in range(2):
        try:
            genome = _fasta(p, shown, **names)
        except OSError:
            if names:
                raise
            return None
        problem = index_problem(genome)
        if problem is None:
            return genome
        genome.close()
        if not may_rebuild:
            return None
        try:
            for f in files:
                f.unlink(missing_ok=True)
        except OSError:  # e.g. another user's index in a shared folder
            return None
    raise InputError(f"{shown}: its rebuilt index {files[0]} does not match the genome ({problem})")


# Most bytes of header (and blank lines before it) an index check reads for a sequence.
_HEADER_SPAN = 1 << 20


def index_problem(genome: pyfaidx.Fasta) -> str | None:
    """Why the index ``genome`` was opened with does not describe its file, or None.

    Cheap content checks, a few small reads per sequence: the ``>name`` header line
    ends where the sequence starts, the first, middle and last lines have the lengths
    the index implies, and only blank lines follow the last sequence.

    Parameters
    ----------
    genome : pyfaidx.Fasta
        An opened genome (plain or bgzip).

    Returns
    -------
    str or None
        What does not match, naming the sequence; None for an index that matches.
    """
    faidx = genome.faidx
    records = list(faidx.index.items())
    if not records:
        return "it lists no sequences"
    with _GenomeBytes(faidx) as data:
        try:
            for k, (name, rec) in enumerate(records):
                problem = _header_problem(data, name, rec, first=k == 0) or _lines_problem(data, name, rec)
                if problem:
                    return problem
            return _tail_problem(data, *records[-1])
        except (OSError, ValueError, EOFError, zlib.error, struct.error) as exc:  # a stale .gzi
            return f"cannot read where it points ({type(exc).__name__})"


class _GenomeBytes:
    """Bytes of a genome at uncompressed positions: memory-mapped, or through the .gzi."""

    def __init__(self, faidx):
        self.faidx = faidx
        self.mapped = None
        if not faidx._bgzf:
            with open(faidx.filename, "rb") as fh:
                self.mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        else:
            self.starts = [block.ustart for block in faidx.gzi_index]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.mapped is not None:
            self.mapped.close()

    def read(self, pos: int, n: int) -> bytes:
        """Up to ``n`` bytes from uncompressed position ``pos`` (fewer at the end of the file)."""
        if pos < 0 or n <= 0:
            return b""
        if self.mapped is not None:
            return self.mapped[pos : pos + n]
        block = self.faidx.gzi_index[bisect.bisect_right(self.starts, pos) - 1]
        self.faidx.file.seek(pyfaidx.make_virtual_offset(block.cstart, pos - block.ustart))
        return self.faidx.file.read(n)


def _header_problem(data: _GenomeBytes, name: str, rec, *, first: bool) -> str | None:
    """The bytes before a sequence must be blank lines (or ``;`` comments before the
    first header), then its ``>name`` header line."""
    span = rec.offset - rec.prev_bend
    if span <= 0 or span > _HEADER_SPAN:
        return f"no '>{name}' header line before byte {rec.offset}"
    chunk = data.read(rec.prev_bend, span)
    lines = chunk[:-1].split(b"\n")
    words = lines[-1][1:].split()
    if not chunk.endswith(b"\n") or lines[-1][:1] != b">" or not words or words[0] != name.encode():
        return f"no '>{name}' header line ends at byte {rec.offset}"
    allowed = (b"", b";") if first else (b"",)
    if any(line.strip()[:1] not in allowed for line in lines[:-1]):
        return f"unexpected text before the '>{name}' header line"
    return None


def _lines_problem(data: _GenomeBytes, name: str, rec) -> str | None:
    """The first, middle and last sequence lines must sit where the index puts them."""
    if rec.rlen == 0:
        return None
    newline = rec.lenb - rec.lenc
    if rec.lenc <= 0 or newline not in (0, 1, 2):
        return f"impossible line lengths for {name!r}"
    n_lines = -(-rec.rlen // rec.lenc)
    if newline == 0 and n_lines > 1:
        return f"impossible line lengths for {name!r}"
    for k in sorted({0, n_lines // 2, n_lines - 1}):
        size = rec.lenc if k < n_lines - 1 else rec.rlen - k * rec.lenc
        start = rec.offset + k * rec.lenb
        before = data.read(start - 1, 1) if k else b"\n"
        line = data.read(start, size + 1)
        body, after = line[:size], line[size:]
        fits = len(body) == size and body[:1] != b">" and b"\n" not in body and after in (b"", b"\n", b"\r")
        if before != b"\n" or not fits:
            return f"line {k + 1} of {name!r} is not {size} bases long at byte {start}"
    return None


def _tail_problem(data: _GenomeBytes, name: str, rec) -> str | None:
    """Only blank lines may follow the last sequence: a longer file has more to it."""
    n_lines = -(-rec.rlen // rec.lenc) if rec.lenc else 0
    end = rec.offset + rec.rlen + max(n_lines - 1, 0) * (rec.lenb - rec.lenc)
    tail = data.read(end, _HEADER_SPAN)
    if len(tail) == _HEADER_SPAN or tail.strip():
        return f"the file goes on after {name!r}, its last sequence"
    return None


def _as_genome(genome: pyfaidx.Fasta | str | Path) -> pyfaidx.Fasta:
    return genome if isinstance(genome, pyfaidx.Fasta) else open_genome(genome)


def chrom_sizes(genome: pyfaidx.Fasta | str | Path) -> dict[str, int]:
    """Length of every sequence in the genome, in file order.

    Parameters
    ----------
    genome : pyfaidx.Fasta or str or Path
        An opened genome, or a path passed to :func:`open_genome`.

    Returns
    -------
    dict of str to int
        Sequence name -> length in bases.
    """
    genome = _as_genome(genome)
    return {name: int(record.rlen) for name, record in genome.faidx.index.items()}


def _where(source: str, iv: Interval, k: int) -> str:
    return f"{source}: line {iv.line}" if iv.line else f"{source}: interval {k + 1}"


def _chrom_list(sizes: dict[str, int]) -> str:
    names = list(sizes)
    shown = ", ".join(names[:_SHOW_CHROMS])
    return shown + (f", ... ({len(names)} in all)" if len(names) > _SHOW_CHROMS else "")


def extract(
    genome: pyfaidx.Fasta,
    intervals: Sequence[Interval],
    length: int | None,
    *,
    source: str,
) -> tuple[list[str], list[str]]:
    """Fetch the genome sequence of each interval, optionally recentred to a fixed length.

    Parameters
    ----------
    genome : pyfaidx.Fasta
        From :func:`open_genome`.
    intervals : sequence of Interval
        E.g. from :func:`read_bed`.  Each must lie on a known chromosome and end within it.
    length : int or None
        Window length: each interval is replaced by :func:`recenter` ``(iv, length)``.
        A window that reaches past a chromosome end (a peak near the edge) is padded with
        ``N`` on that side.  None keeps every interval as is.
    source : str
        Where the intervals came from (the BED path), for error messages.

    Returns
    -------
    ids : list of str
        ``"chrom:start-end"`` of each window (before padding is clipped, so a padded window
        near the start can have a negative start: ``chr1:-20-180``).
    seqs : list of str
        Sequences, letters as in the genome file (soft-masking kept).

    Raises
    ------
    InputError
        ``{source}: line L: unknown chromosome 'chrZ' (genome has: ...)`` and
        ``{source}: line L: interval chr1:29000-31000 ends past the end of chr1 (30000 bp)``.
    """
    sizes = chrom_sizes(genome)
    ids: list[str] = []
    seqs: list[str] = []
    for k, iv in enumerate(intervals):
        size = sizes.get(iv.chrom)
        if size is None:
            raise InputError(
                f"{_where(source, iv, k)}: unknown chromosome {iv.chrom!r} "
                f"(genome has: {_chrom_list(sizes)})"
            )
        if iv.end > size:
            raise InputError(
                f"{_where(source, iv, k)}: interval {iv.id} ends past the end of "
                f"{iv.chrom} ({size} bp)"
            )
        win = iv if length is None else recenter(iv, length)
        lo, hi = max(win.start, 0), min(win.end, size)
        seq = str(genome[iv.chrom][lo:hi]) if hi > lo else ""
        if lo != win.start or hi != win.end:
            seq = "N" * (lo - win.start) + seq + "N" * (win.end - max(hi, lo))
        ids.append(win.id)
        seqs.append(seq)
    return ids, seqs
