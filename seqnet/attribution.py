"""Per-base attribution maps: gradient x input, in-silico mutagenesis and DeepLIFT/SHAP.

Each explains one output logit (``target``) of a model for each sequence and returns a
``(N, C, L)`` map aligned with the one-hot input (channels = alphabet letters):

* :func:`saliency` — gradient of the logit with respect to the one-hot input, times
  the input (Simonyan et al. 2014; Shrikumar et al. 2017).  Non-zero only at the
  observed letter of each position: a first-order estimate of what that letter adds.
* :func:`in_silico_mutagenesis` — the exact change of the logit when the base at each
  position is replaced by each other letter (Alipanahi et al. 2015; Zhou & Troyanskaya
  2015).  0 for the observed letter.
* :func:`deep_lift_shap` — DeepLIFT's rescale rule averaged over dinucleotide-shuffled
  references (DeepLIFT/SHAP; Shrikumar et al. 2017, Lundberg & Lee 2017), computed by
  tangermeme's ``deep_lift_shap``.  Its maps add up, per sequence, to the change of the
  logit from the references to the sequence; :class:`DeepLiftShap` keeps the
  hypothetical maps TF-MoDISco needs and that convergence check.

Positions holding N / an ambiguity code / padding have no observed letter and are 0 in
both maps.  :func:`write_attributions` stores maps as ``.npz`` + long TSV; plotting is
:func:`seqnet.motifs.logos.draw_attribution`'s job.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from seqnet import inference
from seqnet.alphabets import Alphabet, get_alphabet
from seqnet.errors import ConfigError, InputError
from seqnet.inference import batches, eval_mode
from seqnet.kinds.sequence import SequenceInputs
from seqnet.models import run_model
from seqnet.outputs import atomic_path

__all__ = ["saliency", "in_silico_mutagenesis", "deep_lift_shap", "DeepLiftShap", "deeplift_ready",
           "write_attributions"]

# Mutants built per group of sequences before they are cut into forward batches
# (bounds the mutant token arrays, not the model's batch).
_MUTANTS_PER_GROUP = 1 << 16


def _check_options(batch_size: int, target: int) -> None:
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ConfigError(f"batch_size must be an integer >= 1, got {batch_size}")
    if isinstance(target, bool) or int(target) != target or target < 0:
        raise ConfigError(f"target must be an output index >= 0, got {target}")


def _check_target(logits: torch.Tensor, target: int) -> None:
    if target >= logits.shape[1]:
        raise ConfigError(f"target {target} out of range: the model has {logits.shape[1]} outputs")


def saliency(
    model: nn.Module,
    inputs: SequenceInputs,
    *,
    target: int = 0,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Gradient x input of one logit with respect to the one-hot input.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, C, L)`` one-hot to ``(B, n_outputs)`` logits; on ``device``.  Run in
        eval mode; its training mode and parameters (``.grad`` included) are left as
        they were.
    inputs : SequenceInputs
        The sequences: tokens ``(N, L)``, their alphabet, the one-hot of unknown letters
        as in training, and the real lengths of centre-padded records (for models that
        mask padding).
    target : int, optional
        Output (task or class) whose logit is explained. Default is 0.
    batch_size : int, optional
        Sequences per backward pass. Default is 64.
    device : str or torch.device, optional
        Where to compute. Default is ``"cpu"``.

    Returns
    -------
    numpy.ndarray, shape=(N, C, L), dtype=float32
        ``d logit / d x[c, l]`` at the observed letter ``c`` of each position, 0 at
        every other letter and at N / padding positions (even with
        ``unknown="uniform"``, whose input there is not a letter).

    Raises
    ------
    ConfigError
        For a target outside the model's outputs or bad options.
    """
    _check_options(batch_size, target)
    device = torch.device(device)
    n, width = inputs.tokens.shape
    out = np.zeros((n, inputs.alphabet.size, width), dtype=np.float32)
    # cuDNN RNNs refuse a backward pass in eval mode; the native kernels do not.
    cudnn_off = torch.backends.cudnn.flags(enabled=False) if device.type == "cuda" else contextlib.nullcontext()
    with eval_mode(model), cudnn_off:
        for rows, x, mask in batches(inputs, batch_size, device):
            x.requires_grad_(True)
            logits = run_model(model, x, mask)
            _check_target(logits, target)
            # autograd.grad, not backward(): parameter .grad fields stay untouched.
            (grad,) = torch.autograd.grad(logits[:, target].float().sum(), x)
            letters = (x.detach() == 1).to(grad.dtype)  # N / padding (zeros or 1/C): no letter
            out[rows] = (grad * letters).float().cpu().numpy()
    return out


