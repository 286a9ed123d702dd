"""Basset: three batch-normalised convolution layers, then two dense layers.

Tensor contract: ``(N, C, L)`` float one-hot -> ``(N, n_outputs)`` logits.

After Kelley, Snoek & Rinn (2016): convolutions of 300, 200 and 200 filters of widths
19, 11 and 7, each followed by batch norm, ReLU and max pooling of 3, 4 and 4; the last
feature map flattened into two dense layers of 1000 units (batch norm, ReLU, dropout
0.3), then the output layer (logits here: the loss applies the sigmoid).

Differences from the paper, all optional:

- ``padding="same"`` by default, so any ``length >= 48`` works and motifs at the edges
  are seen; ``padding="valid"`` gives the published layout (needs ``length >= 168``).
- The dense input size is computed from ``length`` (Basset's 600 bp gives 200 x 10
  features with ``"valid"``), so the model accepts only inputs of that length.  With
  ``length=None`` the last feature map is max-pooled to ``adaptive_bins`` positions
  first, and any length works.
"""

from __future__ import annotations

from seqnet.models.common import FlattenCNN, as_tuple, check_float


class Basset(FlattenCNN):
    """Basset CNN (Kelley et al. 2016): 3 batch-normalised convolutions, 2 dense layers.

    Parameters
    ----------
    n_channels : int
        Input channels ``C`` (4 for DNA / RNA, 20 for protein). Default is 4.
    length : int or None
        Input length ``L``; sets the first dense layer's input size.  None: adaptive
        max pooling to ``adaptive_bins`` positions, any length. Default is None.
    n_outputs : int
        Number of logits. Default is 1.
    n_filters : list of int
        Filters of each convolution layer; the number of entries is the number of
        layers. Default is ``[300, 200, 200]``.
    filter_width : int or list of int
        Filter width of every layer, or one per layer. Default is ``[19, 11, 7]``.
    pool_size : int or list of int
        Max-pool size after every layer, or one per layer (1 = no pool). Default is
        ``[3, 4, 4]``.
    hidden : list of int
        Units of the dense layers; ``[]`` for a linear output layer. Default is
        ``[1000, 1000]``.
    dropout : float
        Dropout after each dense layer. Default is 0.3.
    padding : str
        ``"same"`` or ``"valid"`` (published) convolutions. Default is ``"same"``.
    adaptive_bins : int
        Positions the last feature map is pooled to when ``length`` is None.
        Default is 16.

    Raises
    ------
    TypeError
        For a bad hyper-parameter, or a ``length`` too short for the pooling stack.
    """

    def __init__(
        self,
        n_channels: int = 4,
        length: int | None = None,
        n_outputs: int = 1,
        n_filters: list[int] | tuple[int, ...] = (300, 200, 200),
        filter_width: int | list[int] = (19, 11, 7),
        pool_size: int | list[int] = (3, 4, 4),
        hidden: list[int] | tuple[int, ...] = (1000, 1000),
        dropout: float = 0.3,
        padding: str = "same",
        adaptive_bins: int = 16,
    ) -> None:
        filters = as_tuple("n_filters", n_filters)
        n = len(filters)
        if not isinstance(hidden, (list, tuple)):
            raise TypeError(f"hidden must be a list of integers, got {hidden!r}")
        super().__init__(
            name="basset",
            n_channels=n_channels,
            length=length,
            n_outputs=n_outputs,
            n_filters=filters,
            filter_width=as_tuple("filter_width", filter_width, n),
            pool_size=as_tuple("pool_size", pool_size, n),
            conv_dropout=(0.0,) * n,
            batch_norm=True,
            padding=padding,
            hidden=as_tuple("hidden", hidden) if hidden else (),
            dropout=check_float("dropout", dropout),
            dense_batch_norm=True,
            adaptive_bins=adaptive_bins,
        )
