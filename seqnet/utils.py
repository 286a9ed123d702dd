"""Small shared helpers: seeding, devices, the cache folder.

Output writing lives in :mod:`seqnet.outputs` (re-exported here for older imports).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np

from seqnet.errors import ConfigError, opt
from seqnet.outputs import (  # noqa: F401  (re-exported)
    atomic_path,
    check_out_dir,
    staged_dir,
    write_bytes_atomic,
    write_json_atomic,
    write_text_atomic,
)


def cache_root() -> Path:
    """seqnet's cache folder: ``$SEQNET_CACHE``, else ``$XDG_CACHE_HOME/seqnet``, else
    ``~/.cache/seqnet`` (genome indexes in ``fai/``, token caches in ``tokens/``)."""
    if os.environ.get("SEQNET_CACHE"):
        return Path(os.environ["SEQNET_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "seqnet"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) random generators."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_device(name: str = "auto"):
    """Return the torch device for ``auto`` / ``cpu`` / ``cuda`` / ``cuda:N``.

    Raises
    ------
    ConfigError
        When CUDA is asked for but not available, or the name is unknown.
    """
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"{opt('device')} {name}: CUDA is not available on this machine; use {opt('device')} cpu or auto")
        return torch.device(name)
    raise ConfigError(f"unknown device {name!r}; expected auto, cpu or cuda[:N]")
