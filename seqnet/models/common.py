"""Building blocks shared by the models: argument checks, activation functions (with
SELU's initialisation and alpha-dropout), length and receptive-field arithmetic over layer
stacks, padding-mask helpers and the one input check of the array models.

Tensor conventions: sequences are ``(N, C, L)`` float one-hot; a padding mask is a bool
``(N, L)`` tensor, True at real positions, whose True region is contiguous.  Array models
take ``(N, *input_shape)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from seqnet.errors import ConfigError

PADDINGS = ("same", "valid")


# -- argument checks (ConfigError: a bad hyper-parameter is a user's mistake) ----------------------


def check_int(name: str, value, minimum: int = 1) -> int:
    """Return ``value`` if it is an int >= ``minimum``, else raise ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_float(name: str, value, low: float = 0.0, high: float = 1.0) -> float:
    """Return ``value`` as float if it is a number in ``[low, high)``, else raise ConfigError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value < high:
        raise ConfigError(f"{name} must be a number in [{low}, {high}), got {value!r}")
    return float(value)


def check_bool(name: str, value) -> bool:
    """Return ``value`` if it is True or False, else raise ConfigError."""
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return value


def check_choice(name: str, value, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ConfigError."""
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, choices))}, not {value!r}")
    return value


def as_tuple(name: str, value, n: int | None = None, minimum: int = 1) -> tuple[int, ...]:
    """Turn an int or a list of ints (YAML gives lists) into a tuple of ints >= ``minimum``.

    A single int is repeated ``n`` times when ``n`` is given; ConfigError otherwise.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value] * (n if n is not None else 1)
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(f"{name} must be an integer or a non-empty list of integers, got {value!r}")
    out = tuple(check_int(f"{name}[{i}]", v, minimum) for i, v in enumerate(value))
    if n is not None and len(out) != n:
        raise ConfigError(f"{name} must have {n} entries (one per layer), got {len(out)}")
    return out


def as_float_tuple(name: str, value, n: int) -> tuple[float, ...]:
    """Turn a float or a list of ``n`` floats into a tuple of dropout rates in ``[0, 1)``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value] * n
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise ConfigError(f"{name} must be a number or a list of {n} numbers, got {value!r}")
    return tuple(check_float(f"{name}[{i}]", v) for i, v in enumerate(value))


def check_length(length) -> int | None:
    """``length`` must be None or an int >= 1."""
    if length is not None:
        check_int("length", length)
    return length


def check_shape(input_shape, ndim: int | None = None) -> tuple[int, ...]:
    """``input_shape`` as a tuple of ints >= 1 (of length ``ndim`` when given); ConfigError otherwise."""
    if not isinstance(input_shape, (list, tuple)) or not input_shape:
        raise ConfigError(f"input_shape must be a non-empty list of integers, got {input_shape!r}")
    shape = tuple(check_int(f"input_shape[{i}]", v) for i, v in enumerate(input_shape))
    if ndim is not None and len(shape) != ndim:
        raise ConfigError(f"input_shape must have {ndim} entries, got {list(shape)}")
    return shape


# -- activations ----------------------------------------------------------------------------------

#: The activation functions a model's ``activation`` argument may name (the step, sign and
#: linear units of the lectures are left out: zero gradient almost everywhere, or no
#: non-linearity at all).  ``leaky_relu`` has slope 0.01 below zero; ``prelu`` learns one
#: slope per layer (starting at 0.25).
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "prelu": nn.PReLU, "elu": nn.ELU, "selu": nn.SELU,
    "gelu": nn.GELU, "softplus": nn.Softplus, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softsign": nn.Softsign,
}


def check_activation(value) -> str:
    """Return ``value`` if it names an activation of :data:`ACTIVATIONS`, else raise ConfigError."""
    return check_choice("activation", value, tuple(ACTIVATIONS))


def make_activation(name: str) -> nn.Module:
    """A fresh activation module for ``name`` (one of :data:`ACTIVATIONS`)."""
    return ACTIVATIONS[name]()


def make_dropout(p: float, activation: str = "relu") -> nn.Module:
    """Dropout with rate ``p``: alpha-dropout for ``"selu"`` (it keeps the self-normalised
    mean and variance that plain dropout would shift), plain dropout otherwise."""
    return nn.AlphaDropout(p) if activation == "selu" else nn.Dropout(p)


