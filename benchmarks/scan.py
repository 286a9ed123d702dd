"""``seqnet scan``: speed against ``seqnet predict`` on the same windows, and peak memory.

    python benchmarks/scan.py [--work WORK] [--genome G.fa] [--big-mb 50] [--big-stride 50]

1. Speed: the windows of a genome at stride 50 written out as FASTA and scored by
   ``predict_table`` (what ``seqnet predict`` runs; the FASTA writing is not timed) vs
   ``scan`` (the shared convolution, and plain per-window passes), same windows, same
   model, both strands and plus strand, one thread.
2. Memory: ``seqnet scan`` (a subprocess) over one random 50 Mb chromosome with N runs;
   peak RSS of the child (``getrusage``).

Genome: ../shared/data/chipseq_oct4_mafk/pseudo_genome.fa when present (real Oct4 /
MafK peaks, 1.6 Mb), else the planted genome of apply_common.py.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from apply_common import LENGTH, SEQNET, planted_genome, read_genome, trained_model

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "chipseq_oct4_mafk" / "pseudo_genome.fa"


def speed(run, genome: Path, work: Path, stride: int = 50, repeat: int = 2) -> list[tuple]:
    from seqnet.apply.scan import scan, window_starts, Region
    from seqnet.inputs import InputSpec
    from seqnet.predict import predict_table

    seqs = read_genome(genome)
    fa = work / "scan_windows.fa"
    with open(fa, "w") as fh:
        for chrom, s in seqs.items():
            for st in window_starts(Region(chrom, 0, len(s)), LENGTH, stride):
                fh.write(f">{chrom}:{st}-{st + LENGTH}\n{s[st : st + LENGTH]}\n")
    rows = []
    for strand in ("plus", "both"):
        timings = {"predict": float("inf"), "shared": float("inf"), "plain": float("inf")}
        for _ in range(repeat):  # best of `repeat`: other jobs share the machine
            t0 = time.perf_counter()
            table = predict_table(run, InputSpec(fasta=fa), rc_average=strand == "both", device="cpu")
            timings["predict"] = min(timings["predict"], time.perf_counter() - t0)
            for label, shared in (("shared", True), ("plain", False)):
                t0 = time.perf_counter()
                summary = scan(run, genome, work / f"scan_{strand}_{label}", stride=stride, strand=strand,
                               device="cpu", shared=shared, overwrite=True, quiet=True)
                timings[label] = min(timings[label], time.perf_counter() - t0)
                assert summary["shared_trunk"] == shared and summary["windows"] == len(table)
        rows.append((strand, len(table), timings["predict"], timings["shared"], timings["plain"]))
    return rows


def big_chromosome(path: Path, mb: int, seed: int = 0) -> Path:
    if path.is_file():
        return path
    rng = np.random.default_rng(seed)
    n = mb * 1_000_000
    seq = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, n)].copy()
    for start in rng.integers(0, n - 200_000, 20):  # N runs (gaps, centromere-like)
        seq[start : start + int(rng.integers(1_000, 200_000))] = ord("N")
    with open(path, "wb") as fh:
        fh.write(b">big\n")
        for i in range(0, n, 60):
            fh.write(seq[i : i + 60].tobytes() + b"\n")
    return path


def memory(run, work: Path, mb: int, stride: int) -> tuple:
    genome = big_chromosome(work / f"big{mb}.fa", mb)
    out = work / "scan_big"
    t0 = time.perf_counter()
    proc = subprocess.run([str(a) for a in [*SEQNET, "scan", run, "--genome", genome, "--stride", stride, "--strand", "plus",
                           "--out", out, "--overwrite", "--quiet"]], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(proc.stderr)
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return proc.stdout.strip().splitlines()[0], seconds, rss_mb


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("bench_apply"))
    parser.add_argument("--genome", type=Path)
    parser.add_argument("--big-mb", type=int, default=50)
    parser.add_argument("--big-stride", type=int, default=50)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.work.mkdir(parents=True, exist_ok=True)
    run = trained_model(args.work)
    genome = args.genome or (SHARED if SHARED.is_file() else planted_genome(args.work)[0])
    print(f"genome {genome}; model {run} (deepbind, {LENGTH} bp); stride 50; 1 thread; best of 2\n")
    print("| strand | windows | predict on FASTA (s) | scan, shared convolution (s) | scan, plain passes (s) | "
          "shared vs predict | >= 3x |\n|---|---|---|---|---|---|---|")
    for strand, n, tp, ts, tpl in speed(run, genome, args.work):
        print(f"| {strand} | {n:,} | {tp:.1f} | {ts:.1f} | {tpl:.1f} | {tp / ts:.1f}x | {'met' if tp / ts >= 3 else 'NOT met'} |")
    if not args.skip_memory:
        line, seconds, rss = memory(run, args.work, args.big_mb, args.big_stride)
        print(f"\n| chromosome | stride | seconds | peak RSS (MB) | < 2 GB |\n|---|---|---|---|---|")
        print(f"| {args.big_mb} Mb random, N runs | {args.big_stride} | {seconds:.0f} | {rss:.0f} | "
              f"{'met' if rss < 2048 else 'NOT met'} |")
        print(f"\n{line}")


if __name__ == "__main__":
    main()
