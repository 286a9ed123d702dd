"""What the float-array kinds (time series, tables, images) share: inputs, feeds,
standardisation and the parts of the kind contract that do not depend on the file format.

Tensor contract: a model reads float ``(B, *shape)`` — ``(B, T, F)`` time series with an
observed-value mask of the same shape, ``(B, F)`` tables, ``(B, C, H, W)`` images.

Preprocessing that predict must repeat is a dict of plain types stored in the checkpoint
(``ArraySet.preprocess`` at load time, completed by :meth:`ArrayKind.fit_preprocess`):

* time series: ``standardize`` (``gene`` / ``series`` / ``none``, done per row by the
  reader) and the time ``grid`` (series, time spans, points);
* tables: ``features`` (column names, in model order) and ``standardize``
  (``feature``: z-score with the training split's ``mean`` / ``std`` per column);
* images: ``image_shape`` ``[C, H, W]`` and ``standardize`` (``channel``: z-score with the
  training split's ``mean`` / ``std`` per channel).

Statistics come from the training split only, so validation and test data never leak
into them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from seqnet.datasets import ArraySet, align_targets
from seqnet.errors import ConfigError, opt
from seqnet.kinds.base import InputKind, as_targets, place


@dataclass
class ArrayInputs:
    """Float inputs ``(N, *shape)`` and an optional observed-value mask shaped alike."""

    x: torch.Tensor
    mask: torch.Tensor | None = None

    def __post_init__(self) -> None:
        self.x = torch.as_tensor(self.x)
        if self.mask is not None:
            self.mask = torch.as_tensor(self.mask)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def take(self, index: slice | torch.Tensor, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Inputs ``(B, *shape)`` and mask (or None) of records ``index``, on ``device``."""
        if isinstance(index, torch.Tensor):
            index = index.to(self.x.device)
        x = self.x[index].to(device, non_blocking=True)
        mask = None if self.mask is None else self.mask[index].to(device, non_blocking=True)
        return x, mask

    def flipped(self) -> "ArrayInputs":
        raise ConfigError("reverse-complement averaging applies to sequences, not float arrays")


