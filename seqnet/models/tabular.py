"""Models for plain feature vectors: softmax (logistic) regression and a multilayer perceptron.

Tensor contract: any ``(N, *input_shape)`` float input is flattened to ``(N, P)``
(``P = prod(input_shape)``): a table's ``(N, F)``, a time series' ``(N, T, F)``, an
image's ``(N, C, H, W)``.  With ``with_mask=True`` the model also takes a bool mask shaped
like the input (True = observed) and appends it as ``P`` more 0/1 features, so a missing
value is never mistaken for a measured 0.  Output: logits ``(N, n_outputs)``.

Every array model (here, :mod:`seqnet.models.timeseries`, :mod:`seqnet.models.images`)
is built from keyword arguments ``input_shape`` (per-sample shape), ``n_outputs``,
``with_mask`` and its own hyper-parameters, so a checkpoint rebuilds it from a dict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from seqnet.models.common import (
    as_tuple,
    check_activation,
    check_bool,
    check_float,
    check_input,
    dense_head,
    init_for_activation,
)
from seqnet.models.spec import ArrayConfig, ModelSpec


@dataclass
class FlatConfig(ArrayConfig):
    """Arguments of :class:`FlatNet` (and :class:`~seqnet.models.spec.ArrayConfig`'s).

    ``input_shape`` is any per-sample shape (``[F]``, ``[T, F]`` or ``[C, H, W]``);
    ``with_mask`` appends the observed-value mask as features.  The checked config holds
    ``hidden`` as a tuple (or None).

    Parameters
    ----------
    hidden : int or list of int or None
        Units of each hidden layer; the number of entries is the number of layers;
        None: no hidden layer (``softmax``). Default is ``[128]``.
    dropout : float
        Dropout after each hidden layer. Default is 0.2.
    batch_norm : bool
        Batch norm after each hidden linear layer. Default is False.
    activation : str
        Activation of the hidden layers (see :data:`~seqnet.models.common.ACTIVATIONS`;
        ``"selu"`` brings its initialisation and alpha-dropout: a self-normalising
        network). Default is ``"relu"``.
    """

    hidden: int | tuple[int, ...] | None = (128,)
    dropout: float = 0.2
    batch_norm: bool = False
    activation: str = "relu"

    def check(self) -> None:
        if self.hidden is not None:
            self.hidden = as_tuple("hidden", self.hidden)
        super().check()
        check_float("dropout", self.dropout)
        check_bool("batch_norm", self.batch_norm)
        check_activation(self.activation)


class FlatNet(nn.Module):
    """Flatten the input (and its mask), then a dense stack: ``mlp``, or ``softmax`` without hidden layers.

    Parameters
    ----------
    config : FlatConfig
        Input shape and hyper-parameters.
    name : str
        Registry name, for messages. Default is ``"mlp"``.
    """

    def __init__(self, config: FlatConfig, name: str = "mlp") -> None:
        super().__init__()
        c = config
        self.name = name
        self.input_shape = c.input_shape
        self.takes_mask = c.with_mask
        n_in = math.prod(self.input_shape) * (2 if c.with_mask else 1)
        self.net = dense_head(n_in, c.hidden or (), c.n_outputs, c.dropout, c.batch_norm, c.activation)
        init_for_activation(self, c.activation)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Score a batch.

        Parameters
        ----------
        x : torch.Tensor, shape (N, *input_shape)
            Features (0 where unobserved).
        mask : torch.Tensor or None, shape (N, *input_shape), dtype bool
            True where observed; None means everything is. Used when built with
            ``with_mask=True``. Default is None.

        Returns
        -------
        torch.Tensor, shape (N, n_outputs)
            Logits.
        """
        check_input(self, x, mask)
        h = x.flatten(1)
        if self.takes_mask:
            m = torch.ones_like(h) if mask is None else mask.flatten(1).to(h.dtype)
            h = torch.cat([h, m], dim=1)
        return self.net(h)


#: ``softmax``: softmax (multinomial logistic) regression, one linear layer on the flattened
#: input.  With one output it is logistic regression (sigmoid), for a regression task linear
#: regression; L2 regularisation is the training option ``weight_decay``.
Softmax = ModelSpec(
    "softmax", FlatNet, FlatConfig, fixed=dict(hidden=None, dropout=0.0, batch_norm=False, activation="relu"),
    description="Softmax (multinomial logistic) regression: one linear layer on the flattened input.",
)

#: ``mlp``: dense layers (ReLU by default) with dropout on the flattened input (:class:`FlatConfig` defaults).
MLP = ModelSpec(
    "mlp", FlatNet, FlatConfig,
    description="Multilayer perceptron: dense ReLU layers with dropout on the flattened input.",
)
