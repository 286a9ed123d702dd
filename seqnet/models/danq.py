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

from seqnet.models.recurrent import CNNLSTM, RecurrentConfig, RecurrentNet
from seqnet.models.spec import ModelSpec

#: ``danq``: ``cnn_lstm`` (:class:`~seqnet.models.recurrent.RecurrentNet`, arguments in
#: :class:`~seqnet.models.recurrent.RecurrentConfig`) with DanQ's sizes as defaults: 320
#: filters of width 26, max pool 13, dropout 0.2; a BiLSTM of 320 units per direction;
#: dropout 0.5 and a dense layer of 925 units.
DanQ = ModelSpec(
    "danq", RecurrentNet, RecurrentConfig, fixed=CNNLSTM.fixed,
    defaults=dict(n_filters=320, filter_width=26, pool_size=13, conv_dropout=0.2, lstm_hidden=320,
                  bidirectional=True, hidden=925, dropout=0.5),
    description="DanQ (Quang & Xie 2016): convolution -> max pool -> BiLSTM -> dense 925.",
)
