"""What ``seqnet motifs`` and ``seqnet attribute`` read, and the checks made on it
before any work starts.

:class:`MotifOptions` holds the settings of :func:`seqnet.motifs.pipeline.motif_report`;
:class:`_Data` the sequences it reads (tokens, targets and class groups). The trained
model and the sequences are read here, a stream is copied so that it can be read twice,
and inputs a method cannot use get one-line errors.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqnet.errors import ConfigError, SeqnetError, opt, warn

METHODS = ("filters", "modisco", "both")


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


def _sequence_model(run, device: str, command: str):
    """A trained sequence model and its device (InputError for another kind)."""
    from seqnet.checkpoint import load
    from seqnet.utils import resolve_device

    dev = resolve_device(device)
    tm = load(run, map_location=dev)
    tm.require_sequences(command)
    return tm, dev


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
