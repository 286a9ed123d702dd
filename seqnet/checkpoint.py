"""Checkpoints: a plain dict saved with ``torch.save`` (never a pickled model object).

Keys: ``format``, ``format_version``, ``seqnet_version``, ``kind`` (input kind:
``sequence``, ``timeseries``, ``table``, ``image``; absent in older checkpoints, which are
all sequence models), ``model`` (registry name within the kind), ``model_args``,
``state_dict``, ``alphabet`` and ``length`` (sequences; None otherwise), ``task_type``,
``names``, ``preprocess`` (what predict must repeat: unknown-letter encoding and length
fitting for sequences; standardisation statistics, time grid, feature names or image
shape for arrays, see :mod:`seqnet.kinds.arrays`), ``config`` (the resolved training config).  Only plain Python types and tensors are
stored, so checkpoints load with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn

from seqnet.alphabets import Alphabet, get_alphabet
from seqnet.errors import InputError
from seqnet.outputs import save_torch

FORMAT = "seqnet-checkpoint"
FORMAT_VERSION = 1


@dataclass
class TrainedModel:
    """A model rebuilt from a checkpoint, with what is needed to use it.

    Attributes
    ----------
    model : torch.nn.Module
        The network, in eval mode.
    name : str
        Registry name of the architecture (within its input kind).
    model_args : dict
        Constructor keyword arguments.
    alphabet : Alphabet or None
        Alphabet of the training sequences; None for array kinds.
    length : int or None
        Input length ``L`` the model was trained on; inputs are centre-cropped or
        padded to it.  None for array kinds.
    task_type : str
        ``"binary"``, ``"multilabel"``, ``"multiclass"`` or ``"regression"``.
    names : list of str
        Output names: one per task, class or regression target.
    preprocess : dict
        Sequences: encoding options (``unknown``: ``"zeros"`` or ``"uniform"``).
        Arrays: see :mod:`seqnet.kinds.arrays`.
    config : dict
        Resolved training configuration.
    kind : str
        Input kind: ``"sequence"``, ``"timeseries"``, ``"table"`` or ``"image"``.
    """

    model: nn.Module
    name: str
    model_args: dict
    alphabet: Alphabet | None
    length: int | None
    task_type: str
    names: list[str]
    preprocess: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    seqnet_version: str = ""
    kind: str = "sequence"

    def require_sequences(self, what: str) -> None:
        """Raise InputError unless this is a sequence model (``what`` names the command)."""
        if self.kind != "sequence":
            from seqnet.kinds import get

            raise InputError(f"{what} works on sequence models; this model was trained on {get(self.kind).label} input")

    def require_kind(self, kind, source) -> None:
        """Raise InputError unless inputs of ``kind`` fit this model (``source`` names it)."""
        if kind.name != self.kind:
            from seqnet.kinds import get

            mine = get(self.kind)
            raise InputError(f"{source}: the model was trained on {mine.label} input; give {mine.give}, "
                             f"not {kind.label} input")


def make_checkpoint(
    model: nn.Module,
    *,
    name: str,
    model_args: dict,
    alphabet: Alphabet | None,
    length: int | None,
    task_type: str,
    names: list[str],
    preprocess: dict,
    config: dict,
    kind: str = "sequence",
) -> dict:
    """Assemble the checkpoint dict (state dict moved to CPU)."""
    from seqnet import __version__

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "seqnet_version": __version__,
        "kind": kind,
        "model": name,
        "model_args": dict(model_args),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "alphabet": None if alphabet is None else alphabet.name,
        "length": None if length is None else int(length),
        "task_type": task_type,
        "names": list(names),
        "preprocess": dict(preprocess),
        "config": config,
    }


def save(path: str | Path, checkpoint: dict) -> None:
    """Write ``checkpoint`` to ``path`` atomically."""
    save_torch(checkpoint, path)


def resolve_run(path: str | Path) -> Path:
    """Accept a run directory or a ``model.pt`` path and return the checkpoint path.

    Raises
    ------
    InputError
        When neither exists.
    """
    path = Path(path)
    if path.is_dir():
        ckpt = path / "model.pt"
        if not ckpt.is_file():
            raise InputError(f"{path}: not a seqnet run directory (no model.pt inside)")
        return ckpt
    if not path.exists():
        raise InputError(f"{path}: no such run directory or checkpoint file")
    return path


def load(path: str | Path, map_location: str | torch.device = "cpu") -> TrainedModel:
    """Load a checkpoint (or run directory) and rebuild its model in eval mode.

    Parameters
    ----------
    path : str or Path
        A run directory written by ``seqnet train`` or its ``model.pt``.
    map_location : str or torch.device
        Where to put the weights. Default is ``"cpu"``.

    Returns
    -------
    TrainedModel

    Raises
    ------
    InputError
        When the file is missing or is not a seqnet checkpoint.
    """
    from seqnet.models import build_model

    ckpt_path = resolve_run(path)
    try:
        ckpt = torch.load(ckpt_path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many types for a non-checkpoint file
        raise InputError(f"{ckpt_path}: not a readable seqnet checkpoint ({type(exc).__name__})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise InputError(f"{ckpt_path}: not a seqnet checkpoint (missing format tag)")
    if ckpt.get("format_version", 0) > FORMAT_VERSION:
        raise InputError(
            f"{ckpt_path}: checkpoint format {ckpt['format_version']} is newer than this seqnet "
            f"understands ({FORMAT_VERSION}); upgrade seqnet"
        )
    kind = ckpt.get("kind", "sequence")
    model = build_model(ckpt["model"], kind, **ckpt["model_args"])
    model.load_state_dict(ckpt["state_dict"])
    model.to(map_location)
    model.eval()
    return TrainedModel(
        model=model,
        name=ckpt["model"],
        model_args=ckpt["model_args"],
        alphabet=None if ckpt.get("alphabet") is None else get_alphabet(ckpt["alphabet"]),
        length=ckpt["length"],
        task_type=ckpt["task_type"],
        names=list(ckpt["names"]),
        preprocess=ckpt.get("preprocess", {}),
        config=ckpt.get("config", {}),
        seqnet_version=ckpt.get("seqnet_version", ""),
        kind=kind,
    )
