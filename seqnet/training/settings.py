"""Training settings: one dataclass instead of a long argument list.

The knobs of the optimiser, the learning-rate schedule and the penalties are listed once
here (:data:`OPTIMIZERS`, :data:`SCHEDULES`, :data:`L1_SCOPES`); :mod:`seqnet.config`
validates recipes against them and :mod:`seqnet.training.optim` builds what they name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from seqnet.errors import ConfigError

#: Optimisers: Adam, Adam with decoupled weight decay, SGD (momentum, Nesterov), RMSprop.
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
#: Learning-rate schedules (see :func:`seqnet.training.optim.build_schedule`).
SCHEDULES = ("none", "plateau", "cosine", "onecycle", "step")
#: Which weights the L1 penalty reads: every weight matrix / kernel, or the first layer's.
L1_SCOPES = ("all", "first")

#: The ``train`` keys of a recipe that are optimiser / schedule / penalty knobs, with the
#: value that leaves training as it was before they existed.
KNOB_DEFAULTS = {
    "optimizer": "adam", "momentum": 0.9, "nesterov": False, "schedule": "none", "warmup_epochs": 0,
    "lr_factor": 0.1, "step_epochs": 10, "plateau_patience": 2, "min_lr": 0.0, "clip_grad": 0.0, "l1": 0.0,
    "l1_scope": "all",
}


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
        Learning rate (the peak rate of the ``cosine`` and ``onecycle`` schedules).
    weight_decay : float
        L2 penalty: added to the gradient by ``adam``, ``sgd`` and ``rmsprop``, applied
        to the weights directly (decoupled) by ``adamw``. Default is 0.
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
    optimizer : str
        One of :data:`OPTIMIZERS`. Default is ``"adam"``.
    momentum : float
        Momentum in ``[0, 1)``: SGD's and RMSprop's momentum, Adam's and AdamW's
        ``beta1`` (the decay of the running mean of gradients). Default is 0.9.
    nesterov : bool
        Nesterov momentum (``sgd`` with momentum > 0 only). Default is False.
    schedule : str
        One of :data:`SCHEDULES`. Default is ``"none"`` (a constant rate).
    warmup_epochs : int
        ``cosine``: epochs of linear warm-up from 0 to ``lr``; ``onecycle``: epochs of
        its rising phase (0: 30 % of the run). Default is 0.
    lr_factor : float
        ``step`` and ``plateau``: the rate is multiplied by this at each drop.
        Default is 0.1.
    step_epochs : int
        ``step``: epochs between drops. Default is 10.
    plateau_patience : int
        ``plateau``: epochs without validation improvement before a drop. Default is 2.
    min_lr : float
        Floor of ``cosine`` and ``plateau``. Default is 0.
    clip_grad : float
        Largest L2 norm of the whole gradient (rescaled above it); 0 turns clipping
        off. Default is 0.
    l1 : float
        L1 penalty ``l1 * sum |w|`` added to the loss. Default is 0.
    l1_scope : str
        ``"all"`` (every weight matrix and convolution kernel; no biases, no norm
        layers) or ``"first"`` (the first layer's weights). Default is ``"all"``.
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
    optimizer: str = "adam"
    momentum: float = 0.9
    nesterov: bool = False
    schedule: str = "none"
    warmup_epochs: int = 0
    lr_factor: float = 0.1
    step_epochs: int = 10
    plateau_patience: int = 2
    min_lr: float = 0.0
    clip_grad: float = 0.0
    l1: float = 0.0
    l1_scope: str = "all"

    def __post_init__(self) -> None:
        for name, choices in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES), ("l1_scope", L1_SCOPES)):
            if getattr(self, name) not in choices:
                raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {getattr(self, name)!r}")

    @classmethod
    def from_config(cls, cfg: dict, **overrides) -> "TrainSettings":
        """Settings of a resolved config (:func:`seqnet.config.resolve`), then ``overrides``.

        Knobs a config does not hold (one written before they existed) take their
        :data:`KNOB_DEFAULTS`.
        """
        t = cfg["train"]
        knobs = {k: t.get(k, v) for k, v in KNOB_DEFAULTS.items()}
        for key in ("momentum", "lr_factor", "min_lr", "clip_grad", "l1"):
            knobs[key] = float(knobs[key])
        settings = cls(
            epochs=t["epochs"], batch_size=t["batch_size"], lr=float(t["lr"]),
            weight_decay=float(t["weight_decay"]), patience=t["patience"], monitor=t["monitor"],
            rc_augment=bool(t.get("rc_augment", False)), reshuffle=bool(t.get("reshuffle", False)),
            unknown=cfg["data"].get("unknown", "zeros"), seed=cfg["seed"], device=cfg["device"], **knobs,
        )
        return replace(settings, **overrides)


def check_monitor(monitor: str, task_type: str) -> None:
    """ConfigError when ``monitor`` cannot be computed for ``task_type``."""
    if monitor == "accuracy" and task_type != "multiclass":
        raise ConfigError(f"monitor 'accuracy' needs a multi-class task; this one is {task_type}: use auroc or loss")
