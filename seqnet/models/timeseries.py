"""Time-series models: LSTM / BiLSTM / GRU over time steps and a 1D CNN over time.

Tensor contract: ``(N, T, F)`` float (``T`` grid points, ``F`` series) plus, with
``with_mask=True`` (the default; what ``seqnet train --timeseries`` uses), a bool mask
``(N, T, F)`` that is True where a value was interpolated between measurements.  The
mask enters as ``F`` more 0/1 input channels, so the network can tell "not measured"
(value 0, flag 0) from "measured 0" (value 0, flag 1).  Output: logits ``(N, n_outputs)``.

Every sample fills the whole grid (series were resampled onto it), so no packing or
padding arithmetic is needed: the recurrent models run over all ``T`` steps.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from seqnet.models.common import SameConv1d, as_tuple, check_choice, check_float, check_int, dense_head
from seqnet.models.tabular import check_bool, check_input, check_shape

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


class TimeRNN(nn.Module):
    """Recurrent network over time steps, pooled, then a dense head.

    Parameters
    ----------
    input_shape : list of int
        ``[T, F]``: grid points and series.
    n_outputs : int
        Number of logits. Default is 1.
    with_mask : bool
        Take the observed-value mask ``(N, T, F)`` as ``F`` extra input channels.
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
    """

    def __init__(self, input_shape=(2, 1), n_outputs: int = 1, with_mask: bool = True, cell: str = "lstm",
                 bidirectional: bool = False, rnn_hidden: int = 32, rnn_layers: int = 1, rnn_dropout: float = 0.0,
                 pool: str = "last", hidden: int = 0, dropout: float = 0.2) -> None:
        super().__init__()
        self.input_shape = check_shape(input_shape, 2)
        check_int("n_outputs", n_outputs)
        self.takes_mask = check_bool("with_mask", with_mask)
        check_choice("cell", cell, ("lstm", "gru"))
        check_bool("bidirectional", bidirectional)
        check_int("rnn_hidden", rnn_hidden)
        check_int("rnn_layers", rnn_layers)
        check_float("rnn_dropout", rnn_dropout)
        self.pool = check_choice("pool", pool, _POOLS)
        check_int("hidden", hidden, 0)
        check_float("dropout", dropout)
        n_in = self.input_shape[1] * (2 if with_mask else 1)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(n_in, rnn_hidden, num_layers=rnn_layers, batch_first=True, bidirectional=bidirectional,
                       dropout=rnn_dropout if rnn_layers > 1 else 0.0)
        self.n_directions = 2 if bidirectional else 1
        steps = self.input_shape[0] if pool == "flatten" else 2 if pool == "maxmean" else 1
        n_features = rnn_hidden * self.n_directions * steps
        self.head = nn.Sequential(nn.Dropout(dropout),
                                  *dense_head(n_features, (hidden,) if hidden else (), n_outputs, dropout))

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


class TimeLSTM(TimeRNN):
    """LSTM over time steps (the series are its input channels), pooled, dense head.

    See :class:`TimeRNN` for the parameters (``cell="lstm"``, one direction).
    """

    def __init__(self, input_shape=(2, 1), n_outputs: int = 1, with_mask: bool = True, rnn_hidden: int = 32,
                 rnn_layers: int = 1, rnn_dropout: float = 0.0, pool: str = "last", hidden: int = 0,
                 dropout: float = 0.2) -> None:
        super().__init__(input_shape, n_outputs, with_mask, cell="lstm", bidirectional=self._bidirectional,
                         rnn_hidden=rnn_hidden, rnn_layers=rnn_layers, rnn_dropout=rnn_dropout, pool=pool,
                         hidden=hidden, dropout=dropout)

    _bidirectional = False


class TimeBiLSTM(TimeLSTM):
    """Bidirectional LSTM over time steps, pooled, dense head.

    See :class:`TimeRNN` for the parameters (``cell="lstm"``, both directions).
    """

    _bidirectional = True


class TimeGRU(TimeRNN):
    """GRU over time steps, pooled, dense head.

    See :class:`TimeRNN` for the parameters (``cell="gru"``; ``bidirectional`` optional).
    """

    def __init__(self, input_shape=(2, 1), n_outputs: int = 1, with_mask: bool = True, bidirectional: bool = False,
                 rnn_hidden: int = 32, rnn_layers: int = 1, rnn_dropout: float = 0.0, pool: str = "last",
                 hidden: int = 0, dropout: float = 0.2) -> None:
        super().__init__(input_shape, n_outputs, with_mask, cell="gru", bidirectional=bidirectional,
                         rnn_hidden=rnn_hidden, rnn_layers=rnn_layers, rnn_dropout=rnn_dropout, pool=pool,
                         hidden=hidden, dropout=dropout)


class TimeCNN(nn.Module):
    """1D CNN over time: 'same' convolutions (batch norm, ReLU), then the feature map flattened (or pooled), dense head.

    Parameters
    ----------
    input_shape : list of int
        ``[T, F]``: grid points and series.
    n_outputs : int
        Number of logits. Default is 1.
    with_mask : bool
        Take the observed-value mask as ``F`` extra input channels. Default is True.
    n_filters : int or list of int
        Filters of each convolution layer; the number of entries is the number of
        layers. Default is ``[32, 32]``.
    filter_width : int or list of int
        Width (time steps) of every layer's filters, or one per layer. Default is 5.
    batch_norm : bool
        Batch norm between each convolution and its ReLU. Default is True.
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
    """

    def __init__(self, input_shape=(2, 1), n_outputs: int = 1, with_mask: bool = True, n_filters=(32, 32),
                 filter_width=5, batch_norm: bool = True, pool_size=1, pool: str = "flatten", hidden: int = 0,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.input_shape = check_shape(input_shape, 2)
        check_int("n_outputs", n_outputs)
        self.takes_mask = check_bool("with_mask", with_mask)
        filters = as_tuple("n_filters", n_filters)
        widths = as_tuple("filter_width", filter_width, len(filters))
        pools = as_tuple("pool_size", pool_size, len(filters))
        check_bool("batch_norm", batch_norm)
        self.pool = check_choice("pool", pool, ("flatten", "max", "mean", "maxmean"))
        check_int("hidden", hidden, 0)
        check_float("dropout", dropout)
        layers: list[nn.Module] = []
        c_in = self.input_shape[1] * (2 if with_mask else 1)
        steps = self.input_shape[0]
        for c_out, k, p in zip(filters, widths, pools, strict=True):
            layers.append(SameConv1d(c_in, c_out, k))
            if batch_norm:
                layers.append(nn.BatchNorm1d(c_out))
            layers.append(nn.ReLU())
            if p > 1:
                layers.append(nn.MaxPool1d(p))
                steps //= p
            c_in = c_out
        if steps < 1:
            raise TypeError(f"the pools ({', '.join(map(str, pools))}) leave no time step of {self.input_shape[0]}")
        self.convs = nn.Sequential(*layers)
        n_features = c_in * (steps if pool == "flatten" else 2 if pool == "maxmean" else 1)
        self.head = nn.Sequential(nn.Dropout(dropout),
                                  *dense_head(n_features, (hidden,) if hidden else (), n_outputs, dropout))

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
