"""The sequence input kind: DNA, RNA and protein as ``uint8`` tokens, one-hot on the device.

Tensor contract: a model reads one-hot ``(B, C, L)`` float (``C`` letters of the
alphabet; N / ambiguity codes / padding are all-zero columns, or ``1/C`` with
``unknown="uniform"``) and, when it ``takes_mask``, a padding mask ``(B, L)`` (True at a
record's real bases).  The tokens stay ``uint8`` until a batch is taken: one byte per
base crosses to the device, not a float column per base.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import torch

from seqnet.alphabets import Alphabet, get_alphabet
from seqnet.datasets import SequenceSet, align_targets
from seqnet.encode import (
    dinucleotide_shuffle_torch,
    one_hot_torch,
    padding_mask,
    reverse_complement_torch,
    unknown_value,
)
from seqnet.errors import ConfigError, InputError, opt, spell
from seqnet.kinds import sequence_loaders as loaders
from seqnet.kinds.base import InputKind, as_targets, place

log = logging.getLogger("seqnet")


@dataclass
class SequenceInputs:
    """Token sequences, made into one-hot batches on the device.

    The one input check of everything that scores sequences (prediction, attribution,
    filter influence): tokens must be ``(N, L)`` within the alphabet, lengths one per
    record.

    Attributes
    ----------
    tokens : numpy.ndarray or torch.Tensor, shape (N, L), dtype uint8
        On the CPU, in pinned host memory or on the device (``alphabet.unknown`` marks
        N / ambiguity codes / padding).
    alphabet : Alphabet or str
    unknown : str
        One-hot of unknown letters: ``"zeros"`` or ``"uniform"``. Default is ``"zeros"``.
    lengths : torch.Tensor, shape (N,), or None
        Real length of each centre-padded record (a padding mask is made from it).
    reverse_complement : bool
        Take every record reverse complemented. Default is False.
    """

    tokens: torch.Tensor
    alphabet: Alphabet
    unknown: str = "zeros"
    lengths: torch.Tensor | None = None
    reverse_complement: bool = False

    def __post_init__(self) -> None:
        self.alphabet = get_alphabet(self.alphabet)
        self.tokens = _checked_tokens(self.tokens, self.alphabet)
        if self.lengths is not None:
            self.lengths = torch.as_tensor(np.asarray(self.lengths) if not torch.is_tensor(self.lengths) else self.lengths)
            if tuple(self.lengths.shape) != (self.tokens.shape[0],):
                raise InputError(f"got {tuple(self.lengths.shape)} lengths for {self.tokens.shape[0]} sequences")
        self.unknown_value = unknown_value(self.unknown, self.alphabet.size)

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    def take(self, index: slice | torch.Tensor, device: torch.device,
             flip: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One-hot ``(B, C, L)`` and padding mask ``(B, L)`` (or None) on ``device``.

        ``flip`` (bool ``(B,)``, on the CPU) reverse complements single records; the
        mask flips with them.
        """
        if isinstance(index, torch.Tensor):
            index = index.to(self.tokens.device)
        tok = self.tokens[index].to(device, non_blocking=True)
        mask = None
        if self.lengths is not None:
            mask = padding_mask(self.lengths[index].to(device), tok.shape[1])
        if self.reverse_complement:
            tok = reverse_complement_torch(tok, self.alphabet)
            mask = None if mask is None else mask.flip(1)
        elif flip is not None:
            flip = flip.to(device)
            tok = torch.where(flip[:, None], reverse_complement_torch(tok, self.alphabet), tok)
            if mask is not None:
                mask = torch.where(flip[:, None], mask.flip(1), mask)
        return one_hot_torch(tok, self.alphabet.size, unknown_value=self.unknown_value), mask

    def flipped(self) -> "SequenceInputs":
        """The reverse complements of the same records."""
        if not self.alphabet.has_complement:
            raise ConfigError(f"{opt('rc_average')}: the {self.alphabet.name} alphabet has no reverse complement")
        return replace(self, reverse_complement=not self.reverse_complement)


def _checked_tokens(tokens, alphabet: Alphabet) -> torch.Tensor:
    """``tokens`` as a uint8 tensor; InputError unless ``(N, L)`` within the alphabet's codes."""
    tok = tokens if torch.is_tensor(tokens) else torch.as_tensor(np.asarray(tokens))
    if tok.ndim != 2:
        raise InputError(f"expected (N, L) token arrays, got shape {tuple(tok.shape)}")
    if tok.dtype != torch.uint8:
        if tok.numel() and (int(tok.min()) < 0 or int(tok.max()) > alphabet.unknown):
            raise InputError(f"tokens must lie in 0..{alphabet.unknown} for the {alphabet.name} alphabet")
        tok = tok.to(torch.uint8)
    elif tok.numel() and int(tok.max()) > alphabet.unknown:
        raise InputError(f"tokens must lie in 0..{alphabet.unknown} for the {alphabet.name} alphabet")
    return tok


