"""Time-series models: LSTM / BiLSTM / GRU over time steps and a 1D CNN over time.

Tensor contract: ``(N, T, F)`` float (``T`` grid points, ``F`` series) plus, with
``with_mask=True`` (the default; what ``seqnet train --timeseries`` uses), a bool mask
``(N, T, F)`` that is True where a value was interpolated between measurements.  The
mask enters as ``F`` more 0/1 input channels, so the network can tell "not measured"
(value 0, flag 0) from "measured 0" (value 0, flag 1).  Output: logits ``(N, n_outputs)``.

Every sample fills the whole grid (series were resampled onto it), so no packing or
padding arithmetic is needed: the recurrent models run over all ``T`` steps.

``lstm``, ``bilstm`` and ``gru`` are one class, :class:`TimeRNN`, registered with the cell
(and for the LSTMs the direction) fixed (:class:`~seqnet.models.spec.ModelSpec`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from seqnet.errors import ConfigError
from seqnet.models.common import (
    SameConv1d,
    as_tuple,
    check_activation,
    check_bool,
    check_choice,
    check_float,
    check_input,
    check_int,
    dense_head,
    init_for_activation,
    make_activation,
    make_dropout,
)
from seqnet.models.spec import ArrayConfig, ModelSpec

_POOLS = ("last", "flatten", "mean", "max", "maxmean")


def _with_mask_channels(model: nn.Module, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``x`` ``(N, T, F)`` -> ``(N, T, 2F)`` with the mask as channels (all ones when None)."""
    check_input(model, x, mask)
    if not model.takes_mask:
        return x
    m = torch.ones_like(x) if mask is None else mask.to(x.dtype)
    return torch.cat([x, m], dim=2)


def _pool(h: torch.Tensor, mode: str) -> torch.Tensor:
    """Pool ``h`` ``(N, T, H)`` over time: ``"mean"``, ``"max"`` or ``"maxmean"``."""
    feats = []
    if mode in ("max", "maxmean"):
        feats.append(h.amax(dim=1))
    if mode in ("mean", "maxmean"):
        feats.append(h.mean(dim=1))
    return torch.cat(feats, dim=1)


@dataclass
class TimeRNNConfig(ArrayConfig):
    """Arguments of :class:`TimeRNN` (and :class:`~seqnet.models.spec.ArrayConfig`'s).

    ``input_shape`` is ``[T, F]`` (grid points, series); ``with_mask`` takes the
    observed-value mask ``(N, T, F)`` as ``F`` extra input channels.

    Parameters
    ----------
    input_shape : list of int
        ``[T, F]``. Default is ``[2, 1]``.
    with_mask : bool
        Default is True.
    cell : str
        ``"lstm"`` or ``"gru"``. Default is ``"lstm"``.
    bidirectional : bool
        Run over time in both directions. Default is False.
    rnn_hidden : int
        Units per direction. Default is 32.
    rnn_layers : int
        Stacked recurrent layers. Default is 1.
    rnn_dropout : float
        Dropout between stacked layers. Default is 0.0.
    pool : str
        What the head reads: ``"last"`` (final state of each direction),
        ``"flatten"`` (the outputs of every step, concatenated: the head sees *when*
        things happen, e.g. a cell-cycle gene's peak), or ``"mean"``, ``"max"``,
        ``"maxmean"`` over the steps. Default is ``"last"``.
    hidden : int
        Units of a hidden dense layer; 0 for a linear head. Default is 0.
    dropout : float
        Dropout before the head (and after its hidden layer). Default is 0.2.
    activation : str
        Activation of the hidden dense layer (the recurrent cell keeps its own; see
        :data:`~seqnet.models.common.ACTIVATIONS`). Default is ``"relu"``.
    """

    ndim = 2
    input_shape: tuple[int, ...] = (2, 1)
    with_mask: bool = True
    cell: str = "lstm"
    bidirectional: bool = False
    rnn_hidden: int = 32
    rnn_layers: int = 1
    rnn_dropout: float = 0.0
    pool: str = "last"
    hidden: int = 0
    dropout: float = 0.2
    activation: str = "relu"

    def check(self) -> None:
        super().check()
        check_choice("cell", self.cell, ("lstm", "gru"))
        check_bool("bidirectional", self.bidirectional)
        check_int("rnn_hidden", self.rnn_hidden)
        check_int("rnn_layers", self.rnn_layers)
        check_float("rnn_dropout", self.rnn_dropout)
        check_choice("pool", self.pool, _POOLS)
        check_int("hidden", self.hidden, 0)
        check_float("dropout", self.dropout)
        check_activation(self.activation)


