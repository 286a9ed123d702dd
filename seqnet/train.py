"""Training: the epoch loop with early stopping, and a whole ``seqnet train`` run.

:func:`fit` trains a model in place and returns its history; it writes no files.  One
loop serves every input kind; a small *feed* per data kind makes the batches: token
sequences become one-hot on the device (with reverse-complement augmentation), float
arrays (time series, tables, images) are sliced as they are, with their mask.
:func:`train_run` does what the CLI promises: split, fit, score the held-out test split,
and write the run directory (``model.pt``, ``config.yaml``, ``history.csv``,
``metrics.json``, ``train.log``) atomically: everything is written into a private hidden
``.<name>.partial-XXXX`` directory beside ``out`` which is renamed into place only when
the run succeeded, so a failed run leaves no ``model.pt``.
"""

from __future__ import annotations

import copy
import logging
import math
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn

from seqnet import checkpoint as ckpt_mod
from seqnet import distributed as dist_mod
from seqnet import config as config_mod
from seqnet.arrays import ArraySet, fit_standardizer, standardize
from seqnet.data import SequenceSet, split_indices
from seqnet.encode import (
    dinucleotide_shuffle_torch,
    one_hot_torch,
    padding_mask,
    reverse_complement_torch,
    unknown_value,
)
from seqnet.errors import ConfigError, SeqnetError
from seqnet.metrics import headline, score
from seqnet.models import KIND_NAMES, build_model, run_model
from seqnet.predict import predict_array_logits, predict_arrays, predict_logits, predict_proba, to_probabilities
from seqnet.utils import (
    atomic_path,
    check_out_dir,
    resolve_device,
    seed_everything,
    staged_dir,
    write_json_atomic,
    write_text_atomic,
)

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
        multi-class) or ``valid_pearson`` (regression), then ``seconds``.
    best_epoch : int
        Epoch whose weights the model holds on return (1-based).
    stopped_early : bool
        True when patience ran out before the last epoch.
    """

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False


def loss_function(task_type: str) -> nn.Module:
    """BCE-with-logits for binary / multi-label tasks, cross-entropy for multi-class, mean
    squared error for regression."""
    if task_type == "regression":
        return nn.MSELoss()
    return nn.CrossEntropyLoss() if task_type == "multiclass" else nn.BCEWithLogitsLoss()


def history_columns(task_type: str) -> list[str]:
    """Columns of ``history.csv`` for a task type (see :class:`FitResult`)."""
    if task_type == "regression":
        metrics = ["valid_pearson"]
    else:
        metrics = ["valid_auroc", "valid_auprc"] + (["valid_accuracy"] if task_type == "multiclass" else [])
    return ["epoch", "train_loss", "valid_loss", *metrics, "seconds"]


def _targets(y: np.ndarray, task_type: str) -> torch.Tensor:
    return torch.as_tensor(y, dtype=torch.long if task_type == "multiclass" else torch.float32)


def _use_progress_bar(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def _fits_on_device(t: torch.Tensor, device: torch.device, share: float = 0.25) -> bool:
    """True when ``t`` takes at most ``share`` of the device's free memory."""
    free, _ = torch.cuda.mem_get_info(device)
    return t.numel() * t.element_size() <= share * free