class ArrayFeed:
    """Training batches of an :class:`ArraySet` (no augmentation)."""

    def __init__(self, data: ArraySet, model: torch.nn.Module, *, device: torch.device) -> None:
        self.device = device
        mask = data.mask if data.mask is not None and getattr(model, "takes_mask", False) else None
        mask = None if mask is None else place(torch.as_tensor(mask), device)
        self.inputs = ArrayInputs(place(torch.as_tensor(data.x), device), mask)
        self.targets = place(as_targets(data.y, data.task_type), device)
        self.n = len(self.inputs)

    def draw(self, gen: torch.Generator) -> None:
        """No augmentation: nothing to draw."""

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Inputs ``(B, *shape)``, mask or None, targets, on the device."""
        x, mask = self.inputs.take(idx, self.device)
        return x, mask, self.targets[idx.to(self.targets.device)].to(self.device, non_blocking=True)

    def inputs_of(self, data: ArraySet) -> ArrayInputs:
        """Evaluation inputs of ``data`` (validation)."""
        return ArrayInputs(data.x, data.mask)


@dataclass(frozen=True)
class ArrayKind(InputKind):
    """An input kind held in an :class:`ArraySet`.

    Attributes (besides :class:`~seqnet.kinds.base.InputKind`'s)
    ----------
    standardize : tuple of str
        Values of ``data.standardize`` (the first is the default).
    axes : tuple of int or None
        Axes of ``x`` that train-split standardisation reduces over (None: nothing is
        fitted; the reader standardises each row).
    nominal_shape : tuple of int
        Per-sample shape ``seqnet models`` counts parameters for.
    shape_words : str
        What the axes of that shape are, for ``seqnet models``.
    masked : bool
        Inputs come with an observed-value mask.
    """

    standardize: tuple[str, ...] = ()
    axes: tuple[int, ...] | None = None
    nominal_shape: tuple[int, ...] = ()
    shape_words: str = ""
    masked: bool = False

    def nominal_shape_args(self, length: int, alphabet: str) -> dict:
        return {"input_shape": list(self.nominal_shape), "with_mask": self.masked}

    def nominal_note(self, length: int, alphabet: str) -> str:
        return f"input {'x'.join(map(str, self.nominal_shape))} ({self.shape_words})"

    def check_data_config(self, data: dict) -> None:
        std = data.get("standardize")
        if std not in self.standardize:
            raise ConfigError(f"standardize must be {' or '.join(map(repr, self.standardize))} for {self.label} input, "
                              f"got {std!r}")

    def inputs(self, data: ArraySet, preprocess: dict) -> ArrayInputs:
        return ArrayInputs(data.x, data.mask)

    def model_shape(self, data: ArraySet, n_outputs: int) -> dict:
        return {"input_shape": list(data.shape), "n_outputs": n_outputs, "with_mask": data.mask is not None}

    def fit_preprocess(self, parts: dict, cfg: dict) -> dict:
        preprocess = {**parts["train"].preprocess, **self.fit_standardizer(parts["train"])}
        for part in parts.values():
            part.x = self.apply_standardizer(part.x, preprocess)
        return preprocess

    def fit_standardizer(self, train: ArraySet) -> dict:
        """Mean and standard deviation from the training split, as plain lists.

        Returns
        -------
        dict
            ``{"mean": [...], "std": [...]}`` (per feature for tables, per channel for
            images); empty when the kind or ``standardize`` setting needs none.
        """
        if train.preprocess.get("standardize") in (None, "none") or self.axes is None:
            return {}
        x = train.x.astype(np.float64)
        mean = x.mean(axis=self.axes)
        std = x.std(axis=self.axes)
        std[~(std > 1e-8)] = 1.0  # a constant feature is only centred
        return {"mean": mean.tolist(), "std": std.tolist()}

    def apply_standardizer(self, x: np.ndarray, preprocess: dict) -> np.ndarray:
        """``x`` with the fitted ``mean`` / ``std`` of ``preprocess`` applied (as is without them)."""
        if "mean" not in preprocess:
            return x
        shape = [1] * x.ndim
        stat_axis = next(i for i in range(x.ndim) if i not in self.axes)
        shape[stat_axis] = -1
        mean = np.asarray(preprocess["mean"], dtype=np.float32).reshape(shape)
        std = np.asarray(preprocess["std"], dtype=np.float32).reshape(shape)
        return ((x - mean) / std).astype(np.float32)

    def feed(self, data: ArraySet, model, *, device: torch.device, settings) -> ArrayFeed:
        self.check_train_option("rc_augment", settings.rc_augment)
        self.check_train_option("reshuffle", settings.reshuffle)
        return ArrayFeed(data, model, device=device)

    def describe(self, data: ArraySet, parts: dict) -> list[str]:
        n = len(data.names)
        what = ", ".join(data.names[:5]) + (", ..." if n > 5 else "")
        stratified = " (stratified by class)" if self.stratifies(data) else ""
        shape = "x".join(map(str, data.shape))
        return [
            f"{len(data)} samples ({self.label} input {shape}, {data.task_type}, {n} output{'' if n == 1 else 's'}: "
            f"{what}); split train {len(parts['train'])} / valid {len(parts['valid'])} / test {len(parts['test'])}"
            f"{stratified}",
            *data.notes,
        ]

    def stratifies(self, data: ArraySet) -> bool:
        """Random splits are stratified by class for single-label classification."""
        return data.task_type in ("binary", "multiclass")

    def load_for_model(self, spec, tm, *, seed: int = 0, missing: str = "error",
                       crop: str | None = None) -> tuple[list[str], ArrayInputs, np.ndarray]:
        data = self.labelled_for_model(spec, tm, missing=missing)
        y = align_targets(data, tm, source=str(spec.labels or spec.images), class_hint=self.class_hint)
        return data.ids, ArrayInputs(data.x, data.mask), y

    def labelled_for_model(self, spec, tm, missing: str = "error") -> ArraySet:
        """Labelled inputs for ``tm``, preprocessed as its checkpoint says; classes and
        task names are the file's own (matched to the model's by ``align_targets``)."""
        from seqnet.io.tables import read_labels

        if spec.labels is None:
            raise ConfigError(f"{opt(self.input_options[0])} input needs {opt('labels')} LABELS.tsv to be evaluated")
        ids, inputs = self.read(spec, tm)
        source = Path(getattr(spec, self.input_options[0])).name
        lab = read_labels(spec.labels, ids, ids_source=f"{source} row", task=_label_task(tm),
                          allow_unlabelled=self.partial_labels, missing=missing)
        keep = np.arange(len(ids)) if lab.index is None else lab.index
        x = inputs.x.numpy()[keep]
        mask = None if inputs.mask is None else inputs.mask.numpy()[keep]
        return ArraySet(ids=[ids[i] for i in keep], x=x, y=lab.y, task_type=lab.task_type, names=list(lab.names),
                        kind=self.name, mask=mask)

    #: A label table may cover only some rows (the rest are left out).
    partial_labels = False


def _label_task(tm) -> str:
    """How to read an evaluation label table for ``tm``: regression stays regression."""
    return "regression" if tm.task_type == "regression" else "classification"
