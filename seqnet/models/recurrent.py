"""Recurrent models: LSTM / BiLSTM over one-hot columns, and CNN -> LSTM hybrids.

Tensor contract: ``(N, C, L)`` float one-hot (+ optional padding mask ``(N, L)``) ->
``(N, n_outputs)`` logits.

All of them declare ``takes_mask = True`` and give the same prediction for a sequence
whether it comes alone or padded inside a longer batch.  Padding (all-zero columns) is
indistinguishable from N bases, so the mask says where each sequence's real, contiguous
region is; the forward pass then

1. left-aligns every real region (a gather) and zeroes what follows it, so the
   convolutions see exactly the zero padding a lone sequence would get;
2. computes each sequence's length after the convolution / pooling stack with the
   layers' own arithmetic (floor mode);
3. runs the LSTM on a packed sequence of those lengths
   (:func:`torch.nn.utils.rnn.pack_padded_sequence`), so padded steps never enter the
   recurrence in either direction;
4. pools (max / mean / last hidden state) over the real steps only.

A sequence too short to leave one step after the pooling stack is given one step (which
then sees padding); such a sequence alone would not run at all.

One class, :class:`RecurrentNet` (arguments in :class:`RecurrentConfig`), is registered
under several names (:class:`~seqnet.models.spec.ModelSpec`): ``lstm`` and ``bilstm``
(no convolutions, one or both directions), ``cnn_lstm`` (convolutions first) and, in
:mod:`seqnet.models.danq`, ``danq`` (``cnn_lstm`` with DanQ's sizes).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqnet.errors import ConfigError
from seqnet.models.common import (
    PADDINGS,
    as_float_tuple,
    as_tuple,
    check_activation,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_mask,
    dense_head,
    init_for_activation,
    left_align,
    make_activation,
    make_conv,
    make_dropout,
    masked_pool,
    min_length,
    out_length,
    receptive_field,
)
from seqnet.models.spec import ModelSpec, SequenceConfig

_POOLS = ("max", "mean", "maxmean", "last")


@dataclass
class RecurrentConfig(SequenceConfig):
    """Arguments of :class:`RecurrentNet` (and :class:`~seqnet.models.spec.SequenceConfig`'s).

    ``length`` is checked against the pooling stack, kept in the checkpoint and reported
    as the receptive field; the architecture accepts any length >= ``min_length``.  The
    defaults are those of ``lstm``; the registered names fix or change some of them.
    The checked config holds per-layer tuples (None without a convolution stack).

    Parameters
    ----------
    n_filters : int or list of int or None
        Filters of each convolution layer before the LSTM; the number of entries is the
        number of layers; None: no convolutions (``lstm``, ``bilstm``). Default is None.
    filter_width : int or list of int or None
        Filter width of every layer, or one per layer. Default is None.
    pool_size : int or list of int or None
        Max-pool size after every layer, or one per layer (1 = none). Default is None.
    conv_dropout : float or list of float or None
        Dropout after each convolution layer (after its pool). Default is None.
    padding : str
        ``"same"`` or ``"valid"`` convolutions. Default is ``"same"``.
    embed_dim : int or None
        Size of a learned embedding of each input column (a bias-free linear map of the
        one-hot vector, i.e. an embedding lookup in which N stays zero) fed to the LSTM
        instead of the one-hot columns; mostly useful for protein (``C = 20``).
        None feeds one-hot columns. Default is None.
    lstm_hidden : int
        LSTM units per direction. Default is 128.
    lstm_layers : int
        Stacked LSTM layers. Default is 1.
    bidirectional : bool
        Run the LSTM in both directions (outputs concatenated). Default is False.
    lstm_dropout : float
        Dropout between stacked LSTM layers. Default is 0.0.
    pool : str
        Reduction of the LSTM outputs over the real time steps: ``"max"``, ``"mean"``,
        ``"maxmean"`` (both, concatenated) or ``"last"`` (final hidden state of each
        direction). Default is ``"maxmean"``.
    hidden : int
        Units of the hidden dense layer; 0 for a linear head. Default is 64.
    dropout : float
        Dropout after the LSTM, before the dense head. Default is 0.3.
    activation : str
        Activation after each convolution and of the hidden dense layer (the LSTM's
        own gates keep sigmoid / tanh; see :data:`~seqnet.models.common.ACTIVATIONS`).
        Default is ``"relu"``.
    batch_norm : bool
        Batch norm between each convolution and its activation. Default is False.
    """

    n_filters: int | tuple[int, ...] | None = None
    filter_width: int | tuple[int, ...] | None = None
    pool_size: int | tuple[int, ...] | None = None
    conv_dropout: float | tuple[float, ...] | None = None
    padding: str = "same"
    embed_dim: int | None = None
    lstm_hidden: int = 128
    lstm_layers: int = 1
    bidirectional: bool = False
    lstm_dropout: float = 0.0
    pool: str = "maxmean"
    hidden: int = 64
    dropout: float = 0.3
    activation: str = "relu"
    batch_norm: bool = False

    def check(self) -> None:
        if self.n_filters is not None:
            self.n_filters = as_tuple("n_filters", self.n_filters)
            n = len(self.n_filters)
            self.filter_width = as_tuple("filter_width", self.filter_width, n)
            self.pool_size = as_tuple("pool_size", self.pool_size, n)
            self.conv_dropout = as_float_tuple("conv_dropout", self.conv_dropout, n)
        super().check()
        check_choice("padding", self.padding, PADDINGS)
        if self.embed_dim is not None:
            check_int("embed_dim", self.embed_dim)
        check_int("lstm_hidden", self.lstm_hidden)
        check_int("lstm_layers", self.lstm_layers)
        check_bool("bidirectional", self.bidirectional)
        check_float("lstm_dropout", self.lstm_dropout)
        check_choice("pool", self.pool, _POOLS)
        check_int("hidden", self.hidden, 0)
        check_float("dropout", self.dropout)
        check_activation(self.activation)
        check_bool("batch_norm", self.batch_norm)


class RecurrentNet(nn.Module):
    """Optional convolution stack -> (Bi)LSTM -> pooling over real steps -> dense head.

    Parameters
    ----------
    config : RecurrentConfig
        Input size and hyper-parameters.
    name : str
        Registry name, for messages. Default is ``"lstm"``.

    Raises
    ------
    ConfigError
        For a ``length`` too short for the convolution / pooling stack.
    """

    takes_mask = True

    def __init__(self, config: RecurrentConfig, name: str = "lstm") -> None:
        super().__init__()
        c = config
        self.name = name
        self.length = c.length
        self.pool = c.pool
        self.convs = _conv_stack(c)
        self.min_length = min_length(self.convs) if len(self.convs) else 1
        if c.length is not None and c.length < self.min_length:
            raise ConfigError(
                f"{name} needs length >= {self.min_length} for its convolution / pooling stack "
                f"(padding={c.padding!r}), got length={c.length}"
            )
        c_in = c.n_filters[-1] if c.n_filters else c.n_channels
        # A bias-free linear map of one-hot columns is an embedding lookup; N / padding
        # columns (all zero) embed to zero.
        self.embed = nn.Linear(c_in, c.embed_dim, bias=False) if c.embed_dim else None
        self.lstm = nn.LSTM(
            c.embed_dim or c_in,
            c.lstm_hidden,
            num_layers=c.lstm_layers,
            batch_first=True,
            bidirectional=c.bidirectional,
            dropout=c.lstm_dropout if c.lstm_layers > 1 else 0.0,
        )
        self.n_directions = 2 if c.bidirectional else 1
        n_features = c.lstm_hidden * self.n_directions * (2 if c.pool == "maxmean" else 1)
        head = dense_head(n_features, (c.hidden,) if c.hidden else (), c.n_outputs, 0.0, activation=c.activation)
        self.head = nn.Sequential(make_dropout(c.dropout, c.activation), *head)
        init_for_activation(self, c.activation)

    @property
    def first_conv(self) -> nn.Conv1d | None:
        """The first (motif-detecting) convolution, or None without a convolution stack."""
        return self.convs[0] if len(self.convs) else None

    @property
    def receptive_field(self) -> int | None:
        """``length`` (None when unknown): every LSTM output may depend on the whole input."""
        return self.length

    @property
    def conv_receptive_field(self) -> int | None:
        """Input bases seen by one step fed to the LSTM; None without a convolution stack."""
        return receptive_field(self.convs) if len(self.convs) else None

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Score a batch, ignoring padded positions.

        Parameters
        ----------
        x : torch.Tensor, shape (N, C, L)
            One-hot sequences, any length >= ``min_length``.
        mask : torch.Tensor or None, shape (N, L), dtype bool
            True at real positions (a contiguous region per row, anywhere in it);
            None when every position is real. Default is None.

        Returns
        -------
        torch.Tensor, shape (N, n_outputs)
            Logits.
        """
        check_mask(x, mask)
        if x.shape[-1] < self.min_length:
            raise ValueError(f"inputs must have length >= {self.min_length}, got {x.shape[-1]}")
        if mask is not None:
            x, lengths = left_align(x, mask)
        h = self.convs(x).transpose(1, 2)  # (N, T, F)
        if self.embed is not None:
            h = self.embed(h)
        steps = h.shape[1]
        if mask is None:
            lengths = torch.full((h.shape[0],), steps, device=h.device)
        else:
            lengths = out_length(self.convs, lengths).clamp(min=1, max=steps)
        # The LSTM runs in float32 under autocast: bf16 cuDNN RNNs need cuDNN >= 9.13, and
        # the recurrence accumulates rounding over hundreds of steps.
        with torch.autocast(device_type=h.device.type, enabled=False):
            h = h.float()
            if mask is None:
                out, (h_n, _) = self.lstm(h)
            else:
                packed = pack_padded_sequence(h, lengths.cpu(), batch_first=True, enforce_sorted=False)
                out, (h_n, _) = self.lstm(packed)
                out, _ = pad_packed_sequence(out, batch_first=True, total_length=steps)
        if self.pool == "last":
            # forward direction: state after the last real step; backward: after step 0
            feats = torch.cat(list(h_n[-self.n_directions :]), dim=1)
        else:
            feats = masked_pool(out, lengths, self.pool)
        return self.head(feats)


def _conv_stack(c: RecurrentConfig) -> nn.Sequential:
    """``[conv -> (batch norm) -> activation -> (max pool) -> (dropout)] * len(n_filters)``,
    applied before the LSTM."""
    layers: list[nn.Module] = []
    if c.n_filters is None:
        return nn.Sequential()
    c_in = c.n_channels
    for c_out, k, p, drop in zip(c.n_filters, c.filter_width, c.pool_size, c.conv_dropout, strict=True):
        layers.append(make_conv(c_in, c_out, k, c.padding))
        if c.batch_norm:
            layers.append(nn.BatchNorm1d(c_out))
        layers.append(make_activation(c.activation))
        if p > 1:
            layers.append(nn.MaxPool1d(p))
        if drop > 0:
            layers.append(make_dropout(drop, c.activation))
        c_in = c_out
    return nn.Sequential(*layers)


#: What ``lstm`` and ``bilstm`` fix: no convolution stack.
_NO_CONVOLUTIONS = dict(n_filters=None, filter_width=None, pool_size=None, conv_dropout=None, padding="same",
                        batch_norm=False)

#: ``lstm``: the :class:`RecurrentConfig` defaults, one direction, no convolutions.
LSTMNet = ModelSpec(
    "lstm", RecurrentNet, RecurrentConfig, fixed={**_NO_CONVOLUTIONS, "bidirectional": False},
    description="Unidirectional LSTM over one-hot columns, pooled over time, dense head.",
)

#: ``bilstm``: as ``lstm`` in both directions (``lstm_hidden`` units each, outputs concatenated).
BiLSTMNet = ModelSpec(
    "bilstm", RecurrentNet, RecurrentConfig, fixed={**_NO_CONVOLUTIONS, "bidirectional": True},
    description="Bidirectional LSTM over one-hot columns, pooled over time, dense head.",
)

#: ``cnn_lstm``: two convolution layers (widths 19, 7; max pools 4, 4; dropout 0.1), then a
#: BiLSTM of 64 units per direction; the two pools make the LSTM 16 times shorter than the input.
CNNLSTM = ModelSpec(
    "cnn_lstm", RecurrentNet, RecurrentConfig, fixed={"embed_dim": None},
    defaults=dict(n_filters=(128, 128), filter_width=(19, 7), pool_size=(4, 4), conv_dropout=0.1,
                  lstm_hidden=64, bidirectional=True),
    description="Convolution layers, then a (Bi)LSTM pooled over time, dense head.",
)
