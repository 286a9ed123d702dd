"""What ``seqnet motifs`` and ``seqnet attribute`` do, end to end.

:func:`motif_report` reads a trained model's first-layer filters as motifs, names them
against JASPAR (or a user MEME file) with TOMTOM, ranks them by how much the model uses
them, and writes the files biologists open: MEME, JASPAR, TRANSFAC and HOMER motif
files, ``matches.tsv``, ``filters.tsv``, logos and a self-contained ``report.html``.

:func:`attribution_maps` writes per-base saliency and in-silico mutagenesis maps and
draws the top-scoring sequences.

Both assemble their output in a scratch directory that replaces ``out`` only on
success (:func:`seqnet.outputs.staged_dir`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from seqnet.errors import ConfigError, SeqnetError, opt
from seqnet.outputs import check_out_dir, claim, staged_dir, write_text_atomic

log = logging.getLogger("seqnet")

#: Columns of matches.tsv, in order.
MATCH_TABLE_COLUMNS = [
    "motif", "consensus", "nsites", "information_content", "best_match_id", "best_match_name",
    "p", "q", "strand", "influence", "filters",
]


@dataclass
class _Influence:
    """Filter influence and how it was measured."""

    values: np.ndarray
    what: str
    n_records: int


def _sequence_model(run, device: str, command: str):
    """A trained sequence model and its device (InputError for another kind)."""
    from seqnet.checkpoint import load
    from seqnet.utils import resolve_device

    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    tm.require_sequences(command)
    return tm, dev


def _influence_data(tm, fasta, negatives, labels, n_max: int, seed: int):
    """Tokens, labels (or None) and lengths to measure filter influence on: at most
    ``n_max`` records (a seeded random subset; 0 = all), None without labelled data."""
    from seqnet.inputs import InputSpec
    from seqnet.kinds.sequence import SEQUENCE

    if negatives is not None and labels is not None:
        raise ConfigError(f"give {opt('negatives')} or {opt('labels')} for filter influence, not both")
    if negatives is None and labels is None:
        return None
    spec = InputSpec(positives=fasta, negatives=negatives) if labels is None else InputSpec(fasta=fasta, labels=labels)
    inputs, y = SEQUENCE.load_for_model(spec, tm)
    lengths = None if inputs.lengths is None else inputs.lengths.numpy()
    return _subsample((inputs.tokens.numpy(), y, lengths), n_max, seed)


def _subsample(data: tuple, n_max: int, seed: int) -> tuple:
    """At most ``n_max`` records of (tokens, y, lengths), a seeded random subset (0 = all)."""
    tokens = data[0]
    if n_max <= 0 or len(tokens) <= n_max:
        return data
    keep = np.sort(np.random.default_rng(seed).choice(len(tokens), n_max, replace=False))
    return tuple(None if a is None else a[keep] for a in data)


def _check_motif_options(threshold: float, trim_bits: float, min_sites: int) -> None:
    if not 0 <= threshold < 1:
        raise ConfigError(f"{opt('threshold')} must be in [0, 1), got {threshold}")
    if trim_bits < 0:
        raise ConfigError(f"{opt('trim_bits')} must be >= 0, got {trim_bits}")
    if min_sites < 1:
        raise ConfigError(f"{opt('min_sites')} must be >= 1, got {min_sites}")


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
        Sequences per forward pass. Default is 256.
    device : str
        Default is ``"auto"``.
    overwrite : bool
        Replace an existing output directory. Default is False.

    Returns
    -------
    pandas.DataFrame
        The ranked ``matches.tsv`` table.
    """
    from seqnet.checkpoint import resolve_run
    from seqnet.kinds.sequence_loaders import read_sequences
    from seqnet.motifs.extract import default_merge_rc, extract_motifs
    from seqnet.motifs.match import load_database

    _check_motif_options(threshold, trim_bits, min_sites)
    inputs = {"fasta": fasta, "negatives": negatives, "labels": labels, "db": db, "run": resolve_run(run)}
    with claim(out, inputs, folder=True), _readable_twice(fasta) as source:
        out = check_out_dir(out, overwrite)
        tm, dev = _motif_model(run, device, db)
        ids, tokens, lengths = read_sequences(source, tm.alphabet, tm.length)
        labelled = _influence_data(tm, source, negatives, labels, influence_sequences, seed)
        database = load_database(db, release=jaspar_release, taxon=taxon)  # fail early on a bad db / release
        merge_rc = default_merge_rc(tm) if merge_rc is None else merge_rc
        unknown = tm.preprocess.get("unknown", "zeros")
        filters, background = extract_motifs(
            tm.model, tokens, alphabet=tm.alphabet, threshold=threshold, min_sites=min_sites, trim_bits=trim_bits,
            unknown=unknown, batch_size=batch_size, device=dev, merge_rc=merge_rc,
        )
        kept = [f for f in filters if f.motif is not None]
        log.info("%d filters: %d motifs, %d skipped", len(filters), len(kept), len(filters) - len(kept))
        if labelled is None:
            labelled = _subsample((tokens, None, lengths), influence_sequences, seed)
        infl = _filter_influence(tm, labelled, unknown, batch_size, dev)
        table, every = _match_table(kept, infl.values, database, background)
        meta = _report_meta(run, tm, fasta, len(ids), filters, kept, table, infl, database, db, jaspar_release, taxon,
                            threshold, min_sites, trim_bits, merge_rc)
        with staged_dir(out) as tmp:
            _write_motif_files(tmp, table, every, kept, _filter_table(filters, infl.values), background,
                               title=f"seqnet motifs: {Path(run).name}", meta=meta)
        return table


