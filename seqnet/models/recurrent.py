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
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqnet.models.common import (
    PADDINGS,
    as_float_tuple,
    as_tuple,
    check_choice,
    check_float,
    check_int,
    check_length,
    check_mask,
    dense_head,
    left_align,
    make_conv,
    masked_pool,
    min_length,
    out_length,
    receptive_field,
)

_POOLS = ("max", "mean", "maxmean", "last")


class RecurrentNet(nn.Module):
    """Optional convolution stack -> (Bi)LSTM -> pooling over real steps -> dense head.

    The shared trunk of :class:`LSTMNet`, :class:`BiLSTMNet`, :class:`CNNLSTM` and
    :class:`~seqnet.models.danq.DanQ`; see those for the hyper-parameters.
    """

    takes_mask = True

    def __init__(
        self,
        *,
        name: str,
        n_channels: int,
        length: int | None,
        n_outputs: int,
        n_filters: tuple[int, ...] = (),
        filter_width: tuple[int, ...] = (),
        pool_size: tuple[int, ...] = (),
        conv_dropout: tuple[float, ...] = (),
        padding: str = "same",
        embed_dim: int | None = None,
        lstm_hidden: int,
        lstm_layers: int,
        bidirectional: bool,
        lstm_dropout: float,
        pool: str,
        hidden: int,
        dropout: float,
    ) -> None:
        super().__init__()
        check_int("n_channels", n_channels)
        check_int("n_outputs", n_outputs)
        self.length = check_length(length)
        check_choice("padding", padding, PADDINGS)
        if embed_dim is not None:
            check_int("embed_dim", embed_dim)
        check_int("lstm_hidden", lstm_hidden)
        check_int("lstm_layers", lstm_layers)
        if not isinstance(bidirectional, bool):
            raise TypeError(f"bidirectional must be true or false, got {bidirectional!r}")
        check_float("lstm_dropout", lstm_dropout)
        self.pool = check_choice("pool", pool, _POOLS)
        check_int("hidden", hidden, 0)
        check_float("dropout", dropout)

        layers: list[nn.Module] = []
        c_in = n_channels
        for c_out, k, p, drop in zip(n_filters, filter_width, pool_size, conv_dropout, strict=True):
            layers += [make_conv(c_in, c_out, k, padding), nn.ReLU()]
            if p > 1:
                layers.append(nn.MaxPool1d(p))
            if drop > 0:
                layers.append(nn.Dropout(drop))
            c_in = c_out
        self.convs = nn.Sequential(*layers)
        self.min_length = min_length(layers) if layers else 1
        if length is not None and length < self.min_length:
            raise TypeError(
                f"{name} needs length >= {self.min_length} for its convolution / pooling stack "
                f"(padding={padding!r}), got length={length}"
            )
        # A bias-free linear map of one-hot columns is an embedding lookup; N / padding
        # columns (all zero) embed to zero.
        self.embed = nn.Linear(c_in, embed_dim, bias=False) if embed_dim else None
        lstm_in = embed_dim or c_in
        self.lstm = nn.LSTM(
            lstm_in,
            lstm_hidden,
            num_layers=lstm_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=lstm_dropout if lstm_layers > 1 else 0.0,
        )
        self.n_directions = 2 if bidirectional else 1
        n_features = lstm_hidden * self.n_directions * (2 if pool == "maxmean" else 1)
        self.head = nn.Sequential(
            nn.Dropout(dropout), *dense_head(n_features, (hidden,) if hidden else (), n_outputs, 0.0)
        )

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


