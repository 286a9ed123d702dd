"""A whole ``seqnet train`` run: split, fit, score the held-out test split, write the run directory.

:func:`train_run` reads as its steps: check the config against the data, set up the
device, then inside a private scratch directory and a run log: prepare the job (seed,
split, preprocessing, model), :func:`~seqnet.training.loop.fit`, score the test split and
write ``model.pt``, ``config.yaml``, ``history.csv``, ``metrics.json`` and
``train.log``.  The scratch directory (``.<name>.partial-XXXX`` beside ``out``) is
renamed into place only when the run succeeded, so a failed run leaves no ``model.pt``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from seqnet import checkpoint as ckpt_mod
from seqnet import config as config_mod
from seqnet import distributed as dist_mod
from seqnet import kinds
from seqnet.datasets import split_indices
from seqnet.errors import ConfigError, SeqnetError, opt, render
from seqnet.kinds.base import InputKind
from seqnet.models import build_model
from seqnet.training import evidence, sanity
from seqnet.training.loop import FitResult, fit, history_columns
from seqnet.training.settings import TrainSettings, check_monitor
from seqnet.training.state import TrainingState, resume_state_path
from seqnet.outputs import check_out_dir, claim, staged_dir, write_json_atomic, write_text_atomic
from seqnet.provenance import check_unchanged, fingerprints as fingerprints_of
from seqnet.utils import resolve_device, seed_everything

log = logging.getLogger("seqnet")


class Interrupted(SeqnetError):
    """The user stopped a run (Ctrl-C); exit status 130 as for any SIGINT."""

    exit_code = 130


@dataclass
class Job:
    """A run's data, split and model, ready to fit."""

    data: object
    kind: InputKind
    cfg: dict
    splits: dict[str, np.ndarray]
    parts: dict
    model: torch.nn.Module
    model_args: dict
    preprocess: dict


def train_run(
    data,
    cfg: dict,
    out: str | Path,
    *,
    overwrite: bool = False,
    quiet: bool = False,
    test_chroms: Sequence[str] | None = None,
    valid_chroms: Sequence[str] | None = None,
    inputs: dict | None = None,
    run_params: dict | None = None,
    resume: TrainingState | None = None,
    compile: bool = False,
    fingerprints: dict | None = None,
    early_warnings: list[logging.LogRecord] | None = None,
    baselines: str = "fast",
) -> dict:
    """Run a whole training job and write its run directory.

    After every epoch the job saves its state to ``.<name>.last.pt`` beside ``out``
    (:func:`~seqnet.training.state.resume_state_path`); a killed or interrupted run
    continues from there with :func:`~seqnet.training.state.load_resume_state` +
    ``resume=`` (``seqnet train --resume OUT``) and ends exactly as it would have; the
    file is removed when the run succeeds.  Under torchrun every rank trains (DDP) and
    only rank 0 writes files.

    Parameters
    ----------
    data : SequenceSet or ArraySet
        All labelled records; split here (array sets stratified by class for
        single-label classification) and preprocessed with statistics of the training
        split.
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
        The input files, recorded in the log and checkpoint.
    run_params : dict or None
        The command's options, kept in the resume state so a resumed run reloads the
        same data.
    resume : TrainingState or None
        A state from :func:`~seqnet.training.state.load_resume_state` to continue from.
    compile : bool
        Train through :func:`torch.compile`. Default is False.
    fingerprints : dict or None
        Input file fingerprints (:func:`seqnet.provenance.fingerprints`), kept in the
        resume state so that a resumed run refuses changed inputs.
    early_warnings : list of logging.LogRecord or None
        Warnings given while the data was loaded (already shown), kept in ``train.log``.
    baselines : str
        ``"none"``, ``"fast"`` or ``"all"`` (see :mod:`seqnet.baselines`). Default is
        ``"fast"``.

    Returns
    -------
    dict
        The test metrics written to ``metrics.json``.

    Raises
    ------
    Interrupted
        On Ctrl-C (SIGINT); the message says how to resume.
    """
    ctx = dist_mod.from_env()
    with claim(out) if ctx.main else contextlib.nullcontext():
        try:
            return _run(data, cfg, Path(out), overwrite=overwrite, quiet=quiet, test_chroms=test_chroms,
                        valid_chroms=valid_chroms, inputs=inputs, resume=resume, compile=compile,
                        extra={"params": run_params, "inputs": fingerprints or {}}, early=early_warnings or [],
                        baselines=baselines)
        except KeyboardInterrupt:
            raise _interrupted(Path(out)) from None


