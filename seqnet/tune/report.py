"""What a search writes: ``trials.tsv``, ``best.yaml``, ``summary.json`` and two figures,
always of the whole study (trials of every process sharing it), plus the progress lines.

* ``trials.tsv``: one row per trial: number, state, value, the epoch of its best value,
  epochs run, seconds, parameters (model size), each searched setting, and the error of
  a failed trial;
* ``best.yaml``: the complete recipe of the best trial, which ``seqnet train --config``
  takes (with the same input options);
* ``history.png``: each trial's value and the best so far (the optimisation history);
* ``importances.png``: each searched setting's share of the value's variance (fANOVA,
  Optuna's default importance; drawn once two trials have finished and a setting has
  varied);
* ``summary.json``: the study, its storage, the metric, trials per state and the best.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import yaml

from seqnet.outputs import write_bytes_atomic, write_json_atomic, write_text_atomic


def state_counts(study) -> dict[str, int]:
    """Trials of ``study`` per state (lower-case names), states without trials left out."""
    counts: dict[str, int] = {}
    for t in study.get_trials(deepcopy=False):
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    return counts


def _complete(study) -> list:
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def best_of(study) -> dict | None:
    """``number``, ``value``, ``params`` and ``config`` of the best finished trial, None before one."""
    if not _complete(study):
        return None
    t = study.best_trial
    return {"number": t.number, "value": t.value, "params": dict(t.params), "config": t.user_attrs.get("config")}


def _short(name: str) -> str:
    """A parameter's name in a progress line: its key (``train.lr`` -> ``lr``)."""
    return name.rsplit(".", 1)[-1]


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def progress_line(study, trial, metric: str) -> str:
    """One line about a trial that just finished: its value, the best so far, its settings."""
    state = trial.state.name.lower()
    a = trial.user_attrs
    if state == "complete":
        head = (f"trial {trial.number} complete: {metric} {trial.value:.4f} "
                f"(epoch {a.get('best_epoch')} of {a.get('epochs')})")
    elif state == "pruned":
        value = "" if trial.value is None else f": {metric} {trial.value:.4f}"
        head = f"trial {trial.number} pruned after epoch {a.get('epochs')}{value}"
    else:
        head = f"trial {trial.number} {state}: {a.get('error', 'see the log')}"
    best = best_of(study)
    tail = "no finished trial yet" if best is None else f"best {best['value']:.4f} (trial {best['number']})"
    settings = " ".join(f"{_short(k)}={_fmt(v)}" for k, v in trial.params.items())
    seconds = f"; {a['seconds']:.0f} s" if "seconds" in a else ""
    return f"{head}{seconds}; {tail}" + (f" | {settings}" if settings else "")


def trials_table(study, search):
    """The ``trials.tsv`` table of every trial in ``study`` (pandas DataFrame)."""
    import pandas as pd

    names = (["model"] if search.models else []) + [p.name for p in search.params]
    rows = []
    for t in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        a = t.user_attrs
        row = {"trial": t.number, "state": t.state.name.lower(), "value": t.value,
               "best_epoch": a.get("best_epoch"), "epochs": a.get("epochs"), "seconds": a.get("seconds"),
               "parameters": a.get("parameters")}
        row.update({n: t.params.get(n) for n in names})
        row["error"] = a.get("error", "")
        rows.append(row)
    columns = ["trial", "state", "value", "best_epoch", "epochs", "seconds", "parameters", *names, "error"]
    table = pd.DataFrame(rows, columns=columns)
    for column in ("best_epoch", "epochs", "parameters"):
        table[column] = table[column].astype("Int64")  # missing for pruned / failed trials
    return table


def best_yaml(study, result) -> str | None:
    """``best.yaml``: the best trial's complete recipe, with a comment saying where it came from."""
    best = best_of(study)
    if best is None or best["config"] is None:
        return None
    cfg = {k: v for k, v in best["config"].items() if k != "inputs"}
    head = (f"# seqnet tune: the best of {sum(state_counts(study).values())} trials of study "
            f"{result.study_name!r} ({result.storage}): trial {best['number']}, {result.metric} "
            f"{best['value']:.4f} on the validation split.\n"
            "# Train it with the same input options: seqnet train --config best.yaml ...\n")
    return head + yaml.safe_dump(cfg, sort_keys=False)


def write_outputs(out: Path, study, search, result) -> None:
    """Write ``trials.tsv``, ``best.yaml``, ``summary.json`` and the figures into ``out`` (atomically)."""
    table = trials_table(study, search)
    write_text_atomic(out / "trials.tsv", table.to_csv(sep="\t", index=False, na_rep=""))
    text = best_yaml(study, result)
    if text is not None:
        write_text_atomic(out / "best.yaml", text)
    write_bytes_atomic(out / "history.png", history_png(table, result.metric, result.direction))
    importances = param_importances(study)
    if importances:
        write_bytes_atomic(out / "importances.png", importances_png(importances, result.metric))
    best = best_of(study)
    write_json_atomic(out / "summary.json", {
        "study": result.study_name, "storage": result.storage, "metric": result.metric,
        "direction": result.direction, "trials": state_counts(study),
        "best": None if best is None else {k: best[k] for k in ("number", "value", "params")},
        "importances": importances, "recovered_this_call": result.recovered,
    })


def param_importances(study) -> dict[str, float]:
    """fANOVA importance of each searched setting (seeded), {} until it can be computed."""
    import optuna

    from seqnet.tune.study import quiet_optuna

    complete = _complete(study)
    if len(complete) < 2:
        return {}
    try:
        with quiet_optuna():
            evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
            found = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (RuntimeError, ValueError):  # no setting varied over the finished trials
        return {}
    # A setting with one choice (``model`` when the space names one model) explains nothing.
    varied = {k for k in found if len({repr(t.params.get(k)) for t in complete}) > 1}
    return {k: round(float(v), 4) for k, v in found.items() if math.isfinite(v) and k in varied}


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def history_png(table, metric: str, direction: str) -> bytes:
    """Each trial's value (complete: dots; pruned: crosses, at their last epoch) and the best so far."""
    fig, ax = _figure(7.0, 4.0)
    done = table[table.state == "complete"]
    pruned = table[(table.state == "pruned") & table.value.notna()]
    ax.scatter(done.trial, done.value, color="tab:blue", label="complete", zorder=3)
    if len(pruned):
        ax.scatter(pruned.trial, pruned.value, color="tab:gray", marker="x", label="pruned", zorder=2)
    if len(done):
        values = done.value.astype(float)
        best = list(values.cummax() if direction == "maximize" else values.cummin())
        trials = list(done.trial)
        if int(table.trial.max()) > trials[-1]:  # the line runs on to the last trial
            trials.append(int(table.trial.max()))
            best.append(best[-1])
        ax.step(trials, best, where="post", color="tab:red", label="best so far")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # trials are numbered
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.set_title("optimisation history")
    if len(done) or len(pruned):
        ax.legend(loc="best")
    return _png(fig)


def importances_png(importances: dict[str, float], metric: str) -> bytes:
    """Horizontal bars of the settings' importances, largest on top."""
    names = list(importances)[::-1]
    fig, ax = _figure(7.0, 0.6 + 0.4 * len(names))
    ax.barh(names, [importances[n] for n in names], color="tab:blue")
    ax.set_xlabel(f"importance for {metric} (fANOVA)")
    ax.set_xlim(0, 1)
    return _png(fig)
