"""The model beside its baselines, and what the baselines cost, through the real command line.

For each data set, ``seqnet train`` with default settings (``--baselines fast``) writes
``metrics.json`` with the model's test metrics and the baselines' (fitted on the same
training split, scored on the same test split); this script prints them side by side,
with the confound checks, and the baselines' share of the run's wall time (the seconds
the run log gives for fitting them, against the whole run measured here).

* ENCODE ARID3A / FOXM1 / GATA3 (``../shared/data/encode_deepbind``): AC peaks vs their
  dinucleotide shuffles (``--negatives shuffle``); ``--max-peaks`` caps the peaks (10,000
  peaks = 20,000 sequences, the size the issue times);
* Oct4 vs MafK peaks (``chipseq_oct4_mafk``): GC content separates them, so the GC
  warning and the shuffle check are the point;
* yeast cell-cycle phases (time series) and MNIST (images): logistic regression and kNN.

    python benchmarks/baselines.py [--sets ARID3A,FOXM1,GATA3,OCT4_MAFK,YEAST,MNIST] [--epochs N] [--max-peaks 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SEQNET_SHARED_DATA", ROOT.parent / "shared" / "data"))
ENCODE = {"ARID3A": "ARID3A_HepG2_Stanford", "FOXM1": "FOXM1_GM12878_HudsonAlpha", "GATA3": "GATA3_SH-SY5Y_USC"}


def seqnet_cmd() -> list[str]:
    exe = shutil.which("seqnet", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "seqnet"]


def inputs(name: str, work: Path, max_peaks: int) -> list[str]:
    """The train options naming data set ``name``'s input."""
    if name in ENCODE:
        from seqnet.io.fasta import write_fasta

        ac = pd.read_csv(SHARED / "encode_deepbind" / f"{ENCODE[name]}_AC.seq.gz", sep="\t").head(max_peaks)
        fasta = work / f"{name}_AC.fa"
        write_fasta(fasta, list(ac.EventID), list(ac.seq))
        return ["--positives", str(fasta), "--negatives", "shuffle"]
    if name == "OCT4_MAFK":
        d = SHARED / "chipseq_oct4_mafk"
        return ["--positives", str(d / "oct4_train.fa"), "--negatives", str(d / "mafk_train.fa")]
    if name == "YEAST":
        d = SHARED / "yeast_cell_cycle"
        return ["--timeseries", str(d / "spellman1998_log_ratios.tsv.gz"), "--conditions", str(d / "conditions.tsv"),
                "--labels", str(d / "phase_labels.tsv")]
    if name == "MNIST":
        return ["--images", str(SHARED / "mnist" / "mnist_5k.csv.gz")]
    raise SystemExit(f"unknown data set {name!r}")


def run_one(name: str, work: Path, epochs: int | None, max_peaks: int) -> dict:
    out = work / name / "run"
    (work / name).mkdir(parents=True, exist_ok=True)
    cmd = [*seqnet_cmd(), "--threads", "1", "train", *inputs(name, work / name, max_peaks), "--out", str(out),
           "--overwrite", "--quiet", "--baselines", "fast", *(["--epochs", str(epochs)] if epochs else [])]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{name}: seqnet train failed\n{proc.stderr}")
    metrics = json.loads((out / "metrics.json").read_text())
    fitted = re.search(r"baselines \(.*\) fitted in ([0-9.]+) s", (out / "train.log").read_text())
    base_s = float(fitted.group(1)) if fitted else 0.0
    key = "pearson" if "pearson" in metrics else "auroc"
    row = {"data": name, "n test": metrics["n"], f"model {key}": metrics[key]["mean"]}
    for bname, b in metrics.get("baselines", {}).items():
        row[f"{bname}"] = b[key]["mean"]
    if "accuracy" in metrics:
        row["model acc"] = metrics["accuracy"]
        row.update({f"{b} acc": v.get("accuracy") for b, v in metrics.get("baselines", {}).items()})
    row.update(metrics.get("checks", {}))
    row.update({"run s": round(wall, 1), "baselines s": base_s,
                "baselines share": f"{100 * base_s / max(wall - base_s, 1e-9):.1f}%"})
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="ARID3A,FOXM1,GATA3,OCT4_MAFK,YEAST,MNIST")
    ap.add_argument("--epochs", type=int, help="cap the recipe's epochs (CPU time)")
    ap.add_argument("--max-peaks", type=int, default=10_000, help="ENCODE AC peaks per experiment")
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "baselines")
    args = ap.parse_args()
    rows = [run_one(name, args.work, args.epochs, args.max_peaks) for name in args.sets.split(",")]
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="-"))


if __name__ == "__main__":
    main()
