"""Dilated residual CNN: a stem convolution, then residual blocks of dilated convolutions.

Tensor contract: ``(N, C, L)`` float one-hot -> ``(N, n_outputs)`` logits.

In the style of Basenji (Kelley et al. 2018) and BPNet (Avsec et al. 2021): block ``i``
is a width-``kernel_size`` convolution with dilation ``2**i`` ('same' padding, so the
length never shrinks), batch norm (``batch_norm``), an activation and a residual add, so the receptive
field grows exponentially with depth at a constant cost per block.  Unless ``n_blocks``
is given, the fewest blocks whose receptive field covers ``length`` are used.  The head
pools globally (max and / or mean over positions), so any input length works.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from seqnet.errors import ConfigError
from seqnet.models.common import (
    check_activation,
    check_bool,
    check_choice,
    check_float,
    check_int,
    dense_head,
    init_for_activation,
    make_activation,
    make_dropout,
    receptive_field,
)
from seqnet.models.spec import SequenceConfig

_POOLS = ("max", "mean", "maxmean")


def blocks_to_cover(length: int, stem_width: int, kernel_size: int) -> int:
    """Fewest dilated blocks (dilations 1, 2, 4, ...) whose receptive field is >= ``length``."""
    n, rf = 0, stem_width
    while rf < length:
        rf += (kernel_size - 1) * 2**n
        n += 1
    return n


class _Block(nn.Module):
    """``x + dropout(act(bn(conv_dilated(x))))``; shape ``(N, F, L)`` kept."""

    def __init__(self, channels: int, kernel_size: int, dilation: int, activation: str, dropout: float,
                 batch_norm: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel_size, dilation=dilation, padding="same")
        self.bn = nn.BatchNorm1d(channels) if batch_norm else nn.Identity()
        self.act = make_activation(activation)
        self.drop = make_dropout(dropout, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop(self.act(self.bn(self.conv(x))))


@dataclass
class DilatedConfig(SequenceConfig):
    """Arguments of :class:`DilatedResNet` (and :class:`~seqnet.models.spec.SequenceConfig`'s).

    ``length`` sets the number of blocks when ``n_blocks`` is None (the architecture
    itself accepts any length).

    Parameters
    ----------
    channels : int
        Filters of the stem and of every block. Default is 64.
    stem_width : int
        Width of the stem (motif-detecting) convolution. Default is 15.
    kernel_size : int
        Width of each dilated convolution. Default is 3.
    n_blocks : int or None
        Residual blocks (dilations 1, 2, ..., ``2**(n_blocks - 1)``); None: the fewest
        whose receptive field covers ``length``. Default is None.
    activation : str
        Activation of the stem and of every block (see
        :data:`~seqnet.models.common.ACTIVATIONS`; ``"selu"`` brings its
        initialisation and alpha-dropout). Default is ``"gelu"``.
    dropout : float
        Dropout on each residual branch and before the dense head. Default is 0.1.
    pool : str
        Global pooling of the last feature map: ``"max"``, ``"mean"`` or
        ``"maxmean"`` (both, concatenated). Default is ``"maxmean"``.
    hidden : int
        Units of a hidden dense layer; 0 for a linear head. Default is 0.
    batch_norm : bool
        Batch norm between each convolution and its activation. Default is True.
    """

    channels: int = 64
    stem_width: int = 15
    kernel_size: int = 3
    n_blocks: int | None = None
    activation: str = "gelu"
    dropout: float = 0.1
    pool: str = "maxmean"
    hidden: int = 0
    batch_norm: bool = True

    def check(self) -> None:
        super().check()
        check_int("channels", self.channels)
        check_int("stem_width", self.stem_width)
        check_int("kernel_size", self.kernel_size, 2)
        check_activation(self.activation)
        check_bool("batch_norm", self.batch_norm)
        check_float("dropout", self.dropout)
        check_choice("pool", self.pool, _POOLS)
        check_int("hidden", self.hidden, 0)
        if self.n_blocks is None and self.length is None:
            raise ConfigError("dilated: give length (the blocks then cover it) or n_blocks")
        if self.n_blocks is not None:
            check_int("n_blocks", self.n_blocks, 0)


class DilatedResNet(nn.Module):
    """Residual CNN with exponentially dilated convolutions and a global-pooling head.

    Parameters
    ----------
    config : DilatedConfig
        Input size and hyper-parameters.
    name : str
        Registry name, for messages. Default is ``"dilated"``.
    """

    takes_mask = False

    def __init__(self, config: DilatedConfig, name: str = "dilated") -> None:
        super().__init__()
        c = config
        self.name = name
        self.pool = c.pool
        self.length = c.length
        self.stem = nn.Sequential(
            nn.Conv1d(c.n_channels, c.channels, c.stem_width, padding="same"),
            nn.BatchNorm1d(c.channels) if c.batch_norm else nn.Identity(),
            make_activation(c.activation),
        )
        n_blocks = c.n_blocks if c.n_blocks is not None else blocks_to_cover(c.length, c.stem_width, c.kernel_size)
        self.blocks = nn.Sequential(
            *(_Block(c.channels, c.kernel_size, 2**i, c.activation, c.dropout, c.batch_norm) for i in range(n_blocks))
        )
        n_features = c.channels * (2 if c.pool == "maxmean" else 1)
        head = dense_head(n_features, (c.hidden,) if c.hidden else (), c.n_outputs, c.dropout, activation=c.activation)
        self.head = nn.Sequential(make_dropout(c.dropout, c.activation), *head)
        init_for_activation(self, c.activation)
        self._receptive_field = receptive_field([self.stem[0], *(b.conv for b in self.blocks)])

    @property
    def first_conv(self) -> nn.Conv1d:
        """The stem (motif-detecting) convolution."""
        return self.stem[0]

    @property
    def receptive_field(self) -> int:
        """Input bases seen by one position of the last block's output."""
        return self._receptive_field

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch (padding is seen as all-zero columns, like N).

        Parameters
        ----------
        x : torch.Tensor, shape (N, C, L)
            One-hot sequences, any length.

        Returns
        -------
        torch.Tensor, shape (N, n_outputs)
            Logits.
        """
        h = self.blocks(self.stem(x))
        feats = []
        if self.pool in ("max", "maxmean"):
            feats.append(h.amax(dim=-1))
        if self.pool in ("mean", "maxmean"):
            feats.append(h.mean(dim=-1))
        return self.head(torch.cat(feats, dim=1))
