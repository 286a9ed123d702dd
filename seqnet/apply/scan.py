"""What ``seqnet scan`` does: a trained sequence model slid along a genome, as tracks.

Windows of the model's input length ``L`` start every ``stride`` bases in each region
(whole chromosomes, ``chroms``, or merged ``bed`` regions), as long as they fit inside
it.  Each window's prediction is written as the value of the ``stride`` bases at the
window's centre, ``[s + L//2 - stride//2, s + L//2 - stride//2 + stride)`` clipped to
the region, so consecutive windows tile the track without overlap.

The chromosome is streamed in chunks of about ``chunk`` bases from the indexed genome
(pyfaidx), so memory stays bounded however long it is.  Windows that hold only N are
not scored (no track value) and are counted in ``summary.json``; windows with some N
are scored, N being encoded as at training time.  ``strand="both"`` averages the
probabilities of each window and its reverse complement, as ``seqnet predict
--rc-average`` does.

Models whose trunk allows it (:func:`seqnet.apply.trunk.conv_pool_of`) run their
convolution once per chunk; the first chunk of every scan is also scored the plain way
and compared, and any disagreement beyond float32 rounding falls back to plain
per-window passes through :mod:`seqnet.inference` with a warning.

Output folder (assembled in a scratch folder, renamed into place on success):
``<task>.bedGraph`` and ``<task>.bw`` per task, ``windows.tsv.gz`` (``chrom, start,
end``, then one column per task), ``<task>.peaks.bed`` with ``peaks``, and
``summary.json``.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from seqnet.errors import ConfigError, InputError, opt, warn
from seqnet.outputs import check_out_dir, claim, staged_dir, write_json_atomic

log = logging.getLogger("seqnet")

__all__ = ["Region", "scan", "scan_regions", "window_starts", "covered"]

#: Relative tolerance of the first-chunk check of the shared trunk against plain passes.
_TRUNK_TOLERANCE = 1e-4


@dataclass
class Region:
    """A stretch of one chromosome to scan, 0-based half-open."""

    chrom: str
    start: int
    end: int


@dataclass
class _Counts:
    """What a scan saw, for ``summary.json``."""

    windows: int = 0
    scored: int = 0
    n_only: int = 0
    with_n: int = 0
    too_short: list = field(default_factory=list)


def track_name(task: str) -> str:
    """A file-name-safe form of a task name (``CTCF/x`` -> ``CTCF_x``)."""
    return re.sub(r"^\.", "_", re.sub(r"[^A-Za-z0-9_.-]", "_", task)) or "task"


def window_starts(region: Region, length: int, stride: int) -> np.ndarray:
    """Starts of the windows of ``length`` bases every ``stride`` bases that fit in ``region``."""
    span = region.end - region.start
    n = (span - length) // stride + 1 if span >= length else 0
    return region.start + np.arange(n, dtype=np.int64) * stride


def covered(starts: np.ndarray, length: int, stride: int, region: Region) -> tuple[np.ndarray, np.ndarray]:
    """The bases each window's value is written to: ``stride`` bases at its centre, clipped."""
    lo = starts + length // 2 - stride // 2
    return np.clip(lo, region.start, region.end), np.clip(lo + stride, region.start, region.end)


