"""Errors raised for user mistakes.

Anything a user can cause with a bad file or a bad option raises :class:`SeqnetError`
(or a subclass) with a one-line message naming the file, the record / line / column and
what was expected.  The CLI prints that line and exits non-zero without a traceback;
any other exception is a bug in seqnet and keeps its traceback.
"""

from __future__ import annotations


class SeqnetError(Exception):
    """A user-facing error whose message is one line, fit to print as is."""


class InputError(SeqnetError, ValueError):
    """Bad input data: a file that is missing, malformed or inconsistent."""


class ConfigError(SeqnetError, ValueError):
    """A bad option or configuration value (unknown model, negative epochs, ...)."""
