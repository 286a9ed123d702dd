"""Fingerprints of input files: what a run was made from, checked before it is continued.

A fingerprint is a file's size and BLAKE2b digest of its content (never its modification
time, which copies, checkouts and clock skew change without changing the data).  A run
records one per input file; ``seqnet train --resume`` refuses to continue when any input
differs from what the run started with.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from seqnet.errors import ConfigError, opt

#: The command line a run was started with (set by the CLI; None when called from Python).
COMMAND: contextvars.ContextVar[str | None] = contextvars.ContextVar("seqnet_command", default=None)

#: Parameters of an InputSpec whose values are not files.
_NOT_FILES = {"shuffle", "genome"}


def fingerprint(path: str | os.PathLike) -> dict:
    """``{"path", "size", "blake2b"}`` of a regular file; ``{"path", "stream": True}`` for a
    pipe or other stream, whose content cannot be read again to check it."""
    path = Path(path)
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        return {"path": str(path), "stream": True}
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=20)).hexdigest()
    return {"path": str(path), "size": int(st.st_size), "blake2b": digest}


def fingerprints(files: Mapping[str, object]) -> dict[str, dict]:
    """Parameter -> :func:`fingerprint` of every given input file (``negatives="shuffle"``
    and other non-file values are left out)."""
    return {name: fingerprint(value) for name, value in files.items()
            if value is not None and str(value) not in _NOT_FILES and Path(str(value)).exists()}


def check_unchanged(recorded: Mapping[str, dict], *, what: str) -> None:
    """ConfigError naming the first input that is not what it was when ``recorded``.

    Parameters
    ----------
    recorded : mapping
        Parameter -> fingerprint, as :func:`fingerprints` made them.
    what : str
        The run being checked, for the message (e.g. ``"--resume runs/x"``).
    """
    for name, before in recorded.items():
        path = Path(before["path"])
        if not path.exists():
            raise ConfigError(f"{what}: the {opt(name)} input {path} is gone; the run cannot continue on other data")
        if before.get("stream"):
            raise ConfigError(f"{what}: the {opt(name)} input {path} was a stream (a pipe); it cannot be checked "
                              "to be the same data, so the run cannot continue")
        now = fingerprint(path)
        if now.get("stream") or now["size"] != before["size"] or now["blake2b"] != before["blake2b"]:
            change = (f"{before['size']} -> {now.get('size')} bytes" if now.get("size") != before["size"]
                      else "same size, other content")
            raise ConfigError(f"{what}: the {opt(name)} input {path} changed since the run started ({change}); "
                              "start a new run, or put the original file back")
