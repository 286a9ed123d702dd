"""BED intervals, indexed genome FASTA (pyfaidx), window extraction and background sampling.

Coordinates are 0-based, half-open, as in BED: ``Interval("chr1", 100, 200)`` is the 100
bases ``genome["chr1"][100:200]`` and its id is ``"chr1:100-200"``.

Examples
--------
>>> genome = open_genome("genome.fa")                               # doctest: +SKIP
>>> peaks = read_bed("peaks.bed")                                   # doctest: +SKIP
>>> ids, seqs = extract(genome, peaks, 200, source="peaks.bed")     # doctest: +SKIP
>>> neg_ids, neg_seqs = sample_background(                          # doctest: +SKIP
...     genome, len(seqs), 200, exclude=peaks, gc_like=seqs, seed=1)
"""

from __future__ import annotations

import bisect
import hashlib
import mmap
import os
import re
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyfaidx

from seqnet.errors import ConfigError, InputError
from seqnet.io.fasta import GZIP_MAGIC, _looks_binary, _show, is_gzip, open_text, read_errors
from seqnet.utils import cache_root

__all__ = [
    "Interval",
    "read_bed",
    "open_genome",
    "index_problem",
    "chrom_sizes",
    "recenter",
    "extract",
    "sample_background",
]

# How many chromosome names an "unknown chromosome" message lists.
_SHOW_CHROMS = 5


@dataclass
class Interval:
    """A genomic interval, 0-based half-open like BED.

    Attributes
    ----------
    chrom : str
        Chromosome (sequence) name as in the genome FASTA.
    start : int
        First base, 0-based.
    end : int
        One past the last base.
    name : str or None
        BED column 4 when present. Default is None.
    line : int
        1-based line in the BED file it came from, for error messages; 0 when the interval
        was not read from a file. Default is 0.
    """

    chrom: str
    start: int
    end: int
    name: str | None = None
    line: int = 0

    @property
    def id(self) -> str:
        """``"chrom:start-end"``."""
        return f"{self.chrom}:{self.start}-{self.end}"


# ----------------------------------------------------------------------------- BED

# Comment, track and browser lines; "track" must be a word of its own, so that intervals on
# a sequence named e.g. "trackA" or "browser2" are read, not skipped.
_BED_HEADER = re.compile(r"#|(?:track|browser)(?:\s|$)")


def read_bed(path: str | Path) -> list[Interval]:
    """Read a BED3+ file (plain or gzip).

    Columns beyond the third are ignored except the name (column 4).  Blank lines, ``#``
    comments and ``track`` / ``browser`` lines (those words, then white space or the line
    end) are skipped.  Columns are tab-separated; a line without tabs is split on
    whitespace.

    Parameters
    ----------
    path : str or Path
        BED file.

    Returns
    -------
    list of Interval
        In file order, each remembering its line number.

    Raises
    ------
    InputError
        If the file is missing, binary, holds no intervals, or a line has fewer than 3
        columns, a non-integer coordinate, ``start < 0`` or ``end <= start``.
    """
    intervals: list[Interval] = []
    with open_text(path) as handle, read_errors(path, "BED"):
        for lineno, line in enumerate(handle, start=1):
            text = line.rstrip("\r\n")
            stripped = text.strip()
            if not stripped or _BED_HEADER.match(stripped):
                continue
            fields = text.split("\t") if "\t" in text else text.split()
            if len(fields) < 3:
                if _looks_binary(text):
                    raise InputError(f"{path}: not a text BED file (binary data on line {lineno})")
                raise InputError(
                    f"{path}: line {lineno}: expected at least 3 tab-separated columns "
                    f"(chrom, start, end), found {len(fields)}: {_show(text)}"
                )
            chrom = fields[0].strip()
            coords = []
            for column, label in ((1, "start"), (2, "end")):
                value = fields[column].strip()
                try:
                    coords.append(int(value))
                except ValueError:
                    raise InputError(
                        f"{path}: line {lineno}, column {column + 1} ({label}): expected an "
                        f"integer, found {_show(value)}"
                    ) from None
            start, end = coords
            if start < 0:
                raise InputError(f"{path}: line {lineno}: start {start} is negative")
            if end <= start:
                raise InputError(
                    f"{path}: line {lineno}: end {end} is not after start {start}; BED "
                    f"intervals are 0-based half-open with end > start"
                )
            name = fields[3].strip() if len(fields) > 3 and fields[3].strip() else None
            intervals.append(Interval(chrom, start, end, name, lineno))
    if not intervals:
        raise InputError(
            f"{path}: no intervals found; expected tab-separated lines 'chrom start end'"
        )
    return intervals


