"""Naming and ranking what ``seqnet motifs`` found.

:func:`_rank` matches every candidate motif against the database (TOMTOM), counts its
sites in each class of sequences, fills its ``matches.tsv`` row and splits the
candidates into the main set and the others (:func:`seqnet.motifs.tables.select`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqnet.motifs.inputs import MotifOptions, _Data


@dataclass
class _Found:
    """What the two methods found."""

    scan: object = None  # sites.SiteScan
    clusters: list = field(default_factory=list)
    candidates: list = field(default_factory=list)  # tables.Candidate
    patterns: list = field(default_factory=list)  # (output index, modisco.Pattern)
    influence_n: int = 0
    attribution: dict = field(default_factory=dict)  # facts for the report
    every: pd.DataFrame | None = None  # every significant database match


def _rank(tm, data: _Data, found: _Found, database, opts: MotifOptions) -> tuple[list, list]:
    """Name every candidate against the database, count its sites per class, fill its row
    and split the candidates into the main set and the others."""
    from seqnet.motifs.match import tomtom_tables
    from seqnet.motifs.sites import motif_hits
    from seqnet.motifs.tables import Candidate, select

    for t, p, _ in sorted(found.patterns, key=lambda tp: -tp[1].seqlets):
        found.candidates.append(Candidate(p.motif, "modisco", None, None, seqlets=p.seqlets, sign=p.sign, target=t,
                                          contribution=p.contribution))
    cands = found.candidates
    if not cands:
        return [], []
    best, every = tomtom_tables([c.motif for c in cands], database)
    by_id = {m.name: m for m in database}
    for c, (_, m) in zip(cands, best.iterrows()):
        c.match = m.to_dict()
        hit = every[(every["query"] == c.motif.name) & (every.q < 0.05)]
        c.targets = dict(zip(hit.target_id, hit.target_name))
        c.target_motif = by_id.get(c.match["best_match_id"]) if c.match["q"] < 0.05 else None
    found.every = every
    background = found.scan.background if found.scan is not None else _letter_frequencies(data.tokens, tm.alphabet)
    hits = motif_hits([c.motif for c in cands], data.tokens, alphabet=tm.alphabet, background=background,
                      fpr=opts.site_fpr, both_strands=tm.alphabet.has_complement, seed=opts.seed)
    for c, h in zip(cands, hits):
        c.hits = h
        c.row = _row(c, tm, data, background)
    similar = _similarity(cands, database)
    main, other = select(cands, similar, max_motifs=opts.max_motifs, min_influence=opts.min_influence)
    from seqnet.motifs.motif import Motif

    for c in main + other:
        c.source = c.motif.name
        c.motif = Motif(c.row["motif"], c.motif.pfm, nsites=c.motif.nsites, alphabet=c.motif.alphabet)
    return main, other


def _letter_frequencies(tokens: np.ndarray, alphabet) -> np.ndarray:
    freq = np.bincount(tokens.ravel(), minlength=alphabet.size + 1)[: alphabet.size].astype(np.float64) + 1.0
    return freq / freq.sum()


def _row(c, tm, data: _Data, background) -> dict:
    """The matches.tsv row of candidate ``c`` (all but its ``motif`` id)."""
    from seqnet.motifs.tables import SIGNIFICANT_Q, direction, enrichment

    groups = data.groups
    if c.effects is not None and len(c.effects):
        text, infl, t = direction(c.effects, groups)
        by_output = "; ".join(f"{n} {e:+.3g}" for n, e in zip(tm.names, c.effects))
    else:
        e = np.zeros(len(tm.names))
        e[c.target] = 1.0 if c.sign == "+" else -1.0
        text, _, t = direction(e, groups)
        if groups.task_type == "multiclass" and c.sign == "-":
            text, t = f"lowers P({tm.names[c.target]})", c.target
        infl, by_output = float("nan"), f"{tm.names[c.target]}: {'positive' if c.sign == '+' else 'negative'} seqlets"
    raises = not (text.startswith("lowers") or (groups.task_type == "binary" and (infl < 0 or c.sign == "-")))
    with_site, ratio = enrichment(c.hits, groups, t, raises)
    m = c.match or {}
    significant = m.get("q", 1.0) < SIGNIFICANT_Q
    return {
        "name": m.get("best_match_name") if significant else "no match",
        "method": c.method,
        "consensus": c.motif.consensus(),
        "nsites": c.motif.nsites,
        "information_content": float(c.motif.information_content(background).sum()),
        "direction": text,
        "influence": infl,
        "influence_by_output": by_output,
        "sequences_with_site": with_site,
        "site_enrichment": ratio,
        "best_match_id": m.get("best_match_id"),
        "best_match_name": m.get("best_match_name"),
        "p": m.get("p"),
        "q": m.get("q"),
        "strand": m.get("strand"),
        "offset": m.get("offset"),
        "filters": ",".join(str(i) for i in c.filters) if c.filters else None,
        "seqlets": c.seqlets,
    }


def _similarity(cands: list, database):
    """``similar(a, b)``: TOMTOM q < 0.05 between two candidates, either way.

    Each candidate is compared with the others and with the whole database at once, so
    the p-values rest on a null of hundreds of target columns, not of a handful."""
    from seqnet.motifs.match import benjamini_hochberg, run_tomtom

    n = len(cands)
    if n < 2:
        return lambda a, b: False
    pfms = [c.motif.pfm for c in cands]
    rc = cands[0].motif.alphabet in ("ACGT", "ACGU")
    p = run_tomtom(pfms, pfms + [m.pfm for m in database], reverse_complement=rc, quiet=True)[0]
    p[np.arange(n), np.arange(n)] = 1.0
    q = benjamini_hochberg(p, axis=1)[:, :n]
    index = {id(c): k for k, c in enumerate(cands)}
    return lambda a, b: min(q[index[id(a)], index[id(b)]], q[index[id(b)], index[id(a)]]) < 0.05