class SequenceFeed:
    """Training batches of a :class:`SequenceSet`: one-hot on the device, padding masks,
    reverse-complement flips of random records, and (``reshuffle``) dinucleotide-shuffled
    negatives drawn afresh every epoch."""

    def __init__(self, data: SequenceSet, model: torch.nn.Module, *, device: torch.device, settings) -> None:
        alphabet = data.alphabet
        rc_augment = settings.rc_augment
        if rc_augment and not alphabet.has_complement:
            log.info("reverse-complement augmentation skipped: the %s alphabet has no complement", alphabet.name)
            rc_augment = False
        self.rc_augment = rc_augment
        self.unknown = settings.unknown
        self.device = device
        masked = data.lengths is not None and getattr(model, "takes_mask", False)
        lengths = torch.as_tensor(data.lengths) if masked else None
        if device.type == "cuda" and lengths is not None:
            lengths = lengths.to(device)
        self.inputs = SequenceInputs(place(torch.as_tensor(data.tokens), device), alphabet, self.unknown, lengths)
        self.targets = place(as_targets(data.y, data.task_type), device)
        self.n = len(self.inputs)
        self.flips = None
        self.reshuffled = self._reshuffled(data) if settings.reshuffle else None

    @property
    def tokens(self) -> torch.Tensor:
        """The training tokens ``(N, L)`` as this epoch sees them."""
        return self.inputs.tokens

    def _reshuffled(self, data: SequenceSet) -> torch.Tensor | None:
        """Indices of the negatives to redraw each epoch, or None (with the reason logged)."""
        flag = spell("reshuffle")
        if data.shuffled is None or not data.shuffled.any():
            log.info("%s: no dinucleotide-shuffled negatives in the training data; nothing to redraw", flag)
            return None
        if data.lengths is not None:
            log.info("%s skipped: records of different lengths (padding would be shuffled in)", flag)
            return None
        # Redraw from the load-time negatives each epoch (same doublet counts as their
        # positives), so an epoch's negatives depend only on the generator's state.
        index = torch.as_tensor(np.flatnonzero(data.shuffled)).to(self.tokens.device)
        self.inputs.tokens = self.tokens.clone()
        self.negatives = self.tokens[index].clone()
        log.info("%s: %d shuffled negatives drawn afresh every epoch on %s", flag, len(index), self.tokens.device)
        return index

    def draw(self, gen: torch.Generator) -> None:
        """This epoch's random choices after the batch order: which records to flip, and
        (with ``reshuffle``) fresh dinucleotide shuffles of the negatives."""
        self.flips = torch.rand(self.n, generator=gen) < 0.5 if self.rc_augment else None
        if self.reshuffled is not None:
            seed = int(torch.randint(0, 2**62, (1,), generator=gen))
            on_device = torch.Generator(device=self.tokens.device).manual_seed(seed)
            self.tokens[self.reshuffled] = dinucleotide_shuffle_torch(
                self.negatives, n_tokens=self.inputs.alphabet.size + 1, generator=on_device
            )

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """One-hot ``(B, C, L)``, padding mask ``(B, L)`` or None, targets, on the device."""
        flip = None if self.flips is None else self.flips[idx]
        x, mask = self.inputs.take(idx, self.device, flip=flip)
        return x, mask, self.targets[idx.to(self.targets.device)].to(self.device, non_blocking=True)

    def inputs_of(self, data: SequenceSet) -> SequenceInputs:
        """Evaluation inputs of ``data`` (validation), encoded like the training set."""
        return SequenceInputs(data.tokens, data.alphabet, self.unknown, data.lengths)


