"""The optimiser of a training run, its learning-rate schedule and its penalties, built in one place.

* :func:`build_optimizer`: Adam, AdamW, SGD (momentum, Nesterov) or RMSprop over every
  parameter, with the settings' learning rate, momentum and L2 penalty;
* :func:`build_schedule`: a :class:`Schedule` (none, step, plateau, cosine with warm-up,
  one-cycle) that the loop steps after every batch and every epoch, and whose state a
  resumed run restores;
* :func:`penalise_and_clip`: between ``backward`` and the optimiser step, the L1
  penalty's gradient, then clipping of the whole gradient's norm.

With the default settings (Adam, no schedule, no L1, no clipping) a run computes exactly
what it did before these knobs existed.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from seqnet.training.settings import TrainSettings


def build_optimizer(model: nn.Module, settings: TrainSettings) -> torch.optim.Optimizer:
    """The optimiser of ``settings.optimizer`` over every parameter of ``model``.

    ``momentum`` is SGD's and RMSprop's momentum and Adam's / AdamW's ``beta1``;
    ``weight_decay`` is added to the gradient (L2) except by AdamW, which shrinks the
    weights directly (decoupled).

    Parameters
    ----------
    model : torch.nn.Module
    settings : TrainSettings

    Returns
    -------
    torch.optim.Optimizer
    """
    s = settings
    params = model.parameters()
    if s.optimizer == "sgd":
        return torch.optim.SGD(params, lr=s.lr, momentum=s.momentum, nesterov=s.nesterov, weight_decay=s.weight_decay)
    if s.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=s.lr, momentum=s.momentum, weight_decay=s.weight_decay)
    cls = torch.optim.AdamW if s.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=s.lr, betas=(s.momentum, 0.999), weight_decay=s.weight_decay)


class Schedule:
    """A learning-rate schedule, stepped by the loop after every batch and every epoch.

    Parameters
    ----------
    name : str
        One of :data:`~seqnet.training.settings.SCHEDULES`.
    optimizer : torch.optim.Optimizer
        Whose learning rate it sets.
    scheduler : object or None
        The PyTorch scheduler (None for ``"none"``).
    per_batch : bool
        Stepped after every batch (``cosine``, ``onecycle``) rather than every epoch.
    """

    def __init__(self, name: str, optimizer: torch.optim.Optimizer, scheduler=None, per_batch: bool = False) -> None:
        self.name = name
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.per_batch = per_batch

    def batch_done(self) -> None:
        """After an optimiser step."""
        if self.per_batch:
            self.scheduler.step()

    def epoch_done(self, score: float) -> None:
        """After an epoch whose monitored validation ``score`` (higher is better) is known."""
        if self.name == "plateau":
            self.scheduler.step(score)
        elif self.scheduler is not None and not self.per_batch:
            self.scheduler.step()

    @property
    def lr(self) -> float:
        """The learning rate the next step uses."""
        return float(self.optimizer.param_groups[0]["lr"])

    def state_dict(self) -> dict:
        """What a resumed run needs (empty without a schedule)."""
        return {} if self.scheduler is None else self.scheduler.state_dict()

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict` (after the optimiser's state was loaded)."""
        if self.scheduler is not None and state:
            self.scheduler.load_state_dict(state)


def build_schedule(optimizer: torch.optim.Optimizer, settings: TrainSettings, steps_per_epoch: int) -> Schedule:
    """The learning-rate schedule of ``settings.schedule`` for ``optimizer``.

    With ``lr`` the settings' rate, ``E`` epochs of ``S`` steps, step ``t``:

    * ``none``: ``lr``;
    * ``step``: ``lr * lr_factor ** floor(epoch / step_epochs)``;
    * ``plateau``: ``lr``, multiplied by ``lr_factor`` whenever the monitored validation
      score has not improved for ``plateau_patience`` epochs (never below ``min_lr``);
    * ``cosine``: linear warm-up over ``W = warmup_epochs * S`` steps, then
      ``min_lr + (lr - min_lr) (1 + cos(pi (t - W) / (E S - W))) / 2``;
    * ``onecycle``: from ``lr / 25`` up to ``lr`` over ``warmup_epochs`` (default 30 %
      of the run), then cosine annealing down to ``lr / 25e4`` (Smith's one-cycle
      policy; momentum is not cycled).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
    settings : TrainSettings
    steps_per_epoch : int
        Optimiser steps in one epoch (batches of this process).

    Returns
    -------
    Schedule
    """
    s = settings
    sched = torch.optim.lr_scheduler
    if s.schedule == "step":
        return Schedule("step", optimizer, sched.StepLR(optimizer, step_size=s.step_epochs, gamma=s.lr_factor))
    if s.schedule == "plateau":
        return Schedule("plateau", optimizer, sched.ReduceLROnPlateau(
            optimizer, mode="max", factor=s.lr_factor, patience=s.plateau_patience, min_lr=s.min_lr))
    total = max(1, s.epochs * steps_per_epoch)
    if s.schedule == "onecycle":
        rise = s.warmup_epochs / s.epochs if s.warmup_epochs else 0.3
        return Schedule("onecycle", optimizer, sched.OneCycleLR(
            optimizer, max_lr=s.lr, total_steps=total, pct_start=rise, cycle_momentum=False), per_batch=True)
    if s.schedule == "cosine":
        warm = s.warmup_epochs * steps_per_epoch
        floor = s.min_lr / s.lr

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            done = min(1.0, (step - warm) / max(1, total - warm))
            return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * done))

        return Schedule("cosine", optimizer, sched.LambdaLR(optimizer, factor), per_batch=True)
    return Schedule("none", optimizer)


def l1_parameters(model: nn.Module, scope: str) -> list[nn.Parameter]:
    """The weights the L1 penalty reads: every parameter of two or more dimensions
    (weight matrices, convolution kernels, recurrent weights; no biases, norm layers or
    PReLU slopes) for ``scope="all"``, the first layer's (its ``first_conv``, else the
    first such parameter) for ``"first"``."""
    model = getattr(model, "module", getattr(model, "_orig_mod", model))
    weights = [p for p in model.parameters() if p.ndim >= 2]
    if scope == "all":
        return weights
    conv = getattr(model, "first_conv", None)
    if isinstance(conv, nn.Module) and getattr(conv, "weight", None) is not None:
        return [conv.weight]
    return weights[:1]


def penalise_and_clip(params: list[nn.Parameter], l1_params: list[nn.Parameter], settings: TrainSettings) -> None:
    """Between ``backward`` and the optimiser step: add the gradient of ``l1 * sum |w|``
    over ``l1_params`` (``l1 * sign(w)``), then rescale the whole gradient of ``params``
    to an L2 norm of at most ``clip_grad`` (both off at 0)."""
    if settings.l1 > 0:
        with torch.no_grad():
            for p in l1_params:
                if p.grad is not None:
                    p.grad.add_(torch.sign(p), alpha=settings.l1)
    if settings.clip_grad > 0:
        torch.nn.utils.clip_grad_norm_(params, settings.clip_grad)

