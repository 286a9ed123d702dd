"""Model configs and registry entries: where each architecture's arguments and their
defaults are written down, once.

Every architecture has a config dataclass (:class:`SequenceConfig` or
:class:`ArrayConfig` subclass) whose fields are its constructor arguments and whose field
defaults are the only copy of its defaults.  A config checks itself when it is made
(ConfigError naming the argument), so a model constructor ``Model(config)`` can trust it.

A registered name is a :class:`ModelSpec`: the class, its config class, the arguments the
name fixes (``bilstm`` is the recurrent network with ``bidirectional=True``) and the
defaults the name changes (``danq`` is the CNN -> LSTM network with DanQ's sizes).  Calling
a spec with keyword arguments builds the model, so a checkpoint rebuilds it from
``(kind, name, kwargs)``.

Tensor contract: none here (see the model modules); this module builds no layers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

import torch.nn as nn

from seqnet.errors import ConfigError
from seqnet.models.common import check_bool, check_int, check_length, check_shape

#: Arguments that describe the data rather than the architecture: the caller sets them
#: from the input, and a recipe's ``model_args`` never holds them.
INPUT_ARGS = frozenset({"n_channels", "length", "n_outputs", "input_shape", "with_mask"})


@dataclass
class ModelConfig:
    """Base of the per-architecture config dataclasses.

    A subclass lists one architecture's arguments as fields with their defaults and
    overrides :meth:`check`, which validates the fields and may normalise them in place
    (an int given for a per-layer list becomes a tuple); it runs when the config is made.
    """

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Validate (and normalise) the fields; raise ConfigError naming the first bad one."""


@dataclass
class SequenceConfig(ModelConfig):
    """Arguments every sequence model takes; tensor input ``(N, C, L)``.

    Parameters
    ----------
    n_channels : int
        Input channels ``C`` (4 for DNA / RNA, 20 for protein). Default is 4.
    length : int or None
        Input length ``L``; what a model does with it is in its own config.
        Default is None.
    n_outputs : int
        Number of logits. Default is 1.
    """

    n_channels: int = 4
    length: int | None = None
    n_outputs: int = 1

    def check(self) -> None:
        check_int("n_channels", self.n_channels)
        check_int("n_outputs", self.n_outputs)
        check_length(self.length)


@dataclass
class ArrayConfig(ModelConfig):
    """Arguments every time-series, table and image model takes; tensor input ``(N, *input_shape)``.

    Parameters
    ----------
    input_shape : tuple of int
        Per-sample input shape (``[T, F]``, ``[F]`` or ``[C, H, W]``); stored as a tuple.
        Default is ``(1,)``.
    n_outputs : int
        Number of logits. Default is 1.
    with_mask : bool
        Take a bool observed-value mask shaped like the input. Default is False.
    """

    #: entries ``input_shape`` must have (None: any number)
    ndim: ClassVar[int | None] = None

    input_shape: tuple[int, ...] = (1,)
    n_outputs: int = 1
    with_mask: bool = False

    def check(self) -> None:
        self.input_shape = check_shape(self.input_shape, self.ndim)
        check_int("n_outputs", self.n_outputs)
        check_bool("with_mask", self.with_mask)


def _plain(value):
    """``value`` with tuples turned into lists, as YAML writes and reads them."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """A registered model name: an architecture class with some arguments fixed or re-defaulted.

    Parameters
    ----------
    name : str
        Registry name (``"bilstm"``), given to the model for its messages.
    cls : type of nn.Module
        The architecture; built as ``cls(config, name=name)``.
    config_cls : type of ModelConfig
        Its config dataclass.
    fixed : mapping
        Arguments this name sets and a caller may not give. Default is none.
    defaults : mapping
        Defaults this name changes from ``config_cls``'s. Default is none.
    description : str
        One line for ``seqnet models``. Default is "": the first line of ``cls``'s docstring.
    """

    name: str
    cls: type[nn.Module]
    config_cls: type[ModelConfig]
    fixed: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    defaults: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fixed", MappingProxyType(dict(self.fixed)))  # frozen: no edits later
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))
        names = {f.name for f in dataclasses.fields(self.config_cls)}
        stray = (set(self.fixed) | set(self.defaults)) - names
        if stray:  # a programming error in a registration, not a user's
            raise ValueError(f"{self.name}: {sorted(stray)} are not fields of {self.config_cls.__name__}")

    @property
    def takes_mask(self) -> bool:
        """True when the class always takes a padding mask (sequence recurrent models)."""
        return bool(getattr(self.cls, "takes_mask", False))

    def summary(self) -> str:
        """The one-line description (``description``, or the class docstring's first line)."""
        doc = self.description or (self.cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def arguments(self) -> tuple[str, ...]:
        """Keyword arguments a caller may give, in field order."""
        return tuple(f.name for f in dataclasses.fields(self.config_cls) if f.name not in self.fixed)

    def hyper_parameters(self) -> dict:
        """Defaults of the arguments that are not :data:`INPUT_ARGS`, as YAML gives them (lists)."""
        values = {f.name: f.default for f in dataclasses.fields(self.config_cls)}
        values.update(self.defaults)
        return {k: _plain(values[k]) for k in self.arguments() if k not in INPUT_ARGS}

    def config(self, **kwargs) -> ModelConfig:
        """The checked config for ``kwargs`` over this name's defaults.

        Raises
        ------
        ConfigError
            For an argument this model does not take, or a bad value.
        """
        allowed = self.arguments()
        for key in kwargs:
            if key not in allowed:
                why = f" (fixed to {self.fixed[key]!r} by this model)" if key in self.fixed else ""
                raise ConfigError(f"unknown argument {key!r}{why}; expected one of: {', '.join(allowed)}")
        return self.config_cls(**{**self.defaults, **kwargs, **self.fixed})

    def __call__(self, **kwargs) -> nn.Module:
        """Build the model from keyword arguments (see :meth:`config`)."""
        return self.cls(self.config(**kwargs), name=self.name)