class TimeRNN(nn.Module):
    """Recurrent network over time steps, pooled, then a dense head.

    Parameters
    ----------
    config : TimeRNNConfig
        Input shape and hyper-parameters.
    name : str
        Registry name, for messages. Default is ``"lstm"``.
    """

    def __init__(self, config: TimeRNNConfig, name: str = "lstm") -> None:
        super().__init__()
        c = config
        self.name = name
        self.input_shape = c.input_shape
        self.takes_mask = c.with_mask
        self.pool = c.pool
        n_in = self.input_shape[1] * (2 if c.with_mask else 1)
        rnn = nn.LSTM if c.cell == "lstm" else nn.GRU
        self.rnn = rnn(n_in, c.rnn_hidden, num_layers=c.rnn_layers, batch_first=True, bidirectional=c.bidirectional,
                       dropout=c.rnn_dropout if c.rnn_layers > 1 else 0.0)
        self.n_directions = 2 if c.bidirectional else 1
        steps = self.input_shape[0] if c.pool == "flatten" else 2 if c.pool == "maxmean" else 1
        n_features = c.rnn_hidden * self.n_directions * steps
        self.head = nn.Sequential(make_dropout(c.dropout, c.activation),
                                  *dense_head(n_features, (c.hidden,) if c.hidden else (), c.n_outputs, c.dropout,
                                              activation=c.activation))
        init_for_activation(self.head, c.activation)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Score a batch.

        Parameters
        ----------
        x : torch.Tensor, shape (N, T, F)
            Series values on the grid (0 where unobserved).
        mask : torch.Tensor or None, shape (N, T, F), dtype bool
            True where observed; None means everywhere. Default is None.

        Returns
        -------
        torch.Tensor, shape (N, n_outputs)
            Logits.
        """
        h = _with_mask_channels(self, x, mask)
        # float32 recurrence under autocast: bf16 rounding accumulates over the steps.
        with torch.autocast(device_type=h.device.type, enabled=False):
            out, state = self.rnn(h.float())
        if self.pool == "last":
            h_n = state[0] if isinstance(state, tuple) else state
            feats = torch.cat(list(h_n[-self.n_directions :]), dim=1)
        elif self.pool == "flatten":
            feats = out.flatten(1)
        else:
            feats = _pool(out, self.pool)
        return self.head(feats)


#: ``lstm``: :class:`TimeRNN` with an LSTM cell, one direction.
TimeLSTM = ModelSpec(
    "lstm", TimeRNN, TimeRNNConfig, fixed=dict(cell="lstm", bidirectional=False),
    description="LSTM over time steps (the series are its input channels), pooled, dense head.",
)

#: ``bilstm``: :class:`TimeRNN` with an LSTM cell, both directions.
TimeBiLSTM = ModelSpec(
    "bilstm", TimeRNN, TimeRNNConfig, fixed=dict(cell="lstm", bidirectional=True),
    description="Bidirectional LSTM over time steps, pooled, dense head.",
)

#: ``gru``: :class:`TimeRNN` with a GRU cell (``bidirectional`` optional).
TimeGRU = ModelSpec(
    "gru", TimeRNN, TimeRNNConfig, fixed=dict(cell="gru"),
    description="GRU over time steps, pooled, dense head.",
)


@dataclass
class TimeCNNConfig(ArrayConfig):
    """Arguments of :class:`TimeCNN` (and :class:`~seqnet.models.spec.ArrayConfig`'s).

    ``input_shape`` is ``[T, F]`` (grid points, series); ``with_mask`` takes the
    observed-value mask as ``F`` extra input channels.  The checked config holds
    per-layer tuples.

    Parameters
    ----------
    input_shape : list of int
        ``[T, F]``. Default is ``[2, 1]``.
    with_mask : bool
        Default is True.
    n_filters : int or list of int
        Filters of each convolution layer; the number of entries is the number of
        layers. Default is ``[32, 32]``.
    filter_width : int or list of int
        Width (time steps) of every layer's filters, or one per layer. Default is 5.
    batch_norm : bool
        Batch norm between each convolution and its activation. Default is True.
    pool_size : int or list of int
        Max-pool size over time after every layer, or one per layer (1 = none).
        Default is 1.
    pool : str
        ``"flatten"`` keeps every time step (when something happens matters, e.g. the
        phase of a cell-cycle gene); ``"max"``, ``"mean"`` or ``"maxmean"`` pool over
        time (what happens matters, not when). Default is ``"flatten"``.
    hidden : int
        Units of a hidden dense layer; 0 for a linear head. Default is 0.
    dropout : float
        Dropout before the head. Default is 0.2.
    activation : str
        Activation after each convolution and of the hidden dense layer (see
        :data:`~seqnet.models.common.ACTIVATIONS`). Default is ``"relu"``.
    """

    ndim = 2
    input_shape: tuple[int, ...] = (2, 1)
    with_mask: bool = True
    n_filters: int | tuple[int, ...] = (32, 32)
    filter_width: int | tuple[int, ...] = 5
    batch_norm: bool = True
    pool_size: int | tuple[int, ...] = 1
    pool: str = "flatten"
    hidden: int = 0
    dropout: float = 0.2
    activation: str = "relu"

    def check(self) -> None:
        super().check()
        self.n_filters = as_tuple("n_filters", self.n_filters)
        self.filter_width = as_tuple("filter_width", self.filter_width, len(self.n_filters))
        self.pool_size = as_tuple("pool_size", self.pool_size, len(self.n_filters))
        check_bool("batch_norm", self.batch_norm)
        check_choice("pool", self.pool, ("flatten", "max", "mean", "maxmean"))
        check_int("hidden", self.hidden, 0)
        check_float("dropout", self.dropout)
        check_activation(self.activation)


class TimeCNN(nn.Module):
    """1D CNN over time: 'same' convolutions (batch norm, ReLU), then the feature map flattened (or pooled), dense head.

    The activation (ReLU by default) and batch norm are knobs.

    Parameters
    ----------
    config : TimeCNNConfig
        Input shape and hyper-parameters.
    name : str
        Registry name, for messages. Default is ``"cnn"``.

    Raises
    ------
    ConfigError
        When the pools leave no time step.
    """

    def __init__(self, config: TimeCNNConfig, name: str = "cnn") -> None:
        super().__init__()
        c = config
        self.name = name
        self.input_shape = c.input_shape
        self.takes_mask = c.with_mask
        self.pool = c.pool
        layers: list[nn.Module] = []
        c_in = self.input_shape[1] * (2 if c.with_mask else 1)
        steps = self.input_shape[0]
        for c_out, k, p in zip(c.n_filters, c.filter_width, c.pool_size, strict=True):
            layers.append(SameConv1d(c_in, c_out, k))
            if c.batch_norm:
                layers.append(nn.BatchNorm1d(c_out))
            layers.append(make_activation(c.activation))
            if p > 1:
                layers.append(nn.MaxPool1d(p))
                steps //= p
            c_in = c_out
        if steps < 1:
            pools = ", ".join(map(str, c.pool_size))
            raise ConfigError(f"the pools ({pools}) leave no time step of {self.input_shape[0]}")
        self.convs = nn.Sequential(*layers)
        n_features = c_in * (steps if c.pool == "flatten" else 2 if c.pool == "maxmean" else 1)
        self.head = nn.Sequential(make_dropout(c.dropout, c.activation),
                                  *dense_head(n_features, (c.hidden,) if c.hidden else (), c.n_outputs, c.dropout,
                                              activation=c.activation))
        init_for_activation(self, c.activation)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Score a batch.

        Parameters
        ----------
        x : torch.Tensor, shape (N, T, F)
            Series values on the grid (0 where unobserved).
        mask : torch.Tensor or None, shape (N, T, F), dtype bool
            True where observed; None means everywhere. Default is None.

        Returns
        -------
        torch.Tensor, shape (N, n_outputs)
            Logits.
        """
        h = _with_mask_channels(self, x, mask)
        h = self.convs(h.transpose(1, 2))  # convolve over time: (N, C, T')
        if self.pool == "flatten":
            return self.head(h.flatten(1))
        return self.head(_pool(h.transpose(1, 2), self.pool))
