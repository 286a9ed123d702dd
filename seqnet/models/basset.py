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

from dataclasses import dataclass

from seqnet.errors import ConfigError
from seqnet.models.common import (
    PADDINGS,
    FlattenCNN,
    as_tuple,
    check_activation,
    check_bool,
    check_choice,
    check_float,
    check_int,
)
from seqnet.models.spec import SequenceConfig


@dataclass
class BassetConfig(SequenceConfig):
    """Arguments of :class:`Basset` (and :class:`~seqnet.models.spec.SequenceConfig`'s).

    ``length`` sets the first dense layer's input size; None: adaptive max pooling to
    ``adaptive_bins`` positions, any length.  The checked config holds per-layer tuples.

    Parameters
    ----------
    n_filters : list of int
        Filters of each convolution layer; the number of entries is the number of
        layers. Default is ``[300, 200, 200]``.
    filter_width : int or list of int
        Filter width of every layer, or one per layer. Default is ``[19, 11, 7]``.
    pool_size : int or list of int
        Max-pool size after every layer, or one per layer (1 = none). Default is
        ``[3, 4, 4]``.
    hidden : list of int
        Units of the dense layers; ``[]`` for a linear output layer. Default is
        ``[1000, 1000]``.
    dropout : float
        Dropout after each dense layer. Default is 0.3.
    padding : str
        ``"same"`` or ``"valid"`` (published; needs ``length >= 168``) convolutions.
        Default is ``"same"``.
    adaptive_bins : int
        Positions the last feature map is pooled to when ``length`` is None (only for a
        model built without a length). Default is 16.
    activation : str
        Activation after each convolution and dense layer (see
        :data:`~seqnet.models.common.ACTIVATIONS`). Default is ``"relu"``.
    batch_norm : bool
        Batch norm between each convolution (and dense layer) and its activation.
        Default is True (as published).
    """

    n_filters: tuple[int, ...] = (300, 200, 200)
    filter_width: int | tuple[int, ...] = (19, 11, 7)
    pool_size: int | tuple[int, ...] = (3, 4, 4)
    hidden: tuple[int, ...] = (1000, 1000)
    dropout: float = 0.3
    padding: str = "same"
    adaptive_bins: int = 16
    activation: str = "relu"
    batch_norm: bool = True

    def check(self) -> None:
        self.n_filters = as_tuple("n_filters", self.n_filters)
        n = len(self.n_filters)
        if not isinstance(self.hidden, (list, tuple)):
            raise ConfigError(f"hidden must be a list of integers, got {self.hidden!r}")
        self.filter_width = as_tuple("filter_width", self.filter_width, n)
        self.pool_size = as_tuple("pool_size", self.pool_size, n)
        self.hidden = as_tuple("hidden", self.hidden) if self.hidden else ()
        check_float("dropout", self.dropout)
        super().check()
        check_choice("padding", self.padding, PADDINGS)
        check_int("adaptive_bins", self.adaptive_bins)
        check_activation(self.activation)
        check_bool("batch_norm", self.batch_norm)


class Basset(FlattenCNN):
    """Basset CNN (Kelley et al. 2016): 3 batch-normalised convolutions, 2 dense layers.

    Parameters
    ----------
    config : BassetConfig
        Input size and hyper-parameters.
    name : str
        Registry name, for messages. Default is ``"basset"``.

    Raises
    ------
    ConfigError
        For a ``length`` too short for the pooling stack.
    """

    def __init__(self, config: BassetConfig, name: str = "basset") -> None:
        c = config
        super().__init__(
            name=name,
            n_channels=c.n_channels,
            length=c.length,
            n_outputs=c.n_outputs,
            n_filters=c.n_filters,
            filter_width=c.filter_width,
            pool_size=c.pool_size,
            conv_dropout=(0.0,) * len(c.n_filters),
            batch_norm=c.batch_norm,
            padding=c.padding,
            hidden=c.hidden,
            dropout=c.dropout,
            dense_batch_norm=c.batch_norm,
            adaptive_bins=c.adaptive_bins,
            activation=c.activation,
        )
