"""Model registry, keyed by input kind and name.

Every registered name is a :class:`~seqnet.models.spec.ModelSpec`: a plain
:class:`torch.nn.Module` class built from its config dataclass, with the arguments the
name fixes and the defaults it changes.  A spec is called with keyword arguments only, so
a checkpoint can rebuild a model from ``(kind, name, kwargs)``.  Each input kind has its
own namespace of names (``lstm`` over one-hot DNA is not ``lstm`` over an expression
time series):

* ``"sequence"`` (:data:`MODELS`): one-hot ``(N, C, L)``, built from ``n_channels``,
  ``length``, ``n_outputs``;
* ``"timeseries"``: ``(N, T, F)`` plus an observed-value mask ``(N, T, F)``;
* ``"table"``: ``(N, F)``;
* ``"image"``: ``(N, C, H, W)``;

the array kinds built from ``input_shape`` (per-sample shape), ``n_outputs`` and
``with_mask``.  All return logits ``(N, n_outputs)``.
"""

from __future__ import annotations

import torch.nn as nn

from seqnet.errors import ConfigError
from seqnet.models.basset import Basset, BassetConfig
from seqnet.models.danq import DanQ
from seqnet.models.deepbind import DeepBind, DeepBindConfig
from seqnet.models.deepsea import DeepSEA, DeepSEAConfig
from seqnet.models.dilated import DilatedConfig, DilatedResNet
from seqnet.models.images import LeNet, LeNetConfig, ResNet, ResNetConfig
from seqnet.models.recurrent import CNNLSTM, BiLSTMNet, LSTMNet
from seqnet.models.spec import ModelSpec
from seqnet.models.tabular import MLP, Softmax
from seqnet.models.timeseries import TimeBiLSTM, TimeCNN, TimeCNNConfig, TimeGRU, TimeLSTM
from seqnet.recipes import read_recipe

#: name -> spec.  Sequence models take ``n_channels``, ``length`` and ``n_outputs`` plus
#: their own hyper-parameters.  Every model has ``takes_mask`` (True: it accepts a
#: padding mask and ignores padded positions), ``receptive_field`` and ``first_conv``.
MODELS: dict[str, ModelSpec] = {
    "deepbind": ModelSpec("deepbind", DeepBind, DeepBindConfig),
    "deepsea": ModelSpec("deepsea", DeepSEA, DeepSEAConfig),
    "basset": ModelSpec("basset", Basset, BassetConfig),
    "dilated": ModelSpec("dilated", DilatedResNet, DilatedConfig),
    "lstm": LSTMNet,
    "bilstm": BiLSTMNet,
    "danq": DanQ,
    "cnn_lstm": CNNLSTM,
}

#: kind -> name -> spec.  Array models (every kind but ``"sequence"``) take
#: ``input_shape``, ``n_outputs`` and ``with_mask`` plus their own hyper-parameters, and
#: have ``takes_mask`` (True when built to receive the observed-value mask).
REGISTRY: dict[str, dict[str, ModelSpec]] = {
    "sequence": MODELS,
    "timeseries": {"lstm": TimeLSTM, "bilstm": TimeBiLSTM, "gru": TimeGRU,
                   "cnn": ModelSpec("cnn", TimeCNN, TimeCNNConfig), "mlp": MLP, "softmax": Softmax},
    "table": {"softmax": Softmax, "mlp": MLP},
    "image": {"softmax": Softmax, "mlp": MLP, "lenet": ModelSpec("lenet", LeNet, LeNetConfig),
              "resnet": ModelSpec("resnet", ResNet, ResNetConfig)},
}

#: Input kinds, in the order ``seqnet models`` lists them.
KINDS = tuple(REGISTRY)


def _label(kind: str) -> str:
    """How messages name input ``kind`` (``"time-series"``)."""
    from seqnet.kinds import get

    return get(kind).label


