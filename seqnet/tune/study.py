"""Where a search lives: the Optuna study in a database, its sampler and its pruner.

The study is kept in an RDB storage: ``sqlite:///DIR/study.db`` by default (the output
folder's own file, so a killed search goes on where it stopped), or any URL SQLAlchemy
opens (``postgresql://...``, ``mysql://...``, a shared ``sqlite:///...`` file) so that
several ``seqnet tune`` processes, on one machine or many (Snakemake, SLURM array jobs),
work on one study: Optuna's own distributed mode.  Each process asks the database for
its next trial, so no trial is run twice.

Trials of a process that died are found two ways: in the folder's own database (which
only the process holding the folder uses) every trial still marked running is one a
killed run left; in a shared database a trial whose heartbeat stopped
(:data:`GRACE_SECONDS`) is.  Either way it is marked failed and its settings are queued
again, so the next trial retries them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
import warnings

from seqnet.errors import ConfigError, opt

#: Seconds between the heartbeats of a running trial, and without one before a trial of
#: a shared study counts as abandoned.
HEARTBEAT_SECONDS = 20
GRACE_SECONDS = 120
#: How long an SQLite writer waits for another process's write to finish.
SQLITE_TIMEOUT_SECONDS = 120


def shown_url(url: str) -> str:
    """``url`` with any password hidden, for messages and files."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL at all: say it as given
        return url


def open_storage(url: str, *, heartbeat: bool = True):
    """The Optuna RDB storage at ``url`` (created when new).

    Parameters
    ----------
    url : str
        SQLAlchemy URL of the database.
    heartbeat : bool
        Record a heartbeat of running trials, so that other processes can tell an
        abandoned trial. Default is True.

    Returns
    -------
    optuna.storages.RDBStorage

    Raises
    ------
    ConfigError
        When the database cannot be opened or created (one line naming the URL).
    """
    from optuna import storages
    from sqlalchemy.exc import IntegrityError, OperationalError

    kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT_SECONDS}} if url.startswith("sqlite:") else {}
    for attempt in range(OPEN_ATTEMPTS):
        try:
            with _quiet_optuna(), _creating(url):
                return storages.RDBStorage(url, engine_kwargs=kwargs, **_heartbeat_options(storages, heartbeat))
        except (IntegrityError, OperationalError) as exc:
            # Processes creating a new database together race to write its tables: the
            # losers find them made once the winner is done.
            racing = any(word in str(exc) for word in ("UNIQUE", "locked", "already exists", "duplicate"))
            if racing and attempt + 1 < OPEN_ATTEMPTS:
                time.sleep(0.5 * (attempt + 1) + random.random())
                continue
            raise _cannot_open(url, exc) from None
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy / drivers raise many kinds
            raise _cannot_open(url, exc) from None
    raise _cannot_open(url, RuntimeError("gave up"))


@contextlib.contextmanager
def _creating(url: str):
    """For an SQLite file: hold an exclusive ``flock`` on it while Optuna creates or checks
    its tables, so that processes started together make them one at a time (SQLite's own
    locks are ``fcntl`` locks, which ``flock`` leaves alone).  Other URLs: nothing."""
    import fcntl

    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - RDBStorage gives the error
        parsed = None
    path = parsed.database if parsed is not None and parsed.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:" or not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        yield
        return
    with open(path, "ab") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


#: Tries to open a database that another process is creating at the same moment.
OPEN_ATTEMPTS = 6


def _heartbeat_options(storages, heartbeat: bool) -> dict:
    """RDBStorage arguments for trial heartbeats, with the retry of abandoned trials."""
    if not heartbeat:
        return {}
    extra = {"heartbeat_interval": HEARTBEAT_SECONDS, "grace_period": GRACE_SECONDS}
    if hasattr(storages, "RetryHeartbeatStaleTrialCallback"):  # Optuna >= 4.9
        extra["heartbeat_stale_trial_callback"] = storages.RetryHeartbeatStaleTrialCallback(max_retry=1)
    else:
        extra["failed_trial_callback"] = storages.RetryFailedTrialCallback(max_retry=1)
    return extra


def _cannot_open(url: str, exc: Exception) -> ConfigError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ConfigError(f"{opt('storage')} {shown_url(url)}: cannot open the study database ({reason})")


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna's own log lines and experimental-feature warnings off inside the ``with``."""
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        optuna.logging.set_verbosity(level)


