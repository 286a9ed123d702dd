"""Model registry, keyed by input kind and name.

Every model is a plain :class:`torch.nn.Module` whose constructor takes keyword
arguments only, so a checkpoint can rebuild it from ``(kind, name, kwargs)``.  Each input
kind has its own namespace of names (``lstm`` over one-hot DNA is not ``lstm`` over an
expression time series):

* ``"sequence"`` (:data:`MODELS`): one-hot ``(N, C, L)``, built from ``n_channels``,
  ``length``, ``n_outputs``;
* ``"timeseries"``: ``(N, T, F)`` plus an observed-value mask ``(N, T, F)``;
* ``"table"``: ``(N, F)``;
* ``"image"``: ``(N, C, H, W)``;

the array kinds built from ``input_shape`` (per-sample shape), ``n_outputs`` and
``with_mask``.  All return logits ``(N, n_outputs)``.
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
from seqnet.models.images import LeNet, ResNet
from seqnet.models.recurrent import CNNLSTM, BiLSTMNet, LSTMNet
from seqnet.models.tabular import MLP, Softmax
from seqnet.models.timeseries import TimeBiLSTM, TimeCNN, TimeGRU, TimeLSTM

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

#: kind -> name -> model class.  Array models (every kind but ``"sequence"``) take
#: ``input_shape``, ``n_outputs`` and ``with_mask`` plus their own hyper-parameters, and
#: have ``takes_mask`` (True when built to receive the observed-value mask).
REGISTRY: dict[str, dict[str, Callable[..., nn.Module]]] = {
    "sequence": MODELS,
    "timeseries": {"lstm": TimeLSTM, "bilstm": TimeBiLSTM, "gru": TimeGRU, "cnn": TimeCNN, "mlp": MLP,
                   "softmax": Softmax},
    "table": {"softmax": Softmax, "mlp": MLP},
    "image": {"softmax": Softmax, "mlp": MLP, "lenet": LeNet, "resnet": ResNet},
}

#: Input kinds, in the order ``seqnet models`` lists them.
KINDS = tuple(REGISTRY)

#: How each kind is named in messages.
KIND_NAMES = {"sequence": "sequence", "timeseries": "time-series", "table": "table", "image": "image"}

#: Per-sample input shape ``seqnet models`` reports parameter counts for (array kinds).
NOMINAL_SHAPES = {"timeseries": [24, 4], "table": [20], "image": [1, 28, 28]}


def registry(kind: str = "sequence") -> dict[str, Callable[..., nn.Module]]:
    """The models of input ``kind``; ConfigError for an unknown kind."""
    try:
        return REGISTRY[kind]
    except KeyError:
        raise ConfigError(f"unknown input kind {kind!r}; expected one of: {', '.join(KINDS)}") from None


def unknown_model_message(name: str, kind: str = "sequence") -> str:
    """``unknown model 'x'; expected one of: ...`` naming the kinds that do have ``name``."""
    models = registry(kind)
    msg = f"unknown model {name!r}"
    if kind != "sequence":
        msg += f" for {KIND_NAMES[kind]} input"
    msg += f"; expected one of: {', '.join(sorted(models))}"
    elsewhere = [KIND_NAMES[k] for k in KINDS if k != kind and name in REGISTRY[k]]
    if elsewhere:
        article = "an" if elsewhere[0][0] in "aeiou" else "a"
        msg += f" ({name!r} is {article} {' and '.join(elsewhere)} model)"
    return msg


def run_model(model: nn.Module, x, mask=None):
    """Call ``model`` on ``x``, passing ``mask`` only to models that declare ``takes_mask = True``.

    For sequences ``x`` is one-hot ``(N, C, L)`` and the mask a padding mask ``(N, L)``
    (recurrent models must not read padding); for time series ``x`` is ``(N, T, F)`` and
    the mask ``(N, T, F)`` flags observed values.  A model wrapped in
    DistributedDataParallel is asked through its ``.module``."""
    if mask is not None and getattr(getattr(model, "module", model), "takes_mask", False):
        return model(x, mask=mask)
    return model(x)


def build_model(name: str, kind: str = "sequence", **kwargs) -> nn.Module:
    """Build the registered model ``name`` of input ``kind`` with keyword arguments ``kwargs``.

    Raises
    ------
    ConfigError
        For an unknown kind or model name, or arguments the model does not accept.
    """
    try:
        cls = registry(kind)[name]
    except KeyError:
        raise ConfigError(unknown_model_message(name, kind)) from None
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"model {name!r}: bad arguments ({exc})") from None


def describe_models(length: int = 1000, n_channels: int = 4, kind: str = "sequence") -> list[dict]:
    """Summarise every registered model of one input kind as built from its packaged recipe.

    Parameters
    ----------
    length : int
        Input length the sequence models are built for. Default is 1000.
    n_channels : int
        Input channels (4 for DNA / RNA, 20 for protein). Default is 4.
    kind : str
        Input kind; array models are built for :data:`NOMINAL_SHAPES`. Default is
        ``"sequence"``.

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

    models = registry(kind)
    rows = []
    for name in sorted(models):
        args = packaged_recipe(name, kind).get("model_args") or {}
        if kind == "sequence":
            shape = dict(n_channels=n_channels, length=length)
        else:
            shape = dict(input_shape=NOMINAL_SHAPES[kind], with_mask=kind == "timeseries")
        with torch.device("meta"):  # shapes only: no memory, no initialisation time
            model = build_model(name, kind, n_outputs=1, **shape, **args)
        doc = (models[name].__doc__ or "").strip()
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
