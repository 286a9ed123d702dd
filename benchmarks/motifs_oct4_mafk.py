"""Motifs a biologist can take to lab meeting?  Oct4 vs MafK peaks, through the CLI.

1. ``seqnet train --positives oct4_train.fa --negatives mafk_train.fa`` (default recipe);
2. ``seqnet --threads 1 motifs RUN --fasta oct4_train.fa --negatives mafk_train.fa``
   (default settings: filters and TF-MoDISco, JASPAR CORE vertebrates from pyjaspar).

Prints the main set (``matches.tsv``), the measures of issue 13 — POU5F1::SOX2 (MA0142)
and a MAF family matrix among the top three distinct motifs with opposite signs, at most
15 motifs in ``motifs.meme``, their median information content, the wall time of
``seqnet motifs`` on one thread — and where that time went (``timings.tsv``).

    python benchmarks/motifs_oct4_mafk.py [--seed 0] [--reuse] [-- extra seqnet motifs options]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deepbind_encode import ROOT, run, seqnet_cmd  # noqa: E402

from seqnet.motifs.meme import read_meme  # noqa: E402

DATA = Path(os.environ.get("SEQNET_SHARED_DATA", ROOT.parent / "shared" / "data")) / "chipseq_oct4_mafk"
#: JASPAR names of the large MAF family and its heterodimers (any of them names the MafK site).
MAF_FAMILY = ("MAF", "NRL", "BACH", "NFE2")


def is_maf(name) -> bool:
    return isinstance(name, str) and any(name.upper().startswith(p) or f"::{p}" in name.upper() for p in MAF_FAMILY)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "motifs_oct4_mafk")
    ap.add_argument("--reuse", action="store_true", help="reuse a trained run in --work")
    ap.add_argument("motif_args", nargs="*", help="extra options for seqnet motifs (after --)")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"real data not found at {DATA}")
    pos, neg = DATA / "oct4_train.fa", DATA / "mafk_train.fa"
    run_dir, out = args.work / f"run_seed{args.seed}", args.work / f"motifs_seed{args.seed}"
    t0 = time.perf_counter()
    if not (args.reuse and (run_dir / "model.pt").is_file()):
        run(seqnet_cmd() + ["--threads", "1", "train", "--positives", str(pos), "--negatives", str(neg),
                            "--out", str(run_dir), "--overwrite", "--quiet", "--seed", str(args.seed)])
    t1 = time.perf_counter()
    run(seqnet_cmd() + ["--threads", "1", "motifs", str(run_dir), "--fasta", str(pos), "--negatives", str(neg),
                        "--out", str(out), "--overwrite", "--seed", str(args.seed), *args.motif_args])
    t2 = time.perf_counter()
    report(out, t1 - t0, t2 - t1, run_dir)


def report(out: Path, train_s: float, motif_s: float, run_dir: Path) -> None:
    import json

    table = pd.read_csv(out / "matches.tsv", sep="\t")
    other = pd.read_csv(out / "other_motifs.tsv", sep="\t")
    meme = read_meme(out / "motifs.meme")
    auroc = json.loads((run_dir / "metrics.json").read_text())["auroc"]["mean"]
    print(f"Oct4 vs MafK: test AUROC {auroc:.4f}; train {train_s:.0f} s; seqnet motifs {motif_s:.0f} s (one thread)")
    print(f"{'#':<3} {'motif':<8} {'method':<8} {'name':<14} {'q':>8} {'direction':<22} {'influence':>9} "
          f"{'IC':>5} {'sites':>6}  sequences with a site")
    for k, r in enumerate(table.itertuples(), start=1):
        q = "-" if pd.isna(r.q) else f"{r.q:.1e}"
        infl = "-" if pd.isna(r.influence) else f"{r.influence:+.3f}"
        print(f"{k:<3} {r.motif:<8} {r.method:<8} {str(r.name):<14} {q:>8} {r.direction:<22} {infl:>9} "
              f"{r.information_content:5.1f} {r.nsites:>6}  {r.sequences_with_site}")
    print(f"other_motifs.tsv: {len(other)} rows ({', '.join(sorted(set(other.reason.str.split(' ').str[0])))})")
    top = table.head(3)
    pou = top[top.best_match_id.astype(str).str.startswith("MA0142") & (top.q < 0.05)]
    maf = top[top.best_match_name.map(is_maf) & (top.q < 0.05)]
    signs = {1 if s.startswith("raises P(oct4") else -1 for s in pd.concat([pou, maf]).direction}
    ic = table.information_content.median() if len(table) else float("nan")
    steps = pd.read_csv(out / "timings.tsv", sep="\t")
    print()
    print("| measure | target | measured | met |")
    print("|---|---|---|---|")
    print(f"| POU5F1::SOX2 (MA0142) in the top 3 | yes | {'yes' if len(pou) else 'no'} | {'yes' if len(pou) else 'NO'} |")
    print(f"| MAF family in the top 3 | yes | {', '.join(maf.best_match_name) or 'no'} | {'yes' if len(maf) else 'NO'} |")
    opposite = len(pou) and len(maf) and signs == {1, -1}
    print(f"| opposite directions | yes | {'; '.join(pd.concat([pou, maf]).direction)} | {'yes' if opposite else 'NO'} |")
    print(f"| motifs in motifs.meme | <= 15 | {len(meme)} | {'yes' if len(meme) <= 15 else 'NO'} |")
    print(f"| median information content | >= 8 bits | {ic:.1f} | {'yes' if ic >= 8 else 'NO'} |")
    print(f"| seqnet motifs, one thread | <= 300 s | {motif_s:.0f} s | {'yes' if motif_s <= 300 else 'NO'} |")
    print()
    print("| step | seconds | share |")
    print("|---|---|---|")
    for r in steps.itertuples():
        print(f"| {r.step} | {r.seconds:.1f} | {100 * r.share:.0f}% |")
    print(f"| total (steps) | {steps.seconds.sum():.1f} | |")


if __name__ == "__main__":
    main()
