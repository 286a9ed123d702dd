"""Labelled data sets of every input kind, how they are split, and how their targets meet a model.

Two containers share one protocol (:class:`Dataset`): :class:`SequenceSet` holds
``uint8`` tokens ``(N, L)`` (one-hot floats are made later, per batch, on the device) and
:class:`ArraySet` holds float arrays (time series ``(N, T, F)`` with an observed-value
mask, tables ``(N, F)``, images ``(N, C, H, W)``).  Both carry ``ids``, targets ``y``,
``task_type``, output ``names``, split ``groups``, ``chroms`` and :meth:`subset`, so
:func:`split_indices` and :func:`align_targets` serve every kind.  Which kind loads which
files is :mod:`seqnet.kinds`' business.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol, Sequence

import numpy as np
import pandas as pd

from seqnet.alphabets import Alphabet
from seqnet.errors import InputError, opt

#: Task types every data set and model speaks.
TASK_TYPES = ("binary", "multilabel", "multiclass", "regression")


class Dataset(Protocol):
    """What every labelled data set offers: the split and scoring code reads only this."""

    ids: list[str]
    y: np.ndarray
    task_type: str
    names: list[str]
    groups: np.ndarray
    chroms: list[str | None] | None

    @property
    def kind(self) -> str: ...

    def __len__(self) -> int: ...

    def subset(self, index: np.ndarray) -> "Dataset": ...


@dataclass
class SequenceSet:
    """Encoded sequences with targets.

    Attributes
    ----------
    ids : list of str
        Record ids, length ``N``.
    tokens : numpy.ndarray, shape (N, L), dtype uint8
        Tokens; ``alphabet.unknown`` marks N / ambiguity codes / padding.
    y : numpy.ndarray, shape (N, T) float32 or (N,) int64
        0/1 targets per task, class indices for multi-class, or values for regression.
    task_type : str
        ``"binary"``, ``"multilabel"``, ``"multiclass"`` or ``"regression"``.
    names : list of str
        Task names, or class names for multi-class.
    alphabet : Alphabet
    groups : numpy.ndarray, shape (N,), dtype int64
        Split groups: records of one group always land in the same split (a shuffled
        negative stays with its positive).
    chroms : list of str or None
        Chromosome of each record when known (BED input or ``chrom:start-end`` ids).
    lengths : numpy.ndarray, shape (N,), dtype int32, or None
        Real length of each record inside ``L`` (shorter records are centre-padded);
        None means every record fills ``L``.
    shuffled : numpy.ndarray, shape (N,), dtype bool, or None
        True for the negatives made by dinucleotide-shuffling a positive
        (``negatives="shuffle"``); training may draw them afresh every epoch.
    """

    ids: list[str]
    tokens: np.ndarray
    y: np.ndarray
    task_type: str
    names: list[str]
    alphabet: Alphabet
    groups: np.ndarray
    chroms: list[str | None] | None = None
    lengths: np.ndarray | None = None
    shuffled: np.ndarray | None = None

    kind = "sequence"

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def length(self) -> int:
        """Input length ``L``."""
        return int(self.tokens.shape[1])

    def subset(self, index: np.ndarray) -> "SequenceSet":
        """Rows ``index`` as a new set (arrays copied by fancy indexing)."""
        return replace(
            self,
            ids=[self.ids[i] for i in index],
            tokens=self.tokens[index],
            y=self.y[index],
            groups=self.groups[index],
            chroms=None if self.chroms is None else [self.chroms[i] for i in index],
            lengths=None if self.lengths is None else self.lengths[index],
            shuffled=None if self.shuffled is None else self.shuffled[index],
        )


@dataclass
class ArraySet:
    """Float inputs with targets: time series, feature tables, images.

    Attributes
    ----------
    ids : list of str
        Sample ids (genes, table rows, image positions), length ``N``.
    x : numpy.ndarray, dtype float32
        ``(N, T, F)`` time series, ``(N, F)`` table or ``(N, C, H, W)`` images.
    y : numpy.ndarray
        float32 ``(N, T)`` (binary / multi-label / regression) or int64 ``(N,)`` class
        indices (multi-class).
    task_type : str
        ``"binary"``, ``"multilabel"``, ``"multiclass"`` or ``"regression"``.
    names : list of str
        Task, class or target names.
    kind : str
        ``"timeseries"``, ``"table"`` or ``"image"``.
    mask : numpy.ndarray or None, dtype bool
        Shaped like ``x``, True where a value is observed (time series); None when every
        value is.
    preprocess : dict
        What predict must repeat (see :mod:`seqnet.kinds.arrays`).
    notes : list of str
        What the loader left out or decided, for the run log.
    groups : numpy.ndarray, shape (N,), dtype int64
        Split groups (one per sample).
    """

    ids: list[str]
    x: np.ndarray
    y: np.ndarray
    task_type: str
    names: list[str]
    kind: str
    mask: np.ndarray | None = None
    preprocess: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    groups: np.ndarray | None = None
    chroms: None = None  # no coordinates: split_indices splits at random

    def __post_init__(self) -> None:
        if self.groups is None:
            self.groups = np.arange(len(self.ids), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def shape(self) -> tuple[int, ...]:
        """Per-sample input shape, e.g. ``(T, F)``."""
        return tuple(int(v) for v in self.x.shape[1:])

    def subset(self, index: np.ndarray) -> "ArraySet":
        """Rows ``index`` as a new set (arrays copied by fancy indexing)."""
        return replace(
            self,
            ids=[self.ids[i] for i in index],
            x=self.x[index],
            y=self.y[index],
            mask=None if self.mask is None else self.mask[index],
            groups=self.groups[index],
            notes=list(self.notes),
        )


# ----------------------------------------------------------------------------- splits


def split_indices(
    data: Dataset,
    *,
    valid_fraction: float,
    test_fraction: float,
    seed: int = 0,
    test_chroms: Sequence[str] | None = None,
    valid_chroms: Sequence[str] | None = None,
    stratify: bool = False,
) -> dict[str, np.ndarray]:
    """Split records into train / valid / test index arrays.

    Whole groups move together.  With ``test_chroms`` (and optionally ``valid_chroms``)
    records are split by chromosome; otherwise groups are assigned at random (seeded)
    in the given fractions.  The validation split falls back to a random fraction of the
    non-test groups when ``valid_chroms`` is not given.  With ``stratify`` (single-label
    classification, random splits only) each class is split in the given fractions on
    its own, so small sets keep their class proportions in every split.

    Returns
    -------
    dict
        ``{"train": idx, "valid": idx, "test": idx}``, each a sorted int64 array.

    Raises
    ------
    InputError
        When chromosome splits are asked for but records have no coordinates, or a
        requested split comes out empty.
    """
    rng = np.random.default_rng(seed)
    if stratify and not (test_chroms or valid_chroms):
        return _stratified_split(data, valid_fraction, test_fraction, rng)
    is_test = np.zeros(len(data), dtype=bool)
    is_valid = np.zeros(len(data), dtype=bool)
    if test_chroms or valid_chroms:
        is_test, is_valid = _chrom_split(data, test_chroms, valid_chroms)
    if not valid_chroms:
        groups = np.unique(data.groups[~is_test])
        rng.shuffle(groups)
        n_groups_total = len(np.unique(data.groups))
        n_test = 0 if test_chroms else int(round(test_fraction * n_groups_total))
        n_valid = int(round(valid_fraction * n_groups_total))
        if test_fraction > 0 and n_test == 0 and not test_chroms:
            n_test = 1
        if valid_fraction > 0 and n_valid == 0:
            n_valid = 1
        if not test_chroms:
            is_test = np.isin(data.groups, groups[:n_test])
        is_valid = np.isin(data.groups, groups[n_test : n_test + n_valid]) & ~is_test
    return _split_result(is_test, is_valid)


def _chrom_split(data: Dataset, test_chroms, valid_chroms) -> tuple[np.ndarray, np.ndarray]:
    """Test and validation flags of a split by chromosome (whole groups follow)."""
    n = len(data)
    if data.chroms is None or any(c is None for c in data.chroms):
        missing = next((data.ids[i] for i, c in enumerate(data.chroms or [None] * n) if c is None), "?")
        raise InputError(
            f"{opt('test_chroms')} needs coordinates for every record: record {missing!r} has no chrom:start-end id"
        )
    chroms = np.array(data.chroms, dtype=object)
    present = sorted(set(data.chroms))
    flags = {}
    for name, wanted in (("test_chroms", test_chroms), ("valid_chroms", valid_chroms)):
        flag = np.zeros(n, dtype=bool)
        if wanted:
            flag |= np.isin(chroms, list(wanted))
            if not flag.any():
                raise InputError(
                    f"{opt(name)} {','.join(wanted)}: no records on these chromosomes "
                    f"(records are on {', '.join(present[:8])}{', ...' if len(present) > 8 else ''})"
                )
        flags[name] = flag
    # A shuffled negative follows its positive's group, not its own id.
    is_test = _spread_over_groups(flags["test_chroms"], data.groups)
    is_valid = _spread_over_groups(flags["valid_chroms"], data.groups) & ~is_test
    return is_test, is_valid


def _stratified_split(data: Dataset, valid_fraction: float, test_fraction: float,
                      rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random split per class (the class of a group is that of its first record)."""
    y = np.asarray(data.y)
    label = y if y.ndim == 1 else y.reshape(len(y), -1)[:, 0]
    groups, first = np.unique(data.groups, return_index=True)
    group_label = label[first]
    test_groups, valid_groups = [], []
    for c in np.unique(group_label):
        members = groups[group_label == c]
        rng.shuffle(members)
        n_test = int(round(test_fraction * len(members)))
        n_valid = int(round(valid_fraction * len(members)))
        test_groups.append(members[:n_test])
        valid_groups.append(members[n_test : n_test + n_valid])
    test_groups, valid_groups = np.concatenate(test_groups), np.concatenate(valid_groups)
    rest = np.setdiff1d(groups, np.concatenate([test_groups, valid_groups]))
    # Tiny classes may all round to 0: keep the promise of a non-empty split.
    if test_fraction > 0 and len(test_groups) == 0 and len(rest):
        test_groups, rest = rest[:1], rest[1:]
    if valid_fraction > 0 and len(valid_groups) == 0 and len(rest):
        valid_groups, rest = rest[:1], rest[1:]
    return _split_result(np.isin(data.groups, test_groups), np.isin(data.groups, valid_groups))