def init_for_activation(model: nn.Module, activation: str) -> None:
    """Give ``model``'s convolution and linear weights the initialisation ``activation`` needs.

    Only SELU has one of its own: LeCun normal weights (``N(0, 1 / fan_in)``) and zero
    biases, under which SELU layers keep activations at mean 0 and variance 1 (Klambauer
    et al. 2017).  Every other activation keeps PyTorch's default initialisation, so the
    default models are initialised exactly as before the knob existed.
    """
    if activation != "selu":
        return
    for module in model.modules():
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="linear")
            if module.bias is not None:
                nn.init.zeros_(module.bias)


# -- layer-stack arithmetic -----------------------------------------------------------------------


class SameConv1d(nn.Conv1d):
    """Conv1d whose output keeps the input length for any width (stride 1).

    An even width needs one more zero on one side (the right, as Keras and PyTorch's
    ``padding="same"``); padding it here avoids PyTorch's warning and keeps the layer a
    plain Conv1d for motif extraction.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1) -> None:
        total = dilation * (kernel_size - 1)
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation, padding=total // 2)
        self.extra = total % 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.extra:
            x = F.pad(x, (0, self.extra))
        return super().forward(x)


def make_conv(in_channels: int, out_channels: int, width: int, padding: str) -> nn.Conv1d:
    """A convolution with ``"same"`` (length kept) or ``"valid"`` (no) padding."""
    if padding == "same":
        return SameConv1d(in_channels, out_channels, width)
    return nn.Conv1d(in_channels, out_channels, width)


def _geometry(layer: nn.Module) -> tuple[int, int, int, int | str] | None:
    """``(kernel, stride, dilation, padding)`` of a layer that changes lengths, else None."""
    if isinstance(layer, SameConv1d):
        return layer.kernel_size[0], 1, layer.dilation[0], "same"
    if isinstance(layer, nn.Conv1d):
        p = layer.padding if isinstance(layer.padding, str) else layer.padding[0]
        return layer.kernel_size[0], layer.stride[0], layer.dilation[0], p
    if isinstance(layer, (nn.MaxPool1d, nn.AvgPool1d)):
        k = layer.kernel_size if isinstance(layer.kernel_size, int) else layer.kernel_size[0]
        s = layer.stride if isinstance(layer.stride, int) else layer.stride[0]
        p = layer.padding if isinstance(layer.padding, int) else layer.padding[0]
        d = getattr(layer, "dilation", 1)
        return k, s, d if isinstance(d, int) else d[0], p
    return None


def out_length(layers: Iterable[nn.Module], length):
    """Output length of a stack of Conv1d / pooling layers (floor mode).

    Parameters
    ----------
    layers : iterable of nn.Module
        Modules in application order; layers that keep the length are skipped.
    length : int or torch.Tensor
        Input length(s); a tensor gives per-sequence lengths.

    Returns
    -------
    int or torch.Tensor
        Output length(s); may be <= 0 when the input is too short.
    """
    for layer in layers:
        g = _geometry(layer)
        if g is None:
            continue
        k, s, d, p = g
        span = d * (k - 1)
        if p == "same":
            continue  # PyTorch allows 'same' for stride 1 only: length kept
        if p == "valid":
            p = 0
        length = (length + 2 * p - span - 1) // s + 1
    return length


def receptive_field(layers: Iterable[nn.Module]) -> int:
    """Input bases that affect one position of the output of a Conv1d / pooling stack."""
    rf, jump = 1, 1
    for layer in layers:
        g = _geometry(layer)
        if g is None:
            continue
        k, s, d, _ = g
        rf += d * (k - 1) * jump
        jump *= s
    return rf


def min_length(layers: Sequence[nn.Module], limit: int = 1_000_000) -> int:
    """Shortest input length for which ``layers`` give an output of length >= 1."""
    lo, hi = 1, limit
    if out_length(layers, hi) < 1:
        return limit
    while lo < hi:  # out_length is monotone in the input length
        mid = (lo + hi) // 2
        if out_length(layers, mid) >= 1:
            hi = mid
        else:
            lo = mid + 1
    return lo


# -- padding masks --------------------------------------------------------------------------------


def check_mask(x: torch.Tensor, mask: torch.Tensor | None) -> None:
    """Raise ValueError unless ``mask`` is None or a bool ``(N, L)`` matching ``x`` ``(N, C, L)``."""
    if mask is None:
        return
    if mask.dtype != torch.bool or mask.shape != (x.shape[0], x.shape[2]):
        raise ValueError(
            f"mask must be a bool tensor of shape (N, L) = {(x.shape[0], x.shape[2])}, "
            f"got {mask.dtype} {tuple(mask.shape)}"
        )


def check_input(model: nn.Module, x: torch.Tensor, mask: torch.Tensor | None) -> None:
    """Raise ValueError unless ``x`` is ``(N, *model.input_shape)`` and ``mask`` (bool) matches it."""
    if tuple(x.shape[1:]) != model.input_shape:
        raise ValueError(
            f"expected inputs of shape (N, {', '.join(map(str, model.input_shape))}), got {tuple(x.shape)}"
        )
    if mask is not None and (mask.dtype != torch.bool or mask.shape != x.shape):
        raise ValueError(f"mask must be a bool tensor shaped like the input {tuple(x.shape)}, got {mask.dtype} {tuple(mask.shape)}")


def left_align(x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move each sequence's real region to the start and zero everything after it.

    A model that then uses zero padding (as a lone, unpadded sequence gets) sees the same
    values at every real position wherever the region sat in the padded input.

    Parameters
    ----------
    x : torch.Tensor, shape (N, C, L)
        Padded batch.
    mask : torch.Tensor, shape (N, L), dtype bool
        True at real positions; the True region of each row is contiguous.

    Returns
    -------
    aligned : torch.Tensor, shape (N, C, L)
        ``aligned[i, :, :n_i]`` is the real region of ``x[i]``, the rest is 0.
    lengths : torch.Tensor, shape (N,), dtype int64
        Real lengths ``n_i``, on ``x.device``.
    """
    lengths = mask.sum(dim=1)
    start = mask.int().argmax(dim=1)  # first True (0 for an all-False row)
    pos = torch.arange(x.shape[2], device=x.device)
    idx = (start[:, None] + pos[None, :]).clamp(max=x.shape[2] - 1)
    aligned = x.gather(2, idx[:, None, :].expand(-1, x.shape[1], -1))
    keep = (pos[None, :] < lengths[:, None]).to(x.dtype)
    return aligned * keep[:, None, :], lengths


