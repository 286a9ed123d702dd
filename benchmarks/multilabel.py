"""Does the default recipe learn every task of a multi-label set?  Through the CLI.

For each ``--n``: ``seqnet simulate --out DIR --n N --seed S`` (8 JASPAR motifs by
default, each planted independently: one 0/1 task per motif), then ``seqnet train
--fasta DIR/multilabel.fa --labels DIR/labels.tsv`` with the default recipe (or the
extra train options given after ``--``).  Prints each task's test AUROC, the mean and
the worst, next to the PWM-scan AUROC of the true motif on the same test records (an
upper reference, see ``planted_motifs.py``).

``--code DIR`` runs another checkout's seqnet (``python -m seqnet`` from ``DIR``), for
before / after tables.

    python benchmarks/multilabel.py [--n 2000,10000] [--seed 0] [--motifs ...] [--code DIR] [-- train options]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deepbind_encode import ROOT, seqnet_cmd  # noqa: E402
from planted_motifs import pwm_auroc  # noqa: E402

from seqnet.alphabets import DNA  # noqa: E402
from seqnet.kinds.sequence_loaders import read_sequences  # noqa: E402
from seqnet.motifs.meme import read_meme  # noqa: E402


def run(cmd: list[str], cwd: Path | None = None) -> None:
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd, env=env)
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stderr}")


def scores(sim: Path, run_dir: Path) -> pd.DataFrame:
    """Per task: the model's test AUROC and the true PWM's on the same test records."""
    info = json.loads((sim / "simulation.json").read_text())
    truth = read_meme(sim / "motifs.meme")
    labels = pd.read_csv(sim / "labels.tsv", sep="\t").set_index("id")
    ids, tokens, _ = read_sequences(sim / "multilabel.fa", DNA, int(info["length"]))
    pred = pd.read_csv(run_dir / "test_predictions.tsv", sep="\t").set_index("id")
    where = {name: i for i, name in enumerate(ids)}
    tok = tokens[[where[i] for i in pred.index]]
    gc = info.get("gc", 0.42)
    background = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    rows = []
    for motif, task in zip(truth, labels.columns):
        y = labels.loc[pred.index, task].to_numpy()
        rows.append({"task": task, "model": roc_auc_score(y, pred[task]),
                     "pwm": pwm_auroc(motif, tok, y, background)})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", default="2000,10000", help="comma-separated multi-label set sizes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--motifs", help="comma-separated JASPAR ids / names (default: simulate's 8)")
    ap.add_argument("--code", type=Path, help="a seqnet checkout to run instead of this one (python -m seqnet)")
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "multilabel")
    ap.add_argument("train_args", nargs="*", help="extra options for seqnet train (after --)")
    args = ap.parse_args()
    cmd = [sys.executable, "-m", "seqnet"] if args.code else seqnet_cmd()
    cwd = args.code.resolve() if args.code else None
    tables = {}
    for n in [int(v) for v in args.n.split(",")]:
        sim, run_dir = args.work / f"sim_n{n}_seed{args.seed}", args.work / f"run_n{n}_seed{args.seed}"
        extra = ["--motifs", args.motifs] if args.motifs else []
        run(cmd + ["simulate", "--out", sim.resolve(), "--n", n, "--seed", args.seed, *extra], cwd)
        t0 = time.perf_counter()
        run(cmd + ["--threads", "1", "train", "--fasta", (sim / "multilabel.fa").resolve(), "--labels",
                   (sim / "labels.tsv").resolve(), "--out", run_dir.resolve(), "--overwrite", "--quiet",
                   "--seed", args.seed, "--baselines", "none", *args.train_args], cwd)
        epochs = len(pd.read_csv(run_dir / "history.csv"))
        tables[n] = (scores(sim, run_dir), time.perf_counter() - t0, epochs)
        print(f"n={n}: done in {tables[n][1]:.0f} s", file=sys.stderr, flush=True)
    print(f"\nmulti-label planted motifs, seed {args.seed}; test AUROC per task (model / true PWM scan); "
          f"{'code: ' + str(args.code) if args.code else 'this checkout'}; "
          f"{platform.node() or 'this machine'}, {os.cpu_count()} CPUs")
    if args.train_args:
        print(f"extra train options: {' '.join(args.train_args)}")
    names = next(iter(tables.values()))[0].task
    print(f"{'task':<12} " + " ".join(f"{'n=' + str(n) + ' model':>14} {'PWM':>6}" for n in tables))
    for i, task in enumerate(names):
        print(f"{task:<12} " + " ".join(f"{t.model[i]:>14.4f} {t.pwm[i]:>6.4f}" for t, _, _ in tables.values()))
    print(f"{'mean':<12} " + " ".join(f"{t.model.mean():>14.4f} {t.pwm.mean():>6.4f}" for t, _, _ in tables.values()))
    print(f"{'worst':<12} " + " ".join(f"{t.model.min():>14.4f} {t.pwm.min():>6.4f}" for t, _, _ in tables.values()))
    print(f"{'epochs, s':<12} " + " ".join(f"{f'{e}, {s:.0f} s':>14} {'':>6}" for _, s, e in tables.values()))


if __name__ == "__main__":
    main()
