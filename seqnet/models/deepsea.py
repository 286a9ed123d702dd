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
- The paper's L1 / L2 penalties are the training settings ``l1`` and ``weight_decay``
  (its max-norm constraint is left out).
- ``activation`` (ReLU by default) and ``batch_norm`` (off by default) are knobs.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqnet.models.common import (
    PADDINGS,
    FlattenCNN,
    as_float_tuple,
    as_tuple,
    check_activation,
    check_bool,
    check_choice,
    check_int,
)
from seqnet.models.spec import SequenceConfig


@dataclass
class DeepSEAConfig(SequenceConfig):
    """Arguments of :class:`DeepSEA` (and :class:`~seqnet.models.spec.SequenceConfig`'s).

    ``length`` sets the dense layer's input size; None: adaptive max pooling to
    ``adaptive_bins`` positions, any length.  The checked config holds per-layer tuples.

    Parameters
    ----------
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
        ``"same"`` or ``"valid"`` (published; needs ``length >= 163``) convolutions.
        Default is ``"same"``.
    adaptive_bins : int
        Positions the last feature map is pooled to when ``length`` is None (only for a
        model built without a length). Default is 16.
    activation : str
        Activation after each convolution and the dense layer (see
        :data:`~seqnet.models.common.ACTIVATIONS`). Default is ``"relu"``.
    batch_norm : bool
        Batch norm between each convolution (and the dense layer) and its activation.
        Default is False (as published).
    """

    n_filters: tuple[int, ...] = (320, 480, 960)
    filter_width: int | tuple[int, ...] = 8
    pool_size: int = 4
    dropout: float | tuple[float, ...] = (0.2, 0.2, 0.5)
    hidden: int = 925
    padding: str = "same"
    adaptive_bins: int = 16
    activation: str = "relu"
    batch_norm: bool = False

    def check(self) -> None:
        self.n_filters = as_tuple("n_filters", self.n_filters)
        n = len(self.n_filters)
        check_int("pool_size", self.pool_size)
        check_int("hidden", self.hidden, 0)
        self.filter_width = as_tuple("filter_width", self.filter_width, n)
        self.dropout = as_float_tuple("dropout", self.dropout, n)
        super().check()
        check_choice("padding", self.padding, PADDINGS)
        check_int("adaptive_bins", self.adaptive_bins)
        check_activation(self.activation)
        check_bool("batch_norm", self.batch_norm)


class DeepSEA(FlattenCNN):
    """DeepSEA CNN (Zhou & Troyanskaya 2015): 3 convolutions, max pools, dense 925.

    Parameters
    ----------
    config : DeepSEAConfig
        Input size and hyper-parameters.
    name : str
        Registry name, for messages. Default is ``"deepsea"``.

    Raises
    ------
    ConfigError
        For a ``length`` too short for the pooling stack.
    """

    def __init__(self, config: DeepSEAConfig, name: str = "deepsea") -> None:
        c = config
        n = len(c.n_filters)
        super().__init__(
            name=name,
            n_channels=c.n_channels,
            length=c.length,
            n_outputs=c.n_outputs,
            n_filters=c.n_filters,
            filter_width=c.filter_width,
            pool_size=(c.pool_size,) * (n - 1) + (1,),
            conv_dropout=c.dropout,
            batch_norm=c.batch_norm,
            padding=c.padding,
            hidden=(c.hidden,) if c.hidden else (),
            dropout=0.0,
            dense_batch_norm=c.batch_norm,
            adaptive_bins=c.adaptive_bins,
            activation=c.activation,
        )
