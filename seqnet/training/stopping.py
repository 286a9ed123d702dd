"""Early stopping: the monitored validation score, the best weights and the patience count."""

from __future__ import annotations

import copy
import math

import torch

from seqnet.metrics import headline


def monitored_score(monitor: str, task_type: str, valid_loss: float | None, metrics: dict | None, epoch: int) -> float:
    """The number early stopping maximises for one epoch.

    Without validation (``valid_loss`` None) the latest epoch is the best known.  For
    regression, or with ``monitor="loss"``, it is minus the validation loss; with
    ``"accuracy"`` the validation accuracy (ties go to the lower loss); otherwise the
    mean validation AUROC, or minus the loss where AUROC is undefined.
    """
    if valid_loss is None:
        return float(epoch)
    if monitor == "loss" or task_type == "regression":
        return -valid_loss
    if monitor == "accuracy":
        # Accuracy moves in steps of 1/n: ties go to the lower loss.
        return metrics["accuracy"] - 1e-9 * valid_loss
    current = headline(metrics)
    return -valid_loss if math.isnan(current) else current  # one class only: AUROC undefined


class EarlyStopping:
    """Keeps the best weights seen and decides when patience has run out.

    Parameters
    ----------
    patience : int
        Epochs without improvement tolerated.
    can_stop : bool
        False without a validation split: every epoch runs (the last is kept).
    """

    def __init__(self, patience: int, can_stop: bool = True) -> None:
        self.patience = patience
        self.can_stop = can_stop
        self.best_score = -math.inf
        self.best_state: dict | None = None
        self.best_epoch = 0
        self.bad_epochs = 0
        self.stopped = False

    def update(self, score: float, epoch: int, last_epoch: int, model: torch.nn.Module) -> None:
        """Record epoch ``epoch``'s ``score``; keep ``model``'s weights when it is the best."""
        if score > self.best_score:
            self.best_score = score
            self.best_state = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
            self.best_epoch = epoch
            self.bad_epochs = 0
            return
        self.bad_epochs += 1
        if self.can_stop and self.bad_epochs > self.patience:
            self.stopped = epoch < last_epoch

    def restore_best(self, model: torch.nn.Module) -> None:
        """Load the best weights into ``model`` (nothing when no epoch ran)."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    def state_dict(self) -> dict:
        """Everything needed to continue exactly (for ``--resume``)."""
        return {"best_score": self.best_score, "best_state": self.best_state, "best_epoch": self.best_epoch,
                "bad_epochs": self.bad_epochs, "stopped_early": self.stopped}

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict`."""
        self.best_score, self.best_state = state["best_score"], state["best_state"]
        self.best_epoch, self.bad_epochs, self.stopped = state["best_epoch"], state["bad_epochs"], state["stopped_early"]
