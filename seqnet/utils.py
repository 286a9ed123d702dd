"""Small shared helpers: atomic file writes, seeding, devices."""

from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from seqnet.errors import ConfigError, opt


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only on success.

    Readers never see a half-written file, and a failure leaves no file behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp creates 0600; give the final file the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def check_out_dir(out: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse to clobber an existing non-empty output directory unless ``overwrite``.

    Raises
    ------
    ConfigError
        When ``out`` exists and is a file, or a non-empty directory and not ``overwrite``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{opt('out')} {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ConfigError(f"{opt('out')} {out}: directory exists and is not empty; pass {opt('overwrite')} or choose another directory")
    return out


@contextlib.contextmanager
def staged_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a private hidden scratch directory beside ``out``; on success it replaces ``out``.

    On any exception the scratch directory is removed and ``out`` is left as it was, so a
    failed command leaves no half-written output directory.  Two commands aimed at the same
    ``out`` never share a scratch directory.
    """
    import shutil

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8, ``\n`` line ends) to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as indented JSON atomically (NaN is not allowed: use None)."""
    write_text_atomic(path, json.dumps(obj, indent=2, allow_nan=False) + "\n")


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
