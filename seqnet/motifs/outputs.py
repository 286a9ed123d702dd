"""The files ``seqnet motifs`` writes: motif files in four formats, ``matches.tsv``,
``other_motifs.tsv``, ``all_matches.tsv``, ``filters.tsv``, ``modisco/``, logos,
``timings.tsv`` and ``report.html``, all into the scratch directory that replaces the
output directory on success.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pandas as pd

from seqnet.motifs.inputs import MotifOptions, _Data
from seqnet.motifs.progress import _Steps
from seqnet.motifs.ranking import _Found, _letter_frequencies
from seqnet.outputs import write_text_atomic


def _report_meta(run, tm, fasta, data: _Data, found: _Found, main: list, database, db, jaspar_release, taxon,
                 opts: MotifOptions) -> dict:
    """The facts block at the top of ``report.html``."""
    matched = str(db) if db is not None else (f"JASPAR CORE {taxon or 'all taxa'} ({jaspar_release or 'newest shipped'}, "
                                              f"{len(database)} matrices), TOMTOM")
    groups = data.groups
    counts = ", ".join(f"{label} {int(m.sum())}" for label, m in zip(groups.labels, groups.masks))
    meta = {
        "run": str(run),
        "model": f"{tm.name} ({sum(p.numel() for p in tm.model.parameters()):,} parameters), outputs: "
                 f"{', '.join(tm.names[:8])}{' ...' if len(tm.names) > 8 else ''}",
        "sequences": f"{fasta}: {len(data.ids)} records of length {tm.length} ({counts})",
        "method": opts.method,
        "matched against": matched,
    }
    if found.scan is not None:
        kept = sum(f.motif is not None for f in found.scan.filters)
        meta["filter sites"] = (f"{found.scan.rule}; min sites {opts.min_sites}; trim < {opts.trim_bits} bits; "
                                f"{kept} of {len(found.scan.filters)} filters with a motif")
        meta["clusters"] = (f"{len(found.clusters)} (TOMTOM average linkage at q < {opts.cluster_q:g}); "
                            "filters.tsv lists each filter's cluster")
        meta["influence"] = (f"mean change of each output's predicted probability when a cluster's filters are "
                             f"switched off ({found.influence_n} records)")
    if found.attribution:
        a = found.attribution
        meta["attributions"] = (f"DeepLIFT/SHAP (tangermeme), {a['sequences']} records x {a['shuffles']} "
                                f"dinucleotide shuffles; worst convergence delta {a['worst_delta']:.2g} "
                                f"(mean |logit difference| {a['mean_difference']:.3g})")
    meta["main set"] = (f"{len(main)} motifs (one per thing learned; at most {opts.max_motifs}; other_motifs.tsv "
                        "lists the rest and why)")
    meta["date"] = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return meta


def _write_motif_files(tmp: Path, tm, run, data: _Data, found: _Found, main: list, other: list, meta: dict,
                       steps: _Steps) -> None:
    """Motif files, tables, logos and the report, into the scratch directory ``tmp``."""
    from seqnet.motifs.report import write_motif_report

    with steps("writing motif files and drawing logos"):
        figures = _write_files(tmp, tm, run, data, found, main, other)
    # the report and timings.tsv come last, so that they hold every step's time (the
    # few milliseconds of writing them aside)
    patterns = [c for c in main + other if c.method == "modisco"]
    write_text_atomic(tmp / "timings.tsv", steps.table().to_csv(sep="\t", index=False, float_format="%.3f"))
    write_motif_report(tmp / "report.html", main, other, patterns, figures, title=f"seqnet motifs: {Path(run).name}",
                       meta=meta, timings=steps.table(), metrics=_run_metrics(run))


def _write_files(tmp: Path, tm, run, data: _Data, found: _Found, main: list, other: list) -> dict:
    """Motif files, tables and logos into ``tmp``; the figures for the report."""
    from seqnet.motifs.formats import write_all
    from seqnet.motifs.tables import rows_frame

    background = found.scan.background if found.scan is not None else _letter_frequencies(data.tokens, tm.alphabet)
    urls = {c.motif.name: _url(c) for c in main if _url(c)}
    write_all(tmp, [c.motif for c in main], background=background, urls=urls)
    table = rows_frame(main)
    write_text_atomic(tmp / "matches.tsv", table.to_csv(sep="\t", index=False, float_format="%.6g"))
    write_text_atomic(tmp / "other_motifs.tsv", rows_frame(other, reason=True).to_csv(sep="\t", index=False,
                                                                                       float_format="%.6g"))
    _write_all_matches(tmp, found, main + other)
    if found.scan is not None:
        write_text_atomic(tmp / "filters.tsv", _filter_table(found).to_csv(sep="\t", index=False, float_format="%.6g"))
    patterns = [c for c in main + other if c.method == "modisco"]
    if found.patterns or found.attribution:
        _write_modisco(tmp / "modisco", found, patterns, background)
    return _figures(tmp, tm, run, data, main, patterns, background)


def _url(c) -> str | None:
    """The JASPAR page of a candidate's significant best match, if any."""
    from seqnet.motifs.report import jaspar_url
    from seqnet.motifs.tables import SIGNIFICANT_Q

    m = c.match or {}
    return jaspar_url(m.get("best_match_id")) if m.get("q", 1.0) < SIGNIFICANT_Q else None