def _interrupted(out: Path) -> "Interrupted":
    """What to tell a user who stopped a run with Ctrl-C."""
    state = resume_state_path(out)
    if state.exists():
        epoch = TrainingState.load(state).epoch
        return Interrupted(f"interrupted; the run's state after epoch {epoch} is kept: continue with "
                           f"{opt('resume')} {out}")
    return Interrupted("interrupted before the first epoch finished; nothing to resume")


def _run(data, cfg: dict, out: Path, *, overwrite: bool, quiet: bool, test_chroms, valid_chroms, inputs: dict | None,
         extra: dict, resume: TrainingState | None, compile: bool, early: list[logging.LogRecord],
         baselines: str) -> dict:
    """The body of :func:`train_run`, its output claimed; ``extra`` goes into the resume state."""
    out = check_out_dir(out, overwrite)
    kind = kinds.of(data)
    cfg = _config_for(data, kind, cfg)
    ctx, device = _setup_device(cfg)
    state_path = resume_state_path(out)
    if ctx.main:
        # A killed run's scratch folders (we hold the output's lock: no live run owns them).
        for stale in out.parent.glob(f".{out.name}.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
    # Only rank 0 writes the run directory; other ranks log into a throw-away folder.
    scratch = staged_dir(out) if ctx.main else tempfile.TemporaryDirectory(prefix="seqnet-rank-")
    if extra.get("inputs"):
        cfg["inputs"] = extra["inputs"]
    with scratch as tmp, run_log(Path(tmp) / "train.log", console=not quiet and ctx.main, replay=early), \
            _kept_warnings() as said:
        evidence.log_header(device)
        job = _prepare(data, kind, cfg, device, test_chroms, valid_chroms)
        _log_start(job, inputs, device, ctx)
        sanity.check_labels(data)
        sanity.check_test_split(job.parts["test"])
        settings = TrainSettings.from_config(cfg, device=device, quiet=quiet, compile=compile)
        result = fit(job.model, job.parts["train"], job.parts["valid"], settings, on_epoch=_epoch_logger(settings),
                     state_path=state_path, state_extra={**extra, "config": cfg}, resume=resume, dist_ctx=ctx)
        log.info("kept the weights of epoch %d%s", result.best_epoch, " (stopped early)" if result.stopped_early else "")
        metrics, prob = evidence.score_test(job, device, baselines)
        sanity.check_metrics(metrics)
        _write_run_dir(Path(tmp), job, result, metrics, inputs)
        warnings = [render(r.getMessage()) for r in [*early, *said]]
        evidence.write_evidence(Path(tmp), job, result, metrics, prob, warnings, name=out.name)
    if ctx.main:
        state_path.unlink(missing_ok=True)
    dist_mod.teardown(ctx)
    return metrics


def train(
    spec,
    out: str | Path,
    *,
    model: str | None = None,
    config_file: str | Path | None = None,
    overrides: dict | None = None,
    task: str = "auto",
    task_name: str | None = None,
    test_chroms: Sequence[str] | None = None,
    valid_chroms: Sequence[str] | None = None,
    overwrite: bool = False,
    quiet: bool = False,
    run_params: dict | None = None,
    resume: TrainingState | None = None,
    compile: bool = False,
    baselines: str = "fast",
) -> dict:
    """Train on the files ``spec`` names: resolve the recipe, load the data, :func:`train_run`.

    Parameters
    ----------
    spec : seqnet.inputs.InputSpec
        Labelled inputs of any kind.
    out : path
        Run directory to create.
    model, config_file, overrides
        The recipe: model name, a user YAML file and nested config values (see
        :func:`seqnet.config.resolve`).
    task : str
        How to read a label table: ``"auto"``, ``"classification"`` or ``"regression"``.
        Default is ``"auto"``.
    task_name : str or None
        Name of the single task of positives / BED input. Default is ``"bound"``.
    test_chroms, valid_chroms, overwrite, quiet, run_params, resume, compile, baselines
        As in :func:`train_run`.

    Returns
    -------
    dict
        The test metrics written to ``metrics.json``.
    """
    overrides = overrides or {}
    data_options = dict(overrides.get("data") or {})
    kind = kinds.detect(spec, "train", test_chroms=test_chroms, valid_chroms=valid_chroms, task_name=task_name,
                        **data_options)
    files = spec.files()
    # Under torchrun only rank 0 writes, so only rank 0 holds the output.
    holder = claim(out, files, folder=True) if dist_mod.from_env().main else contextlib.nullcontext()
    with holder:
        cfg = config_mod.resolve(model, config_file, overrides, kind=kind.name)
        check_out_dir(out, overwrite)
        if resume is not None:
            check_unchanged(resume.extra.get("inputs", {}), what=f"{opt('resume')} {out}")
        recorded = fingerprints_of(files)
        with _kept_warnings() as early:  # said while loading, before train.log exists
            data = kind.load(spec, cfg["data"], task=task, seed=cfg["seed"], task_name=task_name)
        if len(data.names) > 1:  # the recipe's multi_output values (train / model_args: the data stay as read)
            cfg = config_mod.resolve(model, config_file, overrides, kind=kind.name, outputs=len(data.names))
        return train_run(data, cfg, out, overwrite=overwrite, quiet=quiet, test_chroms=test_chroms,
                         valid_chroms=valid_chroms, inputs=files, run_params=run_params, resume=resume,
                         compile=compile, fingerprints=recorded, early_warnings=early, baselines=baselines)


def _config_for(data, kind: InputKind, cfg: dict) -> dict:
    """A copy of ``cfg``, checked against the data and completed with what the loader resolved."""
    config_mod.validate(cfg)
    cfg = copy.deepcopy(cfg)
    cfg_kind = kinds.get(cfg.get("kind", "sequence"))
    if cfg_kind is not kind:
        raise ConfigError(
            f"the config is for {cfg_kind.label} input (model {cfg['model']}) but the data is {kind.label} input"
        )
    check_monitor(cfg["train"]["monitor"], data.task_type)
    # Recorded so config.yaml reruns on the same footing.
    kind.record_config(cfg, data)
    return cfg


def _setup_device(cfg: dict) -> tuple[dist_mod.Context, torch.device]:
    """This process's torchrun context and device (TF32 matmuls on CUDA)."""
    ctx, device = dist_mod.setup(resolve_device(cfg["device"]))
    if device.type == "cuda":
        # TF32 tensor cores for float32 matmuls / convolutions (bf16 autocast covers most).
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return ctx, device


class _Rendered(logging.Formatter):
    """Log lines name parameters as the reader spells them (flags on the command line)."""

    def format(self, record: logging.LogRecord) -> str:
        return render(super().format(record))


@contextlib.contextmanager
def _kept_warnings() -> Iterator[list[logging.LogRecord]]:
    """Collect the WARNING records of the ``seqnet`` logger given inside the ``with``."""
    kept: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = kept.append
    log.addHandler(handler)
    try:
        yield kept
    finally:
        log.removeHandler(handler)


@contextlib.contextmanager
def run_log(path: Path, *, console: bool, replay: list[logging.LogRecord] = ()) -> Iterator[None]:
    """Log seqnet's INFO lines to ``path`` (and stderr with ``console``) inside the ``with``;
    ``replay`` records (given earlier, already shown) go to ``path`` first."""
    handlers: list[logging.Handler] = [logging.FileHandler(path)]
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
        if any(getattr(h, "seqnet_cli", False) for h in log.handlers):
            handlers[-1].addFilter(lambda record: record.levelno < logging.WARNING)  # the CLI shows those
    fmt = _Rendered("%(asctime)s %(message)s", "%H:%M:%S")
    for h in handlers:
        h.setFormatter(fmt)
        log.addHandler(h)
    for record in replay:
        handlers[0].handle(record)
    old_level = log.level
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        for h in handlers:
            log.removeHandler(h)
            h.close()
        log.setLevel(old_level)


def _prepare(data, kind: InputKind, cfg: dict, device: torch.device, test_chroms, valid_chroms) -> Job:
    """Seed, split, fit the preprocessing on the training split, and build the model."""
    dcfg = cfg["data"]
    seed_everything(cfg["seed"])
    splits = split_indices(
        data, valid_fraction=dcfg["valid_fraction"], test_fraction=dcfg["test_fraction"], seed=cfg["seed"],
        test_chroms=test_chroms, valid_chroms=valid_chroms, stratify=kind.stratifies(data),
    )
    parts = {k: data.subset(v) for k, v in splits.items()}
    preprocess = kind.fit_preprocess(parts, cfg)
    model_args = {**(cfg.get("model_args") or {}), **kind.model_shape(data, len(data.names))}
    model = build_model(cfg["model"], kind.name, **model_args).to(device)
    return Job(data=data, kind=kind, cfg=cfg, splits=splits, parts=parts, model=model, model_args=model_args,
               preprocess=preprocess)


def _log_start(job: Job, inputs: dict | None, device: torch.device, ctx: dist_mod.Context) -> None:
    """The run log's opening lines: inputs, data and split, model."""
    cfg = job.cfg
    n_params = sum(p.numel() for p in job.model.parameters())
    log.info("seqnet train: %s", ", ".join(f"{k}={v}" for k, v in (inputs or {}).items()))
    for line in job.kind.describe(job.data, job.parts):
        log.info("%s", line)
    log.info("model %s (%d parameters) on %s; seed %d", cfg["model"], n_params, device, cfg["seed"])
    if ctx.active:
        log.info("DDP: %d processes (%s), batch size %d per process", ctx.world,
                 "nccl" if device.type == "cuda" else "gloo", cfg["train"]["batch_size"])


def _epoch_logger(settings: TrainSettings):
    """The per-epoch log line: training loss, validation loss and metric, seconds."""

    def report(row: dict) -> None:
        v = ""
        if row["valid_loss"] is not None:
            v = f" valid_loss={row['valid_loss']:.4f}"
            for key in ("valid_auroc", "valid_accuracy", "valid_pearson"):
                if key in row:
                    v += f" {key}=" + ("n/a" if row[key] is None else f"{row[key]:.4f}")
        log.info("epoch %d/%d train_loss=%.4f%s (%.1f s)", row["epoch"], settings.epochs, row["train_loss"], v,
                 row["seconds"])

    return report


def _write_run_dir(tmp: Path, job: Job, result: FitResult, metrics: dict, inputs: dict | None) -> None:
    """``config.yaml``, ``history.csv``, ``metrics.json`` and ``model.pt`` into ``tmp``."""
    import pandas as pd

    data = job.data
    checkpoint = ckpt_mod.make_checkpoint(
        job.model, name=job.cfg["model"], model_args=job.model_args, task_type=data.task_type, names=data.names,
        preprocess=job.preprocess, config=job.cfg, kind=job.kind.name, **job.kind.checkpoint_fields(data),
    )
    checkpoint["inputs"] = {k: str(v) for k, v in (inputs or {}).items()}
    checkpoint["splits"] = {k: int(len(v)) for k, v in job.splits.items()}
    write_text_atomic(tmp / "config.yaml", config_mod.dump(job.cfg))
    history = pd.DataFrame(result.history, columns=history_columns(data.task_type))
    write_text_atomic(tmp / "history.csv", history.to_csv(index=False))
    write_json_atomic(tmp / "metrics.json", metrics)
    ckpt_mod.save(tmp / "model.pt", checkpoint)
