"""``seqnet tune`` on the three ENCODE ChIP-seq experiments of the DeepBind benchmark.

For each experiment, through the real command line:

1. the ``*_AC.seq.gz`` training peaks become ``AC_positives.fa`` (as in
   ``deepbind_encode.py``); the held-out ``*_B.seq.gz`` fold becomes two FASTA files that
   the search never reads;
2. ``seqnet tune --positives AC_positives.fa --negatives shuffle --space SPACE --trials K
   --train-best``: trials train on the training split, are scored (and pruned) on the
   validation split of the AC peaks, and the best recipe is then trained into
   ``tune/best`` (the usual run directory, with its own test split of the AC peaks);
3. ``seqnet evaluate tune/best`` on the B fold.

``--trials N`` is the number of finished (complete or pruned) trials wanted per
experiment: a rerun after a kill runs only the missing ones on the same study (its
``study.db``), so the counts add up.  ``--timeout`` bounds each experiment's search
(seconds; no trial starts after it).  The search space defaults to
``benchmarks/tune_encode_space.yaml`` (DeepBind and the dilated CNN, their sizes,
activations and batch norm, the optimiser, schedule, learning rate and batch size).

Prints per experiment the trials, the best trial's recipe and validation AUROC, and the
B-fold AUROC of the best recipe next to the default recipe's and DeepBind*'s.

    python benchmarks/tune_encode.py [--trials 20] [--timeout 3600] [--device auto] [--experiments ...]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deepbind_encode import DATA, EXPERIMENTS, ROOT, prepare, seqnet_cmd  # noqa: E402

#: B-fold AUROC of the default recipe (deepbind, as issue 16 states it) and of the dilated CNN
#: capped at 15 epochs (README's model zoo table), both measured earlier on a CPU.
REFERENCE = {"ARID3A": (0.922, 0.9437), "FOXM1": (0.928, 0.9548), "GATA3": (0.940, 0.9602)}


def run(cmd: list, log: Path) -> None:
    """Run ``cmd``, its output appended to ``log`` as it comes; exit when it fails."""
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(map(str, cmd))}\n")
        fh.flush()
        code = subprocess.run([str(c) for c in cmd], stdout=fh, stderr=subprocess.STDOUT).returncode
    if code != 0:
        sys.exit(f"command failed ({code}): {' '.join(map(str, cmd))}; see {log}")


def finished_trials(out: Path) -> int:
    """Complete and pruned trials of the study in ``out/study.db`` (0 before the first call;
    read from the database, which a killed call leaves behind without its reports)."""
    if not (out / "study.db").is_file():
        return 0
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name="seqnet", storage=f"sqlite:///{(out / 'study.db').resolve()}")
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--experiments", default=",".join(EXPERIMENTS))
    ap.add_argument("--trials", type=int, default=20, help="finished trials wanted per experiment (in all calls)")
    ap.add_argument("--timeout", type=float, help="seconds per experiment's search in this call")
    ap.add_argument("--space", type=Path, default=ROOT / "benchmarks" / "tune_encode_space.yaml")
    ap.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    ap.add_argument("--threads", default="1", help="torch CPU threads per process")
    ap.add_argument("--pruner", default="median")
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "tune_encode")
    ap.add_argument("tune_args", nargs="*", help="extra options for seqnet tune (after --)")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA}: not found (the ENCODE DeepBind files live in ../shared/data/encode_deepbind)")
    rows = []
    for name in args.experiments.split(","):
        prefix, _, dbstar = EXPERIMENTS[name]
        paths = prepare(name, prefix, args.work)
        out, log = args.work / name / "tune", args.work / name / "tune.log"
        missing = args.trials - finished_trials(out)
        t0 = time.perf_counter()
        if missing > 0:
            extra = ["--timeout", args.timeout] if args.timeout else []
            run([*seqnet_cmd(), "--threads", args.threads, "tune", "--positives", paths["train"], "--negatives",
                 "shuffle", "--space", args.space, "--trials", missing, "--out", out, "--device", args.device,
                 "--pruner", args.pruner, "--train-best", *extra, *args.tune_args], log)
        elif not (out / "best" / "model.pt").is_file():
            sys.exit(f"{out}: the search is done but best/ is missing; rerun with more --trials")
        seconds = time.perf_counter() - t0
        b_fold = args.work / name / "B_metrics.json"
        run([*seqnet_cmd(), "evaluate", out / "best", "--positives", paths["bpos"], "--negatives", paths["bneg"],
             "--out", b_fold, "--device", args.device], log)
        summary = json.loads((out / "summary.json").read_text())
        best_cfg = summary["best"]
        recipe = ", ".join(f"{k.rsplit('.', 1)[-1]}={v:.3g}" if isinstance(v, float) else f"{k.rsplit('.', 1)[-1]}={v}"
                           for k, v in best_cfg["params"].items())
        auc = json.loads(b_fold.read_text())["auroc"]["mean"]
        rows.append((name, summary["trials"], best_cfg["number"], best_cfg["value"], auc, dbstar, seconds, recipe))
        print(f"{name}: B-fold AUROC {auc:.4f} (best trial {best_cfg['number']}: {recipe})", file=sys.stderr,
              flush=True)
    print(f"\nseqnet tune on ENCODE (DeepBind benchmark): B-fold ROC AUC of each best recipe; search space "
          f"{args.space.name}; {platform.node() or 'this machine'}, {os.cpu_count()} CPUs, device {args.device}")
    print(f"{'experiment':<10} {'trials (complete/pruned/fail)':>30} {'best':>5} {'valid':>7} {'B fold':>7} "
          f"{'default':>8} {'dilated':>8} {'DeepBind*':>9} {'s (call)':>9}")
    for name, trials, number, valid, auc, dbstar, seconds, recipe in rows:
        counts = f"{trials.get('complete', 0)}/{trials.get('pruned', 0)}/{trials.get('fail', 0)}"
        default, dilated = REFERENCE[name]
        print(f"{name:<10} {counts:>30} {number:>5} {valid:>7.4f} {auc:>7.4f} {default:>8.3f} {dilated:>8.3f} "
              f"{dbstar:>9.3f} {seconds:>9.0f}")
        print(f"{'':<10} best recipe: {recipe}")


if __name__ == "__main__":
    main()