# ----------------------------------------------------------------------------- genome


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


def recenter(interval: Interval, length: int) -> Interval:
    """A window of ``length`` bases centred on the interval's midpoint.

    The window starts at ``(start + end - length) // 2``: when the interval and the window
    differ in length by an odd number of bases, the window sits half a base to the left
    (floor), so e.g. ``recenter(Interval("c", 0, 3), 2)`` is ``c:0-2``.  The window may
    extend past either chromosome end (even start below 0); :func:`extract` pads it.

    Parameters
    ----------
    interval : Interval
        Interval to centre on; name and line are kept.
    length : int
        Window length in bases, > 0.

    Returns
    -------
    Interval
        ``end - start == length``.
    """
    if length <= 0:
        raise ConfigError(f"window length must be a positive integer, got {length}")
    start = (interval.start + interval.end - length) // 2
    return replace(interval, start=start, end=start + length)


def tile(intervals: Sequence[Interval], length: int) -> list[Interval]:
    """Cut each interval into consecutive, non-overlapping windows of ``length`` bases.

    Windows start at the interval's start; a remainder shorter than ``length`` at the
    end is dropped.  An interval shorter than ``length`` yields one window centred on it
    (as :func:`recenter`).  Name and line are kept, so errors still point at the BED line.

    Parameters
    ----------
    intervals : sequence of Interval
    length : int
        Window length in bases, > 0.

    Returns
    -------
    list of Interval
    """
    if length <= 0:
        raise ConfigError(f"window length must be a positive integer, got {length}")
    out: list[Interval] = []
    for iv in intervals:
        n = (iv.end - iv.start) // length
        if n == 0:
            out.append(recenter(iv, length))
            continue
        out.extend(replace(iv, start=iv.start + k * length, end=iv.start + (k + 1) * length) for k in range(n))
    return out


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


# ----------------------------------------------------------------------------- background

# Byte -> is G/C, is N (or any non-ACGT letter), over both cases.
_GC = np.zeros(256, dtype=bool)
_GC[list(b"GCgc")] = True
_ACGT = np.zeros(256, dtype=bool)
_ACGT[list(b"ACGTacgt")] = True


def _gc_fraction(counts_gc: np.ndarray, counts_acgt: np.ndarray) -> np.ndarray:
    """GC over called (A/C/G/T) bases; 0 where nothing is called."""
    return np.divide(
        counts_gc, counts_acgt, out=np.zeros(counts_gc.shape), where=counts_acgt > 0
    )


def _gc_bin(frac: np.ndarray, bins: int) -> np.ndarray:
    """Bin index of each GC fraction; the epsilon keeps exact edges (e.g. 0.7) in the upper bin."""
    return np.minimum(np.floor(frac * bins + 1e-9).astype(np.int64), bins - 1)


