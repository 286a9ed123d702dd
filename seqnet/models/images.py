"""Image models: a LeNet-5-style CNN and a small residual network.

Tensor contract: ``(N, C, H, W)`` float -> logits ``(N, n_outputs)``.  Built from
``input_shape=[C, H, W]``, ``n_outputs`` and their hyper-parameters (no mask: images have
no missing pixels).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from seqnet.errors import ConfigError
from seqnet.models.common import (
    as_tuple,
    check_activation,
    check_bool,
    check_float,
    check_input,
    check_int,
    dense_head,
    init_for_activation,
    make_activation,
    make_dropout,
)
from seqnet.models.spec import ArrayConfig


@dataclass
class ImageConfig(ArrayConfig):
    """Arguments every image model takes: ``input_shape`` ``[C, H, W]``, ``n_outputs`` and
    ``with_mask``, which must be False (images have no missing pixels).

    Parameters
    ----------
    input_shape : list of int
        ``[C, H, W]``. Default is ``[1, 28, 28]``.
    n_outputs : int
        Number of logits. Default is 10.
    with_mask : bool
        Must be False. Default is False.
    """

    ndim = 3
    input_shape: tuple[int, ...] = (1, 28, 28)
    n_outputs: int = 10

    def check(self) -> None:
        if self.with_mask:
            raise ConfigError("image models take no mask (with_mask must be false)")
        super().check()


@dataclass
class LeNetConfig(ImageConfig):
    """Arguments of :class:`LeNet` (and :class:`ImageConfig`'s).

    Parameters
    ----------
    channels : list of int
        Feature maps of the two convolutions. Default is ``[6, 16]``.
    kernel_size : int
        Convolution size. Default is 5.
    hidden : int or list of int
        Dense layer units. Default is ``[120, 84]``.
    dropout : float
        Dropout after each dense layer. Default is 0.0.
    batch_norm : bool
        Batch norm after each convolution. Default is False.
    activation : str
        Activation after each convolution and dense layer (LeCun's original used tanh;
        see :data:`~seqnet.models.common.ACTIVATIONS`). Default is ``"relu"``.
    """

    channels: tuple[int, ...] = (6, 16)
    kernel_size: int = 5
    hidden: int | tuple[int, ...] = (120, 84)
    dropout: float = 0.0
    batch_norm: bool = False
    activation: str = "relu"

    def check(self) -> None:
        super().check()
        self.channels = as_tuple("channels", self.channels, 2)
        check_int("kernel_size", self.kernel_size)
        check_float("dropout", self.dropout)
        check_bool("batch_norm", self.batch_norm)
        self.hidden = as_tuple("hidden", self.hidden)
        check_activation(self.activation)


class LeNet(nn.Module):
    """LeNet-5-style CNN: two convolution + max-pool stages, then dense layers (LeCun et al. 1998).

    The classic layout for 28x28 digits: 5x5 convolution to 6 maps ('same' padding) ->
    ReLU -> 2x2 max pool -> 5x5 convolution to 16 maps -> ReLU -> 2x2 max pool ->
    dense 120 -> 84 -> outputs (ReLU instead of the original tanh, max instead of
    average pooling).

    Parameters
    ----------
    config : LeNetConfig
        Input shape and hyper-parameters.
    name : str
        Registry name, for messages. Default is ``"lenet"``.

    Raises
    ------
    ConfigError
        For images too small for the two stages.
    """

    takes_mask = False

    def __init__(self, config: LeNetConfig, name: str = "lenet") -> None:
        super().__init__()
        cfg = config
        self.name = name
        self.input_shape = cfg.input_shape
        (c1, c2), k = cfg.channels, cfg.kernel_size
        c, h, w = self.input_shape

        def block(c_in, c_out, pad):
            layers = [nn.Conv2d(c_in, c_out, k, padding=pad)]
            if cfg.batch_norm:
                layers.append(nn.BatchNorm2d(c_out))
            return layers + [make_activation(cfg.activation), nn.MaxPool2d(2)]

        self.features = nn.Sequential(*block(c, c1, k // 2), *block(c1, c2, 0))
        h2, w2 = (h // 2 - k + 1) // 2, (w // 2 - k + 1) // 2
        if h2 < 1 or w2 < 1:
            raise ConfigError(f"LeNet needs images of at least {2 * (k + 1)}x{2 * (k + 1)} pixels, got {h}x{w}")
        self.head = nn.Sequential(nn.Flatten(), *dense_head(c2 * h2 * w2, cfg.hidden, cfg.n_outputs, cfg.dropout,
                                                            activation=cfg.activation))
        init_for_activation(self, cfg.activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch.

        Parameters
        ----------
        x : torch.Tensor, shape (N, C, H, W)

        Returns
        -------
        torch.Tensor, shape (N, n_outputs)
            Logits.
        """
        check_input(self, x, None)
        return self.head(self.features(x))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity (or 1x1 projection) shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int, activation: str = "relu") -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out),
            make_activation(activation), nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
        )
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
        self.act = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, c_in, H, W)`` -> ``(N, c_out, H / stride, W / stride)``."""
        return self.act(self.body(x) + self.shortcut(x))


@dataclass
class ResNetConfig(ImageConfig):
    """Arguments of :class:`ResNet` (and :class:`ImageConfig`'s).

    Parameters
    ----------
    channels : int or list of int
        Width of each stage; the number of entries is the number of stages.
        Default is ``[16, 32, 64]``.
    blocks : int or list of int
        Residual blocks per stage, one value for all or one per stage. Default is 1.
    dropout : float
        Dropout before the output layer. Default is 0.0.
    activation : str
        Activation of the stem and the residual blocks (see
        :data:`~seqnet.models.common.ACTIVATIONS`). Default is ``"relu"``.
    """

    channels: int | tuple[int, ...] = (16, 32, 64)
    blocks: int | tuple[int, ...] = 1
    dropout: float = 0.0
    activation: str = "relu"

    def check(self) -> None:
        super().check()
        self.channels = as_tuple("channels", self.channels)
        self.blocks = as_tuple("blocks", self.blocks, len(self.channels))
        check_float("dropout", self.dropout)
        check_activation(self.activation)


class ResNet(nn.Module):
    """Small residual CNN: a 3x3 stem, stages of basic residual blocks, global average pooling.

    Each stage after the first halves the resolution (stride 2) (He et al. 2016, the
    CIFAR-style ResNet made narrow for small images on a CPU).

    Parameters
    ----------
    config : ResNetConfig
        Input shape and hyper-parameters.
    name : str
        Registry name, for messages. Default is ``"resnet"``.
    """

    takes_mask = False

    def __init__(self, config: ResNetConfig, name: str = "resnet") -> None:
        super().__init__()
        c = config
        self.name = name
        self.input_shape = c.input_shape
        widths = c.channels
        self.stem = nn.Sequential(nn.Conv2d(self.input_shape[0], widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), make_activation(c.activation))
        layers: list[nn.Module] = []
        c_in = widths[0]
        for i, (c_out, n) in enumerate(zip(widths, c.blocks)):
            for b in range(n):
                layers.append(BasicBlock(c_in, c_out, 2 if (i > 0 and b == 0) else 1, c.activation))
                c_in = c_out
        self.stages = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), make_dropout(c.dropout, c.activation),
                                  nn.Linear(c_in, c.n_outputs))
        init_for_activation(self, c.activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch.

        Parameters
        ----------
        x : torch.Tensor, shape (N, C, H, W)

        Returns
        -------
        torch.Tensor, shape (N, n_outputs)
            Logits.
        """
        check_input(self, x, None)
        return self.head(self.stages(self.stem(x)))
