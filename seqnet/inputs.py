"""Which files a command reads: one input specification, checked once.

``seqnet train``, ``evaluate``, ``predict`` and ``prepare`` all name their inputs with
the same parameters (``positives``, ``fasta`` + ``labels``, ``bed`` + ``genome``,
``timeseries`` + ``conditions``, ``table``, ``images``).  An :class:`InputSpec` holds
them; :func:`seqnet.kinds.detect` finds the input kind they name (exactly one way of
naming an input), rejects parameters that belong to another kind, and lets the kind
check what must come together.  Library callers build an ``InputSpec`` directly; the
CLI builds it from its options.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from seqnet.errors import ConfigError, opt

@dataclass(frozen=True)
class InputSpec:
    """The input files of one command (None / False: not given).

    Attributes
    ----------
    positives : path or None
        FASTA of positive sequences (binary task).
    negatives : str or None
        FASTA of negatives, ``"shuffle"`` (dinucleotide-shuffled positives) or
        ``"genome"`` (GC-matched genomic background, with ``bed``).
    fasta, labels : path or None
        FASTA of all sequences and their label table; ``labels`` also labels time
        series, tables and IDX images.
    bed, genome : path or None
        BED peaks (positives) in a genome FASTA.
    tile : bool
        Cut each BED interval into consecutive windows instead of centring one.
    timeseries, conditions : path or None
        Expression matrix and its conditions table.
    table : path or None
        Feature table.
    images : path or None
        Images (CSV, NPZ or IDX).
    """

    positives: Path | None = None
    negatives: str | None = None
    fasta: Path | None = None
    labels: Path | None = None
    bed: Path | None = None
    genome: Path | None = None
    tile: bool = False
    timeseries: Path | None = None
    conditions: Path | None = None
    table: Path | None = None
    images: Path | None = None

    @classmethod
    def from_options(cls, options: dict) -> "InputSpec":
        """The spec of the input parameters among ``options`` (other keys are ignored)."""
        return cls(**{f.name: options[f.name] for f in dataclasses.fields(cls) if options.get(f.name) is not None})

    def given(self) -> dict[str, object]:
        """The parameters that were given."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) not in (None, False)}

    def files(self) -> dict[str, str]:
        """The given files (and ``negatives``), for logs and checkpoints."""
        return {k: str(v) for k, v in self.given().items() if k != "tile"}


def one_of(given: dict[str, bool], lead: str, usage: str) -> str:
    """The one parameter of ``given`` that is True; ConfigError ``lead: usage (got ...)`` otherwise."""
    named = [name for name, present in given.items() if present]
    if len(named) != 1:
        got = f" (got {' and '.join(opt(n) for n in named)})" if named else ""
        raise ConfigError(f"{lead}: {usage}{got}")
    return named[0]
