"""Input kinds behind one registry: sequences, time series, tables and images.

Each kind is one :class:`~seqnet.kinds.base.InputKind` object, defined in its own
module, that loads its files, makes model inputs and training batches, derives model
shape arguments and fits its preprocessing.  The rest of seqnet asks :func:`get` and
never branches on the kind.  A new kind is a new module plus one line in
:data:`KINDS`.
"""

from __future__ import annotations

from seqnet.errors import ConfigError, opt
from seqnet.kinds.base import InputKind
from seqnet.kinds.image import IMAGE
from seqnet.kinds.sequence import SEQUENCE
from seqnet.kinds.table import TABLE
from seqnet.kinds.timeseries import TIMESERIES

#: name -> kind, in the order messages and ``seqnet models`` list them.
KINDS: dict[str, InputKind] = {k.name: k for k in (SEQUENCE, TIMESERIES, TABLE, IMAGE)}


def get(name: str) -> InputKind:
    """The kind called ``name``; ConfigError for an unknown one."""
    try:
        return KINDS[name]
    except KeyError:
        raise ConfigError(f"unknown input kind {name!r}; expected one of: {', '.join(KINDS)}") from None


def of(data) -> InputKind:
    """The kind of a data set (anything with a ``kind`` attribute)."""
    return get(data.kind)


#: What a command does with its inputs.
PURPOSES = ("train", "evaluate", "predict")


def detect(spec, purpose: str = "train", **options) -> InputKind:
    """The input kind an :class:`~seqnet.inputs.InputSpec` names, checked for ``purpose``.

    Parameters
    ----------
    spec : seqnet.inputs.InputSpec
    purpose : str
        ``"train"``, ``"evaluate"`` (labelled input) or ``"predict"`` (unlabelled).
    **options
        The command's other kind-specific parameters (``test_chroms=...``); each given
        one must apply to the kind.

    Raises
    ------
    ConfigError
        When no input or several are named, a parameter belongs to another kind, or a
        file the kind needs is missing.
    """
    from seqnet.inputs import one_of

    if purpose not in PURPOSES:
        raise ConfigError(f"purpose must be one of {', '.join(PURPOSES)}, got {purpose!r}")
    predict = purpose == "predict"
    naming = {name: kind for kind in KINDS.values() for name in (kind.predict_options if predict else kind.input_options)}
    if predict:
        usage = " or".join(", ".join(k.predict_usage for k in KINDS.values()).rsplit(",", 1))
    else:
        usage = ", or ".join(u for k in KINDS.values() for u in k.usage)
    kind = naming[one_of({n: getattr(spec, n) is not None for n in naming}, "name the input one way", usage)]
    check_options(kind, {**spec.given(), **options})
    kind.check_spec(spec, purpose)
    return kind


def check_options(kind: InputKind, options: dict) -> None:
    """ConfigError for a given parameter that applies to other input kinds only."""
    for name, value in options.items():
        if value in (None, False) or name in kind.options:
            continue
        owners = [k.label for k in KINDS.values() if name in k.options]
        if owners:
            raise ConfigError(f"{opt(name)} goes with {' or '.join(owners)} input, not with {kind.label} input")


__all__ = ["KINDS", "PURPOSES", "InputKind", "check_options", "detect", "get", "of"]
