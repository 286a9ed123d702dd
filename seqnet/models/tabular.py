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

import torch
import torch.nn as nn

from seqnet.models.common import as_tuple, check_float, check_int, dense_head


def check_shape(input_shape, ndim: int | None = None) -> tuple[int, ...]:
    """``input_shape`` as a tuple of ints >= 1 (of length ``ndim`` when given); TypeError otherwise."""
    if not isinstance(input_shape, (list, tuple)) or not input_shape:
        raise TypeError(f"input_shape must be a non-empty list of integers, got {input_shape!r}")
    shape = tuple(check_int(f"input_shape[{i}]", v) for i, v in enumerate(input_shape))
    if ndim is not None and len(shape) != ndim:
        raise TypeError(f"input_shape must have {ndim} entries, got {list(shape)}")
    return shape


def check_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be true or false, got {value!r}")
    return value


def check_input(model: nn.Module, x: torch.Tensor, mask: torch.Tensor | None) -> None:
    """Raise ValueError unless ``x`` is ``(N, *input_shape)`` and ``mask`` matches it."""
    if tuple(x.shape[1:]) != model.input_shape:
        raise ValueError(
            f"expected inputs of shape (N, {', '.join(map(str, model.input_shape))}), got {tuple(x.shape)}"
        )
    if mask is not None and (mask.dtype != torch.bool or mask.shape != x.shape):
        raise ValueError(f"mask must be a bool tensor shaped like the input {tuple(x.shape)}, got {mask.dtype} {tuple(mask.shape)}")


class FlatNet(nn.Module):
    """Flatten the input (and its mask), then a dense stack; base of :class:`Softmax` / :class:`MLP`."""

    def __init__(self, input_shape, n_outputs: int, with_mask: bool, hidden: tuple[int, ...], dropout: float,
                 batch_norm: bool) -> None:
        super().__init__()
        self.input_shape = check_shape(input_shape)
        check_int("n_outputs", n_outputs)
        self.takes_mask = check_bool("with_mask", with_mask)
        check_float("dropout", dropout)
        check_bool("batch_norm", batch_norm)
        n_in = math.prod(self.input_shape) * (2 if with_mask else 1)
        self.net = dense_head(n_in, hidden, n_outputs, dropout, batch_norm)

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


class Softmax(FlatNet):
    """Softmax (multinomial logistic) regression: one linear layer on the flattened input.

    With one output it is logistic regression (sigmoid), for a regression task linear
    regression.  L2 regularisation is the training option ``weight_decay``.

    Parameters
    ----------
    input_shape : list of int
        Per-sample input shape, e.g. ``[F]``, ``[T, F]`` or ``[C, H, W]``.
    n_outputs : int
        Number of logits (classes, tasks). Default is 1.
    with_mask : bool
        Append the observed-value mask as features. Default is False.
    """

    def __init__(self, input_shape=(1,), n_outputs: int = 1, with_mask: bool = False) -> None:
        super().__init__(input_shape, n_outputs, with_mask, hidden=(), dropout=0.0, batch_norm=False)


class MLP(FlatNet):
    """Multilayer perceptron: dense ReLU layers with dropout on the flattened input.

    Parameters
    ----------
    input_shape : list of int
        Per-sample input shape, e.g. ``[F]``, ``[T, F]`` or ``[C, H, W]``.
    n_outputs : int
        Number of logits. Default is 1.
    with_mask : bool
        Append the observed-value mask as features. Default is False.
    hidden : int or list of int
        Units of each hidden layer; the number of entries is the number of layers.
        Default is ``[128]``.
    dropout : float
        Dropout after each hidden layer. Default is 0.2.
    batch_norm : bool
        Batch norm after each hidden linear layer. Default is False.
    """

    def __init__(self, input_shape=(1,), n_outputs: int = 1, with_mask: bool = False, hidden=(128,),
                 dropout: float = 0.2, batch_norm: bool = False) -> None:
        super().__init__(input_shape, n_outputs, with_mask, hidden=as_tuple("hidden", hidden), dropout=dropout,
                         batch_norm=batch_norm)
