"""``seqnet tune``: search recipes with Optuna on the same data and splits as ``seqnet train``.

:func:`tune` reads as its steps: resolve the recipe and the search space, load the data
once and split it exactly as ``seqnet train`` does (the test split is never used), open
or join the study, run ``trials`` more trials (each one :func:`~seqnet.training.loop.fit`
on the training split, reporting the validation metric of every epoch to the pruner),
then write what the whole study found (:mod:`seqnet.tune.report`) and, with
``train_best``, train the best recipe into ``OUT/best`` with ``seqnet train``'s own code.
"""

from __future__ import annotations

import copy
import logging
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from seqnet import config as config_mod
from seqnet import kinds
from seqnet.datasets import split_indices
from seqnet.errors import ConfigError, SeqnetError, opt
from seqnet.outputs import claim
from seqnet.tune import report as report_mod
from seqnet.tune import study as study_mod
from seqnet.tune.space import SearchSpace, read_space

log = logging.getLogger("seqnet")

#: The study's file in the output folder when no storage URL is given.
STUDY_FILE = "study.db"


@dataclass
class TuneResult:
    """What :func:`tune` did.

    Attributes
    ----------
    out : Path
        The output folder.
    study_name, storage : str
        The study and where it lives (password hidden).
    metric, direction : str
        The validation column optimised (``valid_auroc``, ``valid_accuracy`` or
        ``valid_loss``) and ``"maximize"`` / ``"minimize"``.
    counts : dict
        Trials of the whole study per state (``complete``, ``pruned``, ``fail``, ...).
    best : dict or None
        ``number``, ``value``, ``params`` of the best trial; None before any finished.
    recovered : int
        Trials left running by a killed process, failed and queued again.
    trained : dict or None
        With ``train_best``: the test metrics of the best recipe trained in ``OUT/best``.
    """

    out: Path
    study_name: str
    storage: str
    metric: str
    direction: str
    counts: dict = field(default_factory=dict)
    best: dict | None = None
    recovered: int = 0
    trained: dict | None = None


@dataclass
class _Job:
    """The data, split and preprocessed once for every trial."""

    kind: object
    data: object
    cfg: dict
    parts: dict