def time_mask(lengths: torch.Tensor, steps: int) -> torch.Tensor:
    """Bool ``(N, steps)`` mask, True at the first ``lengths[i]`` steps."""
    return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]


def masked_pool(h: torch.Tensor, lengths: torch.Tensor, mode: str) -> torch.Tensor:
    """Pool ``h`` ``(N, T, F)`` over the first ``lengths[i]`` steps of each row.

    ``mode`` is ``"max"``, ``"mean"`` or ``"maxmean"`` (both, concatenated: ``(N, 2F)``).
    """
    valid = time_mask(lengths, h.shape[1])[:, :, None]
    feats = []
    if mode in ("max", "maxmean"):
        feats.append(h.masked_fill(~valid, float("-inf")).amax(dim=1))
    if mode in ("mean", "maxmean"):
        total = h.masked_fill(~valid, 0.0).sum(dim=1)
        feats.append(total / lengths.clamp(min=1)[:, None].to(h.dtype))
    return torch.cat(feats, dim=1)


def dense_head(n_features: int, hidden: Sequence[int], n_outputs: int, dropout: float,
               batch_norm: bool = False, activation: str = "relu") -> nn.Sequential:
    """Dense head: ``[Linear -> (BatchNorm) -> activation -> Dropout] * len(hidden) -> Linear``
    (alpha-dropout with ``"selu"``)."""
    layers: list[nn.Module] = []
    for units in hidden:
        layers.append(nn.Linear(n_features, units))
        if batch_norm:
            layers.append(nn.BatchNorm1d(units))
        layers += [make_activation(activation), make_dropout(dropout, activation)]
        n_features = units
    layers.append(nn.Linear(n_features, n_outputs))
    return nn.Sequential(*layers)


