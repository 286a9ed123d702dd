"""Training: the epoch loop with early stopping, and a whole ``seqnet train`` run.

:func:`fit` trains a model in place and returns its history; it writes no files.
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
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn

from seqnet import checkpoint as ckpt_mod
from seqnet import config as config_mod
from seqnet.data import SequenceSet, split_indices
from seqnet.encode import one_hot_torch, padding_mask, reverse_complement_torch, unknown_value
from seqnet.errors import SeqnetError
from seqnet.metrics import classification_metrics, headline
from seqnet.models import build_model, run_model
from seqnet.predict import predict_logits, predict_proba, to_probabilities
from seqnet.utils import check_out_dir, resolve_device, seed_everything, staged_dir, write_json_atomic, write_text_atomic

log = logging.getLogger("seqnet")


class TrainingError(SeqnetError):
    """Training could not continue (e.g. the loss became NaN)."""


@dataclass
class FitResult:
    """What :func:`fit` reports.

    Attributes
    ----------
    history : list of dict
        One row per epoch: ``epoch``, ``train_loss``, ``valid_loss``, ``valid_auroc``,
        ``valid_auprc``, ``seconds``.
    best_epoch : int
        Epoch whose weights the model holds on return (1-based).
    stopped_early : bool
        True when patience ran out before the last epoch.
    """

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False


def loss_function(task_type: str) -> nn.Module:
    """BCE-with-logits for binary / multi-label tasks, cross-entropy for multi-class."""
    return nn.CrossEntropyLoss() if task_type == "multiclass" else nn.BCEWithLogitsLoss()


def _targets(y: np.ndarray, task_type: str) -> torch.Tensor:
    return torch.as_tensor(y, dtype=torch.long if task_type == "multiclass" else torch.float32)


def _use_progress_bar(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def fit(
    model: nn.Module,
    train: SequenceSet,
    valid: SequenceSet | None,
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
) -> FitResult:
    """Train ``model`` in place with Adam and early stopping; keep the best weights.

    Parameters
    ----------
    model : torch.nn.Module
        Maps one-hot ``(B, C, L)`` to logits ``(B, n_outputs)``; already on ``device``.
    train, valid : SequenceSet
        Training and validation records; ``valid`` may be None or empty, in which case
        every epoch runs and the last weights are kept.
    epochs, batch_size, lr, weight_decay, patience : numbers
        Optimisation settings; ``patience`` epochs without improvement stop training.
    monitor : str
        ``"auroc"`` (maximise validation mean AUROC) or ``"loss"`` (minimise validation
        loss). Default is ``"auroc"``.
    rc_augment : bool
        Replace a random half of each batch by its reverse complement. Default is False.
    unknown : str
        One-hot of unknown letters, ``"zeros"`` or ``"uniform"``. Default is ``"zeros"``.
    seed : int
        Seeds batch order and augmentation (model init is seeded by the caller).
    device : torch.device or str
        Default is ``"cpu"``.
    quiet : bool
        No progress bar. Default is False.
    on_epoch : callable or None
        Called with each history row.

    Returns
    -------
    FitResult

    Raises
    ------
    TrainingError
        When the training loss becomes NaN or infinite.
    """
    device = torch.device(device)
    alphabet = train.alphabet
    if rc_augment and not alphabet.has_complement:
        log.info("reverse-complement augmentation skipped: the %s alphabet has no complement", alphabet.name)
        rc_augment = False
    n_letters = alphabet.size
    uval = unknown_value(unknown, alphabet.size)
    loss_fn = loss_function(train.task_type)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    autocast = device.type == "cuda"

    tokens = torch.as_tensor(train.tokens)
    targets = _targets(train.y, train.task_type)
    masked = train.lengths is not None and getattr(model, "takes_mask", False)
    lengths = torch.as_tensor(train.lengths) if masked else None
    if device.type == "cuda":
        tokens, targets = tokens.to(device), targets.to(device)
        lengths = None if lengths is None else lengths.to(device)
    has_valid = valid is not None and len(valid) > 0
    if has_valid:
        v_targets = _targets(valid.y, valid.task_type)

    gen = torch.Generator().manual_seed(seed)
    result = FitResult()
    best_score = -math.inf
    best_state = None
    bad_epochs = 0
    n = tokens.shape[0]
    n_batches = math.ceil(n / batch_size)

    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen)
        flips = torch.rand(n, generator=gen) < 0.5 if rc_augment else None
        total = torch.zeros((), device=device)
        bar = None
        if _use_progress_bar(quiet):
            from tqdm import tqdm

            bar = tqdm(total=n_batches, desc=f"epoch {epoch}/{epochs}", leave=False, unit="batch")
        for b in range(n_batches):
            idx = perm[b * batch_size : (b + 1) * batch_size]
            idx_dev = idx.to(tokens.device)
            tok = tokens[idx_dev].to(device, non_blocking=True)
            mask = None if lengths is None else padding_mask(lengths[idx_dev].to(device), tok.shape[1])
            if flips is not None:
                flip = flips[idx].to(device)
                tok = torch.where(flip[:, None], reverse_complement_torch(tok, alphabet), tok)
                if mask is not None:
                    mask = torch.where(flip[:, None], mask.flip(1), mask)
            x = one_hot_torch(tok, n_letters, unknown_value=uval)
            yb = targets[idx_dev].to(device, non_blocking=True)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=autocast):
                logits = run_model(model, x, mask)
            loss = loss_fn(logits.float(), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        train_loss = float(total) / n
        if not math.isfinite(train_loss):
            raise TrainingError(
                f"training diverged at epoch {epoch}: the loss is {train_loss}; try a lower --lr "
                f"(now {lr}) or check the inputs"
            )
        row = {"epoch": epoch, "train_loss": train_loss, "valid_loss": None, "valid_auroc": None, "valid_auprc": None}
        if has_valid:
            logits = predict_logits(
                model, valid.tokens, alphabet=alphabet, unknown=unknown, batch_size=max(1024, batch_size),
                device=device, lengths=valid.lengths,
            )
            row["valid_loss"] = float(loss_fn(logits, v_targets))
            prob = to_probabilities(logits, valid.task_type).double().numpy()
            m = classification_metrics(valid.y, prob, valid.task_type, valid.names, split="valid")
            row["valid_auroc"] = m["auroc"]["mean"]
            row["valid_auprc"] = m["auprc"]["mean"]
            if monitor == "loss":
                score = -row["valid_loss"]
            else:
                score = headline(m)
                if math.isnan(score):  # AUROC undefined (one class only): fall back to loss
                    score = -row["valid_loss"]
        else:
            score = float(epoch)  # no validation: the latest epoch is the best we know
        row["seconds"] = round(time.perf_counter() - t0, 3)
        result.history.append(row)
        if on_epoch is not None:
            on_epoch(row)
        if score > best_score:
            best_score = score
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
            result.best_epoch = epoch
            bad_epochs = 0
        else:
            bad_epochs += 1
            if has_valid and bad_epochs > patience:
                result.stopped_early = epoch < epochs
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return result


def _write_history(path: Path, history: list[dict]) -> None:
    import pandas as pd

    cols = ["epoch", "train_loss", "valid_loss", "valid_auroc", "valid_auprc", "seconds"]
    write_text_atomic(path, pd.DataFrame(history, columns=cols).to_csv(index=False))


def train_run(
    data: SequenceSet,
    cfg: dict,
    out: str | Path,
    *,
    overwrite: bool = False,
    quiet: bool = False,
    test_chroms: Sequence[str] | None = None,
    valid_chroms: Sequence[str] | None = None,
    inputs: dict | None = None,
) -> dict:
    """Run a whole training job and write its run directory.

    Parameters
    ----------
    data : SequenceSet
        All labelled records; split here.
    cfg : dict
        Resolved, validated config (:func:`seqnet.config.resolve`).
    out : path
        Run directory to create.
    overwrite : bool
        Replace an existing run directory. Default is False.
    quiet : bool
        Log only to ``train.log`` (no console output, no progress bar). Default is False.
    test_chroms, valid_chroms : sequence of str or None
        Chromosome-based splits instead of random fractions.
    inputs : dict or None
        Description of the input files, recorded in the log and checkpoint.

    Returns
    -------
    dict
        The test metrics written to ``metrics.json``.
    """
    out = check_out_dir(out, overwrite)
    config_mod.validate(cfg)
    cfg = copy.deepcopy(cfg)
    cfg["data"]["length"] = data.length
    cfg["data"]["alphabet"] = data.alphabet.name
    tcfg, dcfg = cfg["train"], cfg["data"]

    with staged_dir(out) as tmp:
        handlers: list[logging.Handler] = [logging.FileHandler(tmp / "train.log")]
        if not quiet:
            handlers.append(logging.StreamHandler(sys.stderr))
        fmt = logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")
        for h in handlers:
            h.setFormatter(fmt)
            log.addHandler(h)
        old_level = log.level
        log.setLevel(logging.INFO)
        try:
            device = resolve_device(cfg["device"])
            seed_everything(cfg["seed"])
            splits = split_indices(
                data,
                valid_fraction=dcfg["valid_fraction"],
                test_fraction=dcfg["test_fraction"],
                seed=cfg["seed"],
                test_chroms=test_chroms,
                valid_chroms=valid_chroms,
            )
            parts = {k: data.subset(v) for k, v in splits.items()}
            n_out = len(data.names)
            model_args = dict(cfg.get("model_args") or {})
            model_args.update(n_channels=data.alphabet.size, length=data.length, n_outputs=n_out)
            model = build_model(cfg["model"], **model_args).to(device)
            n_params = sum(p.numel() for p in model.parameters())
            log.info("seqnet train: %s", ", ".join(f"{k}={v}" for k, v in (inputs or {}).items()))
            log.info(
                "%d records (%s, %d task%s: %s), length %d, alphabet %s; split train %d / valid %d / test %d",
                len(data), data.task_type, n_out, "" if n_out == 1 else "s", ", ".join(data.names[:5]) + (", ..." if n_out > 5 else ""),
                data.length, data.alphabet.name, len(parts["train"]), len(parts["valid"]), len(parts["test"]),
            )
            log.info("model %s (%d parameters) on %s; seed %d", cfg["model"], n_params, device, cfg["seed"])

            def report(row: dict) -> None:
                v = "" if row["valid_loss"] is None else (
                    f" valid_loss={row['valid_loss']:.4f} valid_auroc="
                    + ("n/a" if row["valid_auroc"] is None else f"{row['valid_auroc']:.4f}")
                )
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
                rc_augment=tcfg["rc_augment"],
                unknown=dcfg["unknown"],
                seed=cfg["seed"],
                device=device,
                quiet=quiet,
                on_epoch=report,
            )
            log.info(
                "kept the weights of epoch %d%s", result.best_epoch, " (stopped early)" if result.stopped_early else ""
            )
            test = parts["test"]
            if len(test):
                prob = predict_proba(
                    model, test.tokens, alphabet=data.alphabet, task_type=data.task_type, unknown=dcfg["unknown"],
                    device=device, lengths=test.lengths,
                )
                metrics = classification_metrics(test.y, prob, data.task_type, data.names, split="test")
            else:
                log.info("no test split (test fraction 0): metrics.json has no scores")
                empty_y = data.y[:0]
                metrics = classification_metrics(empty_y, np.zeros((0, n_out)), data.task_type, data.names, split="test")
            mean = metrics["auroc"]["mean"]
            log.info("test: n=%d, mean AUROC %s", metrics["n"], "n/a" if mean is None else f"{mean:.4f}")

            checkpoint = ckpt_mod.make_checkpoint(
                model,
                name=cfg["model"],
                model_args=model_args,
                alphabet=data.alphabet,
                length=data.length,
                task_type=data.task_type,
                names=data.names,
                preprocess={"unknown": dcfg["unknown"], "fit": "center"},
                config=cfg,
            )
            checkpoint["inputs"] = {k: str(v) for k, v in (inputs or {}).items()}
            checkpoint["splits"] = {k: int(len(v)) for k, v in splits.items()}
            write_text_atomic(tmp / "config.yaml", config_mod.dump(cfg))
            _write_history(tmp / "history.csv", result.history)
            write_json_atomic(tmp / "metrics.json", metrics)
            ckpt_mod.save(tmp / "model.pt", checkpoint)
        finally:
            for h in handlers:
                log.removeHandler(h)
                h.close()
            log.setLevel(old_level)
    return metrics
