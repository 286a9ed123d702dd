"""What ``seqnet motifs`` and ``seqnet attribute`` do, end to end.

:func:`motif_report` reads a trained model's first-layer filters as motifs, names them
against JASPAR (or a user MEME file) with TOMTOM, ranks them by how much the model uses
them, and writes the files biologists open: MEME, JASPAR, TRANSFAC and HOMER motif
files, ``matches.tsv``, ``filters.tsv``, logos and a self-contained ``report.html``.

:func:`attribution_maps` writes per-base saliency and in-silico mutagenesis maps and
draws the top-scoring sequences.

Both assemble their output in a scratch directory that replaces ``out`` only on
success (:func:`seqnet.utils.staged_dir`).
"""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from seqnet.errors import ConfigError
from seqnet.utils import check_out_dir, staged_dir, write_text_atomic

log = logging.getLogger("seqnet")

#: Columns of matches.tsv, in order.
MATCH_TABLE_COLUMNS = [
    "motif", "consensus", "nsites", "information_content", "best_match_id", "best_match_name",
    "p", "q", "strand", "influence", "filters",
]


def _influence_data(tm, fasta, negatives, labels):
    """Sequences and labels to measure filter influence on (labels None: unlabelled)."""
    from seqnet.data import align_targets, load_fasta_labels, load_positives_negatives

    if negatives is not None and labels is not None:
        raise ConfigError("give --negatives or --labels for filter influence, not both")
    if negatives is None and labels is None:
        return None
    if negatives is not None:
        data = load_positives_negatives(fasta, negatives, alphabet=tm.alphabet, length=tm.length,
                                        max_length=tm.length, task_name=tm.names[0])
        y = align_targets(data, tm, source=str(fasta), from_table=False)
    else:
        data = load_fasta_labels(fasta, labels, alphabet=tm.alphabet, length=tm.length, max_length=tm.length)
        y = align_targets(data, tm, source=str(labels), from_table=True)
    return data.tokens, y, data.lengths


def _subsample(data: tuple, n_max: int, seed: int) -> tuple:
    """At most ``n_max`` records of (tokens, y, lengths), a seeded random subset (0 = all)."""
    tokens = data[0]
    if n_max <= 0 or len(tokens) <= n_max:
        return data
    keep = np.sort(np.random.default_rng(seed).choice(len(tokens), n_max, replace=False))
    return tuple(None if a is None else a[keep] for a in data)


