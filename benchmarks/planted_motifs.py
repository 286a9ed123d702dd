"""Are the planted motifs of a ``seqnet simulate`` data set recovered?  Through the CLI.

1. ``seqnet simulate --out DIR --n N --seed S`` (8 JASPAR motifs by default);
2. ``seqnet train --fasta DIR/multilabel.fa --labels DIR/labels.tsv`` (default settings);
3. ``seqnet motifs RUN --fasta DIR/multilabel.fa --labels DIR/labels.tsv`` (default
   settings: TOMTOM against JASPAR CORE vertebrates from pyjaspar).

Prints, per planted motif, the model's test AUROC for its task, the PWM-scan AUROC of
the true motif on the same records (an upper reference: log-odds of the planted PFM
against the generator's background, best site on either strand), the smallest TOMTOM
q-value against the planted JASPAR id among the motifs each method found (filters,
TF-MoDISco; main set and other_motifs.tsv together), and how many rows of the main set
(``matches.tsv``) match it at q < 0.05.  Issue 13's measure: every planted motif the
model learned (test AUROC >= 0.8) recovered at q < 0.05 by at least one method, none in
the main set more than twice.

    python benchmarks/planted_motifs.py [--n 2000] [--seed 0] [--motifs CTCF,MA0080,...]
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

from seqnet.alphabets import DNA  # noqa: E402
from seqnet.kinds.sequence_loaders import read_sequences  # noqa: E402
from seqnet.motifs.meme import read_meme  # noqa: E402


def pwm_auroc(motif, tokens: np.ndarray, y: np.ndarray, background: np.ndarray) -> float:
    """AUROC of the best log-odds site score (either strand) of ``motif``'s PFM."""
    p = np.asarray(motif.pfm, dtype=float) + 0.01
    logodds = np.log2(p / p.sum(1, keepdims=True) / background)  # (W, 4)
    # An unknown token (4) scores 0: append a zero column.
    logodds = np.concatenate([logodds, np.zeros((len(logodds), 1))], axis=1)
    w = len(logodds)
    n_pos = tokens.shape[1] - w + 1
    best = np.full(len(tokens), -np.inf)
    for lo in (logodds, logodds[::-1, [3, 2, 1, 0, 4]]):
        score = sum(lo[j][tokens[:, j : j + n_pos]] for j in range(w))
        best = np.maximum(best, score.max(1))
    return float(roc_auc_score(y, best))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--motifs", help="comma-separated JASPAR ids / names (default: simulate's)")
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "planted_motifs")
    ap.add_argument("--reuse", action="store_true", help="reuse the data set and run in --work")
    args = ap.parse_args()
    sim, run_dir, out = args.work / "sim", args.work / "run", args.work / "motifs"
    extra = ["--motifs", args.motifs] if args.motifs else []
    t0 = time.perf_counter()
    if not (args.reuse and (run_dir / "model.pt").is_file()):
        run(seqnet_cmd() + ["simulate", "--out", str(sim), "--n", str(args.n), "--seed", str(args.seed), *extra])
        run(seqnet_cmd() + ["--threads", "1", "train", "--fasta", str(sim / "multilabel.fa"), "--labels",
                            str(sim / "labels.tsv"), "--out", str(run_dir), "--overwrite", "--quiet",
                            "--seed", str(args.seed)])
    t1 = time.perf_counter()
    run(seqnet_cmd() + ["--threads", "1", "motifs", str(run_dir), "--fasta", str(sim / "multilabel.fa"), "--labels",
                        str(sim / "labels.tsv"), "--out", str(out), "--overwrite"])
    t2 = time.perf_counter()

    info = json.loads((sim / "simulation.json").read_text())
    truth = read_meme(sim / "motifs.meme")
    labels = pd.read_csv(sim / "labels.tsv", sep="\t").set_index("id")
    ids, tokens, _ = read_sequences(sim / "multilabel.fa", DNA, int(info["length"]))
    labels = labels.loc[ids]
    test_auroc = json.loads((run_dir / "metrics.json").read_text())["auroc"]
    matches = pd.read_csv(out / "all_matches.tsv", sep="\t")
    main_set = pd.read_csv(out / "matches.tsv", sep="\t")
    method = dict(zip(main_set.motif, main_set.method))
    method.update(zip(*[pd.read_csv(out / "other_motifs.tsv", sep="\t")[c] for c in ("motif", "method")]))
    matches["method"] = matches["query"].map(method)
    gc = info.get("gc", 0.42)
    background = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])

    print(f"planted motifs: n={args.n} multi-label records, seed {args.seed}; train {t1 - t0:.0f} s, "
          f"motifs {t2 - t1:.0f} s; main set {len(main_set)} motifs")
    print("| task | JASPAR | model AUROC | PWM AUROC | best filter motif (q) | best TF-MoDISco pattern (q) | "
          "recovered | rows in main set |")
    print("|---|---|---|---|---|---|---|---|")
    learned = ok = over = 0
    for motif, column in zip(truth, labels.columns):
        base = motif.name.split(".")[0]
        hits = matches[matches.target_id.str.split(".").str[0] == base]
        best = {m: hits[hits.method == m].sort_values("q").head(1) for m in ("filters", "modisco")}
        shown = {m: "-" if not len(b) else f"{b['query'].iloc[0]} ({b.q.iloc[0]:.1g})" for m, b in best.items()}
        found = any(len(b) and b.q.iloc[0] < 0.05 for b in best.values())
        in_main = int(hits[hits.q < 0.05]["query"].isin(set(main_set.motif)).sum())
        auc = test_auroc.get(column)
        is_learned = auc is not None and auc >= 0.8
        learned += is_learned
        ok += is_learned and found
        over += in_main > 2
        print(f"| {column} | {motif.name} | {'-' if auc is None else f'{auc:.4f}'} | "
              f"{pwm_auroc(motif, tokens, labels[column].to_numpy(), background):.4f} | {shown['filters']} | "
              f"{shown['modisco']} | {'yes' if found else 'no'} | {in_main} |")
    print(f"{ok} of {learned} learned motifs (test AUROC >= 0.8) recovered at q < 0.05; "
          f"{over} planted motifs appear more than twice in the main set")


if __name__ == "__main__":
    main()