def quiet_optuna():
    """Context manager: Optuna says nothing itself (seqnet prints its own progress lines)."""
    return _quiet_optuna()


def make_sampler(seed: int, startup_trials: int = 10):
    """TPE, seeded per trial from ``seed`` and the trial's number.

    The database hands out trial numbers, so processes sharing a study draw different
    random settings for their start-up trials (a sampler seeded once per process would
    give two processes started together the same ones), and a single process is
    reproducible: the same seed and the same finished trials give the same next trial.
    """
    from optuna.samplers import BaseSampler, TPESampler

    class PerTrialTPE(BaseSampler):
        """TPE whose random state is set from (seed, trial number) before every trial."""

        def __init__(self) -> None:
            self._tpe = self._new(0)

        @staticmethod
        def _new(number: int):
            return TPESampler(seed=(seed * 1_000_003 + number) % 2**32, n_startup_trials=startup_trials)

        def before_trial(self, study, trial) -> None:
            self._tpe = self._new(trial.number)
            self._tpe.before_trial(study, trial)

        def infer_relative_search_space(self, study, trial):
            return self._tpe.infer_relative_search_space(study, trial)

        def sample_relative(self, study, trial, search_space):
            return self._tpe.sample_relative(study, trial, search_space)

        def sample_independent(self, study, trial, param_name, param_distribution):
            return self._tpe.sample_independent(study, trial, param_name, param_distribution)

        def after_trial(self, study, trial, state, values) -> None:
            self._tpe.after_trial(study, trial, state, values)

        def reseed_rng(self) -> None:
            self._tpe.reseed_rng()

    return PerTrialTPE()


def make_pruner(name: str, max_epochs: int):
    """Optuna's median pruner (a trial stops when its best validation value so far is
    worse than the median of earlier trials at the same epoch; not in the first 3
    trials nor the first 2 epochs), Hyperband (successive halving over epochs, from 1 to
    ``max_epochs``), or none."""
    import optuna

    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, max_epochs), reduction_factor=3)
    return optuna.pruners.NopPruner()


def load_study(storage, name: str, direction: str, sampler, pruner, record: dict):
    """Create the study ``name`` in ``storage``, or join it.

    ``record`` (the space, the metric and the recipe) is kept with a new study; joining
    a study made for another search is an error, so trials of different searches never
    mix.

    Raises
    ------
    ConfigError
        When the study exists with another direction or another search.
    """
    import optuna

    with _quiet_optuna():
        study = optuna.create_study(storage=storage, study_name=name, direction=direction, sampler=sampler,
                                    pruner=pruner, load_if_exists=True)
    made = study.direction.name.lower()
    if made != direction:
        raise ConfigError(f"study {name!r} was made to {made} its value and this search would {direction} it; "
                          f"choose another {opt('study_name')}")
    kept = study.user_attrs.get("seqnet")
    if kept is None:
        study.set_user_attr("seqnet", record)
    elif kept != record:
        what = next((k for k in record if kept.get(k) != record[k]), "search")
        raise ConfigError(f"study {name!r} in {shown_url(_url_of(storage))} was made for another search (its {what} "
                          f"differs); choose another {opt('study_name')} or the same options")
    return study


def _url_of(storage) -> str:
    return str(getattr(storage, "url", "the database"))


def recover_abandoned(study, *, own: bool) -> int:
    """Mark the trials a dead process left running as failed and queue their settings again.

    Parameters
    ----------
    study : optuna.Study
    own : bool
        The study lives in the output folder's own database, which only this process
        uses: every running trial is abandoned.  Otherwise only those whose heartbeat
        stopped (Optuna's stale-trial check) are.

    Returns
    -------
    int
        Trials recovered.
    """
    import optuna
    from optuna.trial import TrialState

    if not own:
        with _quiet_optuna():
            before = len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,)))
            optuna.storages.fail_stale_trials(study)
            return len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,))) - before
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    storage = study._storage  # the public Study API has no way to end another process's trial
    for trial in running:
        storage.set_trial_user_attr(trial._trial_id, "error", "abandoned: its process was killed")
        storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number}, skip_if_exists=False)
    return len(running)