# -- a convolution stack flattened into a dense head (DeepSEA, Basset) ----------------------------


class FlattenCNN(nn.Module):
    """Convolution layers, then the whole feature map flattened into a dense head.

    Tensor contract: ``(N, C, L)`` -> ``(N, n_outputs)``.  Subclasses choose the layers.
    With ``length`` given the dense input size is computed from it (the published
    layout; the model then only accepts inputs of that length); with ``length=None``
    an adaptive max pool to ``adaptive_bins`` positions makes any length work.

    The subclasses' configs have checked every argument.

    Parameters
    ----------
    name : str
        Registry name, for error messages.
    n_channels, length, n_outputs : int, int or None, int
        Input channels ``C``, input length ``L`` and number of logits.
    n_filters, filter_width, pool_size : tuple of int
        Per convolution layer: filters, width, max-pool size after it (1 = none).
    conv_dropout : tuple of float
        Per convolution layer: dropout after it (after its pool).
    batch_norm : bool
        Batch norm between each convolution and its activation.
    padding : str
        ``"same"`` or ``"valid"`` convolutions.
    hidden : tuple of int
        Units of the dense layers before the output layer.
    dropout : float
        Dropout after each dense layer.
    dense_batch_norm : bool
        Batch norm in the dense layers.
    adaptive_bins : int
        Positions kept by the adaptive pool when ``length`` is None.
    activation : str
        Activation after every convolution and hidden dense layer (see
        :data:`ACTIVATIONS`); ``"selu"`` brings its initialisation and alpha-dropout.
    """

    takes_mask = False

    def __init__(self, *, name, n_channels, length, n_outputs, n_filters, filter_width, pool_size,
                 conv_dropout, batch_norm, padding, hidden, dropout, dense_batch_norm,
                 adaptive_bins, activation) -> None:
        super().__init__()
        self.name = name
        self.length = length
        layers: list[nn.Module] = []
        c_in = n_channels
        for c_out, k, pool, p in zip(n_filters, filter_width, pool_size, conv_dropout, strict=True):
            layers.append(make_conv(c_in, c_out, k, padding))
            if batch_norm:
                layers.append(nn.BatchNorm1d(c_out))
            layers.append(make_activation(activation))
            if pool > 1:
                layers.append(nn.MaxPool1d(pool))
            if p > 0:
                layers.append(make_dropout(p, activation))
            c_in = c_out
        self.trunk = nn.Sequential(*layers)
        last_conv = max(i for i, m in enumerate(layers) if isinstance(m, nn.Conv1d))
        self._receptive_field = receptive_field(layers[: last_conv + 1])
        self.min_length = min_length(layers)
        if length is None:
            self.squash: nn.Module = nn.AdaptiveMaxPool1d(adaptive_bins)
            n_pos = adaptive_bins
        else:
            n_pos = out_length(layers, length)
            if n_pos < 1:
                raise ConfigError(
                    f"{name} needs length >= {self.min_length} for its convolution / pooling "
                    f"stack (padding={padding!r}), got length={length}"
                )
            self.squash = nn.Identity()
        self.head = nn.Sequential(
            nn.Flatten(), *dense_head(c_in * n_pos, hidden, n_outputs, dropout, dense_batch_norm, activation)
        )
        init_for_activation(self, activation)

    @property
    def first_conv(self) -> nn.Conv1d:
        """The first (motif-detecting) convolution."""
        return self.trunk[0]

    @property
    def receptive_field(self) -> int:
        """Input bases seen by one position of the last convolution's output."""
        return self._receptive_field

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch (padding is seen as all-zero columns, like N).

        Parameters
        ----------
        x : torch.Tensor, shape (N, C, L)
            One-hot sequences; ``L`` must equal ``length`` when the model was built
            with one.

        Returns
        -------
        torch.Tensor, shape (N, n_outputs)
            Logits.
        """
        if self.length is not None and x.shape[-1] != self.length:
            raise ValueError(
                f"this model was built for length {self.length}; got inputs of length {x.shape[-1]}"
            )
        return self.head(self.squash(self.trunk(x)))