def _write_all_matches(tmp: Path, found: _Found, cands: list) -> None:
    """``all_matches.tsv``: every motif-target pair at q < 0.05, motifs in table order."""
    every = getattr(found, "every", None)
    if every is None:
        return
    rename = {c.source: c.motif.name for c in cands}
    rank = {c.motif.name: k for k, c in enumerate(cands)}
    every = every[every["query"].isin(set(rename))].assign(query=lambda f: f["query"].map(rename))
    every = every.sort_values(["query", "q"], key=lambda col: col.map(rank) if col.name == "query" else col)
    write_text_atomic(tmp / "all_matches.tsv", every.to_csv(sep="\t", index=False, float_format="%.6g"))


def _filter_table(found: _Found) -> pd.DataFrame:
    """``filters.tsv``: every filter's sites, threshold, cluster and fate."""
    owner = {}
    for c in found.candidates:
        for i in c.filters:
            owner[i] = c
    rows = []
    for f in found.scan.filters:
        c = owner.get(f.index)
        rows.append({"filter": f.index, "status": "motif" if c is not None else "skipped",
                     "motif": None if c is None else c.motif.name, "nsites": f.nsites, "threshold": f.threshold,
                     "reason": f.skipped if c is None else None})
    return pd.DataFrame(rows, columns=["filter", "status", "motif", "nsites", "threshold", "reason"])


def _write_modisco(folder: Path, found: _Found, patterns: list, background) -> None:
    """``modisco/``: the patterns in the four formats, patterns.tsv and seqlets.tsv."""
    from seqnet.motifs.formats import write_all
    from seqnet.motifs.tables import rows_frame

    folder.mkdir(parents=True, exist_ok=True)
    write_all(folder, [c.motif for c in patterns], background=background, stem="patterns")
    frame = rows_frame(patterns, reason=True).assign(pattern=[c.source for c in patterns])
    write_text_atomic(folder / "patterns.tsv", frame.to_csv(sep="\t", index=False, float_format="%.6g"))
    rows = []
    for t, p, recs in found.patterns:
        for k in range(len(p.examples)):
            rows.append({"pattern": p.motif.name, "record": int(recs[p.examples[k]]), "start": int(p.starts[k]),
                         "end": int(p.ends[k]), "strand": "-" if p.revcomp[k] else "+"})
    seqlets = pd.DataFrame(rows, columns=["pattern", "record", "start", "end", "strand"])
    write_text_atomic(folder / "seqlets.tsv", seqlets.to_csv(sep="\t", index=False))


def _run_metrics(run) -> dict | None:
    """The run's ``metrics.json`` (held-out test split), or None."""
    import json

    from seqnet.checkpoint import resolve_run

    path = resolve_run(run).parent / "metrics.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _figures(tmp: Path, tm, run, data: _Data, main: list, patterns: list, background) -> dict:
    """Logos (files under ``logos/`` and ``modisco/logos/``) and the model's curves, for the report."""
    from seqnet.checkpoint import resolve_run
    from seqnet.motifs.logos import draw_logos, draw_match_logo

    figures = {"logos": draw_logos([c.motif for c in main], tmp, background=background, titles=False),
               "pattern_logos": draw_logos([c.motif for c in patterns], tmp / "modisco", background=background,
                                           titles=False) if patterns else {},
               "matches": {}}
    for c in main + patterns:
        target = c.target_motif
        if target is not None:
            figures["matches"][c.motif.name] = draw_match_logo(c.motif, target, int(c.match["offset"]),
                                                               c.match["strand"], background=background)
    curves = resolve_run(run).parent / "curves.png"
    figures["curves"] = (curves.read_bytes(), "held-out test split of the run") if curves.is_file() else \
        _curves_on_inputs(tm, data)
    return figures


def _curves_on_inputs(tm, data: _Data):
    """ROC / PR curves on the labelled sequences given (the run has none of its test split)."""
    if data.y is None or tm.task_type == "regression":
        return None
    try:
        from seqnet.report.plots import curves_png
    except ImportError:  # the run report's plotting module is not installed
        return None
    from seqnet.inference import predict

    prob = predict(tm.model, data.inputs(tm), task_type=tm.task_type)
    return curves_png(data.y, prob, list(tm.names), tm.task_type), "sequences given to seqnet motifs (may include training data)"
