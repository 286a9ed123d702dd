"""Training settings: one dataclass instead of a long argument list."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from seqnet.errors import ConfigError


@dataclass(frozen=True)
class TrainSettings:
    """How :func:`seqnet.training.fit` trains.

    Attributes
    ----------
    epochs : int
        Most epochs to run.
    batch_size : int
        Records per optimiser step (per process under torchrun).
    lr : float
        Learning rate.
    weight_decay : float
        L2 penalty of the optimiser. Default is 0.
    patience : int
        Epochs without validation improvement before stopping. Default is 5.
    monitor : str
        ``"auroc"`` (maximise validation mean AUROC; for regression, where AUROC is
        undefined, minimise the validation loss), ``"loss"`` (minimise validation loss)
        or ``"accuracy"`` (maximise validation accuracy; multi-class only).
        Default is ``"auroc"``.
    rc_augment : bool
        Replace a random half of each batch by its reverse complement (sequences of a
        complementable alphabet). Default is False.
    reshuffle : bool
        Redraw the dinucleotide-shuffled negatives every epoch, on the device
        (sequences). Default is False.
    unknown : str
        One-hot of unknown letters, ``"zeros"`` or ``"uniform"`` (sequences).
        Default is ``"zeros"``.
    seed : int
        Seeds batch order and augmentation (model init is seeded by the caller).
        Default is 0.
    device : str or torch.device
        Default is ``"cpu"``.
    quiet : bool
        No progress bar. Default is False.
    compile : bool
        Train through :func:`torch.compile` (kernels fused on first use; worth it for
        long GPU runs); evaluation uses the plain model. Default is False.
    """

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float = 0.0
    patience: int = 5
    monitor: str = "auroc"
    rc_augment: bool = False
    reshuffle: bool = False
    unknown: str = "zeros"
    seed: int = 0
    device: str | torch.device = "cpu"
    quiet: bool = False
    compile: bool = False

    @classmethod
    def from_config(cls, cfg: dict, **overrides) -> "TrainSettings":
        """Settings of a resolved config (:func:`seqnet.config.resolve`), then ``overrides``."""
        t = cfg["train"]
        settings = cls(
            epochs=t["epochs"], batch_size=t["batch_size"], lr=float(t["lr"]),
            weight_decay=float(t["weight_decay"]), patience=t["patience"], monitor=t["monitor"],
            rc_augment=bool(t.get("rc_augment", False)), reshuffle=bool(t.get("reshuffle", False)),
            unknown=cfg["data"].get("unknown", "zeros"), seed=cfg["seed"], device=cfg["device"],
        )
        return replace(settings, **overrides)


def check_monitor(monitor: str, task_type: str) -> None:
    """ConfigError when ``monitor`` cannot be computed for ``task_type``."""
    if monitor == "accuracy" and task_type != "multiclass":
        raise ConfigError(f"monitor 'accuracy' needs a multi-class task; this one is {task_type}: use auroc or loss")