class SequenceKind(InputKind):
    """DNA / RNA / protein sequences from FASTA files, label tables or BED + genome."""

    def check_data_config(self, data: dict) -> None:
        _need(data["alphabet"] in ("dna", "rna", "protein"), f"alphabet must be dna, rna or protein, got {data['alphabet']!r}")
        length = data["length"]
        _need(length is None or (_is_int(length) and length >= 1), f"length must be an integer >= 1, got {length!r}")
        _need(_is_int(data["max_length"]) and data["max_length"] >= 1,
              f"max_length must be an integer >= 1, got {data['max_length']!r}")
        _need(data["unknown"] in ("zeros", "uniform"), f"unknown must be 'zeros' or 'uniform', got {data['unknown']!r}")

    def check_spec(self, spec, purpose: str) -> None:
        if purpose != "predict":
            sequence_mode(spec)
        elif spec.bed is not None:
            _need(spec.genome is not None, f"{opt('bed')} needs {opt('genome')} GENOME.fa")
        elif spec.genome is not None or spec.tile:
            raise ConfigError(f"{opt('genome' if spec.genome is not None else 'tile')} goes with {opt('bed')}")

    def record_config(self, cfg: dict, data: SequenceSet) -> None:
        cfg["data"]["length"] = data.length
        cfg["data"]["alphabet"] = data.alphabet.name

    def load(self, spec, data_cfg: dict, *, task: str = "auto", seed: int = 0,
             task_name: str | None = None) -> SequenceSet:
        return _load(spec, alphabet=get_alphabet(data_cfg["alphabet"]), length=data_cfg["length"],
                     max_length=data_cfg["max_length"], seed=seed, task_name=task_name, task=task,
                     missing=data_cfg.get("missing_labels", "error"))

    def load_for_model(self, spec, tm, *, seed: int = 0, missing: str = "error",
                       crop: str | None = None) -> tuple[list[str], SequenceInputs, np.ndarray]:
        # Labels are read with the model's task: a fraction in a 0/1 column is an error, not regression.
        task = "regression" if tm.task_type == "regression" else "classification"
        if task == "regression" and spec.fasta is None:
            task = "auto"  # positives / negatives: 0 / 1 by construction
        data = _load(spec, alphabet=tm.alphabet, length=tm.length, max_length=tm.length, seed=seed,
                     task_name=tm.names[0] if len(tm.names) == 1 else None, task=task, missing=missing,
                     crop=crop is not None)
        y = align_targets(data, tm, source=str(spec.labels or spec.positives or spec.bed), named=spec.labels is not None,
                          class_hint=self.class_hint)
        return data.ids, SequenceInputs(data.tokens, tm.alphabet, tm.preprocess.get("unknown", "zeros"), data.lengths), y

    def read(self, spec, tm, crop: str | None = None) -> tuple[list[str], SequenceInputs]:
        """Sequences of ``spec.fasta`` (or ``spec.bed`` windows) for ``tm``; a record longer than
        the model's input is an error unless ``crop="centre"`` (see :func:`~seqnet.kinds.
        sequence_loaders.read_sequences`)."""
        if crop not in (None, "centre", "center"):
            raise ConfigError(f"{opt('crop')} must be 'centre', got {crop!r}")
        crop = None if crop is None else "centre"
        if spec.bed is not None:
            if tm.alphabet.name != "dna":
                raise ConfigError(f"{opt('bed')}/{opt('genome')} input is DNA; this model reads {tm.alphabet.name}")
            ids, tokens = loaders.read_bed_windows(spec.bed, spec.genome, tm.length, tile=spec.tile, crop=crop)
            lengths = None
        else:
            ids, tokens, lengths = loaders.read_sequences(spec.fasta, tm.alphabet, tm.length, crop=crop)
        return ids, SequenceInputs(tokens, tm.alphabet, tm.preprocess.get("unknown", "zeros"), lengths)

    def inputs(self, data: SequenceSet, preprocess: dict) -> SequenceInputs:
        return SequenceInputs(data.tokens, data.alphabet, preprocess.get("unknown", "zeros"), data.lengths)

    def model_shape(self, data: SequenceSet, n_outputs: int) -> dict:
        return {"n_channels": data.alphabet.size, "length": data.length, "n_outputs": n_outputs}

    def fit_preprocess(self, parts: dict, cfg: dict) -> dict:
        # Nothing is fitted: predict needs only how to encode unknown letters and fit lengths.
        return {"unknown": cfg["data"]["unknown"], "fit": "center"}

    def feed(self, data: SequenceSet, model, *, device: torch.device, settings) -> SequenceFeed:
        return SequenceFeed(data, model, device=device, settings=settings)

    def describe(self, data: SequenceSet, parts: dict) -> list[str]:
        n = len(data.names)
        what = ", ".join(data.names[:5]) + (", ..." if n > 5 else "")
        return [
            f"{len(data)} records ({data.task_type}, {n} task{'' if n == 1 else 's'}: {what}), length {data.length}, "
            f"alphabet {data.alphabet.name}; split train {len(parts['train'])} / valid {len(parts['valid'])} / "
            f"test {len(parts['test'])}"
        ]

    def nominal_shape_args(self, length: int, alphabet: str) -> dict:
        return {"n_channels": get_alphabet(alphabet).size, "length": length}

    def checks(self, predict, data: SequenceSet, test: SequenceSet, preprocess: dict) -> dict:
        from seqnet.confounds import confound_checks

        def predict_tokens(tokens, lengths):
            return predict(SequenceInputs(tokens, test.alphabet, preprocess.get("unknown", "zeros"), lengths))

        return confound_checks(data, test, predict_tokens)

    def data_summary(self, parts: dict):
        from seqnet.baselines import gc_features
        from seqnet.datasets import class_counts, class_masks

        frame = class_counts(parts)
        lengths, gc = [], []
        for split, d in parts.items():
            feats = gc_features(d.tokens, d.lengths, d.alphabet)
            for mask in class_masks(d).values():
                lengths.append(float(np.median(feats[mask, 1] * 1000)) if mask.any() else None)
                gc.append(float(feats[mask, 0].mean()) if mask.any() and d.alphabet.has_complement else None)
        return frame.assign(**{"median length": lengths, "mean GC": gc})

    def nominal_note(self, length: int, alphabet: str) -> str:
        return f"{alphabet.upper() if alphabet != 'protein' else 'protein'} input of length {length}"

    def checkpoint_fields(self, data: SequenceSet) -> dict:
        return {"alphabet": data.alphabet, "length": data.length}