def motif_report(
    run: str | Path,
    fasta: str | Path,
    out: str | Path,
    *,
    negatives: str | Path | None = None,
    labels: str | Path | None = None,
    threshold: float = 0.5,
    trim_bits: float = 0.2,
    min_sites: int = 10,
    merge_rc: bool | None = None,
    db: str | Path | None = None,
    jaspar_release: str | None = None,
    taxon: str | None = "vertebrates",
    influence_sequences: int = 2000,
    seed: int = 0,
    batch_size: int = 256,
    device: str = "auto",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Extract, match, rank and export the motifs a model learned.

    Parameters
    ----------
    run : path
        Run directory or ``model.pt``.
    fasta : path
        Sequences to scan (typically the positives the model was trained on).
    out : path
        Output directory.
    negatives, labels : path or None
        Labelled data for filter influence (the drop in mean AUROC when a filter is
        zeroed): a negatives FASTA (or ``"shuffle"``) beside ``fasta``, or a label table
        for ``fasta``.  Without them influence is the mean absolute change of the
        predicted probabilities.
    threshold : float
        Site threshold between a filter's mean and maximum activation. Default is 0.5.
    trim_bits : float
        Flanking columns below this information content are trimmed. Default is 0.2.
    min_sites : int
        Filters with fewer sites are skipped (and listed in ``filters.tsv``). Default is 10.
    merge_rc : bool or None
        Merge reverse-complement twin filters; None: when the model was trained with
        reverse-complement augmentation.
    db : path or None
        MEME file to match against; None for JASPAR CORE from pyjaspar (offline).
    jaspar_release, taxon : str or None
        JASPAR release (default the newest shipped) and taxon (default vertebrates).
    influence_sequences : int
        Influence costs one pass over the data per filter, so it is measured on at most
        this many records (a seeded random subset; 0 = all). Default is 2000.
    seed : int
        Seed of that subset. Default is 0.
    batch_size : int
    device : str
    overwrite : bool
        Replace an existing output directory.

    Returns
    -------
    pandas.DataFrame
        The ranked ``matches.tsv`` table.
    """
    from seqnet.checkpoint import load
    from seqnet.data import read_sequences
    from seqnet.motifs.extract import default_merge_rc, extract_motifs
    from seqnet.motifs.formats import write_all
    from seqnet.motifs.influence import filter_influence
    from seqnet.motifs.logos import draw_logos
    from seqnet.motifs.match import load_database, tomtom_tables
    from seqnet.motifs.report import write_report
    from seqnet.utils import resolve_device

    if not 0 <= threshold < 1:
        raise ConfigError(f"--threshold must be in [0, 1), got {threshold}")
    if trim_bits < 0:
        raise ConfigError(f"--trim-bits must be >= 0, got {trim_bits}")
    if min_sites < 1:
        raise ConfigError(f"--min-sites must be >= 1, got {min_sites}")
    out = check_out_dir(out, overwrite)
    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    tm.require_sequences("seqnet motifs")
    if getattr(tm.model, "first_conv", None) is None:
        raise ConfigError(
            f"model {tm.name!r} has no convolutional first layer; motifs can only be read from convolutional filters"
        )
    if not tm.alphabet.has_complement and db is None:
        raise ConfigError(f"JASPAR matching needs DNA motifs; this model reads {tm.alphabet.name}: pass --db MOTIFS.meme")
    ids, tokens, lengths = read_sequences(fasta, tm.alphabet, tm.length)
    influence_data = _influence_data(tm, fasta, negatives, labels)
    database = load_database(db, release=jaspar_release, taxon=taxon)  # fail early on a bad --db / release
    if merge_rc is None:
        merge_rc = default_merge_rc(tm)
    unknown = tm.preprocess.get("unknown", "zeros")

    filters, background = extract_motifs(
        tm.model, tokens, alphabet=tm.alphabet, threshold=threshold, min_sites=min_sites, trim_bits=trim_bits,
        unknown=unknown, batch_size=batch_size, device=dev, merge_rc=merge_rc,
    )
    kept = [f for f in filters if f.motif is not None]
    log.info("%d filters: %d motifs, %d skipped", len(filters), len(kept), len(filters) - len(kept))

    if influence_data is None:
        influence_data = (tokens, None, lengths)
    influence_data = _subsample(influence_data, influence_sequences, seed)
    if influence_data[1] is None:
        infl = filter_influence(tm.model, influence_data[0], None, alphabet=tm.alphabet, task_type=tm.task_type, unknown=unknown,
                                batch_size=batch_size, device=dev, lengths=influence_data[2])
        influence_kind = "mean |change of predicted probability| when the filter is zeroed"
    else:
        tok2, y2, len2 = influence_data
        infl = filter_influence(tm.model, tok2, y2, alphabet=tm.alphabet, task_type=tm.task_type, unknown=unknown,
                                batch_size=batch_size, device=dev, lengths=len2)
        influence_kind = "drop in mean AUROC when the filter is zeroed"

    motifs = [f.motif for f in kept]
    matches, every = tomtom_tables(motifs, database) if motifs else (None, None)
    rows = []
    for k, f in enumerate(kept):
        members = (f.index, *f.merged)
        m = matches.iloc[k] if matches is not None else None
        rows.append({
            "motif": f.motif.name,
            "consensus": f.motif.consensus(),
            "nsites": f.nsites,
            "information_content": float(f.motif.information_content(background).sum()),
            "best_match_id": None if m is None else m["best_match_id"],
            "best_match_name": None if m is None else m["best_match_name"],
            "p": None if m is None else float(m["p"]),
            "q": None if m is None else float(m["q"]),
            "strand": None if m is None else m["strand"],
            # twin filters encode one motif together: their influences add up
            "influence": float(sum(infl[i] for i in members)),
            "filters": ",".join(str(i) for i in members),
        })
    table = pd.DataFrame(rows, columns=MATCH_TABLE_COLUMNS)
    table = table.sort_values(["influence", "q"], ascending=[False, True], na_position="last", kind="stable")
    table = table.reset_index(drop=True)

    filter_rows = [{
        "filter": f.index,
        "status": "motif" if f.motif is not None else ("merged" if f.merged_into is not None else "skipped"),
        "motif": None if f.motif is None else f.motif.name,
        "nsites": f.nsites,
        "threshold": f.threshold,
        "reason": f.skipped,
        "influence": float(infl[f.index]),
    } for f in filters]

    with staged_dir(out) as tmp:
        ordered = {m.name: m for m in motifs}
        ranked = [ordered[name] for name in table.motif]
        write_all(tmp, ranked, background=background)
        write_text_atomic(tmp / "matches.tsv", table.to_csv(sep="\t", index=False, float_format="%.6g"))
        if every is not None:
            every = every[every["query"].isin(set(table.motif))]
            rank = {name: k for k, name in enumerate(table.motif)}
            every = every.sort_values(["query", "q"], key=lambda c: c.map(rank) if c.name == "query" else c)
            write_text_atomic(tmp / "all_matches.tsv", every.to_csv(sep="\t", index=False, float_format="%.6g"))
        write_text_atomic(tmp / "filters.tsv", pd.DataFrame(filter_rows).to_csv(sep="\t", index=False,
                                                                                   float_format="%.6g"))
        logos = draw_logos(ranked, tmp, background=background)
        n_sig = int((table.q < 0.05).sum()) if len(table) else 0
        meta = {
            "run": str(run),
            "model": f"{tm.name} ({sum(p.numel() for p in tm.model.parameters()):,} parameters)",
            "sequences": f"{fasta} ({len(ids)} records, length {tm.length})",
            "filters": f"{len(filters)}: {len(kept)} motifs, {len(filters) - len(kept)} skipped or merged "
                       f"(see filters.tsv)",
            "site threshold": f"{threshold} of the way from each filter's mean to its max activation; "
                              f"min sites {min_sites}; trim < {trim_bits} bits",
            "reverse-complement merging": "on" if merge_rc else "off",
            "matched against": str(db) if db is not None else f"JASPAR CORE {taxon or 'all taxa'} "
                                                             f"({jaspar_release or 'newest shipped'}, "
                                                             f"{len(database)} matrices), TOMTOM",
            "influence": f"{influence_kind} ({len(influence_data[0])} records)",
            "significant matches": f"{n_sig} of {len(table)} motifs at q < 0.05",
            "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        }
        # Logos are embedded in the page, so the report stays readable after moving it.
        write_report(tmp / "report.html", table, logos, title=f"seqnet motifs: {Path(run).name}", meta=meta)
    return table


def attribution_maps(
    run: str | Path,
    fasta: str | Path,
    out: str | Path,
    *,
    target: str | None = None,
    methods: Sequence[str] = ("saliency", "ism"),
    top: int = 10,
    batch_size: int = 64,
    device: str = "auto",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Per-base attribution maps (gradient x input, in-silico mutagenesis) for a FASTA.

    Writes ``attributions.npz`` and ``attributions.tsv`` (see
    :func:`seqnet.attribution.write_attributions`), ``predictions.tsv`` and, for the
    ``top`` sequences with the highest predicted probability of ``target``, a logo-style
    plot per method in ``plots/``.

    Returns
    -------
    pandas.DataFrame
        id, probability of the target and whether it was plotted.
    """
    from seqnet.attribution import in_silico_mutagenesis, saliency, write_attributions
    from seqnet.checkpoint import load
    from seqnet.data import read_sequences
    from seqnet.encode import decode
    from seqnet.motifs.logos import draw_attribution, safe_name
    from seqnet.predict import predict_proba
    from seqnet.utils import resolve_device

    known = {"saliency", "ism"}
    bad = [m for m in methods if m not in known]
    if bad or not methods:
        raise ConfigError(f"--methods: unknown {', '.join(bad) or '(none)'}; expected saliency and/or ism")
    if top < 0:
        raise ConfigError(f"--top must be >= 0, got {top}")
    out = check_out_dir(out, overwrite)
    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    tm.require_sequences("seqnet attribute")
    if target is None:
        t = 0
    elif target in tm.names:
        t = tm.names.index(target)
    else:
        raise ConfigError(f"--target {target!r}: the model's outputs are {', '.join(tm.names)}")
    if tm.alphabet.size != 4 and top > 0:
        raise ConfigError(f"attribution plots need DNA/RNA sequences; use --top 0 for a {tm.alphabet.name} model")
    ids, tokens, lengths = read_sequences(fasta, tm.alphabet, tm.length)
    unknown = tm.preprocess.get("unknown", "zeros")
    kw = dict(alphabet=tm.alphabet, target=t, unknown=unknown, device=dev, lengths=lengths)
    scores = {}
    if "saliency" in methods:
        scores["saliency"] = saliency(tm.model, tokens, batch_size=batch_size, **kw)
    if "ism" in methods:
        scores["ism"] = in_silico_mutagenesis(tm.model, tokens, batch_size=max(batch_size, 256), **kw)
    prob = predict_proba(tm.model, tokens, alphabet=tm.alphabet, task_type=tm.task_type, unknown=unknown,
                         device=dev, lengths=lengths)[:, t]
    order = np.argsort(-prob, kind="stable")[: min(top, len(ids))]
    table = pd.DataFrame({"id": ids, tm.names[t]: prob, "plotted": False})
    table.loc[order, "plotted"] = True
    with staged_dir(out) as tmp:
        write_attributions(tmp, ids, tokens, scores, alphabet=tm.alphabet)
        write_text_atomic(tmp / "predictions.tsv", table.to_csv(sep="\t", index=False, float_format="%.6g"))
        for rank, i in enumerate(order, start=1):
            seq = decode(tokens[i], tm.alphabet)
            for method, s in scores.items():
                draw_attribution(s[i].T, seq, tmp / "plots" / f"{rank:03d}_{safe_name(ids[i])}.{method}.png",
                                 title=f"{ids[i]}  {method}  p({tm.names[t]}) = {prob[i]:.3f}")
    return table
