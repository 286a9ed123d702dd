"""Model registry.

Every model is a plain :class:`torch.nn.Module` whose constructor takes keyword
arguments only, so a checkpoint can rebuild it from ``(name, kwargs)``.  Sequence
models take one-hot input ``(N, C, L)`` and return logits ``(N, n_outputs)``.
"""

from __future__ import annotations

from typing import Callable

import torch.nn as nn

from seqnet.errors import ConfigError
from seqnet.models.basset import Basset
from seqnet.models.danq import DanQ
from seqnet.models.deepbind import DeepBind
from seqnet.models.deepsea import DeepSEA
from seqnet.models.dilated import DilatedResNet
from seqnet.models.recurrent import CNNLSTM, BiLSTMNet, LSTMNet

#: name -> model class.  Constructors accept ``n_channels``, ``length`` and ``n_outputs``
#: plus their own hyper-parameters.  Every model has ``takes_mask`` (True: it accepts a
#: padding mask and ignores padded positions), ``receptive_field`` and ``first_conv``.
MODELS: dict[str, Callable[..., nn.Module]] = {
    "deepbind": DeepBind,
    "deepsea": DeepSEA,
    "basset": Basset,
    "dilated": DilatedResNet,
    "lstm": LSTMNet,
    "bilstm": BiLSTMNet,
    "danq": DanQ,
    "cnn_lstm": CNNLSTM,
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


def describe_models(length: int = 1000, n_channels: int = 4) -> list[dict]:
    """Summarise every registered model as built from its packaged recipe.

    Parameters
    ----------
    length : int
        Input length the models are built for. Default is 1000.
    n_channels : int
        Input channels (4 for DNA / RNA, 20 for protein). Default is 4.

    Returns
    -------
    list of dict
        One per model, sorted by name: ``name``, ``params`` (parameter count with the
        recipe's ``model_args`` and ``n_outputs=1``), ``receptive_field`` (int, or None
        when unknown), ``takes_mask`` (bool) and ``description`` (first line of the
        class docstring).

    Raises
    ------
    ConfigError
        When a model has no packaged recipe or its recipe does not build at ``length``.
    """
    import torch

    from seqnet.config import packaged_recipe

    rows = []
    for name in sorted(MODELS):
        args = packaged_recipe(name).get("model_args") or {}
        with torch.device("meta"):  # shapes only: no memory, no initialisation time
            model = build_model(name, n_channels=n_channels, length=length, n_outputs=1, **args)
        doc = (MODELS[name].__doc__ or "").strip()
        rows.append(
            {
                "name": name,
                "params": sum(p.numel() for p in model.parameters()),
                "receptive_field": getattr(model, "receptive_field", None),
                "takes_mask": bool(getattr(model, "takes_mask", False)),
                "description": doc.splitlines()[0] if doc else "",
            }
        )
    return rows
