"""Computation that overlapping inputs share: one trunk pass per chunk, incremental ISM.

Windows of a scan overlap by ``L - stride`` bases, and the ``3 L`` mutants of an
in-silico mutagenesis map differ from their reference in one base each, so a plain
per-window forward pass computes most convolution outputs again and again.  For models
whose trunk allows it, this module computes them once:

* :meth:`ConvPool.chunk_logits` runs the convolution once over a chunk of chromosome
  ("valid", no padding) and pools each window from it.  Only the ``2 p`` outputs per
  window that see the window's zero padding (``p`` at each end) are recomputed, from
  the window's own first and last ``k - 1`` bases.
* :meth:`ConvPool.ism` scores every single-base substitution from the reference's
  pre-activations: a substitution at ``i`` changes only the ``k`` outputs
  ``i + p - k + 1 .. i + p``, each by one column of the filter weights, so the new
  pooled features are the unchanged outputs' prefix / suffix maxima and sum plus the
  ``k`` recomputed outputs.  No convolution is run for the mutants at all.

Supported architecture (recognised by inspecting the model, see :func:`conv_pool_of`):
the DeepBind family, one convolution (stride 1, no dilation, one group, zero padding
``p <= k - 1``) -> ReLU -> global max (and mean) pooling over positions, optionally
scanned over both strands (per-feature maximum of the two strands' pooled features)
-> a head that reads only the pooled features.  Every other model gets None, and the
callers fall back to plain per-window passes through :mod:`seqnet.inference`.  Both
paths agree to float32 rounding (``tests/test_apply_trunk.py`` checks it, and
:func:`seqnet.apply.scan.scan` checks the first chunk of every run against the plain
path before trusting this one).

Tensor contract: one-hot ``(C, L_chunk)`` (a chunk) or ``(N, C, L)`` float, as made by
:func:`seqnet.encode.one_hot_torch`; logits ``(N, n_outputs)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["ConvPool", "IsmMaps", "StrandBank", "conv_pool_of", "incremental_ism"]

#: Elements of the (sequences, positions, letters, filters) accumulators of one group:
#: small enough to stay in cache, as the work is a few passes over them per filter tap.
_ISM_ELEMENTS = 1 << 18


@dataclass
class ConvPool:
    """A one-convolution, globally pooled trunk and the head reading its features.

    Attributes
    ----------
    weight : torch.Tensor, shape (F2, C, k)
        The filters; with ``both_strands`` the reverse-complement filters
        ``W.flip(1, 2)`` follow the ``F`` forward ones (scanning the reverse complement
        with ``W`` pools the same values as scanning the sequence with ``W.flip(1, 2)``).
    bias : torch.Tensor, shape (F2,)
    pad : int
        Zero padding ``p`` at each end of a window.
    pool : str
        ``"max"`` or ``"maxavg"`` (max then mean features).
    both_strands : bool
    head : torch.nn.Module
        Maps features ``(B, n_features)`` to logits ``(B, n_outputs)``.
    """

    weight: torch.Tensor
    bias: torch.Tensor
    pad: int
    pool: str
    both_strands: bool
    head: nn.Module

    @property
    def width(self) -> int:
        """Filter width ``k``."""
        return int(self.weight.shape[2])

    def n_positions(self, length: int) -> int:
        """Convolution outputs of a window of ``length`` bases: ``L + 2 p - k + 1``."""
        return length + 2 * self.pad - self.width + 1

    def supports(self, length: int) -> bool:
        """Whether windows of ``length`` bases have interior outputs to share."""
        return length >= self.width and self.pad <= self.width - 1

    # ------------------------------------------------------------------ pooled features -> logits

    def logits_from_pooled(self, maxima: torch.Tensor, sums: torch.Tensor, n_positions: int) -> torch.Tensor:
        """Logits from per-filter maxima and sums of the ReLU outputs.

        Parameters
        ----------
        maxima, sums : torch.Tensor, shape (..., F2)
        n_positions : int
            Outputs pooled per window (the mean's denominator).

        Returns
        -------
        torch.Tensor, shape (..., n_outputs)
        """
        parts = [maxima] if self.pool == "max" else [maxima, sums / n_positions]
        n = self.weight.shape[0] // (2 if self.both_strands else 1)
        feats = torch.cat([p[..., :n] for p in parts], dim=-1)
        if self.both_strands:
            feats = torch.maximum(feats, torch.cat([p[..., n:] for p in parts], dim=-1))
        lead = feats.shape[:-1]
        return self.head(feats.reshape(-1, feats.shape[-1])).reshape(*lead, -1)

    def window_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of whole windows ``x`` ``(N, C, L)`` through the decomposed trunk."""
        h = torch.relu(F.conv1d(x, self.weight, self.bias, padding=self.pad))
        return self.logits_from_pooled(h.amax(dim=-1), h.sum(dim=-1), h.shape[-1])

    # ------------------------------------------------------------------ scan: one pass per chunk

    def chunk_logits(self, chunk: torch.Tensor, length: int, stride: int) -> torch.Tensor:
        """Logits of every window ``chunk[:, s : s + length]``, ``s = 0, stride, ...``.

        Parameters
        ----------
        chunk : torch.Tensor, shape (C, L_chunk)
            One-hot chunk of chromosome, ``L_chunk = (n - 1) * stride + length``.
        length, stride : int
            Window length (>= the filter width) and step.

        Returns
        -------
        torch.Tensor, shape (n, n_outputs)
        """
        return self.logits_from_pooled(*self.chunk_pooled(chunk, length, stride), self.n_positions(length))

    def chunk_pooled(self, chunk: torch.Tensor, length: int, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-filter max and sum ``(n, F2)`` of the ReLU outputs of every window of ``chunk``
        (see :meth:`chunk_logits`)."""
        k, p = self.width, self.pad
        n = (chunk.shape[1] - length) // stride + 1
        inner = length - k + 1  # outputs whose filter lies inside the window
        maxima, sums = _pooled_windows(chunk, self.weight, self.bias, inner, stride, n)
        if p:
            starts = torch.arange(n, device=chunk.device) * stride
            edge = torch.arange(k - 1, device=chunk.device)
            left = chunk[:, starts[:, None] + edge].permute(1, 0, 2)  # (n, C, k - 1)
            right = chunk[:, starts[:, None] + (length - k + 1) + edge].permute(1, 0, 2)
            # Each edge slice with the window's own zero padding on its outer side: the p
            # outputs that see the padding.
            he = torch.relu(torch.cat([F.conv1d(F.pad(left, (p, 0)), self.weight, self.bias),
                                       F.conv1d(F.pad(right, (0, p)), self.weight, self.bias)], dim=2))
            maxima = torch.maximum(maxima, he.amax(dim=2))
            sums = sums + he.sum(dim=2)
        return maxima, sums

    # ------------------------------------------------------------------ ISM: edits recompute k outputs

    def ism(self, x: torch.Tensor, ref: torch.Tensor, target: int) -> torch.Tensor:
        """Change of logit ``target`` for every single-base substitution of ``x``.

        Parameters
        ----------
        x : torch.Tensor, shape (N, C, L)
            One-hot sequences.
        ref : torch.Tensor, shape (N, L), integer
            Their tokens; ``C`` (unknown) marks positions that are not mutated.
        target : int
            Output whose logit is explained.

        Returns
        -------
        torch.Tensor, shape (N, C, L), float32
            ``logit(x with letter c at l) - logit(x)``; 0 at the observed letter and at
            unknown positions.
        """
        n, c, length = x.shape
        group = max(1, _ISM_ELEMENTS // max(1, length * c * self.weight.shape[0]))
        return torch.cat([self._ism_group(x[g : g + group], ref[g : g + group], target)
                          for g in range(0, n, group)]) if n else x.new_zeros((0, c, length))

    def _ism_group(self, x: torch.Tensor, ref: torch.Tensor, target: int) -> torch.Tensor:
        n, c, length = x.shape
        k, p = self.width, self.pad
        z = F.conv1d(x, self.weight, self.bias, padding=p)  # (N, F2, Lo)
        h = torch.relu(z)
        lo_n = h.shape[-1]
        letter = ref.long().clamp(max=c - 1)
        maxima, sums = self._edited_outputs(z, letter, length)
        # Max of the outputs an edit at i leaves alone (h >= 0, so 0 is a neutral start).
        pos = torch.arange(length, device=x.device)
        zero = h.new_zeros(h.shape[:2] + (1,))
        before = torch.cat([zero, torch.cummax(h, dim=-1).values], dim=-1)  # max(h[:j])
        after = torch.cat([torch.cummax(h.flip(-1), dim=-1).values.flip(-1), zero], dim=-1)  # max(h[j:])
        kept = torch.maximum(before[:, :, (pos + p - k + 1).clamp(0, lo_n)], after[:, :, (pos + p + 1).clamp(0, lo_n)])
        maxima = torch.maximum(maxima, kept.permute(0, 2, 1)[:, :, None])  # (N, L, C, F2)
        mutant = self.logits_from_pooled(maxima, sums, lo_n)[..., target]  # (N, L, C)
        base = self.logits_from_pooled(h.amax(-1), h.sum(-1), lo_n)[:, target]
        out = (mutant - base[:, None, None]).permute(0, 2, 1)  # (N, C, L)
        observed = F.one_hot(letter, c).permute(0, 2, 1).bool() | (ref >= c)[:, None, :]
        return out.masked_fill(observed, 0.0).float()

    def _edited_outputs(self, z: torch.Tensor, letter: torch.Tensor, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Max and sum, over all outputs, of a sequence with base ``i`` set to letter ``c``.

        Tap by tap: output ``j = i + p - t`` gains ``W[:, c, t] - W[:, a_i, t]``.  The sum
        starts from the reference's sum minus the outputs that change; the max covers only
        the changed outputs (the caller adds the unchanged ones' maximum).

        Returns
        -------
        maxima, sums : torch.Tensor, shape (N, L, C, F2)
        """
        n, f2, lo_n = z.shape
        k, p = self.width, self.pad
        c = self.weight.shape[1]
        # -inf beyond the outputs: a tap that falls off the window changes nothing.
        zpad = F.pad(z, (k, k), value=float("-inf")).permute(0, 2, 1).contiguous()  # (N, Lo + 2k, F2)
        maxima = z.new_zeros((n, length, c, f2))
        sums = z.new_zeros((n, length, c, f2))
        changed = z.new_zeros((n, length, f2))  # the reference's sum over the changed outputs
        for t in range(k):
            wt = self.weight[:, :, t].T.contiguous()  # (C, F2)
            zt = zpad[:, k + p - t : k + p - t + length]  # (N, L, F2): output i + p - t
            changed += torch.relu(zt)
            v = (zt - wt[letter])[:, :, None] + wt  # (N, L, C, F2)
            v.clamp_(min=0)
            torch.maximum(maxima, v, out=maxima)
            sums += v
        sums += (torch.relu(z).sum(-1)[:, None] - changed)[:, :, None]
        return maxima, sums


def valid_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, segment: int = 1024) -> torch.Tensor:
    """``F.conv1d(x[None], weight, bias)[0]`` ("valid", no padding) for one long ``x`` ``(C, n)``.

    The sequence is cut into overlapping segments run as one batch: a single very long
    sequence is several times slower through the CPU convolution kernels.

    Returns
    -------
    torch.Tensor, shape (F, n - k + 1)
    """
    k = weight.shape[2]
    n_out = x.shape[1] - k + 1
    if n_out <= 2 * segment:
        return F.conv1d(x[None], weight, bias)[0]
    n_seg = -(-n_out // segment)
    padded = F.pad(x, (0, n_seg * segment + k - 1 - x.shape[1]))
    parts = padded.unfold(1, segment + k - 1, segment).permute(1, 0, 2)  # (n_seg, C, segment + k - 1)
    out = F.conv1d(parts, weight, bias)  # (n_seg, F, segment)
    return out.permute(1, 0, 2).reshape(weight.shape[0], -1)[:, :n_out]


def _pooled_windows(chunk: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, width: int, stride: int,
                    n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Max and sum ``(n, F)`` of the ReLU'd "valid" outputs ``[s, s + width)``, ``s = 0, stride, ...``.

    The convolution runs over segments of whole blocks of ``stride`` outputs; each block is
    reduced once (whole, and its first ``width % stride`` outputs), and a window combines
    ``width // stride`` blocks and one partial block instead of ``width`` outputs.
    Strides below ``width / 16`` pool the outputs directly.
    """
    q, r = divmod(width, stride)
    if q > 16:
        h = valid_conv(chunk, weight, bias).relu_()[None]
        return F.max_pool1d(h, width, stride)[0, :, :n].T, (F.avg_pool1d(h, width, stride)[0, :, :n] * width).T
    k, f = weight.shape[2], weight.shape[0]
    per = max(1, 1024 // stride)  # blocks per segment
    seg = per * stride
    n_seg = -(-(chunk.shape[1] - k + 1) // seg)
    padded = F.pad(chunk, (0, n_seg * seg + k - 1 - chunk.shape[1]))  # outputs past the chunk are never used
    out = F.conv1d(padded.unfold(1, seg + k - 1, seg).permute(1, 0, 2), weight, bias).relu_()  # (n_seg, F, seg)
    blocks = out.view(n_seg, f, per, stride)

    def flat(t: torch.Tensor) -> torch.Tensor:  # (n_seg, F, per) -> (F, n_seg * per)
        return t.permute(1, 0, 2).reshape(f, -1)

    maxima = sums = None
    if q:
        bmax, bsum = flat(blocks.amax(-1)), flat(blocks.sum(-1))
        maxima, sums = bmax[:, :n].clone(), bsum[:, :n].clone()
        for j in range(1, q):
            torch.maximum(maxima, bmax[:, j : j + n], out=maxima)
            sums += bsum[:, j : j + n]
    if r:
        head = blocks[..., :r]
        pmax, psum = flat(head.amax(-1))[:, q : q + n], flat(head.sum(-1))[:, q : q + n]
        maxima = pmax if maxima is None else torch.maximum(maxima, pmax)
        sums = psum if sums is None else sums + psum
    return maxima.T, sums.T


def conv_pool_of(model: nn.Module) -> ConvPool | None:
    """The shared-computation view of ``model``, or None when its architecture has none.

    A model qualifies when it is a :class:`~seqnet.models.deepbind.DeepBind` (not a
    subclass, whose forward may differ) with ReLU activation, whose convolution has
    stride 1, no dilation, one group, zero padding ``p <= k - 1``, and whose pooling is
    ``max`` or ``maxavg``.  Batch norm after the convolution is folded into the filters
    (its eval-mode running statistics: how the model predicts).

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    ConvPool or None
        Sharing the model's parameters (no copies but the reverse-complement filters).
    """
    from seqnet.models.deepbind import DeepBind

    model = getattr(model, "module", getattr(model, "_orig_mod", model))
    if type(model) is not DeepBind or type(getattr(model, "act", nn.ReLU())) is not nn.ReLU:
        return None  # the pooling arithmetic relies on ReLU (outputs >= 0)
    conv = model.conv
    k = conv.kernel_size[0]
    pad = conv.padding[0] if isinstance(conv.padding, tuple) else None
    if (conv.stride != (1,) or conv.dilation != (1,) or conv.groups != 1 or conv.padding_mode != "zeros"
            or pad is None or pad > k - 1 or model.pool not in ("max", "maxavg")):
        return None
    weight = conv.weight.detach()
    bias = conv.bias.detach() if conv.bias is not None else weight.new_zeros(weight.shape[0])
    bn = getattr(model, "bn", None)
    if bn is not None:  # eval-mode batch norm is a per-filter affine map: fold it into the filters
        if bn.running_mean is None or bn.running_var is None:
            return None
        scale = torch.rsqrt(bn.running_var + bn.eps) * (bn.weight.detach() if bn.affine else 1.0)
        weight = weight * scale[:, None, None]
        bias = (bias - bn.running_mean) * scale + (bn.bias.detach() if bn.affine else 0.0)
    if model.both_strands:
        weight = torch.cat([weight, weight.flip(1, 2)])
        bias = torch.cat([bias, bias])
    return ConvPool(weight, bias, pad, model.pool, bool(model.both_strands), model.head)


@dataclass
class IsmMaps:
    """What :func:`incremental_ism` found: the maps and the model's number of outputs."""

    maps: "np.ndarray"
    n_outputs: int


def incremental_ism(model: nn.Module, inputs, *, target: int = 0, batch_size: int = 256,
                    device: str | torch.device = "cpu") -> IsmMaps | None:
    """In-silico mutagenesis maps recomputing only what each edit changes.

    Parameters
    ----------
    model : torch.nn.Module
        On ``device``; run in eval mode (its mode restored after).
    inputs : SequenceInputs
        Tokens ``(N, L)`` and how to one-hot them.
    target : int
        Output whose logit is explained. Default is 0.
    batch_size : int
        Sequences per one-hot batch. Default is 256.
    device : str or torch.device
        Default is ``"cpu"``.

    Returns
    -------
    IsmMaps or None
        ``maps`` ``(N, C, L)`` float32 as :func:`seqnet.attribution.in_silico_mutagenesis`
        returns them; None when the model's trunk does not allow it (see
        :func:`conv_pool_of`), or for reverse-complemented inputs.
    """
    import numpy as np

    from seqnet.inference import batches, eval_mode

    trunk = conv_pool_of(model)
    if trunk is None or inputs.reverse_complement:
        return None
    n, width = inputs.tokens.shape
    out = np.zeros((n, inputs.alphabet.size, width), dtype=np.float32)
    with torch.no_grad(), eval_mode(model):
        n_outputs = int(trunk.head(trunk.weight.new_zeros((1, _n_features(trunk)))).shape[1])
        if target >= n_outputs:
            return IsmMaps(out, n_outputs)
        for rows, x, _ in batches(inputs, batch_size, torch.device(device)):
            out[rows] = trunk.ism(x, inputs.tokens[rows].to(x.device), target).cpu().numpy()
    return IsmMaps(out, n_outputs)


def _n_features(trunk: ConvPool) -> int:
    n = trunk.weight.shape[0] // (2 if trunk.both_strands else 1)
    return n * (1 if trunk.pool == "max" else 2)


@dataclass
class StrandBank:
    """A :class:`ConvPool` model's filters for both strands, run once over the forward sequence.

    Scanning the reverse complement of ``x`` with ``W`` pools the same values as
    scanning ``x`` with ``W.flip(1, 2)`` (channels complemented, taps reversed), so one
    convolution with the bank ``[W; W.flip(1, 2)]`` over ``x`` gives the pooled features
    of both strands, and a base edited in ``x`` is one edit for both halves of the bank.
    Used by ``seqnet variants``: reference windows are cut from one convolution over
    each cluster of nearby windows, and an SNV's alternative window is its reference
    window with the ``k`` outputs under the edited base recomputed.

    Attributes
    ----------
    bank : ConvPool
        Weight ``(2F, C, k)``: the model's ``F`` filters, then their reverse complements.
    both_strands : bool
        The model itself takes the per-feature maximum over strands.
    """

    bank: ConvPool
    both_strands: bool

    @classmethod
    def of(cls, model: nn.Module) -> "StrandBank | None":
        """The bank of ``model``, or None when :func:`conv_pool_of` finds no shared trunk."""
        trunk = conv_pool_of(model)
        if trunk is None:
            return None
        n = trunk.weight.shape[0] // (2 if trunk.both_strands else 1)
        w, b = trunk.weight[:n], trunk.bias[:n]
        bank = ConvPool(torch.cat([w, w.flip(1, 2)]), torch.cat([b, b]), trunk.pad, trunk.pool, True, trunk.head)
        return cls(bank, trunk.both_strands)

    def preactivations(self, chunk: torch.Tensor, offsets: torch.Tensor, length: int,
                       valid: torch.Tensor | None = None) -> torch.Tensor:
        """Pre-activations ``(W, 2F, L + 2p - k + 1)`` of the windows ``chunk[:, o : o + length]``.

        The interior outputs come from one "valid" convolution over ``chunk`` ``(C, L_chunk)``
        (``valid``, when the caller already ran it for other windows of the chunk); the ``p``
        outputs at each end that see a window's zero padding are recomputed from the
        window's own first / last ``k - 1`` bases.
        """
        b = self.bank
        k, p = b.width, b.pad
        inner = length - k + 1
        z = F.conv1d(chunk[None], b.weight, b.bias)[0] if valid is None else valid  # (2F, L_chunk - k + 1)
        parts = [z[:, offsets[:, None] + torch.arange(inner, device=chunk.device)].permute(1, 0, 2)]
        if p:
            edge = torch.arange(k - 1, device=chunk.device)
            left = chunk[:, offsets[:, None] + edge].permute(1, 0, 2)  # (W, C, k - 1)
            right = chunk[:, offsets[:, None] + inner + edge].permute(1, 0, 2)
            parts.insert(0, F.conv1d(F.pad(left, (p, 0)), b.weight, b.bias))  # (W, 2F, p)
            parts.append(F.conv1d(F.pad(right, (0, p)), b.weight, b.bias))
        return torch.cat(parts, dim=2)

    def chunk_logits(self, chunk: torch.Tensor, length: int, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(n, n_outputs)`` of every window of ``chunk`` (see :meth:`ConvPool.chunk_logits`)
        and of their reverse complements, from one convolution."""
        return self.logits(*self.bank.chunk_pooled(chunk, length, stride), self.bank.n_positions(length))

    def logits(self, maxima: torch.Tensor, sums: torch.Tensor, n_positions: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(..., n_outputs)`` of the forward window and of its reverse complement."""
        n = maxima.shape[-1] // 2
        parts = [maxima] if self.bank.pool == "max" else [maxima, sums / n_positions]
        fwd = torch.cat([q[..., :n] for q in parts], dim=-1)
        rev = torch.cat([q[..., n:] for q in parts], dim=-1)
        if self.both_strands:
            fwd, rev = torch.maximum(fwd, rev), torch.maximum(rev, fwd)
        lead = fwd.shape[:-1]
        out = self.bank.head(torch.cat([fwd, rev]).reshape(-1, fwd.shape[-1]))
        return out[: fwd.numel() // fwd.shape[-1]].reshape(*lead, -1), out[fwd.numel() // fwd.shape[-1]:].reshape(*lead, -1)

    def snv_logits(self, z: torch.Tensor, ref: torch.Tensor, window: torch.Tensor, position: int,
                   letter: torch.Tensor, unknown_value: float = 0.0):
        """Logits of windows and of single-base edits of them at one position, both strands.

        Parameters
        ----------
        z : torch.Tensor, shape (W, 2F, Lo)
            :meth:`preactivations` of the reference windows.
        ref : torch.Tensor, shape (W, L), integer
            Their tokens.
        window, letter : torch.Tensor, shape (E,), integer
            Each edit's window and new letter (``< C``).
        position : int
            The edited base (the same in every window, e.g. ``L // 2``).
        unknown_value : float
            One-hot value of an unknown reference base (0 or ``1 / C``). Default is 0.

        Returns
        -------
        ref_fwd, ref_rev : torch.Tensor, shape (W, n_outputs)
        alt_fwd, alt_rev : torch.Tensor, shape (E, n_outputs)
        """
        k, p = self.bank.width, self.bank.pad
        lo_n = z.shape[-1]
        h = torch.relu(z)
        maxima, sums = h.amax(-1), h.sum(-1)
        ref_logits = self.logits(maxima, sums, lo_n)
        a, b = max(0, position + p - k + 1), min(lo_n, position + p + 1)  # outputs under the edited base
        kept = torch.zeros_like(maxima)  # h >= 0: 0 is neutral for the max of the others
        if a > 0:
            kept = torch.maximum(kept, h[:, :, :a].amax(-1))
        if b < lo_n:
            kept = torch.maximum(kept, h[:, :, b:].amax(-1))
        taps = position + p - torch.arange(a, b, device=z.device)  # tap of each changed output
        w = self.bank.weight  # (2F, C, k)
        c = w.shape[1]
        # The edited base's old column: its letter's weights, or an unknown base's (all letters x value).
        columns = torch.cat([w, unknown_value * w.sum(1, keepdim=True)], dim=1)[:, :, taps]  # (2F, C + 1, b - a)
        old = ref[window, position].long().clamp(max=c)
        delta = (columns[:, letter.long()] - columns[:, old]).permute(1, 0, 2)  # (E, 2F, b - a)
        new = torch.relu(z[window, :, a:b] + delta)
        alt_max = torch.maximum(kept[window], new.amax(-1))
        alt_sum = (sums - h[:, :, a:b].sum(-1))[window] + new.sum(-1)
        return (*ref_logits, *self.logits(alt_max, alt_sum, lo_n))
