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

:func:`attribution_maps` writes per-base saliency, in-silico mutagenesis and
DeepLIFT/SHAP maps and draws the top-scoring sequences.

Both assemble their output in a scratch directory that replaces ``out`` only on
success (:func:`seqnet.outputs.staged_dir`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from seqnet.errors import ConfigError, SeqnetError, opt, warn
from seqnet.outputs import check_out_dir, claim, staged_dir, write_text_atomic

log = logging.getLogger("seqnet")

METHODS = ("filters", "modisco", "both")
#: Fewest sequences given to TF-MoDISco per explained output.
_MIN_PER_OUTPUT = 200


@dataclass
class MotifOptions:
    """The settings of :func:`motif_report`.

    Parameters
    ----------
    method : str
        ``"filters"`` (first-layer filters), ``"modisco"`` (DeepLIFT/SHAP then
        TF-MoDISco) or ``"both"``. Default is ``"both"``.
    site_fpr : float
        A filter's site must beat its best response on all but this fraction of
        dinucleotide-shuffled sequences (see :mod:`seqnet.motifs.sites`). Default is 0.01.
    threshold : float or None
        Basset's rule instead: between a filter's mean (0) and maximum (1) output.
        Default is None.
    trim_bits : float
        Flanking columns below this information content are trimmed. Default is 0.2.
    min_sites : int
        Filters with fewer sites are skipped (listed in ``filters.tsv``). Default is 10.
    cluster_q : float
        Filter motifs join a cluster at this TOMTOM q-value (average linkage).
        Default is 0.01.
    max_motifs : int
        Motifs in the main set at most. Default is 15.
    min_influence : float
        Filter motifs below this fraction of the largest influence are left out of the
        main set. Default is 0.05.
    influence_sequences : int
        Records influence is measured on at most (a seeded random subset; 0 = all).
        Default is 2000.
    attribution_sequences : int
        Records DeepLIFT/SHAP explains at most, over all outputs (0 = all). Default is 1000.
    shuffles : int
        Dinucleotide-shuffled references per sequence for DeepLIFT/SHAP. Default is 10.
    seed : int
        Seed of the shuffles and subsets. Default is 0.
    batch_size : int
        Sequences per forward pass. Default is 256.
    """

    method: str = "both"
    site_fpr: float = 0.01
    threshold: float | None = None
    trim_bits: float = 0.2
    min_sites: int = 10
    cluster_q: float = 0.01
    max_motifs: int = 15
    min_influence: float = 0.05
    influence_sequences: int = 2000
    attribution_sequences: int = 1000
    shuffles: int = 10
    seed: int = 0
    batch_size: int = 256

    def check(self) -> None:
        """ConfigError naming the parameter for a value out of range."""
        checks = [
            ("method", self.method in METHODS, f"one of {', '.join(METHODS)}"),
            ("site_fpr", 0 < self.site_fpr < 1, "in (0, 1)"),
            ("threshold", self.threshold is None or 0 <= self.threshold < 1, "in [0, 1)"),
            ("trim_bits", self.trim_bits >= 0, ">= 0"),
            ("min_sites", self.min_sites >= 1, ">= 1"),
            ("cluster_q", 0 < self.cluster_q <= 1, "in (0, 1]"),
            ("max_motifs", self.max_motifs >= 1, ">= 1"),
            ("min_influence", 0 <= self.min_influence < 1, "in [0, 1)"),
            ("influence_sequences", self.influence_sequences >= 0, ">= 0"),
            ("attribution_sequences", self.attribution_sequences >= 0, ">= 0"),
            ("shuffles", self.shuffles >= 1, ">= 1"),
            ("batch_size", self.batch_size >= 1, ">= 1"),
        ]
        for name, ok, want in checks:
            if not ok:
                raise ConfigError(f"{opt(name)} must be {want}, got {getattr(self, name)}")

    @property
    def filters(self) -> bool:
        return self.method in ("filters", "both")

    @property
    def modisco(self) -> bool:
        return self.method in ("modisco", "both")


@dataclass
class _Data:
    """The sequences ``seqnet motifs`` reads: tokens, targets (or None) and class groups."""

    ids: list
    tokens: np.ndarray
    lengths: np.ndarray | None
    y: np.ndarray | None
    groups: object  # tables.Groups
    unknown: str

    def inputs(self, tm, rows=None):
        """SequenceInputs of all records, or of ``rows``."""
        from seqnet.kinds.sequence import SequenceInputs

        tok = self.tokens if rows is None else self.tokens[rows]
        lengths = self.lengths if rows is None or self.lengths is None else self.lengths[rows]
        return SequenceInputs(tok, tm.alphabet, self.unknown, lengths)


class _Held(logging.StreamHandler):
    """A stderr handler that keeps its lines until :meth:`show`: a command that stops
    on a bad input shows its one ``Error:`` line, not progress lines before it."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.held: list[logging.LogRecord] | None = []

    def emit(self, record: logging.LogRecord) -> None:
        if self.held is not None:
            self.held.append(record)
        else:
            super().emit(record)

    def show(self) -> None:
        held, self.held = self.held or [], None
        for record in held:
            super().emit(record)


class _Steps:
    """Progress lines on stderr (unless quiet) and the seconds each step took."""

    def __init__(self, handler: _Held | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self.handler = handler

    def inputs_checked(self) -> None:
        """Show the progress lines from now on (and those held so far)."""
        if self.handler is not None:
            self.handler.show()

    @contextlib.contextmanager
    def __call__(self, what: str):
        log.info("%s ...", what)
        t0 = time.perf_counter()
        yield
        dt = time.perf_counter() - t0
        self.seconds[what] = self.seconds.get(what, 0.0) + dt
        log.info("%s: done in %.1f s", what, dt)

    def table(self) -> pd.DataFrame:
        total = sum(self.seconds.values())
        return pd.DataFrame({"step": list(self.seconds), "seconds": list(self.seconds.values()),
                             "share": [v / total if total else 0.0 for v in self.seconds.values()]})


@contextlib.contextmanager
def _progress(quiet: bool):
    """INFO lines of the ``seqnet`` logger on stderr inside the ``with`` (warnings are
    shown by the CLI's own handler)."""
    handler = None
    log_ = logging.getLogger("seqnet")
    old = log_.level
    if not quiet:
        handler = _Held()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        handler.addFilter(lambda record: record.levelno < logging.WARNING)
        log_.addHandler(handler)
        log_.setLevel(min(old or logging.INFO, logging.INFO))
    try:
        yield _Steps(handler)
    finally:
        if handler is not None:
            log_.removeHandler(handler)
            log_.setLevel(old)


def _sequence_model(run, device: str, command: str):
    """A trained sequence model and its device (InputError for another kind)."""
    from seqnet.checkpoint import load
    from seqnet.utils import resolve_device

    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    tm.require_sequences(command)
    return tm, dev


def _load_data(tm, fasta, negatives, labels, crop: str | None = None) -> _Data:
    """Every sequence given: ``fasta`` (+ ``negatives``) with targets, or ``fasta`` alone."""
    from seqnet.inputs import InputSpec
    from seqnet.kinds.sequence import SEQUENCE
    from seqnet.kinds.sequence_loaders import read_sequences
    from seqnet.motifs.tables import Groups

    unknown = tm.preprocess.get("unknown", "zeros")
    if negatives is not None and labels is not None:
        raise ConfigError(f"give {opt('negatives')} or {opt('labels')}, not both")
    if negatives is None and labels is None:
        ids, tokens, lengths = read_sequences(fasta, tm.alphabet, tm.length, crop=crop)
        groups = Groups.of(None, tm.task_type, tm.names, len(ids))
        return _Data(ids, tokens, lengths, None, groups, unknown)
    spec = InputSpec(positives=fasta, negatives=negatives) if labels is None else InputSpec(fasta=fasta, labels=labels)
    ids, inputs, y = SEQUENCE.load_for_model(spec, tm, crop=crop)
    lengths = None if inputs.lengths is None else inputs.lengths.numpy()
    pos = neg = None
    if negatives is not None:
        pos = _stem(fasta)
        neg = "shuffled" if str(negatives) == "shuffle" else _stem(negatives)
        neg = f"{neg} (negatives)" if neg == pos else neg
    groups = Groups.of(y, tm.task_type, tm.names, len(ids), positive=pos, negative=neg)
    return _Data(list(ids), inputs.tokens.numpy(), lengths, y, groups, unknown)


def _stem(path) -> str:
    """A class label from a file name: ``oct4_peaks.fa.gz`` -> ``oct4_peaks``."""
    import re

    name = re.sub(r"(\.gz)?$", "", Path(str(path)).name)
    return re.sub(r"\.(fa|fasta|fna|fas|seq|txt)$", "", name, flags=re.I) or str(path)


def _subsample(n: int, n_max: int, seed: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Sorted indices of at most ``n_max`` of ``n`` records (a seeded random subset; 0 = all),
    drawn half from ``mask`` and half from the rest when a mask is given."""
    rng = np.random.default_rng(seed)
    if n_max <= 0 or n <= n_max:
        return np.arange(n)
    if mask is None:
        return np.sort(rng.choice(n, n_max, replace=False))
    inside, outside = np.flatnonzero(mask), np.flatnonzero(~mask)
    k_in = min(len(inside), max(n_max // 2, n_max - len(outside)))
    k_out = min(len(outside), n_max - k_in)
    return np.sort(np.concatenate([rng.choice(inside, k_in, replace=False), rng.choice(outside, k_out, replace=False)]))


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


def _check_data(tm, data: _Data, opts: MotifOptions) -> None:
    """One-line errors for inputs the chosen method cannot use."""
    from seqnet.motifs.modisco import MIN_LENGTH, MIN_SEQUENCES

    if opts.modisco:
        n = len(data.ids) if opts.attribution_sequences == 0 else min(len(data.ids), opts.attribution_sequences)
        problem = None
        if tm.alphabet.size != 4:
            problem = f"TF-MoDISco needs DNA or RNA sequences; this model reads {tm.alphabet.name}"
        elif tm.length < MIN_LENGTH:
            problem = f"TF-MoDISco needs sequences of at least {MIN_LENGTH} bases; this model reads {tm.length}"
        elif n < MIN_SEQUENCES:
            problem = (f"TF-MoDISco needs at least {MIN_SEQUENCES} sequences to attribute, got {n} "
                       f"({opt('attribution_sequences')} {opts.attribution_sequences})")
        if problem and opts.method == "modisco":
            raise ConfigError(f"{opt('method')} modisco: {problem}; use {opt('method')} filters")
        if problem:
            warn(f"{problem}: motifs from filters only")
            opts.method = "filters"


def _motif_model(run, device: str, db, opts: MotifOptions):
    """The trained model motifs are read from, and its device; ConfigError when filters are
    asked of a model without a convolutional first layer, or when it reads no DNA and there
    is no ``db`` but JASPAR."""
    tm, dev = _sequence_model(run, device, "seqnet motifs")
    if opts.filters and getattr(tm.model, "first_conv", None) is None:
        raise ConfigError(
            f"model {tm.name!r} has no convolutional first layer; motifs can only be read from convolutional filters"
            + (f" ({opt('method')} modisco reads attributions instead)" if tm.alphabet.size == 4 else "")
        )
    if not tm.alphabet.has_complement and db is None:
        raise ConfigError(f"JASPAR matching needs DNA motifs; this model reads {tm.alphabet.name}: "
                          f"pass {opt('db')} MOTIFS.meme")
    return tm, dev


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
