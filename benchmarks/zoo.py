"""Every registered architecture on the ENCODE DeepBind experiments and Oct4 vs MafK.

For each experiment and model, through the command line:

* ENCODE (ARID3A, FOXM1, GATA3): ``seqnet train --model M --positives AC.fa
  --negatives shuffle``, then ``seqnet evaluate`` on the held-out B fold;
* Oct4 vs MafK: ``seqnet train --model M --positives oct4_train.fa --negatives
  mafk_train.fa``, then ``seqnet evaluate`` on the test files.

Prints one table: AUROC, parameters and seconds per epoch for each model, with
DeepBind*'s published AUC for the ENCODE experiments, then the per-model median and
the two targets (some model >= DeepBind* on every experiment; danq >= deepbind on the
median).  Runs take long on a CPU: ``--epochs`` caps the epochs and ``--max-train``
subsamples the training positives, and both are printed with the table.

Models run in the order given (deepbind and danq first by default, so the danq-vs-deepbind
comparison comes early), each on every experiment.  Each finished row is appended to
``WORK/results.tsv``; ``--reuse`` skips rows already there with the same settings, so an
interrupted run continues where it stopped.

    python benchmarks/zoo.py [--models deepbind,danq] [--experiments ARID3A,OCT4_MAFK]
                             [--epochs N] [--max-train N] [--device cuda] [--seed 0] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deepbind_encode import DATA as ENCODE, EXPERIMENTS, ROOT, prepare, run, seqnet_cmd  # noqa: E402

import seqnet  # noqa: E402
from seqnet.io.fasta import read_fasta, write_fasta  # noqa: E402

OCT4 = ENCODE.parent / "chipseq_oct4_mafk"


def encode_inputs(name: str, work: Path, max_train: int | None, seed: int) -> dict:
    prefix, _, dbstar = EXPERIMENTS[name]
    paths = prepare(name, prefix, work)
    train = paths["train"]
    if max_train:
        ids, seqs = read_fasta(train)
        if len(ids) > max_train:
            keep = sorted(pd.Series(range(len(ids))).sample(max_train, random_state=seed))
            train = train.with_name(f"AC_positives_{max_train}.fa")
            write_fasta(train, [ids[i] for i in keep], [seqs[i] for i in keep])
    return {"train": ["--positives", str(train), "--negatives", "shuffle"],
            "test": ["--positives", str(paths["bpos"]), "--negatives", str(paths["bneg"])],
            "dbstar": dbstar}


def oct4_inputs() -> dict:
    return {"train": ["--positives", str(OCT4 / "oct4_train.fa"), "--negatives", str(OCT4 / "mafk_train.fa")],
            "test": ["--positives", str(OCT4 / "oct4_test.fa"), "--negatives", str(OCT4 / "mafk_test.fa")],
            "dbstar": None}


def main() -> None:
    from seqnet.models import MODELS

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    first = [m for m in ("deepbind", "danq") if m in MODELS]
    ap.add_argument("--models", default=",".join(first + sorted(set(MODELS) - set(first))))
    ap.add_argument("--experiments", default=",".join([*EXPERIMENTS, "OCT4_MAFK"]))
    ap.add_argument("--epochs", type=int, help="cap on epochs (default: each recipe's)")
    ap.add_argument("--max-train", type=int, help="subsample ENCODE training positives to this many")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "zoo")
    ap.add_argument("--reuse", action="store_true", help="keep rows of WORK/results.tsv with the same settings")
    args = ap.parse_args()
    if not ENCODE.is_dir():
        sys.exit(f"{ENCODE}: not found (../shared/data is needed)")
    models = args.models.split(",")
    experiments = args.experiments.split(",")
    settings = dict(epochs_cap=args.epochs or 0, max_train=args.max_train or 0, seed=args.seed, device=args.device)
    results = args.work / "results.tsv"
    done = pd.DataFrame()
    if args.reuse and results.exists():
        done = pd.read_csv(results, sep="\t")
        for k, v in settings.items():
            done = done[done[k].astype(str) == str(v)]
    rows = []
    inputs = {}
    for model in models:
        for exp in experiments:
            old = done[(done.experiment == exp) & (done.model == model)] if len(done) else done
            if len(old):
                rows.append(old.iloc[-1].to_dict())
                continue
            if exp not in inputs:
                inputs[exp] = oct4_inputs() if exp == "OCT4_MAFK" else encode_inputs(exp, args.work, args.max_train, args.seed)
            run_dir = args.work / exp / model
            extra = ["--epochs", str(args.epochs)] if args.epochs else []
            run(seqnet_cmd() + ["train", *inputs[exp]["train"], "--model", model, "--out", str(run_dir), "--overwrite",
                                "--quiet", "--seed", str(args.seed), "--device", args.device, *extra])
            out = run_dir / "heldout_metrics.json"
            run(seqnet_cmd() + ["evaluate", str(run_dir), *inputs[exp]["test"], "--device", args.device, "--out", str(out)])
            auroc = json.loads(out.read_text())["auroc"]["mean"]
            hist = pd.read_csv(run_dir / "history.csv")
            n_params = sum(p.numel() for p in seqnet.load(run_dir).model.parameters())
            row = dict(experiment=exp, model=model, auroc=auroc, params=n_params, epochs=len(hist),
                       sec_per_epoch=hist.seconds.mean(), dbstar=inputs[exp]["dbstar"], **settings)
            rows.append(row)
            pd.DataFrame([row]).to_csv(results, sep="\t", index=False, mode="a", header=not results.exists())
            print(f"{exp} {model}: AUROC {auroc:.4f} ({len(hist)} epochs, {hist.seconds.mean():.1f} s/epoch)",
                  file=sys.stderr, flush=True)

    table = pd.DataFrame(rows)
    print(f"\nseqnet model zoo: held-out AUROC (ENCODE: B fold; Oct4/MafK: test files); seed {args.seed}; "
          f"device {args.device}; {platform.node()}, {os.cpu_count()} CPUs")
    print(f"epochs: {'capped at ' + str(args.epochs) if args.epochs else 'recipe defaults'}; "
          f"ENCODE training positives: {'subsampled to ' + str(args.max_train) if args.max_train else 'all'}")
    print(f"{'experiment':<10} {'model':<9} {'AUROC':>7} {'DeepBind*':>9} {'params':>11} {'epochs':>6} {'s/epoch':>8}")
    for r in sorted(rows, key=lambda r: (experiments.index(r["experiment"]), models.index(r["model"]))):
        db = "" if r["dbstar"] is None or r["dbstar"] != r["dbstar"] else f"{r['dbstar']:.3f}"
        print(f"{r['experiment']:<10} {r['model']:<9} {r['auroc']:>7.4f} {db:>9} {r['params']:>11,} "
              f"{r['epochs']:>6} {r['sec_per_epoch']:>8.1f}")
    med = table.groupby("model").auroc.median()
    print("\nmedian AUROC per model: " + ", ".join(f"{m} {v:.4f}" for m, v in med.sort_values(ascending=False).items()))
    for exp, grp in table.groupby("experiment"):
        if grp.dbstar.notna().all():
            best = grp.loc[grp.auroc.idxmax()]
            ok = best.auroc >= best.dbstar
            print(f"{exp}: best {best.model} {best.auroc:.4f} vs DeepBind* {best.dbstar:.3f} -> {'met' if ok else 'NOT met'}")
    if {"danq", "deepbind"} <= set(med.index):
        print(f"danq median {med['danq']:.4f} vs deepbind {med['deepbind']:.4f} -> "
              f"{'met' if med['danq'] >= med['deepbind'] else 'NOT met'}")


if __name__ == "__main__":
    main()