class _SequenceFeed:
    """Batches of token sequences: one-hot made on the device, padding masks, RC flips."""

    def __init__(self, data: SequenceSet, model: nn.Module, *, device: torch.device, rc_augment: bool,
                 unknown: str, reshuffle: bool = False) -> None:
        self.alphabet = alphabet = data.alphabet
        if rc_augment and not alphabet.has_complement:
            log.info("reverse-complement augmentation skipped: the %s alphabet has no complement", alphabet.name)
            rc_augment = False
        self.rc_augment = rc_augment
        self.unknown = unknown
        self.device = device
        self.n_letters = alphabet.size
        self.uval = unknown_value(unknown, alphabet.size)
        tokens = torch.as_tensor(data.tokens)
        targets = _targets(data.y, data.task_type)
        masked = data.lengths is not None and getattr(model, "takes_mask", False)
        lengths = torch.as_tensor(data.lengths) if masked else None
        if device.type == "cuda":
            targets = targets.to(device)
            lengths = None if lengths is None else lengths.to(device)
            if _fits_on_device(tokens, device):
                tokens = tokens.to(device)  # 1 byte per base: batches never cross PCIe
            else:
                tokens = tokens.pin_memory()  # too big: page-locked host memory, async copies
        self.tokens, self.targets, self.lengths = tokens, targets, lengths
        self.n = tokens.shape[0]
        self.flips = None
        self.reshuffled = None
        if reshuffle:
            if data.shuffled is None or not data.shuffled.any():
                log.info("--reshuffle: no dinucleotide-shuffled negatives in the training data; nothing to redraw")
            elif data.lengths is not None:
                log.info("--reshuffle skipped: records of different lengths (padding would be shuffled in)")
            else:
                # Redraw from the load-time negatives each epoch (same doublet counts as their
                # positives), so an epoch's negatives depend only on the generator's state.
                self.reshuffled = torch.as_tensor(np.flatnonzero(data.shuffled)).to(self.tokens.device)
                self.tokens = self.tokens.clone()
                self.negatives = self.tokens[self.reshuffled].clone()
                log.info("--reshuffle: %d shuffled negatives drawn afresh every epoch on %s",
                         len(self.reshuffled), self.tokens.device)

    def draw(self, gen: torch.Generator) -> None:
        """This epoch's random choices after the batch order: which records to flip, and
        (with ``reshuffle``) fresh dinucleotide shuffles of the negatives."""
        self.flips = torch.rand(self.n, generator=gen) < 0.5 if self.rc_augment else None
        if self.reshuffled is not None:
            seed = int(torch.randint(0, 2**62, (1,), generator=gen))
            on_device = torch.Generator(device=self.tokens.device).manual_seed(seed)
            self.tokens[self.reshuffled] = dinucleotide_shuffle_torch(
                self.negatives, n_tokens=self.alphabet.size + 1, generator=on_device
            )

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """One-hot ``(B, C, L)``, padding mask ``(B, L)`` or None, targets, on the device."""
        device = self.device
        idx_dev = idx.to(self.tokens.device)
        tok = self.tokens[idx_dev].to(device, non_blocking=True)
        mask = None if self.lengths is None else padding_mask(self.lengths[idx_dev].to(device), tok.shape[1])
        if self.flips is not None:
            flip = self.flips[idx].to(device)
            tok = torch.where(flip[:, None], reverse_complement_torch(tok, self.alphabet), tok)
            if mask is not None:
                mask = torch.where(flip[:, None], mask.flip(1), mask)
        x = one_hot_torch(tok, self.n_letters, unknown_value=self.uval)
        return x, mask, self.targets[idx_dev].to(device, non_blocking=True)

    def logits(self, model: nn.Module, data: SequenceSet, batch_size: int) -> torch.Tensor:
        """Eval-mode logits of ``data`` (validation), on the CPU."""
        return predict_logits(
            model, data.tokens, alphabet=self.alphabet, unknown=self.unknown, batch_size=batch_size,
            device=self.device, lengths=data.lengths,
        )


