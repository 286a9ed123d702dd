"""Resume state: everything a run needs to continue exactly after its last finished epoch.

After every epoch a run aimed at ``OUT`` saves a :class:`TrainingState` to
``.<OUT>.last.pt`` beside it (atomically): weights, optimiser state (momentum buffers,
Adam's moments), learning-rate scheduler state, every random generator, the
early-stopping state, the history so far, and the command's options.
``seqnet train --resume OUT`` reloads it and ends as the uninterrupted run would have.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from seqnet.errors import ConfigError, InputError, opt
from seqnet.outputs import save_torch

#: Marks a file written for ``--resume``.
STATE_FORMAT = "seqnet-resume-2"


def resume_state_path(out: str | Path) -> Path:
    """Where a run aimed at ``out`` keeps its per-epoch state: ``.<name>.last.pt`` beside it."""
    out = Path(out)
    return out.parent / f".{out.name}.last.pt"


@dataclass
class TrainingState:
    """A training run after ``epoch`` finished epochs.

    Attributes
    ----------
    epoch : int
        Last finished epoch (1-based).
    model, optimizer : dict
        State dicts (model tensors on the CPU).
    rngs : dict
        States of the batch-order generator and of torch, CUDA, NumPy and Python.
    history : list of dict
        The epochs' rows so far.
    stopping : dict
        :meth:`seqnet.training.stopping.EarlyStopping.state_dict`.
    extra : dict
        What the caller keeps with it (the command's options and config).
    schedule : dict
        State of the learning-rate schedule (:meth:`seqnet.training.optim.Schedule.state_dict`;
        empty without one, and in states written before schedules existed).
    """

    epoch: int
    model: dict
    optimizer: dict
    rngs: dict
    history: list[dict]
    stopping: dict
    extra: dict = field(default_factory=dict)
    schedule: dict = field(default_factory=dict)

    @classmethod
    def capture(cls, epoch: int, model: torch.nn.Module, opt: torch.optim.Optimizer, gen: torch.Generator,
                history: list[dict], stopping: dict, extra: dict | None = None,
                schedule=None) -> "TrainingState":
        """The state of a run right after epoch ``epoch`` (``schedule``: its
        :class:`~seqnet.training.optim.Schedule`, or None)."""
        return cls(
            epoch=epoch,
            model={k: v.detach().cpu() for k, v in model.state_dict().items()},
            optimizer=opt.state_dict(),
            rngs={
                "generator": gen.get_state(),
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                "numpy": np.random.get_state(),
                "python": random.getstate(),
            },
            history=list(history),
            stopping=dict(stopping),
            extra=dict(extra or {}),
            schedule={} if schedule is None else schedule.state_dict(),
        )

    def restore(self, model: torch.nn.Module, opt: torch.optim.Optimizer, gen: torch.Generator,
                schedule=None) -> int:
        """Put weights, optimiser, learning-rate schedule and random generators back;
        returns the next epoch to run."""
        model.load_state_dict(self.model)
        opt.load_state_dict(self.optimizer)
        if schedule is not None:
            schedule.load_state_dict(self.schedule)
        gen.set_state(self.rngs["generator"])
        torch.set_rng_state(self.rngs["torch"])
        if self.rngs.get("cuda") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(self.rngs["cuda"])
        np.random.set_state(self.rngs["numpy"])
        random.setstate(self.rngs["python"])
        return int(self.epoch) + 1

    def save(self, path: str | Path) -> None:
        """Write to ``path`` atomically."""
        save_torch({"format": STATE_FORMAT, **self.__dict__}, path)

    @classmethod
    def load(cls, path: str | Path) -> "TrainingState":
        """Read a state written by :meth:`save`; InputError for anything else."""
        try:
            state = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as exc:  # torch raises many kinds for junk files
            raise InputError(f"{path}: not a seqnet resume state ({type(exc).__name__})") from None
        if not isinstance(state, dict) or state.pop("format", None) != STATE_FORMAT:
            raise InputError(f"{path}: not a seqnet resume state (format {STATE_FORMAT!r} expected)")
        return cls(**state)


def load_resume_state(run: str | Path) -> TrainingState:
    """The saved state of the interrupted run aimed at ``run`` (its ``out``).

    Raises
    ------
    ConfigError
        When there is none (the run finished, or never started).
    InputError
        When the file is not a seqnet resume state.
    """
    path = resume_state_path(run)
    if not path.is_file():
        raise ConfigError(f"{opt('resume')} {run}: no interrupted run to resume (expected {path})")
    return TrainingState.load(path)