def _load(spec, *, alphabet: Alphabet, length: int | None, max_length: int, seed: int, task_name: str | None,
          task: str, missing: str = "error", crop: bool = True) -> SequenceSet:
    """A SequenceSet from whichever sequence input ``spec`` names."""
    mode = sequence_mode(spec)
    if task == "regression" and mode != "fasta":
        raise ConfigError(f"{opt('task')} regression needs a label table: {opt('fasta')} SEQS.fa {opt('labels')} LABELS.tsv")
    if mode == "positives":
        return loaders.load_positives_negatives(spec.positives, spec.negatives, alphabet=alphabet, length=length,
                                                max_length=max_length, seed=seed, task_name=task_name, crop=crop)
    if mode == "fasta":
        return loaders.load_fasta_labels(spec.fasta, spec.labels, alphabet=alphabet, length=length,
                                         max_length=max_length, task=task, missing=missing, crop=crop)
    if alphabet.name != "dna":
        raise ConfigError(f"{opt('bed')}/{opt('genome')} input is DNA; drop {opt('alphabet')} or use {opt('alphabet')} dna")
    return loaders.load_bed(spec.bed, spec.genome, spec.negatives, length=length or 200, tile=spec.tile, seed=seed,
                            task_name=task_name)


def sequence_mode(spec) -> str:
    """Which way ``spec`` names labelled sequences (``"positives"``, ``"fasta"`` or
    ``"bed"``), after checking that what goes with it is there."""
    mode = "positives" if spec.positives is not None else "fasta" if spec.fasta is not None else "bed"
    if spec.tile and mode != "bed":
        raise ConfigError(f"{opt('tile')} goes with {opt('bed')}")
    neg = spec.negatives
    if mode == "positives":
        _need(neg is not None, f"{opt('positives')} needs {opt('negatives')} NEG.fa or {opt('negatives')} shuffle")
        _need(neg != "genome", f"{opt('negatives')} genome needs {opt('bed')} PEAKS.bed {opt('genome')} GENOME.fa")
    elif mode == "fasta":
        _need(spec.labels is not None, f"{opt('fasta')} needs {opt('labels')} LABELS.tsv")
        _need(neg is None, f"{opt('negatives')} goes with {opt('positives')} or {opt('bed')}, "
                           f"not with {opt('fasta')}/{opt('labels')}")
    else:
        _need(spec.genome is not None, f"{opt('bed')} needs {opt('genome')} GENOME.fa")
        _need(neg is not None, f"{opt('bed')} needs {opt('negatives')} shuffle or {opt('negatives')} genome")
    return mode


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise ConfigError(msg)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


SEQUENCE = SequenceKind(
    name="sequence",
    label="sequence",
    default_model="deepbind",
    input_options=("positives", "fasta", "bed"),
    predict_options=("fasta", "bed"),
    options=frozenset({"positives", "negatives", "fasta", "bed", "genome", "tile", "test_chroms", "valid_chroms",
                       "task_name", "rc_average", "crop"}),
    train_options=frozenset({"rc_augment", "reshuffle"}),
    data_keys=frozenset({"alphabet", "length", "max_length", "unknown"}),
    usage=(f"{opt('positives')} POS.fa {opt('negatives')} NEG.fa|shuffle",
           f"{opt('fasta')} SEQS.fa {opt('labels')} LABELS.tsv",
           f"{opt('bed')} PEAKS.bed {opt('genome')} GENOME.fa"),
    predict_usage=f"{opt('fasta')} SEQS.fa",
    give=f"{opt('fasta')}",
    class_hint="give a label table with one class column",
)