class _ArrayFeed:
    """Batches of float arrays (time series, tables, images) and their observed-value masks."""

    def __init__(self, data: ArraySet, model: nn.Module, *, device: torch.device) -> None:
        self.device = device
        x = torch.as_tensor(data.x)
        mask = torch.as_tensor(data.mask) if data.mask is not None and getattr(model, "takes_mask", False) else None
        targets = _targets(data.y, data.task_type)
        if device.type == "cuda":
            x, targets = x.to(device), targets.to(device)
            mask = None if mask is None else mask.to(device)
        self.x, self.mask, self.targets = x, mask, targets
        self.n = x.shape[0]

    def draw(self, gen: torch.Generator) -> None:
        """No augmentation: nothing to draw."""

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Inputs ``(B, *shape)``, mask or None, targets, on the device."""
        idx_dev = idx.to(self.x.device)
        x = self.x[idx_dev].to(self.device, non_blocking=True)
        mask = None if self.mask is None else self.mask[idx_dev].to(self.device, non_blocking=True)
        return x, mask, self.targets[idx_dev].to(self.device, non_blocking=True)

    def logits(self, model: nn.Module, data: ArraySet, batch_size: int) -> torch.Tensor:
        """Eval-mode logits of ``data`` (validation), on the CPU."""
        return predict_array_logits(model, data.x, mask=data.mask, batch_size=batch_size, device=self.device)


def fit(
    model: nn.Module,
    train: SequenceSet | ArraySet,
    valid: SequenceSet | ArraySet | None,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float = 0.0,
    patience: int = 5,
    monitor: str = "auroc",
    rc_augment: bool = False,
    unknown: str = "zeros",
    seed: int = 0,
    device: torch.device | str = "cpu",
    quiet: bool = False,
    on_epoch: Callable[[dict], None] | None = None,
    state_path: Path | None = None,
    state_extra: dict | None = None,
    resume: dict | None = None,
    dist_ctx: dist_mod.Context | None = None,
    compile: bool = False,
    reshuffle: bool = False,
) -> FitResult:
    """Train ``model`` in place with Adam and early stopping; keep the best weights.

    Parameters
    ----------
    model : torch.nn.Module
        Maps one-hot ``(B, C, L)`` (sequences) or float ``(B, *shape)`` (arrays) to
        logits ``(B, n_outputs)``; already on ``device``.
    train, valid : SequenceSet or ArraySet
        Training and validation records; ``valid`` may be None or empty, in which case
        every epoch runs and the last weights are kept.
    epochs, batch_size, lr, weight_decay, patience : numbers
        Optimisation settings; ``patience`` epochs without improvement stop training.
        ``weight_decay`` is Adam's L2 penalty.
    monitor : str
        ``"auroc"`` (maximise validation mean AUROC; for regression, where AUROC is
        undefined, minimise the validation loss), ``"loss"`` (minimise validation loss)
        or ``"accuracy"`` (maximise validation accuracy; multi-class only).
        Default is ``"auroc"``.
    rc_augment : bool
        Replace a random half of each batch by its reverse complement (sequences only).
        Default is False.
    unknown : str
        One-hot of unknown letters, ``"zeros"`` or ``"uniform"`` (sequences only).
        Default is ``"zeros"``.
    seed : int
        Seeds batch order and augmentation (model init is seeded by the caller).
    device : torch.device or str
        Default is ``"cpu"``.
    quiet : bool
        No progress bar. Default is False.
    on_epoch : callable or None
        Called with each history row.
    state_path : Path or None
        After every epoch, save everything needed to continue exactly from there
        (weights, optimiser, random generators, early-stopping state, history, plus
        ``state_extra``) to this file, atomically. Default is None (no state saved).
    state_extra : dict or None
        Extra entries for the saved state (e.g. the command's options).
    resume : dict or None
        A state saved through ``state_path`` (see :func:`load_resume_state`): training
        continues after its epoch and ends as the uninterrupted run would have.
    dist_ctx : seqnet.distributed.Context or None
        Under torchrun: this process's rank. Each rank trains on its shard of every
        epoch through DistributedDataParallel; ``batch_size`` is per process. Default
        is None (one process).
    compile : bool
        Train through :func:`torch.compile` (kernels fused on first use; worth it
        for long GPU runs). Evaluation uses the plain model. Default is False.
    reshuffle : bool
        Redraw the dinucleotide-shuffled negatives of ``train`` (``train.shuffled``)
        every epoch, on the device (sequences only). Default is False.

    Returns
    -------
    FitResult

    Raises
    ------
    TrainingError
        When the training loss becomes NaN or infinite (the state of the last good
        epoch stays in ``state_path``).
    """
    device = torch.device(device)
    task_type = train.task_type
    if monitor == "accuracy" and task_type != "multiclass":
        raise ConfigError(f"monitor 'accuracy' needs a multi-class task; this one is {task_type}: use auroc or loss")
    if isinstance(train, ArraySet):
        if rc_augment:
            raise ConfigError(f"reverse-complement augmentation applies to sequences, not {KIND_NAMES[train.kind]} input")
        feed = _ArrayFeed(train, model, device=device)
    else:
        feed = _SequenceFeed(train, model, device=device, rc_augment=rc_augment, unknown=unknown, reshuffle=reshuffle)
    loss_fn = loss_function(task_type)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    autocast = device.type == "cuda"

    has_valid = valid is not None and len(valid) > 0
    if has_valid:
        v_targets = _targets(valid.y, valid.task_type)

    ctx = dist_ctx or dist_mod.Context()
    gen = torch.Generator().manual_seed(seed)
    result = FitResult()
    best_score = -math.inf
    best_state = None
    bad_epochs = 0
    n = feed.n
    first_epoch = 1
    if resume is not None:
        first_epoch = _restore(resume, model, opt, gen, result)
        best_score, best_state, bad_epochs = resume["best_score"], resume["best_state"], resume["bad_epochs"]
        log.info("resumed from epoch %d", first_epoch - 1)
    # DDP averages the gradients over ranks; the bare model serves evaluation and state.
    train_model = model
    if ctx.active:
        from torch.nn.parallel import DistributedDataParallel

        train_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    if compile:
        train_model = torch.compile(train_model)

    for epoch in range(first_epoch, epochs + 1):
        if result.stopped_early:  # a resumed run that had already stopped
            break
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen)
        feed.draw(gen)
        if ctx.active:
            perm = dist_mod.shard(n, ctx, seed=seed, epoch=epoch)
        n_batches = math.ceil(len(perm) / batch_size)
        total = torch.zeros((), device=device)
        bar = None
        if _use_progress_bar(quiet) and ctx.main:
            from tqdm import tqdm

            bar = tqdm(total=n_batches, desc=f"epoch {epoch}/{epochs}", leave=False, unit="batch")
        for b in range(n_batches):
            idx = perm[b * batch_size : (b + 1) * batch_size]
            x, mask, yb = feed.batch(idx)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=autocast):
                logits = run_model(train_model, x, mask)
            loss = loss_fn(logits.float(), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)  # no .item() here: no host sync per step
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        sums = dist_mod.all_sum(torch.stack([total.float(), torch.tensor(float(len(perm)), device=device)]), ctx)
        train_loss = float(sums[0]) / float(sums[1])
        if not math.isfinite(train_loss):
            kept = ""
            if state_path is not None and Path(state_path).exists():
                kept = f"; the state after epoch {epoch - 1} is kept in {state_path}"
            raise TrainingError(
                f"training diverged at epoch {epoch}: the loss is {train_loss}; try a lower --lr "
                f"(now {lr}) or check the inputs{kept}"
            )
        row = {c: None for c in history_columns(task_type)[:-1]}
        row.update(epoch=epoch, train_loss=train_loss)
        if has_valid:
            logits = feed.logits(model, valid, max(1024, batch_size))
            row["valid_loss"] = float(loss_fn(logits, v_targets))
            prob = to_probabilities(logits, valid.task_type).double().numpy()
            m = score(valid.y, prob, valid.task_type, valid.names, split="valid")
            if task_type == "regression":
                row["valid_pearson"] = m["pearson"]["mean"]
            else:
                row["valid_auroc"] = m["auroc"]["mean"]
                row["valid_auprc"] = m["auprc"]["mean"]
                if task_type == "multiclass":
                    row["valid_accuracy"] = m["accuracy"]
            if monitor == "loss" or task_type == "regression":
                current = -row["valid_loss"]
            elif monitor == "accuracy":
                # Ties (accuracy moves in steps of 1/n) go to the lower loss.
                current = m["accuracy"] - 1e-9 * row["valid_loss"]
            else:
                current = headline(m)
                if math.isnan(current):  # AUROC undefined (one class only): fall back to loss
                    current = -row["valid_loss"]
        else:
            current = float(epoch)  # no validation: the latest epoch is the best we know
        # Ranks score the same weights; rank 0's score makes every rank decide alike.
        current = dist_mod.broadcast_float(current, ctx, device)
        row["seconds"] = round(time.perf_counter() - t0, 3)
        result.history.append(row)
        if on_epoch is not None:
            on_epoch(row)
        if current > best_score:
            best_score = current
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
            result.best_epoch = epoch
            bad_epochs = 0
        else:
            bad_epochs += 1
            if has_valid and bad_epochs > patience:
                result.stopped_early = epoch < epochs
        if state_path is not None and ctx.main:
            _save_state(state_path, epoch, model, opt, gen, result, best_score, best_state, bad_epochs, state_extra)
        if result.stopped_early:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return result


#: Marks a file written by :func:`fit` for ``--resume``.
STATE_FORMAT = "seqnet-resume-1"


def resume_state_path(out: str | Path) -> Path:
    """Where a run aimed at ``out`` keeps its per-epoch state: ``.<name>.last.pt`` beside it."""
    out = Path(out)
    return out.parent / f".{out.name}.last.pt"


def _save_state(path, epoch, model, opt, gen, result, best_score, best_state, bad_epochs, extra) -> None:
    state = {
        "format": STATE_FORMAT,
        "epoch": epoch,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": opt.state_dict(),
        "generator": gen.get_state(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "numpy_rng": np.random.get_state(),
        "python_rng": random.getstate(),
        "history": list(result.history),
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
        "best_score": best_score,
        "best_state": best_state,
        "bad_epochs": bad_epochs,
        **(extra or {}),
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _restore(state: dict, model: nn.Module, opt: torch.optim.Optimizer, gen: torch.Generator, result: FitResult) -> int:
    """Put a saved state back; returns the first epoch still to run."""
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    gen.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    if state.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    np.random.set_state(state["numpy_rng"])
    random.setstate(state["python_rng"])
    result.history = list(state["history"])
    result.best_epoch = state["best_epoch"]
    result.stopped_early = state["stopped_early"]
    return int(state["epoch"]) + 1


def load_resume_state(run: str | Path) -> dict:
    """The saved state of the interrupted run aimed at ``run`` (its ``--out``).

    Raises
    ------
    ConfigError
        When there is none (the run finished, or never started).
    InputError
        When the file is not a seqnet resume state.
    """
    from seqnet.errors import InputError

    path = resume_state_path(run)
    if not path.is_file():
        raise ConfigError(f"--resume {run}: no interrupted run to resume (expected {path})")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many kinds for junk files
        raise InputError(f"{path}: not a seqnet resume state ({type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise InputError(f"{path}: not a seqnet resume state (format {STATE_FORMAT!r} expected)")
    return state


def _write_history(path: Path, history: list[dict], task_type: str) -> None:
    import pandas as pd

    write_text_atomic(path, pd.DataFrame(history, columns=history_columns(task_type)).to_csv(index=False))


def train_run(
    data: SequenceSet | ArraySet,
    cfg: dict,
    out: str | Path,
    *,
    overwrite: bool = False,
    quiet: bool = False,
    test_chroms: Sequence[str] | None = None,
    valid_chroms: Sequence[str] | None = None,
    inputs: dict | None = None,
    run_params: dict | None = None,
    resume: dict | None = None,
    compile: bool = False,
) -> dict:
    """Run a whole training job and write its run directory.

    After every epoch the job saves its state to ``.<name>.last.pt`` beside ``out``
    (:func:`resume_state_path`); a killed or interrupted run continues from there with
    :func:`load_resume_state` + ``resume=`` (``seqnet train --resume OUT``) and ends
    exactly as it would have; the file is removed when the run succeeds.  Under
    torchrun every rank trains (DDP) and only rank 0 writes files.

    Parameters
    ----------
    data : SequenceSet or ArraySet
        All labelled records; split here.  Array sets (time series, tables, images) are
        split stratified by class for single-label classification, and standardised with
        statistics of the training split.
    cfg : dict
        Resolved, validated config (:func:`seqnet.config.resolve`) of the data's kind.
    out : path
        Run directory to create.
    overwrite : bool
        Replace an existing run directory. Default is False.
    quiet : bool
        Log only to ``train.log`` (no console output, no progress bar). Default is False.
    test_chroms, valid_chroms : sequence of str or None
        Chromosome-based splits instead of random fractions (sequences).
    inputs : dict or None
        Description of the input files, recorded in the log and checkpoint.
    run_params : dict or None
        The command's options, kept in the resume state so ``--resume`` can reload
        the same data.
    resume : dict or None
        A state from :func:`load_resume_state` to continue from.
    compile : bool
        Train through :func:`torch.compile`. Default is False.

    Returns
    -------
    dict
        The test metrics written to ``metrics.json``.
    """
    out = check_out_dir(out, overwrite)
    config_mod.validate(cfg)
    cfg = copy.deepcopy(cfg)
    arrays = isinstance(data, ArraySet)
    kind = data.kind if arrays else "sequence"
    if cfg.get("kind", "sequence") != kind:
        raise ConfigError(
            f"the config is for {KIND_NAMES[cfg.get('kind', 'sequence')]} input (model {cfg['model']}) but the data is "
            f"{KIND_NAMES[kind]} input"
        )
    if cfg["train"]["monitor"] == "accuracy" and data.task_type != "multiclass":
        raise ConfigError(f"monitor 'accuracy' needs a multi-class task; this one is {data.task_type}: use auroc or loss")
    if arrays:
        # Record what the loader resolved, so config.yaml reruns on the same footing.
        grid = data.preprocess.get("grid")
        if grid is not None:
            cfg["data"]["series"] = list(grid["series"])
            cfg["data"]["time_points"] = int(grid["n_points"])
        if kind == "image":
            from seqnet.io.images import format_shape

            cfg["data"]["image_shape"] = format_shape(data.shape)
    else:
        cfg["data"]["length"] = data.length
        cfg["data"]["alphabet"] = data.alphabet.name
    tcfg, dcfg = cfg["train"], cfg["data"]

    ctx, device = dist_mod.setup(resolve_device(cfg["device"]))
    if device.type == "cuda":
        # TF32 tensor cores for float32 matmuls / convolutions (bf16 autocast covers most).
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    state_path = resume_state_path(out)
    if resume is not None and ctx.main:
        import shutil

        # The killed run's scratch folders: nothing in them is needed any more.
        for stale in out.parent.glob(f".{out.name}.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
    # Only rank 0 writes the run directory; other ranks log into a throw-away folder.
    scratch = staged_dir(out) if ctx.main else tempfile.TemporaryDirectory(prefix="seqnet-rank-")
    with scratch as tmp:
        tmp = Path(tmp)
        handlers: list[logging.Handler] = [logging.FileHandler(tmp / "train.log")]
        if not quiet and ctx.main:
            handlers.append(logging.StreamHandler(sys.stderr))
        fmt = logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")
        for h in handlers:
            h.setFormatter(fmt)
            log.addHandler(h)
        old_level = log.level
        log.setLevel(logging.INFO)
        try:
            seed_everything(cfg["seed"])
            splits = split_indices(
                data,
                valid_fraction=dcfg["valid_fraction"],
                test_fraction=dcfg["test_fraction"],
                seed=cfg["seed"],
                test_chroms=test_chroms,
                valid_chroms=valid_chroms,
                stratify=arrays and data.task_type in ("binary", "multiclass"),
            )
            parts = {k: data.subset(v) for k, v in splits.items()}
            n_out = len(data.names)
            model_args = dict(cfg.get("model_args") or {})
            if arrays:
                preprocess = {**data.preprocess, **fit_standardizer(parts["train"])}
                for part in parts.values():
                    part.x = standardize(part.x, kind, preprocess)
                model_args.update(input_shape=list(data.shape), n_outputs=n_out, with_mask=data.mask is not None)
            else:
                preprocess = {"unknown": dcfg["unknown"], "fit": "center"}
                model_args.update(n_channels=data.alphabet.size, length=data.length, n_outputs=n_out)
            model = build_model(cfg["model"], kind, **model_args).to(device)
            n_params = sum(p.numel() for p in model.parameters())
            log.info("seqnet train: %s", ", ".join(f"{k}={v}" for k, v in (inputs or {}).items()))
            what = ", ".join(data.names[:5]) + (", ..." if n_out > 5 else "")
            if arrays:
                log.info(
                    "%d samples (%s input %s, %s, %d output%s: %s); split train %d / valid %d / test %d%s",
                    len(data), KIND_NAMES[kind], "x".join(map(str, data.shape)), data.task_type, n_out,
                    "" if n_out == 1 else "s", what, len(parts["train"]), len(parts["valid"]), len(parts["test"]),
                    " (stratified by class)" if data.task_type in ("binary", "multiclass") else "",
                )
                for note in data.notes:
                    log.info("%s", note)
            else:
                log.info(
                    "%d records (%s, %d task%s: %s), length %d, alphabet %s; split train %d / valid %d / test %d",
                    len(data), data.task_type, n_out, "" if n_out == 1 else "s", what,
                    data.length, data.alphabet.name, len(parts["train"]), len(parts["valid"]), len(parts["test"]),
                )
            log.info("model %s (%d parameters) on %s; seed %d", cfg["model"], n_params, device, cfg["seed"])
            if ctx.active:
                log.info("DDP: %d processes (%s), batch size %d per process", ctx.world,
                         "nccl" if device.type == "cuda" else "gloo", tcfg["batch_size"])

            def report(row: dict) -> None:
                v = ""
                if row["valid_loss"] is not None:
                    v = f" valid_loss={row['valid_loss']:.4f}"
                    for key in ("valid_auroc", "valid_accuracy", "valid_pearson"):
                        if key in row:
                            v += f" {key}=" + ("n/a" if row[key] is None else f"{row[key]:.4f}")
                log.info("epoch %d/%d train_loss=%.4f%s (%.1f s)", row["epoch"], tcfg["epochs"], row["train_loss"], v, row["seconds"])

            result = fit(
                model,
                parts["train"],
                parts["valid"],
                epochs=tcfg["epochs"],
                batch_size=tcfg["batch_size"],
                lr=float(tcfg["lr"]),
                weight_decay=float(tcfg["weight_decay"]),
                patience=tcfg["patience"],
                monitor=tcfg["monitor"],
                rc_augment=bool(tcfg.get("rc_augment", False)),
                unknown=dcfg.get("unknown", "zeros"),
                seed=cfg["seed"],
                device=device,
                quiet=quiet,
                on_epoch=report,
                state_path=state_path,
                state_extra={"params": run_params, "config": cfg},
                resume=resume,
                dist_ctx=ctx,
                compile=compile,
                reshuffle=bool(tcfg.get("reshuffle", False)),
            )
            log.info(
                "kept the weights of epoch %d%s", result.best_epoch, " (stopped early)" if result.stopped_early else ""
            )
            test = parts["test"]
            if len(test):
                if arrays:
                    prob = predict_arrays(model, test.x, mask=test.mask, task_type=data.task_type, device=device)
                else:
                    prob = predict_proba(
                        model, test.tokens, alphabet=data.alphabet, task_type=data.task_type, unknown=dcfg["unknown"],
                        device=device, lengths=test.lengths,
                    )
                metrics = score(test.y, prob, data.task_type, data.names, split="test")
            else:
                log.info("no test split (test fraction 0): metrics.json has no scores")
                empty_y = data.y[:0]
                metrics = score(empty_y, np.zeros((0, n_out)), data.task_type, data.names, split="test")
            log.info("test: n=%d, %s", metrics["n"], _summary(metrics))

            checkpoint = ckpt_mod.make_checkpoint(
                model,
                name=cfg["model"],
                model_args=model_args,
                alphabet=None if arrays else data.alphabet,
                length=None if arrays else data.length,
                task_type=data.task_type,
                names=data.names,
                preprocess=preprocess,
                config=cfg,
                kind=kind,
            )
            checkpoint["inputs"] = {k: str(v) for k, v in (inputs or {}).items()}
            checkpoint["splits"] = {k: int(len(v)) for k, v in splits.items()}
            write_text_atomic(tmp / "config.yaml", config_mod.dump(cfg))
            _write_history(tmp / "history.csv", result.history, data.task_type)
            write_json_atomic(tmp / "metrics.json", metrics)
            ckpt_mod.save(tmp / "model.pt", checkpoint)
        finally:
            for h in handlers:
                log.removeHandler(h)
                h.close()
            log.setLevel(old_level)
    if ctx.main:
        state_path.unlink(missing_ok=True)
    dist_mod.teardown(ctx)
    return metrics


def _summary(metrics: dict) -> str:
    """The test line of the log: mean AUROC (+ accuracy, macro-F1), or mean Pearson and MSE."""
    fmt = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
    if "pearson" in metrics:
        return f"mean Pearson {fmt(metrics['pearson']['mean'])}, mean MSE {fmt(metrics['mse']['mean'])}"
    text = f"mean AUROC {fmt(metrics['auroc']['mean'])}"
    if "accuracy" in metrics:
        text += f", accuracy {fmt(metrics['accuracy'])}, macro-F1 {fmt(metrics['macro_f1'])}"
    return text
