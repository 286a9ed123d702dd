"""seqnet vs DeepBind on the three ENCODE ChIP-seq experiments in ../shared/data.

For each experiment, through the real command line:

1. the ``*_AC.seq.gz`` training peaks become ``positives.fa``;
2. ``seqnet train --positives positives.fa --negatives shuffle`` (default settings);
3. the held-out ``*_B.seq.gz`` fold (500 peaks + 500 dinucleotide-shuffled sequences)
   becomes two FASTA files and ``seqnet evaluate`` scores it.

Prints seqnet's ROC AUC on the B fold next to the published DeepBind and DeepBind*
AUCs (Alipanahi et al. 2015, supplementary ENCODE table).

    python benchmarks/deepbind_encode.py [--seeds 0] [--experiments ARID3A,FOXM1,GATA3] [-- extra train options]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from seqnet.io.fasta import write_fasta

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SEQNET_SHARED_DATA", ROOT.parent / "shared" / "data")) / "encode_deepbind"

# experiment -> (file prefix, DeepBind AUC, DeepBind* AUC), from ../shared/data/README.md
EXPERIMENTS = {
    "ARID3A": ("ARID3A_HepG2_Stanford", 0.791, 0.918),
    "FOXM1": ("FOXM1_GM12878_HudsonAlpha", 0.776, 0.916),
    "GATA3": ("GATA3_SH-SY5Y_USC", 0.885, 0.931),
}


def seqnet_cmd() -> list[str]:
    exe = shutil.which("seqnet", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "seqnet"]


def prepare(name: str, prefix: str, work: Path) -> dict[str, Path]:
    """Convert the DeepBind TSVs to FASTA files."""
    d = work / name
    d.mkdir(parents=True, exist_ok=True)
    ac = pd.read_csv(DATA / f"{prefix}_AC.seq.gz", sep="\t")
    b = pd.read_csv(DATA / f"{prefix}_B.seq.gz", sep="\t")
    paths = {"train": d / "AC_positives.fa", "bpos": d / "B_positives.fa", "bneg": d / "B_negatives.fa"}
    write_fasta(paths["train"], list(ac.EventID), list(ac.seq))
    write_fasta(paths["bpos"], list(b.EventID[b.Bound == 1]), list(b.seq[b.Bound == 1]))
    write_fasta(paths["bneg"], list(b.EventID[b.Bound == 0]), list(b.seq[b.Bound == 0]))
    paths["n_train"] = len(ac)
    return paths


def run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stderr}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--experiments", default=",".join(EXPERIMENTS))
    ap.add_argument("--seeds", default="0", help="comma-separated seeds; the mean AUC is reported")
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "deepbind_encode")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse finished runs (model.pt + B_metrics.json) already in --work instead of retraining")
    ap.add_argument("train_args", nargs="*", help="extra options for seqnet train (after --)")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA}: not found (the ENCODE DeepBind files live in ../shared/data/encode_deepbind)")
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for name in args.experiments.split(","):
        prefix, db, dbstar = EXPERIMENTS[name]
        paths = prepare(name, prefix, args.work)
        aucs, secs = [], []
        for seed in seeds:
            run_dir = args.work / name / f"run_seed{seed}"
            out = run_dir / "B_metrics.json"
            if not (args.reuse and out.is_file() and (run_dir / "model.pt").is_file()):
                run(seqnet_cmd() + ["train", "--positives", str(paths["train"]), "--negatives", "shuffle",
                                    "--out", str(run_dir), "--overwrite", "--quiet", "--seed", str(seed),
                                    *args.train_args])
                run(seqnet_cmd() + ["evaluate", str(run_dir), "--positives", str(paths["bpos"]),
                                    "--negatives", str(paths["bneg"]), "--out", str(out)])
            aucs.append(json.loads(out.read_text())["auroc"]["mean"])
            # training time = the epochs' own timings (excludes start-up and data loading)
            secs.append(float(pd.read_csv(run_dir / "history.csv").seconds.sum()))
        mean_auc = sum(aucs) / len(aucs)
        rows.append((name, paths["n_train"], mean_auc, min(aucs), max(aucs), db, dbstar, sum(secs) / len(secs)))
        print(f"{name}: seqnet AUC {mean_auc:.4f} over seeds {seeds}", file=sys.stderr, flush=True)

    print(f"\nENCODE DeepBind benchmark: ROC AUC on the B fold ({len(seeds)} seed(s): {args.seeds}); "
          f"{platform.node() or 'this machine'}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    if args.train_args:
        print(f"extra train options: {' '.join(args.train_args)}")
    print(f"{'experiment':<10} {'AC peaks':>8} {'seqnet':>7} {'(min-max)':>15} {'DeepBind':>8} {'DeepBind*':>9} {'vs DB*':>7} {'train s':>8}")
    for name, n, auc, lo, hi, db, dbstar, sec in rows:
        print(f"{name:<10} {n:>8} {auc:>7.4f} {f'({lo:.3f}-{hi:.3f})':>15} {db:>8.3f} {dbstar:>9.3f} {auc - dbstar:>+7.4f} {sec:>8.1f}")


if __name__ == "__main__":
    main()
