"""Progress lines and step timings of ``seqnet motifs``.

:func:`_progress` shows the ``seqnet`` logger's INFO lines on stderr, held back until the
inputs are checked, and gives a :class:`_Steps` that times each step (``timings.tsv``).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time

import pandas as pd

log = logging.getLogger("seqnet")


class _Held(logging.StreamHandler):
    """A stderr handler that keeps its lines until :meth:`show`: a command that stops
    on a bad input shows its one ``Error:`` line, not progress lines before it."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.held: list[logging.LogRecord] | None = []

    def emit(self, record: logging.LogRecord) -> None:
        if self.held is not None:
            self.held.append(record)
        else:
            super().emit(record)

    def show(self) -> None:
        held, self.held = self.held or [], None
        for record in held:
            super().emit(record)


class _Steps:
    """Progress lines on stderr (unless quiet) and the seconds each step took."""

    def __init__(self, handler: _Held | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self.handler = handler

    def inputs_checked(self) -> None:
        """Show the progress lines from now on (and those held so far)."""
        if self.handler is not None:
            self.handler.show()

    @contextlib.contextmanager
    def __call__(self, what: str):
        log.info("%s ...", what)
        t0 = time.perf_counter()
        yield
        dt = time.perf_counter() - t0
        self.seconds[what] = self.seconds.get(what, 0.0) + dt
        log.info("%s: done in %.1f s", what, dt)

    def table(self) -> pd.DataFrame:
        total = sum(self.seconds.values())
        return pd.DataFrame({"step": list(self.seconds), "seconds": list(self.seconds.values()),
                             "share": [v / total if total else 0.0 for v in self.seconds.values()]})


@contextlib.contextmanager
def _progress(quiet: bool):
    """INFO lines of the ``seqnet`` logger on stderr inside the ``with`` (warnings are
    shown by the CLI's own handler)."""
    handler = None
    log_ = logging.getLogger("seqnet")
    old = log_.level
    if not quiet:
        handler = _Held()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        handler.addFilter(lambda record: record.levelno < logging.WARNING)
        log_.addHandler(handler)
        log_.setLevel(min(old or logging.INFO, logging.INFO))
    try:
        yield _Steps(handler)
    finally:
        if handler is not None:
            log_.removeHandler(handler)
            log_.setLevel(old)