def tune(
    spec,
    out: str | Path,
    *,
    space: str | Path,
    trials: int,
    storage: str | None = None,
    study_name: str = "seqnet",
    model: str | None = None,
    config_file: str | Path | None = None,
    overrides: dict | None = None,
    task: str = "auto",
    task_name: str | None = None,
    test_chroms: Sequence[str] | None = None,
    valid_chroms: Sequence[str] | None = None,
    pruner: str = "median",
    startup_trials: int = 10,
    timeout: float | None = None,
    train_best: bool = False,
    baselines: str = "fast",
    overwrite: bool = False,
    quiet: bool = False,
    progress: Callable[[str], None] | None = None,
) -> TuneResult:
    """Run ``trials`` more trials of a hyperparameter search and write what the study found.

    Parameters
    ----------
    spec : seqnet.inputs.InputSpec
        Labelled inputs of any kind (as for ``seqnet train``).
    out : path
        Output folder: ``study.db`` (without ``storage``), ``trials.tsv``,
        ``best.yaml``, ``history.png``, ``importances.png``, ``summary.json`` and, with
        ``train_best``, ``best/`` (a ``seqnet train`` run directory).  An existing folder
        of an earlier search is continued.
    space : path
        The search space YAML (:mod:`seqnet.tune.space`).
    trials : int
        Trials to run in this call (Optuna's ``n_trials``), whatever the study holds.
    storage, study_name : str or None, str
        SQLAlchemy URL of the study database (None: ``sqlite:///OUT/study.db``), and the
        study's name in it. Defaults are None and ``"seqnet"``.
    model, config_file, overrides, task, task_name, test_chroms, valid_chroms
        As for ``seqnet train``: the base recipe, which the space's values change (a
        key both searched and in ``overrides`` is an error), and how to read the data.
    pruner : str
        ``"median"`` (default), ``"hyperband"`` or ``"none"`` (:func:`~seqnet.tune.study.make_pruner`).
    startup_trials, timeout : int, float or None
        Random trials before TPE models the results; start no trial after ``timeout``
        seconds. Defaults are 10 and None.
    train_best, baselines, quiet : bool, str, bool
        Train the best recipe into ``OUT/best`` with these baselines (test metrics,
        report), its log on the console unless ``quiet``. Defaults are False, ``"fast"``,
        False.
    overwrite : bool
        Start afresh in an existing folder that holds something else. Default is False.
    progress : callable or None
        Called with one line per trial this process finishes.

    Returns
    -------
    TuneResult

    Raises
    ------
    ConfigError
        For a bad space or options, or a storage that cannot be opened (before any data
        are read).
    """
    overrides = overrides or {}
    kind = kinds.detect(spec, "train", test_chroms=test_chroms, valid_chroms=valid_chroms, task_name=task_name,
                        **dict(overrides.get("data") or {}))
    files = spec.files()
    with claim(out, {**files, "space": space, "config_file": config_file}, folder=True):
        resolver = _resolver(kind, space, model, config_file, overrides)
        url = storage or f"sqlite:///{(Path(out) / STUDY_FILE).resolve()}"
        opened = study_mod.open_storage(url) if storage else None  # a bad URL fails before the data are read
        out, made = _tune_dir(Path(out), overwrite)
        try:
            job = _load(spec, kind, resolver, task, task_name, test_chroms, valid_chroms)
            metric, direction = _metric(job.cfg["train"]["monitor"], job.data.task_type)
            study = study_mod.load_study(
                opened or study_mod.open_storage(url), study_name, direction,
                study_mod.make_sampler(job.cfg["seed"], startup_trials),
                study_mod.make_pruner(pruner, resolver.max_epochs()),
                {"space": resolver.search.document, "metric": metric, "recipe": _recorded(job.cfg)})
        except BaseException:
            if made:  # nothing of a search to keep yet
                shutil.rmtree(out, ignore_errors=True)
            raise
        result = TuneResult(out, study_name, study_mod.shown_url(url), metric, direction)
        result.recovered = study_mod.recover_abandoned(study, own=storage is None)
        _optimize(study, _Objective(job, resolver, metric, direction), trials, timeout, progress, result)
        report_mod.write_outputs(out, study, resolver.search, result)
        result.counts, result.best = report_mod.state_counts(study), report_mod.best_of(study)
    if train_best and result.best is not None:  # with seqnet train's own code: the test split is used here only
        result.trained = _train(spec, out / "best", config_file=out / "best.yaml", task=task, task_name=task_name,
                                test_chroms=test_chroms, valid_chroms=valid_chroms, overwrite=True, quiet=quiet,
                                baselines=baselines)
    return result


def _train(spec, out: Path, **options) -> dict:
    """``seqnet train`` (:func:`seqnet.training.run.train`) into ``out``."""
    from seqnet.training.run import train

    return train(spec, out, **options)


def _resolver(kind, space, model, config_file, overrides: dict) -> "_Resolver":
    """The base recipe and the space, checked before any data are read."""
    cfg = config_mod.resolve(model, config_file, overrides, kind=kind.name)
    search = read_space(space, kind.name, cfg["model"])
    _check_overlap(search, overrides, space)
    return _Resolver(cfg, config_file, overrides, kind.name, search)


