"""What an input kind is: the contract every module of :mod:`seqnet.kinds` fills in.

An :class:`InputKind` knows, for its kind of data, how to

* load labelled data named by an :class:`~seqnet.inputs.InputSpec` (training), the same
  for an existing model (evaluation), and unlabelled inputs (prediction);
* turn a data set into model :class:`Inputs` and into a training
  :class:`Feed` that makes batches on the device;
* derive the model's shape arguments, fit and apply preprocessing on the training split,
  check its part of a config, and describe itself in the run log.

Everything else (training loop, inference loop, CLI, run directory) is kind-agnostic and
asks the registry (:func:`seqnet.kinds.get`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import torch

from seqnet.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from seqnet.datasets import Dataset
    from seqnet.inputs import InputSpec


class Inputs(Protocol):
    """Model inputs for ``N`` records, batched on demand."""

    def __len__(self) -> int: ...

    def take(self, index: slice | torch.Tensor, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Model input ``x`` and mask (or None) of the records at ``index``, on ``device``."""

    def flipped(self) -> "Inputs":
        """The same records, reverse complemented (sequences only)."""


class Feed(Protocol):
    """Training batches of one data set, made on the device."""

    n: int

    def draw(self, gen: torch.Generator) -> None:
        """This epoch's random choices (augmentation), after the batch order is drawn."""

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Input, mask (or None) and targets of records ``idx``, on the device."""

    def inputs_of(self, data: "Dataset") -> "Inputs":
        """Evaluation inputs of another set of this kind (validation), encoded alike."""


def as_targets(y: np.ndarray, task_type: str) -> torch.Tensor:
    """Targets as the loss wants them: int64 class indices (multi-class), else float32."""
    return torch.as_tensor(y, dtype=torch.long if task_type == "multiclass" else torch.float32)


def fits_on_device(t: torch.Tensor, device: torch.device, share: float = 0.25) -> bool:
    """True when ``t`` takes at most ``share`` of the device's free memory."""
    free, _ = torch.cuda.mem_get_info(device)
    return t.numel() * t.element_size() <= share * free


