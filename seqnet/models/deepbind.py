"""DeepBind-style CNN: convolution -> (batch norm) -> ReLU -> global max (+ mean) pool -> dense.

Tensor contract: ``(N, C, L)`` float one-hot -> ``(N, n_outputs)`` logits.

After Alipanahi et al. (2015): one convolutional layer of motif detectors scanned along
the sequence, each filter reduced to its best match (global max pool), followed by a
small fully connected head.  Options beyond the original: several filters, batch norm,
another activation than ReLU, average pooling next to max pooling, and strand-symmetric
scoring (the filters are scanned over both strands and the per-filter maxima are
combined), which DeepBind did at test time by scoring both strands.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from seqnet.errors import ConfigError
from seqnet.models.common import (
    check_activation,
    check_bool,
    check_float,
    check_int,
    init_for_activation,
    make_activation,
    make_dropout,
)
from seqnet.models.spec import SequenceConfig


@dataclass
class DeepBindConfig(SequenceConfig):
    """Arguments of :class:`DeepBind` (and :class:`~seqnet.models.spec.SequenceConfig`'s).

    ``length`` is unused by the architecture (global pooling) but kept in the checkpoint.

    Parameters
    ----------
    n_filters : int
        Convolution filters (motif detectors). Default is 128.
    filter_width : int
        Filter width in bases. Default is 24.
    hidden : int
        Units of the hidden dense layer for a single output; 0 for a linear head.
        Default is 32.
    multi_hidden : int
        The same for several outputs (multi-label or multi-class). Default is 0: a
        linear head, each output reading the pooled motif features directly; a
        shared hidden layer of a few units starves some tasks of a multi-label set
        (measured on ``seqnet simulate`` data: 3 of 8 tasks unlearned with 32 units,
        all 8 learned with a linear head).
    dropout : float
        Dropout before the dense layers. Default is 0.5.
    pool : str
        ``"max"`` or ``"maxavg"`` (max and mean pooled features concatenated).
        Default is ``"maxavg"``.
    both_strands : bool
        Also scan the reverse complement and take the per-filter maximum over
        strands.  Only alphabets with a complement (DNA / RNA: 4 channels) have one:
        with other alphabets (protein) one strand is scanned, as ``rc_augment`` is
        off for them. Default is False.
    activation : str
        Activation of the convolution and of the hidden dense layer (see
        :data:`~seqnet.models.common.ACTIVATIONS`; ``"selu"`` brings its
        initialisation and alpha-dropout). Default is ``"relu"``.
    batch_norm : bool
        Batch norm between the convolution and its activation. Default is False.
    """

    n_filters: int = 128
    filter_width: int = 24
    hidden: int = 32
    multi_hidden: int = 0
    dropout: float = 0.5
    pool: str = "maxavg"
    both_strands: bool = False
    activation: str = "relu"
    batch_norm: bool = False

    def check(self) -> None:
        super().check()
        if self.pool not in ("max", "maxavg"):
            raise ConfigError(f"pool must be 'max' or 'maxavg', not {self.pool!r}")
        check_int("n_filters", self.n_filters)
        check_int("filter_width", self.filter_width)
        check_int("hidden", self.hidden, 0)
        check_int("multi_hidden", self.multi_hidden, 0)
        check_float("dropout", self.dropout)
        check_bool("both_strands", self.both_strands)
        check_activation(self.activation)
        check_bool("batch_norm", self.batch_norm)


class DeepBind(nn.Module):
    """DeepBind-style single-layer CNN.

    Parameters
    ----------
    config : DeepBindConfig
        Input size and hyper-parameters.
    name : str
        Registry name, for messages. Default is ``"deepbind"``.
    """

    #: padding is seen as all-zero columns (like N); no mask needed
    takes_mask = False

    def __init__(self, config: DeepBindConfig, name: str = "deepbind") -> None:
        super().__init__()
        c = config
        self.name = name
        self.pool = c.pool
        self.both_strands = c.both_strands and c.n_channels == 4  # protein has no reverse complement
        # 'same'-style padding keeps motifs at the sequence edges detectable.
        self.conv = nn.Conv1d(c.n_channels, c.n_filters, c.filter_width, padding=c.filter_width // 2)
        # None without batch norm: the state dict of the default model is unchanged.
        self.bn = nn.BatchNorm1d(c.n_filters) if c.batch_norm else None
        self.act = make_activation(c.activation)
        n_features = c.n_filters * (2 if c.pool == "maxavg" else 1)
        hidden = c.multi_hidden if c.n_outputs > 1 else c.hidden
        layers: list[nn.Module] = [make_dropout(c.dropout, c.activation)]
        if hidden > 0:
            layers += [nn.Linear(n_features, hidden), make_activation(c.activation),
                       make_dropout(c.dropout, c.activation), nn.Linear(hidden, c.n_outputs)]
        else:
            layers += [nn.Linear(n_features, c.n_outputs)]
        self.head = nn.Sequential(*layers)
        init_for_activation(self, c.activation)

    @property
    def first_conv(self) -> nn.Conv1d:
        """The motif-detecting convolution (used by motif extraction)."""
        return self.conv

    @property
    def receptive_field(self) -> int:
        """Input bases seen by one position of the convolution's output (the filter width)."""
        return self.conv.kernel_size[0]

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        if self.bn is not None:
            h = self.bn(h)
        h = self.act(h)
        feats = [h.amax(dim=-1)]
        if self.pool == "maxavg":
            feats.append(h.mean(dim=-1))
        return torch.cat(feats, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch.

        Parameters
        ----------
        x : torch.Tensor, shape (N, C, L)
            One-hot sequences.

        Returns
        -------
        torch.Tensor, shape (N, n_outputs)
            Logits.
        """
        f = self._features(x)
        if self.both_strands:
            f = torch.maximum(f, self._features(x.flip(1, 2)))
        return self.head(f)
