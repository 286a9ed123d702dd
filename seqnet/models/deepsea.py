"""DeepSEA: three convolution layers with max pooling, flattened into a dense layer.

Tensor contract: ``(N, C, L)`` float one-hot -> ``(N, n_outputs)`` logits.

After Zhou & Troyanskaya (2015): convolutions of 320, 480 and 960 filters of width 8,
each followed by ReLU; max pool 4 after the first two; dropout 0.2, 0.2 and 0.5 after
the three layers; the last feature map flattened into a dense layer of 925 ReLU units,
then the output layer (logits here: the loss applies the sigmoid).

Differences from the paper, all optional:

- ``padding="same"`` by default, so any ``length >= 16`` works and motifs at the edges
  are seen; ``padding="valid"`` gives the published layout (needs ``length >= 163``).
- The dense input size is computed from ``length``, so the model accepts only inputs of
  that length (as DeepSEA's 1000 bp).  With ``length=None`` the last feature map is
  max-pooled to ``adaptive_bins`` positions first, and any length works.
- The paper's L1 / L2 penalties and max-norm constraint are left to the training config
  (``weight_decay``).
"""

from __future__ import annotations

from seqnet.models.common import FlattenCNN, as_float_tuple, as_tuple, check_int


class DeepSEA(FlattenCNN):
    """DeepSEA CNN (Zhou & Troyanskaya 2015): 3 convolutions, max pools, dense 925.

    Parameters
    ----------
    n_channels : int
        Input channels ``C`` (4 for DNA / RNA, 20 for protein). Default is 4.
    length : int or None
        Input length ``L``; sets the dense layer's input size.  None: adaptive max
        pooling to ``adaptive_bins`` positions, any length. Default is None.
    n_outputs : int
        Number of logits. Default is 1.
    n_filters : list of int
        Filters of each convolution layer; the number of entries is the number of
        layers. Default is ``[320, 480, 960]``.
    filter_width : int or list of int
        Filter width of every layer, or one per layer. Default is 8.
    pool_size : int
        Max-pool size after every convolution but the last. Default is 4.
    dropout : float or list of float
        Dropout after each convolution layer (after its pool). Default is
        ``[0.2, 0.2, 0.5]``.
    hidden : int
        Units of the dense layer; 0 for a linear output layer. Default is 925.
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
        n_filters: list[int] | tuple[int, ...] = (320, 480, 960),
        filter_width: int | list[int] = 8,
        pool_size: int = 4,
        dropout: float | list[float] = (0.2, 0.2, 0.5),
        hidden: int = 925,
        padding: str = "same",
        adaptive_bins: int = 16,
    ) -> None:
        filters = as_tuple("n_filters", n_filters)
        n = len(filters)
        pool = check_int("pool_size", pool_size)
        units = check_int("hidden", hidden, 0)
        super().__init__(
            name="deepsea",
            n_channels=n_channels,
            length=length,
            n_outputs=n_outputs,
            n_filters=filters,
            filter_width=as_tuple("filter_width", filter_width, n),
            pool_size=(pool,) * (n - 1) + (1,),
            conv_dropout=as_float_tuple("dropout", dropout, n),
            batch_norm=False,
            padding=padding,
            hidden=(units,) if units else (),
            dropout=0.0,
            dense_batch_norm=False,
            adaptive_bins=adaptive_bins,
        )