def _load(spec, kind, resolver: "_Resolver", task, task_name, test_chroms, valid_chroms) -> _Job:
    """The data, split and preprocessed as ``seqnet train`` does it (with the recipe's
    ``multi_output`` values for several outputs)."""
    cfg = resolver.base
    data = kind.load(spec, cfg["data"], task=task, seed=cfg["seed"], task_name=task_name)
    if len(data.names) > 1:
        resolver.outputs = len(data.names)
        cfg = config_mod.resolve(cfg["model"], resolver.config_file, resolver.overrides, kind=kind.name,
                                 outputs=resolver.outputs)
    job = _prepare(data, kind, cfg, test_chroms, valid_chroms)
    resolver.base = job.cfg
    return job


def _tune_dir(out: Path, overwrite: bool) -> tuple[Path, bool]:
    """The output folder, and whether it was made now; an existing one must be an earlier
    search's (or ``overwrite``)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{opt('out')} {out}: exists and is not a directory")
    earlier = out.is_dir() and any((out / name).exists() for name in (STUDY_FILE, "trials.tsv", "summary.json"))
    if out.is_dir() and any(out.iterdir()):
        if overwrite:
            shutil.rmtree(out)
        elif not earlier:
            raise ConfigError(f"{opt('out')} {out}: directory exists and holds no earlier search; pass "
                              f"{opt('overwrite')} or choose another directory")
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    return out, made


def _check_overlap(search: SearchSpace, overrides: dict, space) -> None:
    """ConfigError for a setting both searched and given as an option."""
    for section, key in sorted(search.keys()):
        if (overrides.get(section) or {}).get(key) is not None:
            raise ConfigError(f"{space}: {section}.{key} is searched, and {opt(key)} sets it too; keep one")


def _prepare(data, kind, cfg: dict, test_chroms, valid_chroms) -> _Job:
    """Check the recipe against the data, split as ``seqnet train`` splits, fit the preprocessing."""
    from seqnet.training import sanity
    from seqnet.training.settings import check_monitor
    from seqnet.utils import seed_everything

    cfg = copy.deepcopy(cfg)
    config_mod.validate(cfg)
    check_monitor(cfg["train"]["monitor"], data.task_type)
    kind.record_config(cfg, data)
    sanity.check_labels(data)
    d = cfg["data"]
    seed_everything(cfg["seed"])
    splits = split_indices(data, valid_fraction=d["valid_fraction"], test_fraction=d["test_fraction"],
                           seed=cfg["seed"], test_chroms=test_chroms, valid_chroms=valid_chroms,
                           stratify=kind.stratifies(data))
    if len(splits["valid"]) == 0:
        raise ConfigError(f"the search scores trials on the validation split, which is empty: give "
                          f"{opt('valid_fraction')} > 0 or {opt('valid_chroms')}")
    parts = {k: data.subset(v) for k, v in splits.items()}
    kind.fit_preprocess(parts, cfg)
    return _Job(kind=kind, data=data, cfg=cfg, parts=parts)


def _metric(monitor: str, task_type: str) -> tuple[str, str]:
    """The validation column a search optimises, and its direction."""
    if monitor == "loss" or task_type == "regression":
        return "valid_loss", "minimize"
    return ("valid_accuracy" if monitor == "accuracy" else "valid_auroc"), "maximize"


def _recorded(cfg: dict) -> dict:
    """What identifies a search's recipe across workers (no device, no input paths)."""
    return {k: v for k, v in cfg.items() if k not in ("device", "inputs")}