def _seq_gc(seqs: Sequence[str]) -> np.ndarray:
    """GC fraction of each sequence, counted with numpy on the joined bytes."""
    data = np.frombuffer("".join(seqs).encode("ascii", "replace"), dtype=np.uint8)
    bounds = np.cumsum([0] + [len(s) for s in seqs])
    gc = np.add.reduceat(_GC[data].astype(np.int64), bounds[:-1]) if data.size else None
    acgt = np.add.reduceat(_ACGT[data].astype(np.int64), bounds[:-1]) if data.size else None
    if gc is None:
        return np.zeros(len(seqs))
    empty = bounds[:-1] == bounds[1:]  # reduceat misreports empty slices
    gc[empty] = 0
    acgt[empty] = 0
    return _gc_fraction(gc, acgt)


def _merged(exclude: Sequence[Interval]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per chromosome, sorted disjoint (starts, ends) covering the excluded intervals."""
    by_chrom: dict[str, list[tuple[int, int]]] = {}
    for iv in exclude:
        by_chrom.setdefault(iv.chrom, []).append((iv.start, iv.end))
    merged = {}
    for chrom, pairs in by_chrom.items():
        arr = np.array(sorted(pairs), dtype=np.int64)
        starts, ends = arr[:, 0], np.maximum.accumulate(arr[:, 1])
        # A new block starts where an interval begins after everything before it ended.
        new = np.ones(len(arr), dtype=bool)
        new[1:] = starts[1:] > ends[:-1]
        merged[chrom] = (starts[new], np.maximum.reduceat(ends, np.flatnonzero(new)))
    return merged


def _overlaps(starts: np.ndarray, length: int, blocks: tuple[np.ndarray, np.ndarray] | None):
    """Whether each window ``[s, s + length)`` overlaps a merged excluded block."""
    if blocks is None or blocks[0].size == 0:
        return np.zeros(starts.shape, dtype=bool)
    b_start, b_end = blocks
    k = np.searchsorted(b_end, starts, side="right")  # first block ending after s
    hit = k < b_start.size
    hit[hit] = b_start[k[hit]] < starts[hit] + length
    return hit


def _quotas(n: int, weights: np.ndarray) -> np.ndarray:
    """Split ``n`` into integer quotas proportional to ``weights`` (largest remainders)."""
    share = n * weights / weights.sum()
    quota = np.floor(share).astype(np.int64)
    rest = n - int(quota.sum())
    if rest:
        # Stable sort: ties go to the lower bin, so the split is deterministic.
        order = np.argsort(-(share - quota), kind="stable")
        quota[order[:rest]] += 1
    return quota


def _spill_quotas(quota: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Move the part of each GC bin's quota that the genome cannot fill to the nearest
    bins with spare windows (closest GC first), so matching degrades gracefully instead
    of failing when, say, the peaks are GC-richer than most of the genome.

    ``available.sum() >= quota.sum()`` must hold.
    """
    quota = np.asarray(quota, dtype=np.int64).copy()
    available = np.asarray(available, dtype=np.int64)
    take = np.minimum(quota, available)
    deficit = quota - take
    for b in np.flatnonzero(deficit):
        need = int(deficit[b])
        # neighbours ordered by distance, ties to the lower bin
        order = sorted(range(len(quota)), key=lambda j: (abs(j - b), j))
        for j in order:
            if need == 0:
                break
            spare = int(available[j] - take[j])
            if spare > 0:
                moved = min(spare, need)
                take[j] += moved
                need -= moved
    return take


def sample_background(
    genome: pyfaidx.Fasta,
    n: int,
    length: int,
    *,
    exclude: Sequence[Interval],
    gc_like: Sequence[str] | None = None,
    seed: int = 0,
    max_n_fraction: float = 0.0,
    chroms: Sequence[str] | None = None,
    gc_bins: int = 20,
) -> tuple[list[str], list[str]]:
    """Draw random genomic windows as negatives, optionally GC-matched to the positives.

    Candidate windows tile each chromosome end to end from a random offset (seeded), so
    the chosen windows never overlap one another.  Every candidate is scored at once with
    numpy (each chromosome is fetched once as a byte array): windows overlapping an
    ``exclude`` interval or with more than ``max_n_fraction`` non-ACGT bases are dropped.
    Without ``gc_like`` ``n`` windows are drawn uniformly from the rest.  With it, the GC
    fraction (G+C over A/C/G/T bases) of the ``gc_like`` sequences is binned into
    ``gc_bins`` equal bins on [0, 1]; each bin gets a quota proportional to its count
    (largest remainders) and is filled with random candidates of the same GC bin; what a
    bin cannot fill is taken from the nearest bins that can.

    Parameters
    ----------
    genome : pyfaidx.Fasta
        From :func:`open_genome`.
    n : int
        Number of windows, >= 0.
    length : int
        Window length in bases, > 0.
    exclude : sequence of Interval
        Regions the windows must not overlap (typically the peaks).  Intervals on
        chromosomes not sampled are ignored.
    gc_like : sequence of str or None, optional
        Sequences whose GC distribution to match. Default is None (no matching).
    seed : int, optional
        Seed for :func:`numpy.random.default_rng`; same inputs and seed give the same
        windows. Default is 0.
    max_n_fraction : float, optional
        Largest allowed fraction of non-ACGT bases (N, IUPAC codes) in a window.
        Default is 0.0 (none).
    chroms : sequence of str or None, optional
        Chromosomes to sample from. Default is None (all that are at least ``length``).
    gc_bins : int, optional
        Number of GC bins for matching. Default is 20.

    Returns
    -------
    ids : list of str
        ``"chrom:start-end"`` of each window, in random order.
    seqs : list of str
        Their sequences, letters as in the genome.

    Raises
    ------
    InputError
        If the genome cannot provide ``n`` windows; the message says how many it found.
    ConfigError
        For a bad ``n``, ``length``, ``max_n_fraction``, ``gc_bins`` or unknown ``chroms``.
    """
    shown = str(getattr(genome, "filename", "genome"))
    _check_background_options(n, length, max_n_fraction, gc_bins)
    sizes = chrom_sizes(genome)
    names = _sampled_chroms(chroms, sizes, shown)
    rng = np.random.default_rng(seed)
    max_n = int(np.floor(max_n_fraction * length + 1e-9))
    tiling = _Tiling(length, max_n, gc_bins, blocks=_merged(exclude))
    candidates = _candidates(genome, names, sizes, rng, tiling)
    _require_windows(shown, candidates, n, length, len(exclude))
    picked = _pick(rng, n, candidates, gc_like, gc_bins)
    windows = [
        Interval(names[int(c)], int(s), int(s) + length)
        for c, s in zip(candidates.chrom[picked], candidates.start[picked])
    ]
    return extract(genome, windows, None, source=shown)


def _check_background_options(n: int, length: int, max_n_fraction: float, gc_bins: int) -> None:
    """Range checks of :func:`sample_background`'s numeric arguments."""
    if n < 0:
        raise ConfigError(f"number of background windows must be >= 0, got {n}")
    if length <= 0:
        raise ConfigError(f"window length must be a positive integer, got {length}")
    if not 0.0 <= max_n_fraction <= 1.0:
        raise ConfigError(f"max_n_fraction must be between 0 and 1, got {max_n_fraction}")
    if gc_bins < 1:
        raise ConfigError(f"gc_bins must be >= 1, got {gc_bins}")


def _sampled_chroms(chroms: Sequence[str] | None, sizes: dict[str, int], shown: str) -> list[str]:
    """The chromosomes to sample from, each once, in the given (or the genome's) order."""
    if chroms is None:
        return list(sizes)
    unknown = [c for c in chroms if c not in sizes]
    if unknown:
        raise ConfigError(
            f"unknown chromosome {unknown[0]!r} in chroms (genome {shown} has: "
            f"{_chrom_list(sizes)})"
        )
    return list(dict.fromkeys(chroms))


@dataclass(eq=False)
class _Tiling:
    """How candidate windows are cut and which are usable.

    Attributes
    ----------
    length : int
        Window (tile) length.
    max_n : int
        Most non-ACGT bases a usable window may hold.
    gc_bins : int
        Number of equal GC bins on [0, 1].
    blocks : dict
        Merged excluded intervals per chromosome (see :func:`_merged`).
    """

    length: int
    max_n: int
    gc_bins: int
    blocks: dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(eq=False)
class _Candidates:
    """Usable windows, each field ``(K,)`` int64: index into the sampled chromosomes, start, GC bin."""

    chrom: np.ndarray
    start: np.ndarray
    gc_bin: np.ndarray


def _candidates(
    genome: pyfaidx.Fasta, names: list[str], sizes: dict[str, int], rng: np.random.Generator, tiling: _Tiling
) -> _Candidates:
    """Score every tile of every chromosome and keep the usable ones.

    Tiles run end to end from a random offset (from 0 on a chromosome shorter than two
    windows), so no two candidates overlap.
    """
    length = tiling.length
    offsets = rng.integers(0, length, size=len(names))
    chrom, start, gc_bin = [], [], []
    for ci, name in enumerate(names):
        size = sizes[name]
        offset = int(offsets[ci]) if size >= 2 * length else 0
        n_tiles = (size - offset) // length
        if n_tiles <= 0:
            continue
        starts, bins = _usable_tiles(genome, name, offset, n_tiles, tiling)
        chrom.append(np.full(starts.size, ci, dtype=np.int64))
        start.append(starts)
        gc_bin.append(bins)
    return _Candidates(_joined(chrom), _joined(start), _joined(gc_bin))


def _usable_tiles(
    genome: pyfaidx.Fasta, chrom: str, offset: int, n_tiles: int, tiling: _Tiling
) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, GC bins)`` of the usable tiles of one chromosome, scored at once with numpy."""
    length = tiling.length
    seq = genome[chrom][offset : offset + n_tiles * length]
    tiles = np.frombuffer(str(seq).encode("ascii", "replace"), dtype=np.uint8)
    tiles = tiles.reshape(n_tiles, length)
    called = _ACGT[tiles].sum(axis=1)
    gc = _GC[tiles].sum(axis=1)
    starts = offset + length * np.arange(n_tiles, dtype=np.int64)
    ok = (length - called <= tiling.max_n) & ~_overlaps(starts, length, tiling.blocks.get(chrom))
    frac = _gc_fraction(gc[ok], called[ok])
    return starts[ok], _gc_bin(frac, tiling.gc_bins)


def _require_windows(shown: str, candidates: _Candidates, n: int, length: int, n_excluded: int) -> None:
    """Fail, saying how many were found, when fewer than ``n`` windows are usable."""
    total = candidates.start.size
    if total < n:
        raise InputError(
            f"{shown}: found only {total} background windows of {length} bp (no N, not "
            f"overlapping the {n_excluded} excluded intervals) but {n} were asked for; "
            f"ask for fewer or shorter windows"
        )


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate int64 arrays; an empty int64 array for none."""
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _pick(
    rng: np.random.Generator,
    n: int,
    candidates: _Candidates,
    gc_like: Sequence[str] | None,
    gc_bins: int,
) -> np.ndarray:
    """Indices of ``n`` distinct candidates: uniform, or GC-matched to ``gc_like``."""
    if gc_like is None:
        return rng.choice(candidates.start.size, size=n, replace=False)
    if len(gc_like) == 0:
        raise ConfigError("gc_like is empty; give the sequences to match or None")
    target = _gc_bin(_seq_gc(gc_like), gc_bins)
    quota = _quotas(n, np.bincount(target, minlength=gc_bins).astype(np.float64))
    available = np.bincount(candidates.gc_bin, minlength=gc_bins)
    quota = _spill_quotas(quota, available)
    parts = [
        rng.choice(np.flatnonzero(candidates.gc_bin == b), size=int(q), replace=False)
        for b, q in enumerate(quota)
        if q
    ]
    return rng.permutation(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