def registry(kind: str = "sequence") -> dict[str, ModelSpec]:
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
        msg += f" for {_label(kind)} input"
    msg += f"; expected one of: {', '.join(sorted(models))}"
    elsewhere = [_label(k) for k in KINDS if k != kind and name in REGISTRY[k]]
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
        For an unknown kind or model name, an argument the model does not take, or a
        bad value (``model 'x': bad arguments (...)``).
    """
    try:
        spec = registry(kind)[name]
    except KeyError:
        raise ConfigError(unknown_model_message(name, kind)) from None
    try:
        return spec(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"model {name!r}: bad arguments ({exc})") from None


def check_model_args(name: str, kind: str, args: dict, shape: dict | None = None) -> None:
    """ConfigError (``model 'x': bad arguments (...)``) unless ``args`` are hyper-parameters
    the model ``name`` of input ``kind`` takes, with valid values for an input of ``shape``
    (shape arguments, e.g. from :meth:`~seqnet.kinds.base.InputKind.nominal_shape_args`);
    builds nothing."""
    try:
        spec = registry(kind)[name]
    except KeyError:
        raise ConfigError(unknown_model_message(name, kind)) from None
    try:
        spec.config(**{**(shape or {}), **args})
    except ConfigError as exc:
        raise ConfigError(f"model {name!r}: bad arguments ({exc})") from None


def model_name(model: nn.Module) -> str:
    """The registry name a model was built under (``"bilstm"``); its class name for other modules.

    Looks through a DistributedDataParallel or ``torch.compile`` wrapper."""
    inner = getattr(model, "module", getattr(model, "_orig_mod", model))
    name = getattr(inner, "name", None)
    return name if isinstance(name, str) else type(inner).__name__


def describe_models(length: int = 1000, alphabet: str = "dna", kind: str = "sequence") -> list[dict]:
    """Summarise every registered model of one input kind as built from its packaged recipe.

    Parameters
    ----------
    length : int
        Input length the sequence models are built for. Default is 1000.
    alphabet : str
        Alphabet of the sequence models' input. Default is ``"dna"``.
    kind : str
        Input kind; array models are built for its nominal shape
        (:meth:`~seqnet.kinds.base.InputKind.nominal_shape_args`). Default is
        ``"sequence"``.

    Returns
    -------
    list of dict
        One per model, sorted by name: ``name``, ``params`` (parameter count with the
        recipe's ``model_args`` and ``n_outputs=1``), ``receptive_field`` (int, or None
        when unknown), ``takes_mask`` (bool) and ``description`` (the spec's one-line
        summary: its class docstring's first line unless the name has its own).

    Raises
    ------
    ConfigError
        When a model has no packaged recipe or its recipe does not build at ``length``.
    """
    import torch

    from seqnet.kinds import get

    models = registry(kind)
    shape = get(kind).nominal_shape_args(length, alphabet)
    rows = []
    for name in sorted(models):
        # the recipe's own model_args suffice: the spec fills in the rest
        args = read_recipe(name, kind).get("model_args") or {}
        with torch.device("meta"):  # shapes only: no memory, no initialisation time
            model = build_model(name, kind, n_outputs=1, **shape, **args)
        rows.append(
            {
                "name": name,
                "params": sum(p.numel() for p in model.parameters()),
                "receptive_field": getattr(model, "receptive_field", None),
                "takes_mask": bool(getattr(model, "takes_mask", False)),
                "description": models[name].summary(),
            }
        )
    return rows


def _table_lines(rows: list[dict], receptive_field: bool) -> list[str]:
    """Header and one line per model of :func:`describe_models` rows (with the receptive field column)."""
    width = max(len("model"), *(len(r["name"]) for r in rows))
    if receptive_field:
        lines = [f"{'model':<{width}}  {'parameters':>10}  {'receptive field':>15}  description"]
        for r in rows:
            rf = "whole input" if r["receptive_field"] is None else f"{r['receptive_field']} bp"
            lines.append(f"{r['name']:<{width}}  {r['params']:>10,}  {rf:>15}  {r['description']}")
        return lines
    lines = [f"{'model':<{width}}  {'parameters':>10}  description"]
    lines += [f"{r['name']:<{width}}  {r['params']:>10,}  {r['description']}" for r in rows]
    return lines


def model_table(kind: str | None = None, length: int = 1000, alphabet: str = "dna") -> str:
    """The ``seqnet models`` listing: per kind, each model's parameters (and receptive field) and summary.

    Parameters
    ----------
    kind : str or None
        One input kind, or None for all of them, each under a ``<kind> models:`` title.
        Default is None.
    length : int
        Input length the sequence models are counted at. Default is 1000.
    alphabet : str
        ``"dna"``, ``"rna"`` or ``"protein"``: the sequence models' input channels.
        Default is ``"dna"``.

    Returns
    -------
    str
        The text, without a final newline.

    Raises
    ------
    ConfigError
        For an unknown kind or alphabet, or a ``length`` a recipe does not build at.
    """
    from seqnet.kinds import get

    blocks = []
    for k in KINDS if kind is None else [kind]:
        registry(k)  # ConfigError for an unknown kind
        rows = describe_models(length=length, alphabet=alphabet, kind=k)
        lines = [f"{_label(k)} models:"] if kind is None else []
        lines += _table_lines(rows, receptive_field=any(r["receptive_field"] is not None for r in rows))
        lines.append(f"(parameters for {get(k).nominal_note(length, alphabet)}, one output, packaged recipe)")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
