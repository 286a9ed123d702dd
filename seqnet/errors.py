"""Errors raised for user mistakes, and how they name the options involved.

Anything a user can cause with a bad file or a bad option raises :class:`SeqnetError`
(or a subclass) with a one-line message naming the file, the record / line / column and
what was expected.  The CLI prints that line and exits non-zero without a traceback;
any other exception is a bug in seqnet and keeps its traceback.

A message names a parameter through :func:`opt` (``opt("batch_size")``), never as a
command-line flag: a Python caller reads ``batch_size must be >= 1``, and the CLI,
which renders messages inside :func:`spelled_as_flags`, shows ``--batch-size must be
>= 1``.  The library does not know the flags; the CLI maps parameters to them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator

# Parameter names travel inside messages between these marks until they are rendered.
_MARK = "\x1f"

_spelling: contextvars.ContextVar[Callable[[str], str] | None] = contextvars.ContextVar(
    "seqnet_option_spelling", default=None
)


def opt(name: str) -> str:
    """Refer to parameter ``name`` in a message (rendered by :func:`render`)."""
    return f"{_MARK}{name}{_MARK}"


def spell(name: str) -> str:
    """Parameter ``name`` spelled for the current reader (for log lines)."""
    return render(opt(name))


def render(text: str) -> str:
    """``text`` with every :func:`opt` reference spelled for the current reader."""
    if _MARK not in text:
        return text
    spell = _spelling.get() or (lambda name: name)
    parts = text.split(_MARK)
    parts[1::2] = [spell(p) for p in parts[1::2]]
    return "".join(parts)


@contextlib.contextmanager
def spelled_as_flags(flag_of: Callable[[str], str]) -> Iterator[None]:
    """Inside the ``with``, :func:`render` spells a parameter as ``flag_of(name)``."""
    token = _spelling.set(flag_of)
    try:
        yield
    finally:
        _spelling.reset(token)


def cli_flag(name: str) -> str:
    """The default command-line spelling of parameter ``name``: ``batch_size`` -> ``--batch-size``."""
    return "--" + name.replace("_", "-")


class SeqnetError(Exception):
    """A user-facing error whose message is one line, fit to print as is."""

    def __str__(self) -> str:
        return render(super().__str__())


class InputError(SeqnetError, ValueError):
    """Bad input data: a file that is missing, malformed or inconsistent."""


class ConfigError(SeqnetError, ValueError):
    """A bad option or configuration value (unknown model, negative epochs, ...)."""


def warn(message: str) -> None:
    """Say that a result may not be trustworthy: a ``warning:`` line on the ``seqnet`` logger
    (shown on stderr by the CLI, kept in a run's ``train.log``)."""
    logging.getLogger("seqnet").warning("warning: %s", message)