@contextlib.contextmanager
def _readable_twice(path):
    """``path`` itself, or for a stream (a pipe, ``<(...)``) a private copy of its bytes,
    read once: the sequences are scanned, then read again with their labels."""
    from seqnet.io.fasta import is_regular_file, read_raw

    if not Path(path).exists() or is_regular_file(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="seqnet-stream-") as tmp:
        copy = Path(tmp) / "sequences.fa"
        copy.write_bytes(read_raw(path))  # gzip stays gzip: the readers detect it
        try:
            yield copy
        except SeqnetError as exc:  # messages name the user's input, not the copy
            raise type(exc)(str(exc).replace(str(copy), str(path))) from None


def _motif_model(run, device: str, db):
    """The trained model motifs are read from, and its device; ConfigError when it has no
    convolutional first layer, or when it reads no DNA and there is no ``db`` but JASPAR."""
    tm, dev = _sequence_model(run, device, "seqnet motifs")
    if getattr(tm.model, "first_conv", None) is None:
        raise ConfigError(
            f"model {tm.name!r} has no convolutional first layer; motifs can only be read from convolutional filters"
        )
    if not tm.alphabet.has_complement and db is None:
        raise ConfigError(f"JASPAR matching needs DNA motifs; this model reads {tm.alphabet.name}: "
                          f"pass {opt('db')} MOTIFS.meme")
    return tm, dev


def _filter_influence(tm, data: tuple, unknown: str, batch_size: int, device) -> _Influence:
    """Influence of every filter on ``data`` = (tokens, labels or None, lengths)."""
    from seqnet.motifs.influence import filter_influence

    from seqnet.kinds.sequence import SequenceInputs

    tokens, y, lengths = data
    values = filter_influence(tm.model, SequenceInputs(tokens, tm.alphabet, unknown, lengths), y,
                              task_type=tm.task_type, batch_size=batch_size, device=device)
    what = ("mean |change of predicted probability| when the filter is zeroed" if y is None
            else "drop in mean AUROC when the filter is zeroed")
    return _Influence(values, what, len(tokens))


def _match_table(kept: list, infl: np.ndarray, database, background) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``matches.tsv`` (one row per motif, ranked by influence then q) and every match."""
    from seqnet.motifs.match import tomtom_tables

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
    return table.reset_index(drop=True), every


def _filter_table(filters: list, infl: np.ndarray) -> pd.DataFrame:
    """``filters.tsv``: every filter's fate (motif, merged, skipped), sites and influence."""
    return pd.DataFrame([{
        "filter": f.index,
        "status": "motif" if f.motif is not None else ("merged" if f.merged_into is not None else "skipped"),
        "motif": None if f.motif is None else f.motif.name,
        "nsites": f.nsites,
        "threshold": f.threshold,
        "reason": f.skipped,
        "influence": float(infl[f.index]),
    } for f in filters])


