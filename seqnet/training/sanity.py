"""Warnings where a run's numbers cannot be trusted: one class only, tiny test classes,
undefined metrics.  Each is a ``warning:`` line (:func:`seqnet.errors.warn`), shown on the
console and kept in ``train.log``."""

from __future__ import annotations

import numpy as np

from seqnet.errors import warn

#: Fewer test records than this in a class make its test metrics a coin toss.
MIN_TEST_PER_CLASS = 20


def _class_counts(data) -> dict[str, dict[str, int]]:
    """Per task, the number of records of each class (classification only)."""
    y = np.asarray(data.y)
    if data.task_type == "regression":
        return {}
    if data.task_type == "multiclass":
        return {"class": {name: int((y == k).sum()) for k, name in enumerate(data.names)}}
    counts = {}
    for t, name in enumerate(data.names):
        col = y[:, t]
        observed = col[~np.isnan(col)] if col.dtype.kind == "f" else col
        counts[name] = {"1": int((observed == 1).sum()), "0": int((observed == 0).sum())}
    return counts


def check_labels(data) -> None:
    """Warn for a task (or a whole multi-class set) whose labels hold one class only."""
    for task, counts in _class_counts(data).items():
        present = [c for c, n in counts.items() if n > 0]
        if data.task_type == "multiclass":
            if len(present) < 2:
                warn(f"the labels hold one class only ({', '.join(present) or 'none'}): the model cannot learn to "
                     "tell classes apart")
        elif len(present) < 2:
            warn(f"task {task!r}: every label is {present[0] if present else 'missing'}; its AUROC is undefined and "
                 "the model learns only a constant")


def check_test_split(test) -> None:
    """Warn when a class has fewer than :data:`MIN_TEST_PER_CLASS` test records."""
    if len(test) == 0:
        return
    for task, counts in _class_counts(test).items():
        small = {c: n for c, n in counts.items() if n < MIN_TEST_PER_CLASS}
        if small:
            where = "" if test.task_type == "multiclass" else f"task {task!r}: "
            shown = ", ".join(f"{n} of class {c!r}" for c, n in small.items())
            warn(f"{where}the test split holds only {shown} (fewer than {MIN_TEST_PER_CLASS}); its test metrics "
                 "are uncertain")


def check_metrics(metrics: dict) -> None:
    """Warn for every task whose test AUROC is undefined."""
    auroc = metrics.get("auroc")
    if not auroc or not metrics.get("n"):
        return
    undefined = [task for task, v in auroc.items() if task != "mean" and v is None]
    if undefined:
        warn(f"test AUROC undefined for {', '.join(map(repr, undefined))} (one class only in the test split)")