def place(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Where a whole training array lives: on a CUDA ``device`` when it fits, else in
    page-locked host memory (async copies per batch); on the CPU as it is."""
    if device.type != "cuda":
        return t
    return t.to(device) if fits_on_device(t, device) else t.pin_memory()


@dataclass(frozen=True)
class InputKind:
    """One kind of model input, and everything that differs between kinds.

    Attributes
    ----------
    name : str
        Registry key, also the ``kind`` of configs and checkpoints.
    label : str
        How messages name the kind (``"time-series"``).
    default_model : str
        Model trained when none is named.
    input_options : tuple of str
        Parameters of an :class:`~seqnet.inputs.InputSpec` that name labelled input of
        this kind (one of them must be given).
    predict_options : tuple of str
        Those that name unlabelled input for prediction.
    options : frozenset of str
        Parameters that apply to this kind only (or to it and other kinds listing them).
    train_options : frozenset of str
        Training settings only some kinds support (``rc_augment``, ``reshuffle``).
    data_keys : frozenset of str
        Keys of a config's ``data`` section for this kind (beyond the split fractions).
    usage : tuple of str
        Ways to name labelled input, for messages (parameters through ``opt``).
    predict_usage : str
        How to name unlabelled input, for messages.
    give : str
        What to give a model of this kind, for messages.
    class_hint : str
        How to give class labels for this kind (evaluation messages).
    """

    name: str
    label: str
    default_model: str
    input_options: tuple[str, ...]
    predict_options: tuple[str, ...]
    options: frozenset[str]
    train_options: frozenset[str]
    data_keys: frozenset[str]
    usage: tuple[str, ...]
    predict_usage: str
    give: str
    class_hint: str

    # -- config ------------------------------------------------------------------------------

    def check_data_config(self, data: dict) -> None:
        """Raise ConfigError for a bad value in this kind's part of ``data``."""

    def record_config(self, cfg: dict, data: "Dataset") -> None:
        """Write what the loader resolved into ``cfg["data"]``, so ``config.yaml`` reruns alike."""

    # -- loading -----------------------------------------------------------------------------

    def load(self, spec: "InputSpec", data_cfg: dict, *, task: str = "auto", seed: int = 0,
             task_name: str | None = None) -> "Dataset":
        """Labelled data for training, read with the resolved ``data`` config section."""
        raise NotImplementedError

    def load_for_model(self, spec: "InputSpec", tm, *, seed: int = 0, missing: str = "error",
                       crop: str | None = None) -> tuple[list[str], "Inputs", np.ndarray]:
        """Labelled data for evaluating the trained model ``tm``: record ids, inputs
        prepared as at training time, and the targets in the model's output order
        (``missing="mask"``: missing cells of a multi-label table as NaN; ``crop="centre"``:
        sequences longer than the model's input are centre-cropped, not refused)."""
        raise NotImplementedError

    def read(self, spec: "InputSpec", tm) -> tuple[list[str], "Inputs"]:
        """Unlabelled inputs for the trained model ``tm``: record ids and inputs."""
        raise NotImplementedError

    # -- training ----------------------------------------------------------------------------

    def check_spec(self, spec: "InputSpec", purpose: str) -> None:
        """ConfigError when a file this kind needs for ``purpose`` is not named."""

    def inputs(self, data: "Dataset", preprocess: dict) -> "Inputs":
        """Model inputs of a (preprocessed) data set, for scoring it."""
        raise NotImplementedError

    def model_shape(self, data: "Dataset", n_outputs: int) -> dict:
        """Shape arguments of the model for ``data``, ``n_outputs`` included."""
        raise NotImplementedError

    def stratifies(self, data: "Dataset") -> bool:
        """Whether random splits of ``data`` keep its class proportions."""
        return False

    def fit_preprocess(self, parts: dict[str, "Dataset"], cfg: dict) -> dict:
        """Fit preprocessing on ``parts["train"]``, apply it to every part in place, and
        return what predict must repeat (stored in the checkpoint)."""
        raise NotImplementedError

    def feed(self, data: "Dataset", model: torch.nn.Module, *, device: torch.device, settings) -> Feed:
        """Training batches of ``data`` for ``model`` on ``device`` under ``settings``."""
        raise NotImplementedError

    def describe(self, data: "Dataset", parts: dict[str, "Dataset"]) -> list[str]:
        """Log lines saying what was loaded and how it was split."""
        raise NotImplementedError

    def checks(self, predict, data: "Dataset", test: "Dataset", preprocess: dict) -> dict:
        """Kind-specific checks of a trained model on its test split (``metrics.json``'s
        ``checks``); ``predict(inputs) -> probabilities`` runs the model. None by default."""
        return {}

    def data_summary(self, parts: dict) -> "pd.DataFrame":
        """Records per split and class (see :func:`seqnet.datasets.class_counts`)."""
        from seqnet.datasets import class_counts

        return class_counts(parts)

    def nominal_shape_args(self, length: int, alphabet: str) -> dict:
        """Shape arguments of a model of this kind built only to count its parameters."""
        raise NotImplementedError

    def nominal_note(self, length: int, alphabet: str) -> str:
        """What :meth:`nominal_shape_args` describes, for ``seqnet models``."""
        raise NotImplementedError

    def checkpoint_fields(self, data: "Dataset") -> dict:
        """``alphabet`` and ``length`` of a checkpoint (None for kinds without them)."""
        return {"alphabet": None, "length": None}

    def check_train_option(self, option: str, value) -> None:
        """ConfigError when a kind-specific training setting is on for a kind without it."""
        if value and option not in self.train_options:
            what = {"rc_augment": "reverse-complement augmentation", "reshuffle": "reshuffling negatives"}.get(option, option)
            raise ConfigError(f"{what} applies to sequences, not {self.label} input")