def _report_meta(run, tm, fasta, n_records: int, filters, kept, table, infl: _Influence, database, db,
                 jaspar_release, taxon, threshold, min_sites, trim_bits, merge_rc) -> dict:
    """The settings block at the top of ``report.html``."""
    n_sig = int((table.q < 0.05).sum()) if len(table) else 0
    matched = str(db) if db is not None else (f"JASPAR CORE {taxon or 'all taxa'} ({jaspar_release or 'newest shipped'}, "
                                              f"{len(database)} matrices), TOMTOM")
    return {
        "run": str(run),
        "model": f"{tm.name} ({sum(p.numel() for p in tm.model.parameters()):,} parameters)",
        "sequences": f"{fasta} ({n_records} records, length {tm.length})",
        "filters": f"{len(filters)}: {len(kept)} motifs, {len(filters) - len(kept)} skipped or merged (see filters.tsv)",
        "site threshold": f"{threshold} of the way from each filter's mean to its max activation; "
                          f"min sites {min_sites}; trim < {trim_bits} bits",
        "reverse-complement merging": "on" if merge_rc else "off",
        "matched against": matched,
        "influence": f"{infl.what} ({infl.n_records} records)",
        "significant matches": f"{n_sig} of {len(table)} motifs at q < 0.05",
        "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def _write_motif_files(tmp: Path, table: pd.DataFrame, every, kept: list, filters: pd.DataFrame, background, *,
                       title: str, meta: dict) -> None:
    """Motif files, tables, logos and the report, into the scratch directory ``tmp``."""
    from seqnet.motifs.formats import write_all
    from seqnet.motifs.logos import draw_logos
    from seqnet.motifs.report import write_report

    ordered = {f.motif.name: f.motif for f in kept}
    ranked = [ordered[name] for name in table.motif]
    write_all(tmp, ranked, background=background)
    write_text_atomic(tmp / "matches.tsv", table.to_csv(sep="\t", index=False, float_format="%.6g"))
    if every is not None:
        every = every[every["query"].isin(set(table.motif))]
        rank = {name: k for k, name in enumerate(table.motif)}
        every = every.sort_values(["query", "q"], key=lambda c: c.map(rank) if c.name == "query" else c)
        write_text_atomic(tmp / "all_matches.tsv", every.to_csv(sep="\t", index=False, float_format="%.6g"))
    write_text_atomic(tmp / "filters.tsv", filters.to_csv(sep="\t", index=False, float_format="%.6g"))
    logos = draw_logos(ranked, tmp, background=background)
    # Logos are embedded in the page, so the report stays readable after moving it.
    write_report(tmp / "report.html", table, logos, title=title, meta=meta)


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
    from seqnet.checkpoint import resolve_run
    from seqnet.inference import predict
    from seqnet.kinds.sequence import SequenceInputs
    from seqnet.kinds.sequence_loaders import read_sequences

    bad = [m for m in methods if m not in ("saliency", "ism")]
    if bad or not methods:
        raise ConfigError(f"{opt('methods')}: unknown {', '.join(bad) or '(none)'}; expected saliency and/or ism")
    if top < 0:
        raise ConfigError(f"{opt('top')} must be >= 0, got {top}")
    with claim(out, {"fasta": fasta, "run": resolve_run(run)}, folder=True):
        out = check_out_dir(out, overwrite)
        tm, dev = _sequence_model(run, device, "seqnet attribute")
        t = _target_index(tm, target)
        if tm.alphabet.size != 4 and top > 0:
            raise ConfigError(f"attribution plots need DNA/RNA sequences; use {opt('top')} 0 for a {tm.alphabet.name} model")
        ids, tokens, lengths = read_sequences(fasta, tm.alphabet, tm.length)
        inputs = SequenceInputs(tokens, tm.alphabet, tm.preprocess.get("unknown", "zeros"), lengths)
        scores = {}
        if "saliency" in methods:
            scores["saliency"] = saliency(tm.model, inputs, target=t, batch_size=batch_size, device=dev)
        if "ism" in methods:
            scores["ism"] = in_silico_mutagenesis(tm.model, inputs, target=t, batch_size=max(batch_size, 256), device=dev)
        prob = predict(tm.model, inputs, task_type=tm.task_type, device=dev)[:, t]
        order = np.argsort(-prob, kind="stable")[: min(top, len(ids))]
        table = pd.DataFrame({"id": ids, tm.names[t]: prob, "plotted": False})
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
