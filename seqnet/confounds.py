"""Confound checks for binary sequence tasks: does the model read motifs, or composition?

When the negatives are not shuffles of the positives (another ChIP-seq experiment,
genomic background), two numbers say whether a high AUROC means what it seems to:

* ``gc_auroc`` — how well GC content alone separates the test classes (the AUROC of the
  GC fraction as a score, or of its opposite, whichever is higher);
* ``shuffle_auroc`` — the model's AUROC for the test positives against dinucleotide
  shuffles of themselves (same length and dinucleotide composition, motifs destroyed).
  A model that found the motifs scores its positives well above their shuffles; one that
  learned composition cannot tell them apart (about 0.5).

A ``warning:`` line is given when GC alone reaches :data:`GC_WARN` or the shuffle check
falls below :data:`SHUFFLE_WARN`.
"""

from __future__ import annotations

import numpy as np

from seqnet.errors import warn

#: GC content alone separating the classes this well makes composition a suspect.
GC_WARN = 0.7

#: Below this the model barely tells its positives from their own shuffles.
SHUFFLE_WARN = 0.6


def gc_auroc(test) -> float | None:
    """AUROC of GC content alone on a binary SequenceSet (the better direction); None when undefined."""
    from sklearn.metrics import roc_auc_score

    from seqnet.baselines import gc_features

    y = np.asarray(test.y).reshape(len(test), -1)[:, 0]
    if len(np.unique(y)) < 2:
        return None
    auc = roc_auc_score(y, gc_features(test.tokens, test.lengths, test.alphabet)[:, 0])
    return float(max(auc, 1 - auc))


def shuffle_auroc(test, predict_tokens, seed: int = 0) -> float | None:
    """The model's AUROC for the test positives against their own dinucleotide shuffles.

    Parameters
    ----------
    test : SequenceSet
        A binary test split.
    predict_tokens : callable
        ``(tokens (N, L) uint8, lengths (N,) or None) -> probabilities (N, 1)``.
    seed : int
        Seed of the shuffles. Default is 0.
    """
    from sklearn.metrics import roc_auc_score

    from seqnet.encode import dinucleotide_shuffle_many

    y = np.asarray(test.y).reshape(len(test), -1)[:, 0]
    pos = np.flatnonzero(y == 1)
    if len(pos) < 2 or not test.alphabet.has_complement:
        return None
    tokens = test.tokens[pos]
    shuffled = np.stack(dinucleotide_shuffle_many(tokens, seed=seed))
    lengths = None if test.lengths is None else np.concatenate([test.lengths[pos]] * 2)
    prob = predict_tokens(np.concatenate([tokens, shuffled]), lengths)[:, 0]
    return float(roc_auc_score(np.r_[np.ones(len(pos)), np.zeros(len(pos))], prob))


def confound_checks(data, test, predict_tokens) -> dict:
    """``{"gc_auroc", "shuffle_auroc"}`` for a binary task whose negatives are not shuffles
    (empty otherwise), with a warning for each alarming value; ``predict_tokens`` as in
    :func:`shuffle_auroc`."""
    if data.task_type != "binary" or (data.shuffled is not None and data.shuffled.any()) or len(test) == 0:
        return {}
    checks = {"gc_auroc": gc_auroc(test), "shuffle_auroc": shuffle_auroc(test, predict_tokens)}
    gc, shuf = checks["gc_auroc"], checks["shuffle_auroc"]
    if gc is not None and gc >= GC_WARN:
        warn(f"GC content alone separates the test classes at AUROC {gc:.2f} (>= {GC_WARN}): the model may read "
             "composition rather than motifs; compare its AUROC with the baselines")
    if shuf is not None and shuf < SHUFFLE_WARN:
        warn(f"the model scores the test positives against their own dinucleotide shuffles at AUROC {shuf:.2f} "
             f"(< {SHUFFLE_WARN}): what separates the classes is mostly composition, not sequence motifs")
    return {k: v for k, v in checks.items() if v is not None}
