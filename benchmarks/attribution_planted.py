"""Do attributions point at the planted sites?  DeepLIFT/SHAP vs gradient x input.

On a ``seqnet simulate`` data set (8 JASPAR motifs planted independently, one task each)
and a model trained on it (the run of ``benchmarks/planted_motifs.py``, made here when
missing), for each task: the positive records of the task (at most ``--n``), the
attribution maps of its logit by gradient x input (:func:`seqnet.attribution.saliency`)
and by DeepLIFT/SHAP against 10 dinucleotide shuffles
(:func:`seqnet.attribution.deep_lift_shap`), then the AUROC of ``|attribution|`` (the
observed letter's) at the positions of the task's planted sites against the positions of
no planted site.  Issue 13's measure: DeepLIFT/SHAP at least as good as gradient x input.
Also prints DeepLIFT/SHAP's worst convergence delta.

    python benchmarks/attribution_planted.py [--n 200] [--shuffles 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deepbind_encode import ROOT, run, seqnet_cmd  # noqa: E402


def site_masks(headers: list[str], columns: list[str], widths: dict, length: int) -> dict:
    """``{task: (N, L) bool}`` positions inside that task's planted sites, and ``"any"``."""
    masks = {c: np.zeros((len(headers), length), bool) for c in columns}
    masks["any"] = np.zeros((len(headers), length), bool)
    for i, h in enumerate(headers):
        field = next((w for w in h.split() if w.startswith("sites=")), "sites=")
        for site in field[len("sites="):].split(","):
            if site.count(":") != 2:  # "none": nothing planted
                continue
            task, start, _ = site.rsplit(":", 2)
            a = int(start)
            for key in (task, "any"):
                masks[key][i, a : a + widths[task]] = True
    return masks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "planted_motifs")
    ap.add_argument("--n", type=int, default=200, help="positive records per task")
    ap.add_argument("--shuffles", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from seqnet.attribution import deep_lift_shap, saliency
    from seqnet.checkpoint import load
    from seqnet.kinds.sequence import SequenceInputs
    from seqnet.kinds.sequence_loaders import read_sequences

    sim, run_dir = args.work / "sim", args.work / "run"
    if not (run_dir / "model.pt").is_file():
        run(seqnet_cmd() + ["simulate", "--out", str(sim), "--seed", str(args.seed)])
        run(seqnet_cmd() + ["--threads", "1", "train", "--fasta", str(sim / "multilabel.fa"), "--labels",
                            str(sim / "labels.tsv"), "--out", str(run_dir), "--overwrite", "--quiet"])
    info = json.loads((sim / "simulation.json").read_text())
    widths = {m["column"]: int(m["width"]) for m in info["motifs"]}
    tm = load(run_dir)
    ids, tokens, _ = read_sequences(sim / "multilabel.fa", tm.alphabet, tm.length)
    headers = read_fasta_headers(sim / "multilabel.fa")
    labels = pd.read_csv(sim / "labels.tsv", sep="\t").set_index("id").loc[ids]
    masks = site_masks(headers, list(labels.columns), widths, tm.length)
    auroc = json.loads((run_dir / "metrics.json").read_text())["auroc"]
    rng = np.random.default_rng(args.seed)
    print("| task | model AUROC | records | gradient x input AUROC | DeepLIFT/SHAP AUROC | worst delta | seconds (gxi / dls) |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for t, task in enumerate(tm.names):
        pos = np.flatnonzero(labels[task].to_numpy() == 1)
        rows_t = np.sort(rng.choice(pos, min(args.n, len(pos)), replace=False))
        inputs = SequenceInputs(tokens[rows_t], tm.alphabet)
        t0 = time.perf_counter()
        gxi = np.abs(saliency(tm.model, inputs, target=t).sum(axis=1))
        t1 = time.perf_counter()
        dls = deep_lift_shap(tm.model, inputs, target=t, n_shuffles=args.shuffles, seed=args.seed)
        t2 = time.perf_counter()
        score_d = np.abs(dls.attributions.sum(axis=1))
        planted, background = masks[task][rows_t], ~masks["any"][rows_t]
        keep = planted | background
        y = planted[keep]
        a_g, a_d = roc_auc_score(y, gxi[keep]), roc_auc_score(y, score_d[keep])
        rows.append((a_g, a_d))
        print(f"| {task} | {auroc.get(task, float('nan')):.4f} | {len(rows_t)} | {a_g:.4f} | {a_d:.4f} | "
              f"{dls.worst_delta:.1e} | {t1 - t0:.1f} / {t2 - t1:.1f} |")
    g, d = np.mean(rows, axis=0)
    print(f"| mean | {auroc['mean']:.4f} | | {g:.4f} | {d:.4f} | | |")
    print(f"DeepLIFT/SHAP >= gradient x input on {sum(b >= a for a, b in rows)} of {len(rows)} tasks")


def read_fasta_headers(path: Path) -> list[str]:
    with open(path) as fh:
        return [line[1:].strip() for line in fh if line.startswith(">")]


if __name__ == "__main__":
    main()
