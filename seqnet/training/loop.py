"""The training loop: :func:`fit` trains a model in place and returns its history.

One loop serves every input kind; the kind's *feed* (:meth:`InputKind.feed
<seqnet.kinds.base.InputKind.feed>`) makes the batches on the device.  An epoch is
:func:`train_one_epoch` then validation; :class:`~seqnet.training.stopping.EarlyStopping`
keeps the best weights.  The optimiser, its learning-rate schedule, the L1 penalty and
gradient clipping come from :mod:`seqnet.training.optim`.  Nothing here writes files
except the optional resume state.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from seqnet import distributed as dist_mod
from seqnet import inference, kinds
from seqnet.errors import SeqnetError, opt
from seqnet.kinds.base import Feed, as_targets
from seqnet.metrics import score
from seqnet.models import run_model
from seqnet.training.optim import Schedule, build_optimizer, build_schedule, l1_parameters, penalise_and_clip
from seqnet.training.settings import TrainSettings, check_monitor
from seqnet.training.state import TrainingState
from seqnet.training.stopping import EarlyStopping, monitored_score


log = logging.getLogger("seqnet")


class TrainingError(SeqnetError):
    """Training could not continue (e.g. the loss became NaN)."""


@dataclass
class FitResult:
    """What :func:`fit` reports.

    Attributes
    ----------
    history : list of dict
        One row per epoch: ``epoch``, ``train_loss``, ``valid_loss``, then
        ``valid_auroc``, ``valid_auprc`` (classification; plus ``valid_accuracy`` for
        multi-class) or ``valid_pearson`` (regression), then ``lr`` (the learning rate
        of the epoch's first step) and ``seconds``.
    best_epoch : int
        Epoch whose weights the model holds on return (1-based).
    stopped_early : bool
        True when patience ran out before the last epoch.
    """

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False


class MaskedBCEWithLogits(nn.Module):
    """BCE-with-logits averaged over the observed targets only: NaN targets (masked
    missing labels of a multi-label table) add nothing to the loss or its gradient."""

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        observed = ~torch.isnan(targets)
        loss = nn.functional.binary_cross_entropy_with_logits(
            logits, torch.nan_to_num(targets), weight=observed.to(logits.dtype), reduction="sum")
        return loss / observed.sum().clamp(min=1)


def loss_function(task_type: str, masked: bool = False) -> nn.Module:
    """BCE-with-logits for binary / multi-label tasks (over observed targets only with
    ``masked``), cross-entropy for multi-class, mean squared error for regression."""
    if task_type == "regression":
        return nn.MSELoss()
    if task_type == "multiclass":
        return nn.CrossEntropyLoss()
    return MaskedBCEWithLogits() if masked else nn.BCEWithLogitsLoss()


def has_missing(data) -> bool:
    """Whether some targets of ``data`` are masked (NaN)."""
    y = np.asarray(data.y)
    return y.dtype.kind == "f" and bool(np.isnan(y).any())


def history_columns(task_type: str) -> list[str]:
    """Columns of ``history.csv`` for a task type (see :class:`FitResult`)."""
    if task_type == "regression":
        metrics = ["valid_pearson"]
    else:
        metrics = ["valid_auroc", "valid_auprc"] + (["valid_accuracy"] if task_type == "multiclass" else [])
    return ["epoch", "train_loss", "valid_loss", *metrics, "lr", "seconds"]


def fit(
    model: nn.Module,
    train,
    valid,
    settings: TrainSettings,
    *,
    on_epoch: Callable[[dict], None] | None = None,
    state_path: Path | None = None,
    state_extra: dict | None = None,
    resume: TrainingState | None = None,
    dist_ctx: dist_mod.Context | None = None,
) -> FitResult:
    """Train ``model`` in place with early stopping; keep the best weights.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch of ``train``'s kind (one-hot ``(B, C, L)`` sequences, float
        ``(B, *shape)`` arrays) to logits ``(B, n_outputs)``; already on the device.
    train, valid : SequenceSet or ArraySet
        Training and validation records; ``valid`` may be None or empty, in which case
        every epoch runs and the last weights are kept.
    settings : TrainSettings
    on_epoch : callable or None
        Called with each history row.
    state_path : Path or None
        After every epoch, save a :class:`~seqnet.training.state.TrainingState` (with
        ``state_extra``) here, atomically. Default is None (no state saved).
    state_extra : dict or None
        Extra entries for the saved state (e.g. the command's options).
    resume : TrainingState or None
        A saved state: training continues after its epoch and ends as the
        uninterrupted run would have.
    dist_ctx : seqnet.distributed.Context or None
        Under torchrun: this process's rank. Each rank trains on its shard of every
        epoch through DistributedDataParallel. Default is None (one process).

    Returns
    -------
    FitResult

    Raises
    ------
    TrainingError
        When the training loss becomes NaN or infinite (the state of the last good
        epoch stays in ``state_path``).
    """
    check_monitor(settings.monitor, train.task_type)
    device = torch.device(settings.device)
    feed = kinds.of(train).feed(train, model, device=device, settings=settings)
    loss_fn = loss_function(train.task_type, masked=has_missing(train))
    ctx = dist_ctx or dist_mod.Context()
    opt_ = build_optimizer(model, settings)
    schedule = build_schedule(opt_, settings, steps_per_epoch(feed.n, settings.batch_size, ctx))
    has_valid = valid is not None and len(valid) > 0
    check = _Validation(feed, valid, settings, device) if has_valid else None
    gen = torch.Generator().manual_seed(settings.seed)
    stopper = EarlyStopping(settings.patience, can_stop=has_valid)
    result = FitResult()
    first_epoch = 1
    if resume is not None:
        first_epoch = resume.restore(model, opt_, gen, schedule)
        stopper.load_state_dict(resume.stopping)
        result.history = list(resume.history)
        log.info("resumed from epoch %d", first_epoch - 1)
    train_model = _wrap(model, device, ctx, settings.compile)
    l1_params = l1_parameters(model, settings.l1_scope)
    for epoch in range(first_epoch, settings.epochs + 1):
        if stopper.stopped:  # a resumed run that had already stopped
            break
        t0 = time.perf_counter()
        row = {c: None for c in history_columns(train.task_type)[:-1]}
        row["lr"] = schedule.lr
        train_loss = train_one_epoch(train_model, feed, opt_, loss_fn, gen, epoch, settings, ctx,
                                     schedule=schedule, l1_params=l1_params)
        _check_finite(train_loss, epoch, settings.lr, state_path)
        row.update(epoch=epoch, train_loss=train_loss)
        metrics = check.run(model, row) if check is not None else None
        current = monitored_score(settings.monitor, train.task_type, row["valid_loss"], metrics, epoch)
        # Ranks score the same weights; rank 0's score makes every rank decide alike.
        current = dist_mod.broadcast_float(current, ctx, device)
        schedule.epoch_done(current)
        row["seconds"] = round(time.perf_counter() - t0, 3)
        result.history.append(row)
        if on_epoch is not None:
            on_epoch(row)
        stopper.update(current, epoch, settings.epochs, model)
        if state_path is not None and ctx.main:
            TrainingState.capture(epoch, model, opt_, gen, result.history, stopper.state_dict(), state_extra,
                                  schedule=schedule).save(state_path)
        if stopper.stopped:
            break
    stopper.restore_best(model)
    result.best_epoch, result.stopped_early = stopper.best_epoch, stopper.stopped
    return result


def steps_per_epoch(n: int, batch_size: int, ctx: dist_mod.Context | None = None) -> int:
    """Optimiser steps of one epoch over ``n`` records (this rank's ``ceil(n / world)``
    under torchrun)."""
    if ctx is not None and ctx.active:
        n = math.ceil(n / ctx.world)
    return max(1, math.ceil(n / batch_size))


def train_one_epoch(model: nn.Module, feed: Feed, opt_: torch.optim.Optimizer, loss_fn: nn.Module,
                    gen: torch.Generator, epoch: int, settings: TrainSettings, ctx: dist_mod.Context, *,
                    schedule: Schedule | None = None, l1_params: list | tuple = ()) -> float:
    """One pass over ``feed`` in a seeded random order; returns the mean training loss
    (over every rank's records under torchrun; the L1 penalty is not part of it).

    Each step: forward, loss, backward, the L1 penalty's gradient on ``l1_params`` and
    gradient clipping (:func:`~seqnet.training.optim.penalise_and_clip`), the optimiser
    step, then ``schedule``'s per-batch step."""
    device = torch.device(settings.device)
    model.train()
    perm = torch.randperm(feed.n, generator=gen)
    feed.draw(gen)
    if ctx.active:
        perm = dist_mod.shard(feed.n, ctx, seed=settings.seed, epoch=epoch)
    n_batches = math.ceil(len(perm) / settings.batch_size)
    total = torch.zeros((), device=device)
    params = [p for p in model.parameters() if p.requires_grad]
    bar = _progress(n_batches, epoch, settings, ctx)
    for b in range(n_batches):
        idx = perm[b * settings.batch_size : (b + 1) * settings.batch_size]
        x, mask, yb = feed.batch(idx)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = run_model(model, x, mask)
        loss = loss_fn(logits.float(), yb)
        opt_.zero_grad(set_to_none=True)
        loss.backward()
        penalise_and_clip(params, l1_params, settings)
        opt_.step()
        if schedule is not None:
            schedule.batch_done()
        total += loss.detach() * len(idx)  # no .item() here: no host sync per step
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    sums = dist_mod.all_sum(torch.stack([total.float(), torch.tensor(float(len(perm)), device=device)]), ctx)
    return float(sums[0]) / float(sums[1])


class _Validation:
    """Scores the validation split after each epoch and fills the history row."""

    def __init__(self, feed: Feed, valid, settings: TrainSettings, device: torch.device) -> None:
        self.valid = valid
        self.inputs = feed.inputs_of(valid)
        self.targets = as_targets(valid.y, valid.task_type)
        self.loss_fn = loss_function(valid.task_type, masked=has_missing(valid))
        self.batch_size = max(1024, settings.batch_size)
        self.device = device

    def run(self, model: nn.Module, row: dict) -> dict:
        """Fill ``row``'s validation columns; returns the validation metrics."""
        v = self.valid
        logits = inference.logits(model, self.inputs, batch_size=self.batch_size, device=self.device)
        row["valid_loss"] = float(self.loss_fn(logits, self.targets))
        prob = inference.to_probabilities(logits, v.task_type).double().numpy()
        m = score(v.y, prob, v.task_type, v.names, split="valid")
        if v.task_type == "regression":
            row["valid_pearson"] = m["pearson"]["mean"]
        else:
            row["valid_auroc"] = m["auroc"]["mean"]
            row["valid_auprc"] = m["auprc"]["mean"]
            if v.task_type == "multiclass":
                row["valid_accuracy"] = m["accuracy"]
        return m


def _wrap(model: nn.Module, device: torch.device, ctx: dist_mod.Context, compile: bool) -> nn.Module:
    """The module the steps run through: DDP across ranks (gradients averaged), then
    ``torch.compile``; the bare model serves evaluation and state."""
    if ctx.active:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    return torch.compile(model) if compile else model


def _progress(n_batches: int, epoch: int, settings: TrainSettings, ctx: dist_mod.Context):
    """A tqdm bar over the epoch's batches on an interactive terminal, else None."""
    if settings.quiet or not ctx.main or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=n_batches, desc=f"epoch {epoch}/{settings.epochs}", leave=False, unit="batch")


def _check_finite(train_loss: float, epoch: int, lr: float, state_path: Path | None) -> None:
    """TrainingError when the loss diverged, naming the state kept from the last good epoch."""
    if math.isfinite(train_loss):
        return
    kept = ""
    if state_path is not None and Path(state_path).exists():
        kept = f"; the state after epoch {epoch - 1} is kept in {state_path}"
    raise TrainingError(
        f"training diverged at epoch {epoch}: the loss is {train_loss}; try a lower {opt('lr')} "
        f"(now {lr}) or check the inputs{kept}"
    )