class LSTMNet(RecurrentNet):
    """Unidirectional LSTM over one-hot columns, pooled over time, dense head.

    Parameters
    ----------
    n_channels : int
        Input channels ``C`` (4 for DNA / RNA, 20 for protein). Default is 4.
    length : int or None
        Input length; unused by the architecture (it accepts any length) but kept in
        the checkpoint and reported as the receptive field. Default is None.
    n_outputs : int
        Number of logits. Default is 1.
    embed_dim : int or None
        Size of a learned embedding of each input column (a bias-free linear map of the
        one-hot vector, i.e. an embedding lookup in which N stays zero) fed to the LSTM
        instead of the one-hot columns; mostly useful for protein (``C = 20``).
        None feeds one-hot columns. Default is None.
    lstm_hidden : int
        LSTM units (per direction). Default is 128.
    lstm_layers : int
        Stacked LSTM layers. Default is 1.
    lstm_dropout : float
        Dropout between stacked LSTM layers. Default is 0.0.
    pool : str
        Reduction of the LSTM outputs over the real time steps: ``"max"``, ``"mean"``,
        ``"maxmean"`` (both, concatenated) or ``"last"`` (final hidden state of each
        direction). Default is ``"maxmean"``.
    hidden : int
        Units of the hidden dense layer; 0 for a linear head. Default is 64.
    dropout : float
        Dropout before the dense head. Default is 0.3.
    """

    _bidirectional = False

    def __init__(
        self,
        n_channels: int = 4,
        length: int | None = None,
        n_outputs: int = 1,
        embed_dim: int | None = None,
        lstm_hidden: int = 128,
        lstm_layers: int = 1,
        lstm_dropout: float = 0.0,
        pool: str = "maxmean",
        hidden: int = 64,
        dropout: float = 0.3,
    ) -> None:
        super().__init__(
            name="bilstm" if self._bidirectional else "lstm",
            n_channels=n_channels,
            length=length,
            n_outputs=n_outputs,
            embed_dim=embed_dim,
            lstm_hidden=lstm_hidden,
            lstm_layers=lstm_layers,
            bidirectional=self._bidirectional,
            lstm_dropout=lstm_dropout,
            pool=pool,
            hidden=hidden,
            dropout=dropout,
        )


class BiLSTMNet(LSTMNet):
    """Bidirectional LSTM over one-hot columns, pooled over time, dense head.

    Same hyper-parameters as :class:`LSTMNet`; ``lstm_hidden`` units run in each
    direction and the two directions' outputs are concatenated.
    """

    _bidirectional = True


class CNNLSTM(RecurrentNet):
    """Convolution layers, then a (Bi)LSTM pooled over time, dense head.

    Parameters
    ----------
    n_channels : int
        Input channels ``C`` (4 for DNA / RNA, 20 for protein). Default is 4.
    length : int or None
        Input length; the architecture accepts any length >= ``min_length`` but it is
        checked against the pooling stack, kept in the checkpoint and reported as the
        receptive field. Default is None.
    n_outputs : int
        Number of logits. Default is 1.
    n_filters : int or list of int
        Filters of each convolution layer; the number of entries is the number of
        layers. Default is ``[128, 128]``.
    filter_width : int or list of int
        Filter width of every layer, or one per layer. Default is ``[19, 7]``.
    pool_size : int or list of int
        Max-pool size after every layer, or one per layer (1 = none). Default is
        ``[4, 4]``.
    conv_dropout : float or list of float
        Dropout after each convolution layer (after its pool). Default is 0.1.
    padding : str
        ``"same"`` or ``"valid"`` convolutions. Default is ``"same"``.
    lstm_hidden : int
        LSTM units per direction. Default is 64.
    lstm_layers : int
        Stacked LSTM layers. Default is 1.
    bidirectional : bool
        Run the LSTM in both directions. Default is True.
    lstm_dropout : float
        Dropout between stacked LSTM layers. Default is 0.0.
    pool : str
        ``"max"``, ``"mean"``, ``"maxmean"`` or ``"last"`` over the real time steps
        (see :class:`LSTMNet`). Default is ``"maxmean"``.
    hidden : int
        Units of the hidden dense layer; 0 for a linear head. Default is 64.
    dropout : float
        Dropout after the LSTM, before the dense head. Default is 0.3.
    """

    _name = "cnn_lstm"

    def __init__(
        self,
        n_channels: int = 4,
        length: int | None = None,
        n_outputs: int = 1,
        n_filters: int | list[int] = (128, 128),
        filter_width: int | list[int] = (19, 7),
        pool_size: int | list[int] = (4, 4),
        conv_dropout: float | list[float] = 0.1,
        padding: str = "same",
        lstm_hidden: int = 64,
        lstm_layers: int = 1,
        bidirectional: bool = True,
        lstm_dropout: float = 0.0,
        pool: str = "maxmean",
        hidden: int = 64,
        dropout: float = 0.3,
    ) -> None:
        filters = as_tuple("n_filters", n_filters)
        n = len(filters)
        super().__init__(
            name=self._name,
            n_channels=n_channels,
            length=length,
            n_outputs=n_outputs,
            n_filters=filters,
            filter_width=as_tuple("filter_width", filter_width, n),
            pool_size=as_tuple("pool_size", pool_size, n),
            conv_dropout=as_float_tuple("conv_dropout", conv_dropout, n),
            padding=padding,
            lstm_hidden=lstm_hidden,
            lstm_layers=lstm_layers,
            bidirectional=bidirectional,
            lstm_dropout=lstm_dropout,
            pool=pool,
            hidden=hidden,
            dropout=dropout,
        )