def in_silico_mutagenesis(
    model: nn.Module,
    inputs: SequenceInputs,
    *,
    target: int = 0,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Change of one logit for every single-base substitution.

    Every position holding a letter is mutated to each of the ``C - 1`` other letters
    (``3 L`` mutants per DNA sequence).  For models whose trunk allows it (see
    :func:`seqnet.apply.trunk.conv_pool_of`: one convolution, ReLU, global pooling)
    only what an edit can change is recomputed: the ``k`` convolution outputs under the
    edited base, from the reference's pre-activations, with no forward pass per mutant.
    Other models score the mutants of many sequences together in batches of
    ``batch_size`` (about ``N (C - 1) L / batch_size`` full forward passes).  Both paths
    agree to float32 rounding (``tests/test_apply_trunk.py``).

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, C, L)`` one-hot to ``(B, n_outputs)`` logits; on ``device``.  Run in
        eval mode; its training mode is restored afterwards.
    inputs : SequenceInputs
        The sequences (see :func:`saliency`).
    target : int, optional
        Output (task or class) whose logit is explained. Default is 0.
    batch_size : int, optional
        Mutant sequences per forward pass. Default is 256.
    device : str or torch.device, optional
        Where to compute. Default is ``"cpu"``.

    Returns
    -------
    numpy.ndarray, shape=(N, C, L), dtype=float32
        ``logit(sequence with letter c at l) - logit(sequence)``; 0 for the observed
        letter and at N / padding positions (nothing observed to substitute).

    Raises
    ------
    ConfigError
        For a target outside the model's outputs or bad options.
    """
    from seqnet.apply.trunk import incremental_ism

    _check_options(batch_size, target)
    fast = incremental_ism(model, inputs, target=target, batch_size=batch_size, device=device)
    if fast is not None:
        _check_target(torch.zeros((1, fast.n_outputs)), target)
        return fast.maps
    tok = inputs.tokens.cpu().numpy()
    lengths = None if inputs.lengths is None else inputs.lengths.cpu().numpy()
    n, width = tok.shape
    c = inputs.alphabet.size
    out = np.zeros((n, c, width), dtype=np.float32)

    def score(t: np.ndarray, lens) -> np.ndarray:
        found = inference.logits(model, replace(inputs, tokens=t, lengths=lens), batch_size=batch_size, device=device)
        _check_target(found, target)
        return found[:, target].numpy().astype(np.float64)

    group = max(1, _MUTANTS_PER_GROUP // max(1, width * (c - 1)))
    for g0 in range(0, n if width else 0, group):
        g_tok = tok[g0 : g0 + group]
        g_len = None if lengths is None else lengths[g0 : g0 + group]
        ref = score(g_tok, g_len)
        # Every (sequence, position, other letter) at positions holding a letter.
        seq, pos = np.nonzero(g_tok < c)
        seq, pos = np.repeat(seq, c - 1), np.repeat(pos, c - 1)
        letter = (g_tok[seq, pos] + np.tile(np.arange(1, c), len(seq) // (c - 1))) % c
        mutants = g_tok[seq]  # fancy indexing copies
        mutants[np.arange(seq.size), pos] = letter
        out[g0 + seq, letter, pos] = score(mutants, None if g_len is None else g_len[seq]) - ref[seq]
    return out


# -- DeepLIFT / SHAP ----------------------------------------------------------------------------

# Functional non-linearities DeepLIFT needs as modules (its rules hook nn.Module calls).
_ACTIVATIONS = {
    torch.relu: nn.ReLU, torch.nn.functional.relu: nn.ReLU, torch.sigmoid: nn.Sigmoid,
    torch.nn.functional.sigmoid: nn.Sigmoid, torch.tanh: nn.Tanh, torch.nn.functional.tanh: nn.Tanh,
    torch.nn.functional.gelu: nn.GELU, torch.nn.functional.softplus: nn.Softplus,
    torch.nn.functional.silu: nn.SiLU, torch.nn.functional.elu: nn.ELU,
}  # fmt: skip
_METHOD_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
#: Worst convergence delta, relative to the mean |logit difference|, above which the
#: maps are reported as not adding up (an operation without a DeepLIFT rule).
CONVERGENCE_TOLERANCE = 1e-3


def deeplift_ready(model: nn.Module, example: torch.Tensor) -> nn.Module:
    """A copy of ``model`` whose non-linear steps are modules DeepLIFT can hook.

    DeepLIFT (tangermeme, captum) applies its rules to ``nn.ReLU``, ``nn.MaxPool1d``
    and other modules; a model that calls ``torch.relu`` or ``x.amax(-1)`` in its
    ``forward`` would silently get plain gradients there, and its attributions would not
    add up.  The copy is traced with ``torch.fx`` and rewritten, computing the same
    function: functional activations become their modules, a max over the last axis
    becomes ``nn.MaxPool1d`` over the whole axis, and ``torch.maximum(a, b)`` becomes
    ``b + relu(a - b)`` (exact, and handled by the ReLU rule).

    Parameters
    ----------
    model : torch.nn.Module
        The model (left unchanged).
    example : torch.Tensor, shape=(B, C, L)
        An input, to learn the shapes of pooled tensors.

    Returns
    -------
    torch.nn.Module
        The rewritten copy, or an unchanged copy when tracing fails (models with
        data-dependent control flow); the convergence check then tells.
    """
    import copy

    import torch.fx as fx
    from torch.fx.passes.shape_prop import ShapeProp

    net = copy.deepcopy(model).eval()
    try:
        gm = fx.symbolic_trace(net)
        ShapeProp(gm).propagate(example)
    except Exception:  # noqa: BLE001 - any tracing failure: keep the model as it is
        return net
    shapes = {n: n.meta["tensor_meta"].shape for n in gm.graph.nodes if "tensor_meta" in n.meta}
    for k, node in enumerate(list(gm.graph.nodes)):
        _rewrite_node(gm, node, shapes, k)
    gm.graph.lint()
    gm.recompile()
    return gm


def _rewrite_node(gm, node, shapes: dict, k: int) -> None:
    """Replace one fx node by module calls DeepLIFT understands (see :func:`deeplift_ready`)."""
    graph, fn = gm.graph, node.target
    if node.op == "call_function" and fn in _ACTIVATIONS or node.op == "call_method" and fn in _METHOD_ACTIVATIONS:
        if len(node.args) != 1 or node.kwargs:
            return
        cls = _ACTIVATIONS[fn] if node.op == "call_function" else _METHOD_ACTIVATIONS[fn]
        gm.add_submodule(f"_deeplift_{k}", cls())
        with graph.inserting_after(node):
            new = graph.call_module(f"_deeplift_{k}", (node.args[0],))
    elif _is_global_max(node, shapes):
        gm.add_submodule(f"_deeplift_{k}", nn.MaxPool1d(int(shapes[node.args[0]][-1])))
        with graph.inserting_after(node):
            pooled = graph.call_module(f"_deeplift_{k}", (node.args[0],))
        with graph.inserting_after(pooled):
            new = graph.call_method("squeeze", (pooled, -1))
    elif node.op == "call_function" and fn is torch.maximum and len(node.args) == 2 and not node.kwargs:
        a, b = node.args
        gm.add_submodule(f"_deeplift_{k}", nn.ReLU())
        with graph.inserting_after(node):
            diff = graph.call_function(torch.sub, (a, b))
        with graph.inserting_after(diff):
            relu = graph.call_module(f"_deeplift_{k}", (diff,))
        with graph.inserting_after(relu):
            new = graph.call_function(torch.add, (b, relu))
    else:
        return
    if node in shapes:
        shapes[new] = shapes[node]  # later rewrites read the shape of what replaced ``node``
    node.replace_all_uses_with(new)
    graph.erase_node(node)


def _is_global_max(node, shapes: dict) -> bool:
    """``x.amax(dim=-1)`` (or ``dim=2``) of a 3-d tensor, without keepdim."""
    if node.op != "call_method" or node.target != "amax" or node.args[0] not in shapes:
        return False
    dims = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
    ndim = len(shapes[node.args[0]])
    dims = dims if isinstance(dims, (list, tuple)) else (dims,)
    return ndim == 3 and len(dims) == 1 and dims[0] in (-1, 2) and not node.kwargs.get("keepdim", False)


@dataclass
class DeepLiftShap:
    """DeepLIFT/SHAP maps of one output and how well they add up.

    Attributes
    ----------
    attributions : numpy.ndarray, shape=(N, C, L), dtype=float32
        Contribution of the observed letter at each position (0 elsewhere).
    hypothetical : numpy.ndarray, shape=(N, C, L), dtype=float32
        What each letter would contribute at each position (TF-MoDISco's input).
    deltas : numpy.ndarray, shape=(N,)
        ``|sum of attributions - (logit(x) - mean logit(references))|`` per sequence.
    mean_difference : float
        Mean ``|logit(x) - mean logit(references)|``, the scale of the deltas.
    n_shuffles : int
        References per sequence.
    """

    attributions: np.ndarray
    hypothetical: np.ndarray
    deltas: np.ndarray
    mean_difference: float
    n_shuffles: int

    @property
    def worst_delta(self) -> float:
        """The largest convergence delta (0 for no sequences)."""
        return float(self.deltas.max()) if self.deltas.size else 0.0

    @property
    def converged(self) -> bool:
        """Whether the worst delta is below :data:`CONVERGENCE_TOLERANCE` of the mean difference."""
        return self.worst_delta <= CONVERGENCE_TOLERANCE * max(self.mean_difference, 1e-6)


def deep_lift_shap(
    model: nn.Module,
    inputs: SequenceInputs,
    *,
    target: int = 0,
    n_shuffles: int = 10,
    seed: int = 0,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> DeepLiftShap:
    """DeepLIFT/SHAP attributions of one logit, against dinucleotide-shuffled references.

    Each sequence is compared with ``n_shuffles`` dinucleotide shuffles of itself
    (seqnet's exact-count shuffle, seeded), which keep its composition and remove its
    motifs; tangermeme's ``deep_lift_shap`` propagates the differences through a
    :func:`deeplift_ready` copy of the model and averages over the references.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, C, L)`` one-hot to ``(B, n_outputs)`` logits; on ``device``; left
        unchanged.  Models that read a padding mask take records without padding only.
    inputs : SequenceInputs
        The sequences (DNA / RNA: shuffles need a letter alphabet of 4).
    target : int, optional
        Output whose logit is explained. Default is 0.
    n_shuffles : int, optional
        References per sequence. Default is 10.
    seed : int, optional
        Seed of the shuffles. Default is 0.
    batch_size : int, optional
        Sequence-reference pairs per pass. Default is 256.
    device : str or torch.device, optional
        Where to compute. Default is ``"cpu"``.

    Returns
    -------
    DeepLiftShap

    Raises
    ------
    ConfigError
        For bad options, a target outside the model's outputs, or padded records for a
        model that reads a padding mask.
    """
    _check_options(batch_size, target)
    if isinstance(n_shuffles, bool) or int(n_shuffles) != n_shuffles or n_shuffles < 1:
        raise ConfigError(f"n_shuffles must be an integer >= 1, got {n_shuffles}")
    if inputs.lengths is not None and getattr(model, "takes_mask", False):
        raise ConfigError("DeepLIFT/SHAP takes records of the model's input length only: this model reads a padding "
                          "mask and some records are padded")
    device = torch.device(device)
    tok = inputs.tokens.cpu().numpy()
    n, width = tok.shape
    c = inputs.alphabet.size
    attr, hyp = np.zeros((n, c, width), np.float32), np.zeros((n, c, width), np.float32)
    deltas, diffs = np.zeros(n), np.zeros(n)
    if n == 0:
        return DeepLiftShap(attr, hyp, deltas, 0.0, int(n_shuffles))
    x0, _ = inputs.take(slice(0, 1), device)
    net = deeplift_ready(model, x0)
    with torch.no_grad():
        _check_target(net(x0), target)
    step = max(1, _DLS_SEQUENCES // int(n_shuffles))
    for g0 in range(0, n, step):
        rows = slice(g0, min(n, g0 + step))
        a, h, d, diff = _dls_group(net, replace(inputs, lengths=None), tok[rows], target, int(n_shuffles),
                                   seed + g0, batch_size, device)
        attr[rows], hyp[rows], deltas[rows], diffs[rows] = a, h, d, diff
    return DeepLiftShap(attr, hyp, deltas, float(np.abs(diffs).mean()), int(n_shuffles))


# Sequences per tangermeme call (bounds the (n, n_shuffles, C, L) reference tensor).
_DLS_SEQUENCES = 4096


def _dls_group(net, inputs: SequenceInputs, tok: np.ndarray, target: int, n_shuffles: int, seed: int,
               batch_size: int, device) -> tuple:
    """``(attributions, hypothetical, deltas, logit differences)`` of one group of sequences."""
    import warnings

    from tangermeme.deep_lift_shap import deep_lift_shap as tangermeme_dls

    from seqnet.encode import dinucleotide_shuffle_many

    n, width = tok.shape
    refs = np.stack([dinucleotide_shuffle_many(tok, seed=seed * 7919 + k) for k in range(n_shuffles)], axis=1)
    x, _ = replace(inputs, tokens=tok).take(slice(None), torch.device("cpu"))
    r, _ = replace(inputs, tokens=refs.reshape(n * n_shuffles, width)).take(slice(None), torch.device("cpu"))
    with warnings.catch_warnings():
        # N columns are not one-hot, and tangermeme's own convergence warnings are
        # replaced by the check below.
        warnings.simplefilter("ignore")
        hyp = tangermeme_dls(net, x, references=r.reshape(n, n_shuffles, *x.shape[1:]), target=target,
                             batch_size=batch_size, hypothetical=True, only_warn=True, device=device,
                             dtype=torch.float32)
    hyp = hyp.detach().float().cpu()
    attr = hyp * (x == 1)
    fx_ = inference.logits(net, replace(inputs, tokens=tok), batch_size=batch_size, device=device)
    fr = inference.logits(net, replace(inputs, tokens=refs.reshape(n * n_shuffles, width)), batch_size=batch_size,
                          device=device)
    _check_target(fx_, target)
    diff = (fx_[:, target] - fr[:, target].reshape(n, n_shuffles).mean(dim=1)).double().numpy()
    delta = np.abs(attr.double().sum(dim=(1, 2)).numpy() - diff)
    return attr.numpy(), hyp.numpy(), delta, diff


def write_attributions(
    out_dir: str | os.PathLike,
    ids: Sequence[str],
    tokens: np.ndarray,
    scores: Mapping[str, np.ndarray],
    *,
    alphabet: str | Alphabet,
) -> dict:
    """Write attribution maps as ``attributions.npz`` and ``attributions.tsv``.

    ``attributions.npz`` holds ``ids`` (str), ``tokens`` ``(N, L)`` uint8, ``letters``
    (the alphabet) and one ``(N, C, L)`` float32 array per method (the keys of
    ``scores``, e.g. ``saliency`` and ``ism``).

    ``attributions.tsv`` is long format, one row per sequence, position and method:
    ``id``, ``position`` (1-based), ``ref`` (the observed letter, N for unknown /
    padding), ``method``, ``score``, then one column per letter with the full map.
    ``score`` summarises the position: the value at the observed letter for
    gradient-based maps (all of gradient x input), and for ``ism`` (whose observed
    letter is 0 by definition) minus the mean change over the other letters — how
    much the logit drops, on average, when the observed base is mutated away
    (positive: the base supports the target).

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder, created if missing; both files are written atomically.
    ids : sequence of str, length N
        Record ids.
    tokens : numpy.ndarray, shape=(N, L), dtype=uint8
        The sequences the maps explain.
    scores : mapping of str to numpy.ndarray, shape=(N, C, L)
        Method name -> map, e.g. ``{"saliency": ..., "ism": ...}``.
    alphabet : str or Alphabet
        Alphabet of the tokens.

    Returns
    -------
    dict
        ``{"npz": Path, "tsv": Path, "n": N, "length": L, "methods": [...]}``.

    Raises
    ------
    InputError
        When the ids, tokens and maps do not agree in shape, or a method name is
        reserved (``ids``, ``tokens``, ``letters``) or not an identifier.
    """
    import pandas as pd

    alphabet = get_alphabet(alphabet)
    out_dir = Path(out_dir)
    ids = [str(i) for i in ids]
    tok = np.asarray(tokens)
    if tok.ndim != 2 or tok.shape[0] != len(ids):
        raise InputError(f"got {len(ids)} ids for tokens of shape {tok.shape}")
    n, width = tok.shape
    c = alphabet.size
    maps = {}
    for method, arr in scores.items():
        if not str(method).isidentifier() or method in ("ids", "tokens", "letters"):
            raise InputError(f"attribution method name {method!r} must be an identifier other than ids/tokens/letters")
        arr = np.asarray(arr, dtype=np.float32)
        if arr.shape != (n, c, width):
            raise InputError(f"{method} map has shape {arr.shape}, expected {(n, c, width)}")
        maps[str(method)] = arr
    out_dir.mkdir(parents=True, exist_ok=True)
    npz_path, tsv_path = out_dir / "attributions.npz", out_dir / "attributions.tsv"
    with atomic_path(npz_path) as tmp, open(tmp, "wb") as fh:
        # A file object: np.savez would append ".npz" to the temporary name.
        np.savez_compressed(fh, ids=np.array(ids, dtype=str), tokens=tok.astype(np.uint8),
                            letters=np.array(alphabet.letters), **maps)

    ref = alphabet.decode_table()[tok].view("S1").astype(str)  # (N, L)
    frames = []
    for method, arr in maps.items():
        per_letter = arr.transpose(0, 2, 1).reshape(n * width, c)  # (N*L, C)
        if method == "ism":
            # Mean over the C - 1 substitutions (the observed letter's 0 excluded).
            score = 0.0 - per_letter.sum(axis=1) / max(c - 1, 1)  # 0.0 -: no "-0" in the file
        else:
            score = per_letter.sum(axis=1)  # only the observed letter is non-zero
        frame = pd.DataFrame({
            "id": np.repeat(np.array(ids, dtype=object), width),
            "position": np.tile(np.arange(1, width + 1), n),
            "ref": ref.ravel(),
            "method": method,
            "score": score,
        })
        for j, letter in enumerate(alphabet.letters):
            frame[letter] = per_letter[:, j]
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["id", "position", "ref", "method", "score", *alphabet.letters])
    with atomic_path(tsv_path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    return {"npz": npz_path, "tsv": tsv_path, "n": n, "length": width, "methods": list(maps)}