def scan_regions(sizes: dict[str, int], *, bed: str | Path | None = None,
                 chroms: list[str] | None = None) -> list[Region]:
    """The regions to scan, in genome order, overlapping BED intervals merged.

    Parameters
    ----------
    sizes : dict of str to int
        Chromosome lengths in genome order.
    bed : path or None
        BED3+ regions; each must lie on a chromosome of the genome and end within it.
    chroms : list of str or None
        Whole chromosomes. Default (neither given): every chromosome.

    Raises
    ------
    InputError
        A BED line on an unknown chromosome or past its end (file and line named).
    ConfigError
        Both ``bed`` and ``chroms``, or an unknown chromosome in ``chroms``.
    """
    from seqnet.io.bed import read_bed

    if bed is not None and chroms:
        raise ConfigError(f"give {opt('bed')} or {opt('chroms')}, not both")
    if bed is None:
        wanted = list(sizes) if not chroms else chroms
        unknown = [c for c in wanted if c not in sizes]
        if unknown:
            shown = ", ".join(list(sizes)[:5]) + (", ..." if len(sizes) > 5 else "")
            raise ConfigError(f"{opt('chroms')}: unknown chromosome {unknown[0]!r} (genome has: {shown})")
        return [Region(c, 0, sizes[c]) for c in dict.fromkeys(wanted)]
    found = []
    for iv in read_bed(bed):
        if iv.chrom not in sizes:
            raise InputError(f"{bed}: line {iv.line}: unknown chromosome {iv.chrom!r}; the genome has no such sequence")
        if iv.end > sizes[iv.chrom]:
            raise InputError(f"{bed}: line {iv.line}: interval {iv.id} ends past the end of {iv.chrom} "
                             f"({sizes[iv.chrom]} bp)")
        found.append(iv)
    order = {c: k for k, c in enumerate(sizes)}
    merged: list[Region] = []
    for iv in sorted(found, key=lambda iv: (order[iv.chrom], iv.start)):
        if merged and merged[-1].chrom == iv.chrom and iv.start <= merged[-1].end:
            merged[-1].end = max(merged[-1].end, iv.end)
        else:
            merged.append(Region(iv.chrom, iv.start, iv.end))
    return merged


