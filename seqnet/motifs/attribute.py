"""What ``seqnet attribute`` does: per-base saliency, in-silico mutagenesis and
DeepLIFT/SHAP maps of a FASTA, and plots of the top-scoring sequences.

The maps are assembled in a scratch directory that replaces ``out`` only on success
(:func:`seqnet.outputs.staged_dir`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from seqnet.errors import ConfigError, opt, warn
from seqnet.motifs.inputs import _sequence_model
from seqnet.outputs import check_out_dir, claim, staged_dir, write_text_atomic


ATTRIBUTION_METHODS = ("saliency", "ism", "deepliftshap")


def attribution_maps(
    run: str | Path,
    fasta: str | Path,
    out: str | Path,
    *,
    target: str | None = None,
    methods: Sequence[str] = ATTRIBUTION_METHODS,
    shuffles: int = 10,
    seed: int = 0,
    top: int = 10,
    batch_size: int = 64,
    device: str = "auto",
    overwrite: bool = False,
    crop: str | None = None,
) -> pd.DataFrame:
    """Per-base attribution maps (gradient x input, in-silico mutagenesis, DeepLIFT/SHAP) for a FASTA.

    Writes ``attributions.npz`` and ``attributions.tsv`` (see
    :func:`seqnet.attribution.write_attributions`; DeepLIFT/SHAP's map is
    ``deepliftshap``), ``predictions.tsv`` and, for the ``top`` sequences with the highest
    predicted probability of ``target``, a logo-style plot per method in ``plots/``.

    Returns
    -------
    pandas.DataFrame
        id, probability of the target, whether it was plotted and, with DeepLIFT/SHAP,
        ``deeplift_delta``: |sum of the map - (logit - mean logit of the references)|.
    """
    from seqnet.attribution import deep_lift_shap, in_silico_mutagenesis, saliency, write_attributions
    from seqnet.checkpoint import resolve_run
    from seqnet.inference import predict
    from seqnet.kinds.sequence import SequenceInputs
    from seqnet.kinds.sequence_loaders import read_sequences

    bad = [m for m in methods if m not in ATTRIBUTION_METHODS]
    if bad or not methods:
        raise ConfigError(f"{opt('methods')}: unknown {', '.join(bad) or '(none)'}; expected saliency, ism and/or "
                          "deepliftshap")
    if top < 0:
        raise ConfigError(f"{opt('top')} must be >= 0, got {top}")
    with claim(out, {"fasta": fasta, "run": resolve_run(run)}, folder=True):
        out = check_out_dir(out, overwrite)
        tm, dev = _sequence_model(run, device, "seqnet attribute")
        t = _target_index(tm, target)
        if tm.alphabet.size != 4 and (top > 0 or "deepliftshap" in methods):
            raise ConfigError(f"attribution plots and DeepLIFT/SHAP need DNA/RNA sequences; use {opt('top')} 0 and "
                              f"{opt('methods')} saliency,ism for a {tm.alphabet.name} model")
        ids, tokens, lengths = read_sequences(fasta, tm.alphabet, tm.length, crop=crop)
        inputs = SequenceInputs(tokens, tm.alphabet, tm.preprocess.get("unknown", "zeros"), lengths)
        scores, deltas = {}, None
        if "saliency" in methods:
            scores["saliency"] = saliency(tm.model, inputs, target=t, batch_size=batch_size, device=dev)
        if "ism" in methods:
            scores["ism"] = in_silico_mutagenesis(tm.model, inputs, target=t, batch_size=max(batch_size, 256), device=dev)
        if "deepliftshap" in methods:
            dls = deep_lift_shap(tm.model, inputs, target=t, n_shuffles=shuffles, seed=seed,
                                 batch_size=max(batch_size, 256), device=dev)
            scores["deepliftshap"], deltas = dls.attributions, dls.deltas
            if not dls.converged:
                warn(f"DeepLIFT/SHAP maps do not add up to the prediction differences (worst delta "
                     f"{dls.worst_delta:.3g}, mean difference {dls.mean_difference:.3g}): the model has an operation "
                     "without a DeepLIFT rule")
        prob = predict(tm.model, inputs, task_type=tm.task_type, device=dev)[:, t]
        order = np.argsort(-prob, kind="stable")[: min(top, len(ids))]
        table = pd.DataFrame({"id": ids, tm.names[t]: prob, "plotted": False})
        if deltas is not None:
            table["deeplift_delta"] = deltas
        table.loc[order, "plotted"] = True
        with staged_dir(out) as tmp:
            write_attributions(tmp, ids, tokens, scores, alphabet=tm.alphabet)
            write_text_atomic(tmp / "predictions.tsv", table.to_csv(sep="\t", index=False, float_format="%.6g"))
            _plot_top(tmp, tm, ids, tokens, scores, prob, order, t)
        return table


def _target_index(tm, target: str | None) -> int:
    """Index of output ``target`` (the first when None)."""
    if target is None:
        return 0
    if target in tm.names:
        return tm.names.index(target)
    raise ConfigError(f"{opt('target')} {target!r}: the model's outputs are {', '.join(tm.names)}")


def _plot_top(tmp: Path, tm, ids, tokens, scores: dict, prob: np.ndarray, order: np.ndarray, t: int) -> None:
    """One attribution plot per method for each of the top sequences, into ``tmp/plots``."""
    from seqnet.encode import decode
    from seqnet.motifs.logos import draw_attribution, safe_name

    for rank, i in enumerate(order, start=1):
        seq = decode(tokens[i], tm.alphabet)
        for method, s in scores.items():
            draw_attribution(s[i].T, seq, tmp / "plots" / f"{rank:03d}_{safe_name(ids[i])}.{method}.png",
                             title=f"{ids[i]}  {method}  p({tm.names[t]}) = {prob[i]:.3f}")
