"""Model registry.

Every model is a plain :class:`torch.nn.Module` whose constructor takes keyword
arguments only, so a checkpoint can rebuild it from ``(name, kwargs)``.  Sequence
models take one-hot input ``(N, C, L)`` and return logits ``(N, n_outputs)``.
"""

from __future__ import annotations

from typing import Callable

import torch.nn as nn

from seqnet.errors import ConfigError
from seqnet.models.deepbind import DeepBind

#: name -> model class.  Constructors accept ``n_channels``, ``length`` and ``n_outputs``
#: plus their own hyper-parameters.
MODELS: dict[str, Callable[..., nn.Module]] = {
    "deepbind": DeepBind,
}


def run_model(model: nn.Module, x, mask=None):
    """Call ``model`` on one-hot ``x`` ``(N, C, L)``, passing the padding ``mask`` ``(N, L)``
    only to models that declare ``takes_mask = True`` (recurrent ones must not read padding)."""
    if mask is not None and getattr(model, "takes_mask", False):
        return model(x, mask=mask)
    return model(x)


def build_model(name: str, **kwargs) -> nn.Module:
    """Build the registered model ``name`` with keyword arguments ``kwargs``.

    Raises
    ------
    ConfigError
        For an unknown model name or arguments the model does not accept.
    """
    try:
        cls = MODELS[name]
    except KeyError:
        raise ConfigError(
            f"unknown model {name!r}; expected one of: {', '.join(sorted(MODELS))}"
        ) from None
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"model {name!r}: bad arguments ({exc})") from None