class _Scorer:
    """Probabilities of the windows of one chunk: shared trunk or plain passes."""

    def __init__(self, tm, device: torch.device, strand: str, batch_size: int, shared: bool) -> None:
        from seqnet.apply.trunk import StrandBank, conv_pool_of
        from seqnet.encode import unknown_value

        self.tm, self.device, self.batch_size = tm, device, batch_size
        self.both = strand == "both"
        self.unknown = tm.preprocess.get("unknown", "zeros")
        self.unknown_value = unknown_value(self.unknown, tm.alphabet.size)
        trunk = conv_pool_of(tm.model) if shared else None
        self.trunk = trunk if trunk is not None and trunk.supports(tm.length) else None
        # Both strands: one convolution with the forward and reverse-complement filters.
        self.bank = StrandBank.of(tm.model) if self.trunk is not None and self.both else None
        self.checked = False

    def __call__(self, tok: np.ndarray, stride: int, keep: np.ndarray) -> np.ndarray:
        """``(n_kept, n_outputs)`` probabilities of the windows ``keep`` (bool) of chunk ``tok``."""
        if self.trunk is not None and not self.checked:
            self._check(tok, stride)
        if self.trunk is not None:
            return self._shared(tok, stride)[keep]
        return self._plain(tok, stride, keep)

    def _windows(self, tok: np.ndarray, stride: int) -> np.ndarray:
        return np.lib.stride_tricks.sliding_window_view(tok, self.tm.length)[::stride]

    def _plain(self, tok: np.ndarray, stride: int, keep: np.ndarray) -> np.ndarray:
        from seqnet import inference
        from seqnet.kinds.sequence import SequenceInputs

        windows = np.ascontiguousarray(self._windows(tok, stride)[keep])
        inputs = SequenceInputs(windows, self.tm.alphabet, self.unknown)
        return inference.predict(self.tm.model, inputs, task_type=self.tm.task_type, batch_size=self.batch_size,
                                 device=self.device, rc_average=self.both)

    @torch.no_grad()
    def _trunk_logits(self, tok: torch.Tensor, stride: int, both: bool = False):
        """Logits of the chunk's windows (``both``: and of their reverse complements)."""
        from seqnet.encode import one_hot_torch
        from seqnet.inference import eval_mode

        x = one_hot_torch(tok.to(self.device), self.tm.alphabet.size, unknown_value=self.unknown_value)
        with eval_mode(self.tm.model):
            if both:
                return tuple(t.float().cpu() for t in self.bank.chunk_logits(x, self.tm.length, stride))
            return self.trunk.chunk_logits(x, self.tm.length, stride).float().cpu()

    def _shared(self, tok: np.ndarray, stride: int) -> np.ndarray:
        from seqnet.inference import to_probabilities

        t = torch.from_numpy(np.ascontiguousarray(tok))
        if not self.both:
            return to_probabilities(self._trunk_logits(t, stride), self.tm.task_type).double().numpy()
        fwd, rev = self._trunk_logits(t, stride, both=True)
        # As seqnet.inference.predict averages the strands.
        prob = to_probabilities(fwd, self.tm.task_type).double()
        return (0.5 * (prob + to_probabilities(rev, self.tm.task_type).double())).numpy()

    def _check(self, tok: np.ndarray, stride: int) -> None:
        """Compare the shared trunk with plain float32 passes on the chunk's first windows."""
        from seqnet.encode import one_hot_torch
        from seqnet.inference import eval_mode
        from seqnet.models import run_model

        self.checked = True
        n = min(16, (len(tok) - self.tm.length) // stride + 1)
        part = tok[: (n - 1) * stride + self.tm.length]
        shared = self._trunk_logits(torch.from_numpy(np.ascontiguousarray(part)), stride)
        windows = torch.from_numpy(np.ascontiguousarray(self._windows(part, stride)))
        with torch.no_grad(), eval_mode(self.tm.model):
            x = one_hot_torch(windows.to(self.device), self.tm.alphabet.size, unknown_value=self.unknown_value)
            plain = run_model(self.tm.model, x).float().cpu()
        err = float((shared - plain).abs().max())
        if err > _TRUNK_TOLERANCE * max(1.0, float(plain.abs().max())):
            warn(f"the shared convolution of {self.tm.name} disagrees with per-window passes by {err:.3g}; "
                 "scanning with plain per-window passes")
            self.trunk = None


def _chunk_tokens(fa, genome: str, chrom: str, lo: int, hi: int, alphabet) -> np.ndarray:
    """Tokens of ``chrom[lo:hi]``; InputError for a letter outside the alphabet."""
    from seqnet.alphabets import INVALID

    raw = str(fa[chrom][lo:hi]).encode("ascii", errors="replace")
    tok = alphabet.lut[np.frombuffer(raw, dtype=np.uint8)]
    bad = np.flatnonzero(tok == INVALID)
    if len(bad):
        ch = raw[bad[0] : bad[0] + 1].decode("ascii", errors="replace")
        raise InputError(f"{genome}: record {chrom!r}: invalid character {ch!r} at position {lo + bad[0] + 1}; "
                         f"expected DNA letters ACGT or ambiguity codes NRYSWKMBDHV")
    return tok


class _Outputs:
    """The files of a scan, written chunk by chunk into the scratch folder ``tmp``."""

    def __init__(self, tmp: Path, names: list[str], chrom_sizes: list[tuple[str, int]], peaks: float | None) -> None:
        from seqnet.io.tracks import PeakWriter, TrackWriter

        files = [track_name(t) for t in names]
        if len(set(files)) < len(files):
            raise InputError(f"task names {', '.join(names)} give the same file name twice")
        self.tracks = [TrackWriter(tmp / f"{f}.bedGraph", tmp / f"{f}.bw", chrom_sizes) for f in files]
        self.peaks = [PeakWriter(tmp / f"{f}.peaks.bed", t, peaks) for f, t in zip(files, names)] if peaks is not None else []
        self.table = gzip.open(tmp / "windows.tsv.gz", "wt", encoding="utf-8", newline="\n", compresslevel=4)
        self.table.write("\t".join(["chrom", "start", "end", *names]) + "\n")

    def add(self, region: Region, starts: np.ndarray, prob: np.ndarray, length: int, stride: int) -> None:
        lo, hi = covered(starts, length, stride, region)
        real = hi > lo
        for k, track in enumerate(self.tracks):
            track.add(region.chrom, lo[real], hi[real], prob[real, k])
        for k, peaks in enumerate(self.peaks):
            peaks.add(region.chrom, starts, starts + length, prob[:, k])
        cells = [[region.chrom, s, s + length, *(f"{v:.6g}" for v in row)] for s, row in zip(starts.tolist(), prob)]
        self.table.write("".join("\t".join(map(str, c)) + "\n" for c in cells))

    def close(self) -> None:
        for w in (*self.tracks, *self.peaks, self.table):
            w.close()


def _scan_region(fa, genome: str, region: Region, scorer: _Scorer, outputs: _Outputs, counts: _Counts,
                 stride: int, chunk: int, bar) -> None:
    """Score and write every window of ``region``, one chunk of chromosome at a time."""
    length = scorer.tm.length
    starts = window_starts(region, length, stride)
    if not len(starts):
        counts.too_short.append(f"{region.chrom}:{region.start}-{region.end}")
        return
    per_chunk = max(1, chunk // stride)
    unknown = scorer.tm.alphabet.unknown
    for a in range(0, len(starts), per_chunk):
        part = starts[a : a + per_chunk]
        lo = int(part[0])
        tok = _chunk_tokens(fa, genome, region.chrom, lo, int(part[-1]) + length, scorer.tm.alphabet)
        n_cum = np.concatenate([[0], np.cumsum(tok == unknown)])
        offsets = part - lo
        n_count = n_cum[offsets + length] - n_cum[offsets]
        keep = n_count < length
        counts.windows += len(part)
        counts.n_only += int((~keep).sum())
        counts.with_n += int(((n_count > 0) & keep).sum())
        if keep.any():
            prob = scorer(tok, stride, keep)
            counts.scored += len(prob)
            outputs.add(region, part[keep], prob, length, stride)
        bar.update(len(part))


def _check_scan_options(stride: int, strand: str, chunk: int, batch_size: int, peaks: float | None, tm) -> None:
    if isinstance(stride, bool) or int(stride) != stride or stride < 1:
        raise ConfigError(f"{opt('stride')} must be an integer >= 1, got {stride}")
    if strand not in ("both", "plus"):
        raise ConfigError(f"{opt('strand')} must be 'both' or 'plus', got {strand!r}")
    if strand == "both" and not tm.alphabet.has_complement:
        raise ConfigError(f"{opt('strand')} both: the {tm.alphabet.name} alphabet has no reverse complement; "
                          f"use {opt('strand')} plus")
    if chunk < 1 or batch_size < 1:
        raise ConfigError(f"{opt('batch_size')} and the chunk size must be >= 1")
    if peaks is not None and tm.task_type == "regression":
        log.info("%s: a threshold on regression outputs (predicted values, not probabilities)", opt("peaks"))


def scan(run: str | Path, genome: str | Path, out: str | Path, *, bed: str | Path | None = None,
         chroms: list[str] | None = None, stride: int = 50, strand: str = "both", peaks: float | None = None,
         batch_size: int = 1024, chunk: int = 1 << 16, device: str = "auto", shared: bool = True,
         overwrite: bool = False, quiet: bool = False) -> dict:
    """Slide a trained DNA model along a genome and write one track per task.

    Parameters
    ----------
    run : path
        Run directory or ``model.pt`` of a sequence model reading DNA.
    genome : path
        Genome FASTA (plain or bgzip), indexed with pyfaidx.
    out : path
        Output folder (see the module docstring for its files).
    bed : path or None
        Regions to scan (merged where they overlap). Default is None.
    chroms : list of str or None
        Chromosomes to scan. Default (no ``bed`` either): the whole genome.
    stride : int
        Bases between consecutive window starts. Default is 50.
    strand : str
        ``"both"`` (average with the reverse complement) or ``"plus"``. Default is ``"both"``.
    peaks : float or None
        Also write ``<task>.peaks.bed``: windows with a value ``>= peaks``, merged.
        Default is None.
    batch_size : int
        Windows per forward pass on the plain path. Default is 1024.
    chunk : int
        Bases of chromosome read and scored at a time (bounds memory). Default is 65536.
    device : str
        ``auto``, ``cpu`` or ``cuda[:N]``. Default is ``"auto"``.
    shared : bool
        Use the shared trunk where the model allows it. Default is True.
    overwrite : bool
        Replace an existing output folder. Default is False.
    quiet : bool
        No progress bar. Default is False.

    Returns
    -------
    dict
        What ``summary.json`` holds.
    """
    from seqnet.checkpoint import resolve_run
    from seqnet.io.genome import chrom_sizes, open_genome

    with claim(out, {"genome": genome, "bed": bed, "run": resolve_run(run)}, folder=True):
        out = check_out_dir(out, overwrite)
        tm, dev = _dna_model(run, device, "seqnet scan")
        _check_scan_options(stride, strand, chunk, batch_size, peaks, tm)
        fa = open_genome(genome)
        sizes = chrom_sizes(fa)
        regions = scan_regions(sizes, bed=bed, chroms=chroms)
        scorer = _Scorer(tm, dev, strand, batch_size, shared)
        with staged_dir(out) as tmp:
            summary = _scan_all(fa, str(genome), regions, sizes, scorer, tmp, stride=stride, chunk=chunk,
                                peaks=peaks, quiet=quiet)
            summary.update(run=str(run), genome=str(genome), strand=strand, stride=stride, length=tm.length,
                           model=tm.name, tasks=list(tm.names), peaks_threshold=peaks,
                           regions=len(regions), bed=None if bed is None else str(bed))
            write_json_atomic(tmp / "summary.json", summary)
        return summary


def _scan_all(fa, genome: str, regions: list[Region], sizes: dict, scorer: _Scorer, tmp: Path, *, stride: int,
              chunk: int, peaks: float | None, quiet: bool) -> dict:
    """Scan every region into the scratch folder ``tmp``; the summary's counts and timing."""
    from tqdm import tqdm

    length = scorer.tm.length
    total = int(sum(len(window_starts(r, length, stride)) for r in regions))
    used = list(dict.fromkeys(r.chrom for r in regions))
    outputs = _Outputs(tmp, list(scorer.tm.names), [(c, sizes[c]) for c in used], peaks)
    counts = _Counts()
    t0 = time.perf_counter()
    try:
        with tqdm(total=total, unit="win", unit_scale=True, disable=quiet, file=sys.stderr, desc="scan",
                  mininterval=1.0) as bar:
            for region in regions:
                _scan_region(fa, genome, region, scorer, outputs, counts, stride, chunk, bar)
    finally:
        outputs.close()
    seconds = time.perf_counter() - t0
    if counts.n_only:
        log.info("%d windows holding only N were skipped", counts.n_only)
    if counts.too_short:
        warn(f"{len(counts.too_short)} region(s) shorter than the model's input ({length} bp) got no window "
             f"(first: {counts.too_short[0]})")
    return {
        "windows": counts.windows, "scored": counts.scored, "skipped_n_only": counts.n_only,
        "scored_with_n": counts.with_n, "regions_too_short": len(counts.too_short),
        "regions_too_short_first": counts.too_short[:10], "chromosomes": used,
        "shared_trunk": scorer.trunk is not None, "peaks": {t: w.count for t, w in zip(scorer.tm.names, outputs.peaks)},
        "seconds": round(seconds, 3), "windows_per_second": round(counts.windows / seconds, 1) if seconds > 0 else None,
    }


def _dna_model(run, device: str, command: str):
    """A trained DNA sequence model on its device; InputError for any other model."""
    from seqnet.checkpoint import load
    from seqnet.utils import resolve_device

    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    tm.require_sequences(command)
    if tm.alphabet.name != "dna":
        raise InputError(f"{run}: {command} reads a DNA genome; this model reads {tm.alphabet.name} sequences")
    return tm, dev


def read_summary(out: str | Path) -> dict:
    """The ``summary.json`` of a scan folder."""
    return json.loads((Path(out) / "summary.json").read_text())