def _split_result(is_test: np.ndarray, is_valid: np.ndarray) -> dict[str, np.ndarray]:
    """The index arrays of a split; InputError when nothing is left to train on."""
    is_train = ~(is_test | is_valid)
    if not is_train.any():
        raise InputError(f"no records left for training after the splits ({len(is_train)} records)")
    return {"train": np.flatnonzero(is_train), "valid": np.flatnonzero(is_valid), "test": np.flatnonzero(is_test)}


def _spread_over_groups(flag: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Flag every record whose group has at least one flagged record."""
    return np.isin(groups, np.unique(groups[flag]))


# ----------------------------------------------------------------------------- targets for a trained model


def align_targets(data: Dataset, tm, *, source: str, named: bool = True, class_hint: str) -> np.ndarray:
    """Targets of ``data`` in the output order of the trained model ``tm``.

    Class labels are matched by name (a test file may lack some classes); task and
    target columns must include the model's.

    Parameters
    ----------
    data : Dataset
        Labelled data read for ``tm``.
    tm : seqnet.checkpoint.TrainedModel
    source : str
        The labels' file, for messages.
    named : bool
        False when the labels carry no task names (positives / negatives files): they
        then map onto a single-output model. Default is True.
    class_hint : str
        How to give class labels for this input, e.g. ``"give one class label per
        sample"``.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` class indices of ``tm.names`` (multi-class) or ``(N, T)`` targets.

    Raises
    ------
    InputError
        When the labels do not fit the model's outputs.
    """
    if not named:
        if tm.task_type == "multiclass" or len(tm.names) != 1:
            raise InputError(
                f"{source}: the model has {len(tm.names)} outputs ({', '.join(tm.names[:5])}); "
                f"evaluate it with {opt('fasta')} and {opt('labels')} naming them"
            )
        return data.y
    if tm.task_type == "multiclass":
        if data.task_type != "multiclass":
            raise InputError(f"{source}: the model predicts classes ({', '.join(tm.names)}); {class_hint}")
        unknown = sorted(set(data.names) - set(tm.names))
        if unknown:
            raise InputError(
                f"{source}: classes {', '.join(map(repr, unknown))} are not among the model's classes ({', '.join(tm.names)})"
            )
        return np.array([tm.names.index(n) for n in data.names])[data.y]
    if tm.task_type == "binary" and data.task_type == "multiclass" and len(data.names) <= 2:
        raise InputError(f"{source}: the model predicts {tm.names[0]!r} (0 or 1); labels must be 0 or 1")
    missing = [n for n in tm.names if n not in data.names]
    if missing or data.task_type == "multiclass":
        raise InputError(
            f"{source}: label columns ({', '.join(data.names[:8])}) must include the model's "
            f"{'targets' if tm.task_type == 'regression' else 'tasks'} {', '.join(tm.names)}"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
    return data.y[:, [data.names.index(n) for n in tm.names]]


def class_counts(parts: dict) -> pd.DataFrame:
    """Records per split and class: ``split``, ``class`` (``task=1`` / ``task=0`` for binary
    and multi-label tasks, the class name for multi-class, ``all`` for regression), ``n``.

    Parameters
    ----------
    parts : dict
        Split name -> data set (any kind).
    """
    rows = []
    for split, d in parts.items():
        y = np.asarray(d.y)
        if d.task_type == "regression":
            rows.append({"split": split, "class": "all", "n": len(d)})
        elif d.task_type == "multiclass":
            rows += [{"split": split, "class": name, "n": int((y == k).sum())} for k, name in enumerate(d.names)]
        else:
            for t, name in enumerate(d.names):
                rows += [{"split": split, "class": f"{name}={v}", "n": int((y[:, t] == v).sum())} for v in (1, 0)]
    return pd.DataFrame(rows, columns=["split", "class", "n"])


def class_masks(data) -> dict[str, np.ndarray]:
    """The records of each class row of :func:`class_counts`, as boolean masks."""
    y = np.asarray(data.y)
    if data.task_type == "regression":
        return {"all": np.ones(len(data), dtype=bool)}
    if data.task_type == "multiclass":
        return {name: y == k for k, name in enumerate(data.names)}
    return {f"{name}={v}": y[:, t] == v for t, name in enumerate(data.names) for v in (1, 0)}
