"""What ``seqnet motifs`` and ``seqnet attribute`` do, end to end.

:func:`motif_report` finds the motifs a trained model uses, two ways, and writes what
biologists open:

* **filters** — each first-layer filter's best site per sequence and strand above
  what it reaches on dinucleotide-shuffled sequence (:mod:`seqnet.motifs.sites`),
  filters that learned one motif clustered and merged (:mod:`seqnet.motifs.cluster`),
  and each cluster's signed effect on every output when its filters are switched off
  (:func:`seqnet.motifs.influence.group_effects`);
* **modisco** — DeepLIFT/SHAP maps against shuffled references
  (:func:`seqnet.attribution.deep_lift_shap`), then seqlets and TF-MoDISco patterns
  (:mod:`seqnet.motifs.modisco`).

Every motif is named against JASPAR (or a user MEME file) by TOMTOM, counted in each
class of sequences, and ranked (:mod:`seqnet.motifs.tables`): one motif per thing
learned in ``matches.tsv`` and the motif files, the rest in ``other_motifs.tsv``.
Progress goes to stderr, step by step, with the time each took.

:func:`attribution_maps` (:mod:`seqnet.motifs.attribute`) writes per-base saliency,
in-silico mutagenesis and DeepLIFT/SHAP maps and draws the top-scoring sequences.

Both assemble their output in a scratch directory that replaces ``out`` only on
success (:func:`seqnet.outputs.staged_dir`).

The steps live beside this module: what is read and checked in
:mod:`seqnet.motifs.inputs`, progress lines and timings in :mod:`seqnet.motifs.progress`,
naming and ranking in :mod:`seqnet.motifs.ranking`, the files written in
:mod:`seqnet.motifs.outputs`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from seqnet.errors import warn
from seqnet.motifs.attribute import ATTRIBUTION_METHODS, attribution_maps
from seqnet.motifs.inputs import (MotifOptions, _check_data, _Data, _load_data, _motif_model, _readable_twice,
                                  _subsample)
from seqnet.motifs.outputs import _report_meta, _write_motif_files
from seqnet.motifs.progress import _progress, _Steps
from seqnet.motifs.ranking import _Found, _rank
from seqnet.outputs import check_out_dir, claim, staged_dir

#: ``seqnet attribute``'s entry point lives in :mod:`seqnet.motifs.attribute`; it is
#: importable from here too.
__all__ = ["ATTRIBUTION_METHODS", "MotifOptions", "attribution_maps", "motif_report"]

log = logging.getLogger("seqnet")

#: Fewest sequences given to TF-MoDISco per explained output.
_MIN_PER_OUTPUT = 200


def motif_report(
    run: str | Path,
    fasta: str | Path,
    out: str | Path,
    *,
    negatives: str | Path | None = None,
    labels: str | Path | None = None,
    method: str = "both",
    site_fpr: float = 0.01,
    threshold: float | None = None,
    trim_bits: float = 0.2,
    min_sites: int = 10,
    cluster_q: float = 0.01,
    max_motifs: int = 15,
    min_influence: float = 0.05,
    db: str | Path | None = None,
    jaspar_release: str | None = None,
    taxon: str | None = "vertebrates",
    influence_sequences: int = 2000,
    attribution_sequences: int = 1000,
    shuffles: int = 10,
    seed: int = 0,
    batch_size: int = 256,
    device: str = "auto",
    quiet: bool = False,
    overwrite: bool = False,
    crop: str | None = None,
) -> pd.DataFrame:
    """Find, name, rank and export the motifs a model learned.

    Parameters
    ----------
    run : path
        Run directory or ``model.pt``.
    fasta : path
        Sequences to scan: the positives (with ``negatives``), every record (with
        ``labels``) or any set of sequences.
    out : path
        Output directory.
    negatives, labels : path or None
        A negatives FASTA (or ``"shuffle"``) beside ``fasta``, or a label table for
        it.  With them motifs are read from both classes, counted per class and ranked
        by their signed effect on each output.  Default is None.
    method, site_fpr, threshold, trim_bits, min_sites, cluster_q, max_motifs, min_influence
        How motifs are found and which make the main set: see :class:`MotifOptions`.
    db : path or None
        MEME file to match against; None for JASPAR CORE from pyjaspar (offline).
    jaspar_release, taxon : str or None
        JASPAR release (default the newest shipped) and taxon (default vertebrates).
    influence_sequences, attribution_sequences, shuffles, seed, batch_size
        How much work each step does: see :class:`MotifOptions`.
    device : str
        Default is ``"auto"``.
    quiet : bool
        No progress lines. Default is False.
    overwrite : bool
        Replace an existing output directory. Default is False.
    crop : str or None
        ``"centre"``: use the centre of sequences longer than the model's input; None:
        such a sequence is an error. Default is None.

    Returns
    -------
    pandas.DataFrame
        The ranked ``matches.tsv`` table (the main set).
    """
    from seqnet.checkpoint import resolve_run
    from seqnet.motifs.match import load_database

    opts = MotifOptions(method, site_fpr, threshold, trim_bits, min_sites, cluster_q, max_motifs, min_influence,
                        influence_sequences, attribution_sequences, shuffles, seed, batch_size)
    opts.check()
    inputs = {"fasta": fasta, "negatives": negatives, "labels": labels, "db": db, "run": resolve_run(run)}
    with claim(out, inputs, folder=True), _readable_twice(fasta) as source, _progress(quiet) as steps:
        out = check_out_dir(out, overwrite)
        with steps("reading the model, the sequences and the motif database"):
            tm, dev = _motif_model(run, device, db, opts)
            data = _load_data(tm, source, negatives, labels, crop)
            database = load_database(db, release=jaspar_release, taxon=taxon)  # fail early on a bad db / release
            _check_data(tm, data, opts)
        steps.inputs_checked()
        found = _Found()
        if opts.filters:
            _filter_motifs(tm, dev, data, opts, steps, found)
        if opts.modisco:
            _modisco_motifs(tm, dev, data, opts, steps, found)
        with steps("naming motifs against the database (TOMTOM)"):
            main, other = _rank(tm, data, found, database, opts)
        meta = _report_meta(run, tm, fasta, data, found, main, database, db, jaspar_release, taxon, opts)
        with staged_dir(out) as tmp:
            _write_motif_files(tmp, tm, run, data, found, main, other, meta, steps)
        log.info("time per step: %s", ", ".join(f"{k} {v:.1f} s" for k, v in steps.seconds.items()))
        from seqnet.motifs.tables import rows_frame

        return rows_frame(main)


def _filter_motifs(tm, dev, data: _Data, opts: MotifOptions, steps: _Steps, found: _Found) -> None:
    """Sites, clusters and the signed influence of each cluster, into ``found``."""
    from seqnet.motifs.cluster import cluster_motifs
    from seqnet.motifs.extract import _Shaping
    from seqnet.motifs.influence import group_effects
    from seqnet.motifs.sites import filter_sites
    from seqnet.motifs.tables import Candidate

    with steps("finding filter sites (best per sequence and strand, against shuffled sequence)"):
        found.scan = scan = filter_sites(
            tm.model, data.tokens, alphabet=tm.alphabet, fpr=opts.site_fpr, threshold=opts.threshold,
            min_sites=opts.min_sites, trim_bits=opts.trim_bits, both_strands=tm.alphabet.has_complement,
            unknown=data.unknown, batch_size=opts.batch_size, device=dev, seed=opts.seed)
        kept = [f for f in scan.filters if f.motif is not None]
        log.info("%d filters: %d with a motif, %d skipped", len(scan.filters), len(kept), len(scan.filters) - len(kept))
    with steps("clustering filter motifs (TOMTOM)"):
        shaping = _Shaping(scan.background, 0.1, opts.trim_bits, tm.alphabet, "filter")
        found.clusters = cluster_motifs(kept, scan.hits, shaping, max_q=opts.cluster_q)
        log.info("%d filter motifs in %d clusters", len(kept), len(found.clusters))
    with steps("influence: switching off each cluster's filters"):
        rows = _subsample(len(data.ids), opts.influence_sequences, opts.seed)
        found.influence_n = len(rows)
        effects = group_effects(tm.model, data.inputs(tm, rows), [c.filters for c in found.clusters],
                                task_type=tm.task_type, batch_size=opts.batch_size, device=dev)
    for c, e in zip(found.clusters, effects):
        found.candidates.append(Candidate(c.motif, "filters", e, c.hits.any(axis=0), filters=c.filters))
    found.candidates.sort(key=lambda c: -c.size)


def _explained(tm, data: _Data, opts: MotifOptions) -> list[tuple[int, np.ndarray]]:
    """``(output, record indices)`` for each output DeepLIFT/SHAP explains."""
    n_out = len(tm.names)
    per = opts.attribution_sequences if n_out == 1 else max(_MIN_PER_OUTPUT, opts.attribution_sequences // n_out)
    per = 0 if opts.attribution_sequences == 0 else per
    out = []
    for t in range(n_out):
        mask = None if data.y is None or data.groups.task_type in ("regression", "unlabelled") \
            else data.groups.masks[min(t, len(data.groups.masks) - 1)]
        if data.groups.task_type == "binary":
            mask = data.groups.masks[0]
        out.append((t, _subsample(len(data.ids), per, opts.seed + t, mask)))
    return out


def _modisco_motifs(tm, dev, data: _Data, opts: MotifOptions, steps: _Steps, found: _Found) -> None:
    """DeepLIFT/SHAP maps and TF-MoDISco patterns per explained output, into ``found``."""
    from seqnet.attribution import deep_lift_shap
    from seqnet.encode import one_hot
    from seqnet.motifs.modisco import MIN_SEQUENCES, modisco_patterns

    worst, scale, n_total = 0.0, 0.0, 0
    for t, rows in _explained(tm, data, opts):
        name = tm.names[t]
        with steps("DeepLIFT/SHAP attributions"):
            dls = deep_lift_shap(tm.model, data.inputs(tm, rows), target=t, n_shuffles=opts.shuffles,
                                 seed=opts.seed, batch_size=opts.batch_size, device=dev)
            log.info("%s: %d sequences x %d shuffles, worst convergence delta %.2g (mean |logit difference| %.3g)",
                     name, len(rows), opts.shuffles, dls.worst_delta, dls.mean_difference)
        worst, scale, n_total = max(worst, dls.worst_delta), max(scale, dls.mean_difference), n_total + len(rows)
        if not dls.converged:
            warn(f"DeepLIFT/SHAP maps of {name} do not add up to the prediction differences (worst delta "
                 f"{dls.worst_delta:.3g}, mean difference {dls.mean_difference:.3g}): the model has an operation "
                 "without a DeepLIFT rule; TF-MoDISco patterns may be distorted")
        if len(rows) < MIN_SEQUENCES:
            continue
        with steps("TF-MoDISco (modisco-lite)"):
            try:
                pats = modisco_patterns(one_hot(data.tokens[rows], tm.alphabet), dls.hypothetical,
                                        alphabet=tm.alphabet.letters, name_prefix=f"pattern_{t + 1}"
                                        if len(tm.names) > 1 else "pattern")
            except (ValueError, IndexError, RuntimeError) as exc:  # degenerate maps: no seqlets to cluster
                warn(f"TF-MoDISco found no patterns for {name} ({type(exc).__name__}: {exc})")
                pats = []
            log.info("%s: %d TF-MoDISco patterns", name, len(pats))
        for p in pats:
            found.patterns.append((t, p, rows))
    found.attribution = {"sequences": n_total, "shuffles": opts.shuffles, "worst_delta": worst,
                         "mean_difference": scale}
