"""Oct4 vs MafK ChIP-seq peaks (../shared/data/chipseq_oct4_mafk) through the command line.

Two input paths, default settings:

1. FASTA: ``seqnet train --positives oct4_train.fa --negatives mafk_train.fa``, then
   ``seqnet evaluate`` on ``oct4_test.fa`` vs ``mafk_test.fa``.
2. BED + genome: ``scores.bed`` marks the Oct4 half of each contig of ``pseudo_genome.fa``;
   ``--tile --length 200`` cuts it into the 200-bp Oct4 peaks, ``--negatives genome``
   draws GC-matched windows from the rest (the MafK peaks), and ``--test-chroms pseudo2``
   holds out the second contig (the 100 + 100 test peaks).

Prints the held-out AUROC of each.

    python benchmarks/oct4_mafk.py [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deepbind_encode import ROOT, run, seqnet_cmd  # noqa: E402

DATA = Path(os.environ.get("SEQNET_SHARED_DATA", ROOT.parent / "shared" / "data")) / "chipseq_oct4_mafk"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "oct4_mafk")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA}: not found")
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []

    run_dir = args.work / "fasta"
    t0 = time.perf_counter()
    run(seqnet_cmd() + ["train", "--positives", str(DATA / "oct4_train.fa"), "--negatives", str(DATA / "mafk_train.fa"),
                        "--out", str(run_dir), "--overwrite", "--quiet", "--seed", str(args.seed)])
    secs = time.perf_counter() - t0
    out = run_dir / "test_files_metrics.json"
    run(seqnet_cmd() + ["evaluate", str(run_dir), "--positives", str(DATA / "oct4_test.fa"),
                        "--negatives", str(DATA / "mafk_test.fa"), "--out", str(out)])
    m = json.loads(out.read_text())
    rows.append(("FASTA: *_train.fa -> *_test.fa", m["n"], m["auroc"]["mean"], m["auprc"]["mean"], secs))

    run_dir = args.work / "bed"
    t0 = time.perf_counter()
    run(seqnet_cmd() + ["train", "--bed", str(DATA / "scores.bed"), "--genome", str(DATA / "pseudo_genome.fa"),
                        "--tile", "--length", "200", "--negatives", "genome", "--test-chroms", "pseudo2",
                        "--out", str(run_dir), "--overwrite", "--quiet", "--seed", str(args.seed)])
    secs = time.perf_counter() - t0
    m = json.loads((run_dir / "metrics.json").read_text())
    rows.append(("BED+genome: scores.bed tiles, test pseudo2", m["n"], m["auroc"]["mean"], m["auprc"]["mean"], secs))

    print(f"\nOct4 vs MafK, default settings, seed {args.seed}, {os.cpu_count()} CPUs")
    print(f"{'input path':<44} {'n test':>6} {'AUROC':>7} {'AUPRC':>7} {'train s':>8}")
    for name, n, auroc, auprc, secs in rows:
        print(f"{name:<44} {n:>6} {auroc:>7.4f} {auprc:>7.4f} {secs:>8.1f}")


if __name__ == "__main__":
    main()