class _Resolver:
    """The complete recipe of one trial: the chosen model's recipe, the user's file and
    options, then the trial's values; data, seed and device stay the base recipe's."""

    def __init__(self, cfg: dict, config_file, overrides: dict, kind: str, search: SearchSpace) -> None:
        self.base, self.config_file, self.overrides, self.kind, self.search = cfg, config_file, overrides, kind, search
        self.outputs = 1
        for name in search.models or ():
            try:  # every model choice must resolve with the user's file and options
                config_mod.resolve(name, config_file, overrides, kind=kind)
            except ConfigError as exc:
                raise ConfigError(f"{search.source}: model {name}: {exc}") from None

    def config(self, model: str | None, values: dict) -> dict:
        model = model or self.base["model"]
        cfg = config_mod.resolve(model, self.config_file, config_mod.merge(self.overrides, values), kind=self.kind,
                                 outputs=self.outputs)
        for key in ("data", "seed", "device", "inputs"):
            if key in self.base:
                cfg[key] = copy.deepcopy(self.base[key])
        config_mod.validate(cfg)
        return cfg

    def max_epochs(self) -> int:
        """The most epochs any trial may run (Hyperband's largest budget)."""
        most = self.base["train"]["epochs"]
        for p in self.search.params:
            if (p.section, p.key) == ("train", "epochs"):
                most = max(most, *(p.choices or (p.high,)))
        for entries in self.search.fixed.values():
            most = max(most, (entries.get("train") or {}).get("epochs", most))
        return int(most)


class _Objective:
    """One trial: its recipe, a fresh model, :func:`fit` with the pruner told every epoch."""

    def __init__(self, job: _Job, resolver: _Resolver, metric: str, direction: str) -> None:
        self.job, self.resolver, self.metric, self.direction = job, resolver, metric, direction

    def __call__(self, trial) -> float:
        import optuna
        import torch

        from seqnet.models import build_model
        from seqnet.training.loop import fit
        from seqnet.training.settings import TrainSettings
        from seqnet.utils import resolve_device, seed_everything

        job = self.job
        try:
            cfg = self.resolver.config(*self.resolver.search.suggest(trial))
        except ConfigError as exc:
            trial.set_user_attr("error", str(exc))
            raise
        trial.set_user_attr("config", cfg)
        device = resolve_device(cfg["device"])
        seed_everything(cfg["seed"])
        args = {**cfg["model_args"], **job.kind.model_shape(job.data, len(job.data.names))}
        net = build_model(cfg["model"], job.kind.name, **args).to(device)
        trial.set_user_attr("parameters", sum(p.numel() for p in net.parameters()))
        settings = TrainSettings.from_config(cfg, device=device, quiet=True)
        values: list[float] = []
        t0 = time.perf_counter()

        def on_epoch(row: dict) -> None:
            value = row.get(self.metric)
            if value is None or not math.isfinite(value):
                raise ConfigError(f"{self.metric} is undefined on the validation split (one class only?); "
                                  f"search on {opt('monitor')} loss")
            values.append(float(value))
            trial.set_user_attr("epochs", len(values))
            trial.set_user_attr("seconds", round(time.perf_counter() - t0, 1))
            trial.report(float(value), row["epoch"])
            if trial.should_prune():
                raise optuna.TrialPruned()

        try:
            fit(net, job.parts["train"], job.parts["valid"], settings, on_epoch=on_epoch)
        except SeqnetError as exc:
            trial.set_user_attr("error", str(exc))
            raise
        finally:
            del net
            if device.type == "cuda":
                torch.cuda.empty_cache()
        best = int(np.argmax(values) if self.direction == "maximize" else np.argmin(values))
        trial.set_user_attr("best_epoch", best + 1)
        return values[best]


def _optimize(study, objective: _Objective, trials: int, timeout, progress, result: TuneResult) -> None:
    """``study.optimize`` for ``trials`` trials, a progress line after each; Ctrl-C says how to go on."""
    from seqnet.training.run import Interrupted

    def said(study, trial) -> None:
        if progress is not None:
            progress(report_mod.progress_line(study, trial, objective.metric))

    if result.recovered and progress is not None:
        progress(f"{result.recovered} trial(s) left running by a stopped process: marked failed, tried again first")

    try:
        with study_mod.quiet_optuna():
            study.optimize(objective, n_trials=trials, timeout=timeout, callbacks=[said], catch=(SeqnetError,),
                           gc_after_trial=False)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; the finished trials are kept in {result.storage} (study "
                          f"{result.study_name!r}): run the same command again to go on") from None
