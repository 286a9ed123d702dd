"""DanQ: one convolution layer of motif detectors, then a BiLSTM over the motif track.

Tensor contract: ``(N, C, L)`` float one-hot (+ optional padding mask ``(N, L)``) ->
``(N, n_outputs)`` logits.

After Quang & Xie (2016): 320 filters of width 26, ReLU, max pool 13, dropout 0.2, a
bidirectional LSTM of 320 units per direction, dropout 0.5, a dense layer of 925 ReLU
units and the output layer (logits here: the loss applies the sigmoid).

Differences from the paper:

- DanQ flattens the BiLSTM outputs (75 steps x 640 for 1000 bp) into the dense layer,
  which ties the model to one length and lets padding move features between inputs.
  Here the BiLSTM outputs are pooled over the real time steps (max and mean by
  default, ``pool``), so any length works and predictions do not depend on padding
  (``takes_mask = True``, see :mod:`seqnet.models.recurrent`).
- ``padding="same"`` by default (any ``length >= 13``); ``"valid"`` is the published
  convolution (``length >= 38``).
"""

from __future__ import annotations

from seqnet.models.recurrent import CNNLSTM


class DanQ(CNNLSTM):
    """DanQ (Quang & Xie 2016): convolution -> max pool -> BiLSTM -> dense 925.

    The hyper-parameters are those of :class:`~seqnet.models.recurrent.CNNLSTM`, with
    DanQ's values as defaults.

    Parameters
    ----------
    n_channels : int
        Input channels ``C`` (4 for DNA / RNA, 20 for protein). Default is 4.
    length : int or None
        Input length; checked against the pooling stack, kept in the checkpoint and
        reported as the receptive field (any length >= ``min_length`` runs).
        Default is None.
    n_outputs : int
        Number of logits. Default is 1.
    n_filters : int or list of int
        Convolution filters (one entry per layer). Default is 320.
    filter_width : int or list of int
        Filter width. Default is 26.
    pool_size : int or list of int
        Max-pool size after the convolution. Default is 13.
    conv_dropout : float or list of float
        Dropout after the pool. Default is 0.2.
    padding : str
        ``"same"`` or ``"valid"`` (published) convolution. Default is ``"same"``.
    lstm_hidden : int
        LSTM units per direction. Default is 320.
    lstm_layers : int
        Stacked LSTM layers. Default is 1.
    bidirectional : bool
        Run the LSTM in both directions. Default is True.
    lstm_dropout : float
        Dropout between stacked LSTM layers. Default is 0.0.
    pool : str
        ``"max"``, ``"mean"``, ``"maxmean"`` or ``"last"`` over the real time steps.
        Default is ``"maxmean"``.
    hidden : int
        Units of the dense layer; 0 for a linear head. Default is 925.
    dropout : float
        Dropout after the BiLSTM. Default is 0.5.
    """

    _name = "danq"

    def __init__(
        self,
        n_channels: int = 4,
        length: int | None = None,
        n_outputs: int = 1,
        n_filters: int | list[int] = 320,
        filter_width: int | list[int] = 26,
        pool_size: int | list[int] = 13,
        conv_dropout: float | list[float] = 0.2,
        padding: str = "same",
        lstm_hidden: int = 320,
        lstm_layers: int = 1,
        bidirectional: bool = True,
        lstm_dropout: float = 0.0,
        pool: str = "maxmean",
        hidden: int = 925,
        dropout: float = 0.5,
    ) -> None:
        super().__init__(
            n_channels=n_channels,
            length=length,
            n_outputs=n_outputs,
            n_filters=n_filters,
            filter_width=filter_width,
            pool_size=pool_size,
            conv_dropout=conv_dropout,
            padding=padding,
            lstm_hidden=lstm_hidden,
            lstm_layers=lstm_layers,
            bidirectional=bidirectional,
            lstm_dropout=lstm_dropout,
            pool=pool,
            hidden=hidden,
            dropout=dropout,
        )
