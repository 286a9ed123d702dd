"""Training: settings, the optimiser, early stopping, resume state, the epoch loop and a whole run.

* :mod:`~seqnet.training.settings` — :class:`TrainSettings`, one dataclass of knobs;
* :mod:`~seqnet.training.optim` — the optimiser, built in one place;
* :mod:`~seqnet.training.stopping` — :class:`EarlyStopping` and the monitored score;
* :mod:`~seqnet.training.state` — :class:`TrainingState` for ``--resume``;
* :mod:`~seqnet.training.loop` — :func:`fit` = :func:`train_one_epoch` + validation;
* :mod:`~seqnet.training.run` — :func:`train_run`, the ``seqnet train`` job.
"""

from seqnet.training.loop import FitResult, TrainingError, fit, history_columns, loss_function, train_one_epoch
from seqnet.training.run import train, train_run
from seqnet.training.settings import TrainSettings
from seqnet.training.state import TrainingState, load_resume_state, resume_state_path
from seqnet.training.stopping import EarlyStopping

__all__ = [
    "EarlyStopping", "FitResult", "TrainSettings", "TrainingError", "TrainingState", "fit", "history_columns",
    "load_resume_state", "loss_function", "resume_state_path", "train", "train_one_epoch", "train_run",
]
