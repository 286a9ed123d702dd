"""What ``seqnet variants`` does: the predicted effect of each VCF allele.

Windows (``L`` = the model's input length, ``p`` = POS - 1, the 0-based first base of
REF, ``r`` = len(REF), ``a`` = len(ALT)):

* reference window: ``genome[p - L//2 : p - L//2 + L]``, so REF's first base sits at
  0-based offset ``L//2`` of the window (the centre for odd ``L``, the base right of
  centre for even ``L``);
* alternative window: the same left flank ``genome[p - L//2 : p]``, then ALT, then the
  genome after REF, ``genome[p + r :]``, cut so that the window keeps length ``L``: the
  far (right, 3') flank is trimmed for an insertion and extended for a deletion, and an
  ALT longer than ``L - L//2`` is itself cut at the window's end.  For an SNV the two
  windows differ in one base.

Every allele is labelled by ``ref_status``:

* ``match``: REF equals the genome at POS (case ignored);
* ``mismatch``: it does not; ``N``: REF or the genome there holds N (nothing to
  check).  Both are scored only with ``allow_mismatch`` (the windows are then built
  from the genome, REF's span replaced by ALT);
* ``edge``: a window reaches past either end of the chromosome (not scored);
* ``skipped``: a symbolic ALT (``<DEL>``, ``*``, breakends), no ALT (``.``), or a
  chromosome the genome does not have (not scored; counted by reason in the summary).

POS 0 or REF past the end of its chromosome is an error naming the VCF line.

Scores per task (probabilities for classification models; ``strand="both"`` averages
each window with its reverse complement exactly as ``seqnet predict --rc-average``):
``ref``, ``alt``, ``diff = alt - ref``, ``logit_diff = logit(alt) - logit(ref)``,
``log2_ratio = log2(alt / ref)`` (both from log-probabilities in float64, so they stay
finite near 0 and 1; NaN for regression outputs), and ``z`` / ``p``: the diff against
the diffs of ``null`` random SNVs drawn (seeded) from the chromosomes of the scored
variants, windows without N: ``z = (diff - mean) / sd``, ``p`` the two-sided empirical
p-value ``(1 + #{|null - mean| >= |diff - mean|}) / (null + 1)``.

Each reference window is predicted once, shared by every allele at that position, and
all windows go through the model in batches of ``batch_size``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqnet.errors import ConfigError, InputError, opt, warn
from seqnet.outputs import atomic_path, check_out_dir, claim, staged_dir, write_json_atomic, write_text_atomic

log = logging.getLogger("seqnet")

__all__ = ["Allele", "plan_alleles", "allele_windows", "score_variants", "variant_effects", "STATUSES", "FIELDS"]

#: ``ref_status`` values, in the order the summary lists them.
STATUSES = ("match", "mismatch", "N", "edge", "skipped")
#: Per-task columns of ``variants.tsv``, after ``<task>_``.
FIELDS = ("ref", "alt", "diff", "logit_diff", "log2_ratio", "z", "p")


@dataclass
class Allele:
    """One ALT allele of one VCF record, with its REF check."""

    record: int
    line: int
    chrom: str
    pos: int
    id: str
    ref: str
    alt: str
    status: str
    reason: str | None = None
    scored: bool = False


def _window_fits(p: int, r: int, a: int, length: int, size: int) -> bool:
    """Whether both windows of an allele lie inside a chromosome of ``size`` bases."""
    s = p - length // 2
    return s >= 0 and s + length <= size and p + r + max(0, length - length // 2 - a) <= size


def _check_record(vcf, rec, size: int | None) -> None:
    if size is not None and rec.pos - 1 + len(rec.ref) > size:
        raise InputError(f"{vcf}: line {rec.line}: POS {rec.pos} (REF {rec.ref[:20]}) is past the end of "
                         f"{rec.chrom} ({size} bp)")


def plan_alleles(records, fa, sizes: dict[str, int], length: int, *, vcf: str, allow_mismatch: bool) -> list[Allele]:
    """Split records into alleles and label each (see the module docstring).

    Raises
    ------
    InputError
        A record whose REF runs past the end of its chromosome.
    """
    out = []
    for k, rec in enumerate(records):
        size = sizes.get(rec.chrom)
        _check_record(vcf, rec, size)
        genome_ref = None
        for alt, kind in zip(rec.alts, rec.kinds):
            rid = rec.id if rec.id != "." else f"{rec.chrom}:{rec.pos}:{rec.ref}:{alt}"
            allele = Allele(k, rec.line, rec.chrom, rec.pos, rid, rec.ref, alt, "skipped")
            if kind != "sequence":
                allele.reason = "no ALT allele" if kind == "none" else "symbolic ALT"
            elif size is None:
                allele.reason = "chromosome not in the genome"
            elif not _window_fits(rec.pos - 1, len(rec.ref), len(alt), length, size):
                allele.status = "edge"
            else:
                if genome_ref is None:
                    genome_ref = str(fa[rec.chrom][rec.pos - 1 : rec.pos - 1 + len(rec.ref)]).upper()
                allele.status = ("N" if "N" in genome_ref or "N" in rec.ref or len(genome_ref) != len(rec.ref)
                                 else "match" if genome_ref == rec.ref else "mismatch")
                allele.scored = allele.status == "match" or allow_mismatch
            out.append(allele)
    return out


def _tokens(text: str, alphabet, genome: str, chrom: str, start: int) -> np.ndarray:
    from seqnet.alphabets import INVALID

    tok = alphabet.lut[np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)]
    bad = np.flatnonzero(tok == INVALID)
    if len(bad):
        raise InputError(f"{genome}: record {chrom!r}: invalid character {text[bad[0]]!r} at position "
                         f"{start + bad[0] + 1}; expected DNA letters ACGT or ambiguity codes NRYSWKMBDHV")
    return tok


def allele_windows(alleles: list[Allele], fa, length: int, alphabet, genome: str):
    """Token windows of the scored alleles.

    Returns
    -------
    ref_tokens : numpy.ndarray, shape (U, L), uint8
        One reference window per distinct (chromosome, position).
    ref_of : numpy.ndarray, shape (A,), int
        For each scored allele (in order), its reference window.
    alt_tokens : numpy.ndarray, shape (A, L), uint8
    """
    half = length // 2
    sites: dict[tuple[str, int], int] = {}
    extent: dict[tuple[str, int], int] = {}
    scored = [a for a in alleles if a.scored]
    for a in scored:
        key = (a.chrom, a.pos - 1)
        sites.setdefault(key, len(sites))
        extent[key] = max(extent.get(key, length), half + len(a.ref) + max(0, length - half - len(a.alt)))
    seqs = {key: str(fa[key[0]][key[1] - half : key[1] - half + extent[key]]) for key in sites}
    ref_tokens = np.zeros((len(sites), length), dtype=np.uint8)
    for key, k in sites.items():
        ref_tokens[k] = _tokens(seqs[key][:length], alphabet, genome, key[0], key[1] - half)
    alt_tokens = np.zeros((len(scored), length), dtype=np.uint8)
    ref_of = np.zeros(len(scored), dtype=np.int64)
    for i, a in enumerate(scored):
        key = (a.chrom, a.pos - 1)
        ext = seqs[key]
        text = (ext[:half] + a.alt + ext[half + len(a.ref) :])[:length]
        alt_tokens[i] = _tokens(text, alphabet, genome, a.chrom, key[1] - half)
        ref_of[i] = sites[key]
    return ref_tokens, ref_of, alt_tokens


@dataclass
class Scores:
    """Probabilities and float64 log-probabilities of windows, ``(N, T)`` each."""

    prob: np.ndarray
    logp: np.ndarray
    log1mp: np.ndarray

    def take(self, index: np.ndarray) -> "Scores":
        return Scores(self.prob[index], self.logp[index], self.log1mp[index])


def _log_probs(logits, task_type: str):
    import torch

    z = logits.double()
    if task_type == "multiclass":
        lp = torch.log_softmax(z, dim=1)
        return lp, torch.log1p(-lp.exp().clamp(max=1 - 1e-16))
    if task_type == "regression":
        nan = torch.full_like(z, float("nan"))
        return nan, nan
    return torch.nn.functional.logsigmoid(z), torch.nn.functional.logsigmoid(-z)


def window_logits(tm, tokens: np.ndarray, *, strand: str, batch_size: int, device):
    """Logits of token windows ``(N, L)`` and of their reverse complements (None for ``plus``),
    through :mod:`seqnet.inference` as ``seqnet predict`` runs them."""
    from seqnet import inference
    from seqnet.kinds.sequence import SequenceInputs

    inputs = SequenceInputs(tokens, tm.alphabet, tm.preprocess.get("unknown", "zeros"))
    other = inputs.flipped() if strand == "both" else None
    fwd = inference.logits(tm.model, inputs, batch_size=batch_size, device=device)
    rev = None if other is None else inference.logits(tm.model, other, batch_size=batch_size, device=device)
    return fwd, rev


def scores_of(fwd, rev, tm) -> Scores:
    """:class:`Scores` from logits ``(N, T)`` of one strand or both (``rev`` None: one), with
    the arithmetic of :func:`seqnet.inference.predict`."""
    import torch

    from seqnet import inference

    if not len(fwd):
        empty = np.zeros((0, len(tm.names)))
        return Scores(empty, empty, empty)
    prob = inference.to_probabilities(fwd, tm.task_type).double()
    lp, lq = _log_probs(fwd, tm.task_type)
    if rev is not None:
        prob = 0.5 * (prob + inference.to_probabilities(rev, tm.task_type).double())
        lp2, lq2 = _log_probs(rev, tm.task_type)
        lp, lq = torch.logaddexp(lp, lp2) - math.log(2), torch.logaddexp(lq, lq2) - math.log(2)
    return Scores(prob.numpy(), lp.numpy(), lq.numpy())


def predict_windows(tm, tokens: np.ndarray, *, strand: str, batch_size: int, device) -> Scores:
    """Scores of token windows ``(N, L)`` through :mod:`seqnet.inference` (as ``seqnet predict``)."""
    return scores_of(*window_logits(tm, tokens, strand=strand, batch_size=batch_size, device=device), tm)


def _effects(ref: Scores, alt: Scores) -> dict[str, np.ndarray]:
    """``ref``, ``alt``, ``diff``, ``logit_diff``, ``log2_ratio`` arrays ``(A, T)``."""
    return {
        "ref": ref.prob, "alt": alt.prob, "diff": alt.prob - ref.prob,
        "logit_diff": (alt.logp - alt.log1mp) - (ref.logp - ref.log1mp),
        "log2_ratio": (alt.logp - ref.logp) / math.log(2),
    }


def null_snvs(fa, sizes: dict[str, int], chroms: list[str], length: int, n: int, seed: int, alphabet):
    """Reference and alternative windows of ``n`` random SNVs (seeded), windows without N.

    Returns
    -------
    ref, alt : numpy.ndarray, shape (m, L), uint8
        ``m <= n`` (fewer only when the chromosomes hold too few N-free windows).
    """
    rng = np.random.default_rng(seed)
    half = length // 2
    usable = [c for c in chroms if sizes[c] > length]
    refs: list[np.ndarray] = []
    if n <= 0 or not usable:
        empty = np.zeros((0, length), dtype=np.uint8)
        return empty, empty
    weights = np.array([sizes[c] - length for c in usable], dtype=np.float64)
    for _ in range(20):
        chosen = rng.choice(len(usable), size=2 * n, p=weights / weights.sum())
        for c in chosen:
            chrom = usable[c]
            s = int(rng.integers(0, sizes[chrom] - length + 1))
            tok = alphabet.lut[np.frombuffer(str(fa[chrom][s : s + length]).encode("ascii", "replace"), np.uint8)]
            if (tok < alphabet.size).all():
                refs.append(tok)
            if len(refs) == n:
                break
        if len(refs) == n:
            break
    ref = np.stack(refs) if refs else np.zeros((0, length), dtype=np.uint8)
    alt = ref.copy()
    alt[:, half] = (alt[:, half] + rng.integers(1, alphabet.size, size=len(ref))) % alphabet.size
    return ref, alt


def _z_and_p(diff: np.ndarray, null: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical z-scores and two-sided p-values of ``diff`` ``(A, T)`` against ``null`` ``(m, T)``."""
    if len(null) < 2:
        nan = np.full(diff.shape, np.nan)
        return nan, nan
    mean, sd = null.mean(axis=0), null.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (diff - mean) / sd
    p = np.empty(diff.shape)
    for t in range(diff.shape[1]):  # sorted null distances: one search per allele, no (A, m) table
        spread = np.sort(np.abs(null[:, t] - mean[t]))
        far = len(spread) - np.searchsorted(spread, np.abs(diff[:, t] - mean[t]), side="left")
        p[:, t] = (1 + far) / (len(null) + 1)
    return z, p


def _plain_logits(tm, alleles: list[Allele], fa, genome: str, kw: dict):
    """Logits of the scored alleles' reference windows (each once) and alternative windows."""
    ref_tok, ref_of, alt_tok = allele_windows(alleles, fa, tm.length, tm.alphabet, genome)
    return (*window_logits(tm, ref_tok, **kw), ref_of, *window_logits(tm, alt_tok, **kw))


def _shared_logits(tm, bank, alleles: list[Allele], fa, genome: str, kw: dict):
    """As :func:`_plain_logits`, through the model's :class:`~seqnet.apply.trunk.StrandBank`:
    nearby reference windows share one convolution, SNVs are edits of them, indels
    alternative windows go through plain passes."""
    import torch

    from seqnet.apply.windows import bank_logits, genome_chunks
    from seqnet.encode import unknown_value

    half, length = tm.length // 2, tm.length
    scored = [a for a in alleles if a.scored]
    sites: dict[tuple[str, int], int] = {}
    ref_of = np.array([sites.setdefault((a.chrom, a.pos - 1 - half), len(sites)) for a in scored], dtype=np.int64)
    snv = np.array([len(a.ref) == 1 and len(a.alt) == 1 for a in scored], dtype=bool)
    letters = tm.alphabet.lut[np.frombuffer("".join(a.alt for a, s in zip(scored, snv) if s).encode(), np.uint8)]

    def read(chrom: str, lo: int, hi: int) -> np.ndarray:
        return _tokens(str(fa[chrom][lo:hi]), tm.alphabet, genome, chrom, lo)

    unknown = unknown_value(tm.preprocess.get("unknown", "zeros"), tm.alphabet.size)
    rf, rr, af, ar = bank_logits(bank, genome_chunks(list(sites), read, length), len(sites), length, ref_of[snv],
                                 letters, device=kw["device"], unknown_value=unknown)
    n_out = rf.shape[1]
    alt_f, alt_r = torch.zeros((len(scored), n_out)), torch.zeros((len(scored), n_out))
    alt_f[torch.from_numpy(snv)], alt_r[torch.from_numpy(snv)] = af, ar
    indels = [a for a, s in zip(scored, snv) if not s]
    if indels:
        _, _, indel_tok = allele_windows(indels, fa, length, tm.alphabet, genome)
        f, r = window_logits(tm, indel_tok, **kw)
        alt_f[torch.from_numpy(~snv)] = f
        if r is not None:
            alt_r[torch.from_numpy(~snv)] = r
    both = kw["strand"] == "both"
    return rf, rr if both else None, ref_of, alt_f, alt_r if both else None


def _null_diffs(tm, bank, ref: np.ndarray, alt: np.ndarray, kw: dict) -> np.ndarray:
    """Probability differences ``(m, T)`` of the null SNVs (windows differing at ``L // 2``)."""
    from seqnet.apply.windows import bank_logits, token_chunks
    from seqnet.encode import unknown_value

    if not len(ref):
        return np.zeros((0, len(tm.names)))
    if bank is None:
        return (scores_of(*window_logits(tm, alt, **kw), tm).prob - scores_of(*window_logits(tm, ref, **kw), tm).prob)
    both = kw["strand"] == "both"
    unknown = unknown_value(tm.preprocess.get("unknown", "zeros"), tm.alphabet.size)
    rf, rr, af, ar = bank_logits(bank, token_chunks(ref), len(ref), tm.length, np.arange(len(ref)),
                                 alt[:, tm.length // 2], device=kw["device"], unknown_value=unknown)
    return scores_of(af, ar if both else None, tm).prob - scores_of(rf, rr if both else None, tm).prob


def score_variants(tm, alleles: list[Allele], fa, sizes: dict[str, int], *, genome: str, strand: str, null: int,
                   seed: int, batch_size: int, device, shared: bool = True) -> tuple[dict[str, np.ndarray], dict]:
    """Effects of the scored alleles (arrays ``(A, T)`` keyed by :data:`FIELDS`) and null statistics.

    ``shared``: use the model's shared trunk where it has one (see :mod:`seqnet.apply.windows`);
    otherwise every window goes through :mod:`seqnet.inference`.
    """
    from seqnet.apply.trunk import StrandBank

    kw = dict(strand=strand, batch_size=batch_size, device=device)
    bank = StrandBank.of(tm.model) if shared else None
    if bank is not None and not bank.bank.supports(tm.length):
        bank = None
    with _eval(tm.model):
        if bank is None:
            ref_f, ref_r, ref_of, alt_f, alt_r = _plain_logits(tm, alleles, fa, genome, kw)
        else:
            ref_f, ref_r, ref_of, alt_f, alt_r = _shared_logits(tm, bank, alleles, fa, genome, kw)
        effects = _effects(scores_of(ref_f, ref_r, tm).take(ref_of), scores_of(alt_f, alt_r, tm))
        chroms = list(dict.fromkeys(a.chrom for a in alleles if a.scored)) or list(sizes)
        null_ref, null_alt = null_snvs(fa, sizes, chroms, tm.length, null, seed, tm.alphabet)
        null_diff = _null_diffs(tm, bank, null_ref, null_alt, kw)
    if null and len(null_ref) < null:
        warn(f"only {len(null_ref)} of {null} random SNVs found in N-free windows; z-scores rest on them")
    effects["z"], effects["p"] = _z_and_p(effects["diff"], null_diff)
    stats = {"n": int(len(null_diff)), "seed": seed, "chromosomes": chroms, "shared_trunk": bank is not None,
             "mean": dict(zip(tm.names, null_diff.mean(axis=0).tolist())) if len(null_diff) else None,
             "sd": dict(zip(tm.names, null_diff.std(axis=0, ddof=1).tolist())) if len(null_diff) > 1 else None}
    return effects, stats


def _eval(model):
    """Eval mode and no gradients for the shared-trunk arithmetic (the plain path sets its own)."""
    import contextlib

    import torch

    from seqnet.inference import eval_mode

    stack = contextlib.ExitStack()
    stack.enter_context(eval_mode(model))
    stack.enter_context(torch.no_grad())
    return stack


def variant_table(alleles: list[Allele], effects: dict[str, np.ndarray], names: list[str]) -> pd.DataFrame:
    """``variants.tsv``: one row per record x ALT, unscored ones with NaN scores."""
    table = pd.DataFrame({
        "id": [a.id for a in alleles], "chrom": [a.chrom for a in alleles], "pos": [a.pos for a in alleles],
        "ref": [a.ref for a in alleles], "alt": [a.alt for a in alleles], "ref_status": [a.status for a in alleles],
    })
    rows = np.flatnonzero([a.scored for a in alleles])
    for t, name in enumerate(names):
        for field in FIELDS:
            column = np.full(len(alleles), np.nan)
            column[rows] = effects[field][:, t]
            table[f"{name}_{field}"] = column
    return table


def _summary(alleles: list[Allele], table: pd.DataFrame, names: list[str], null_stats: dict, top: int) -> dict:
    reasons: dict[str, dict] = {}
    for a in alleles:
        if a.reason is not None:
            r = reasons.setdefault(a.reason, {"count": 0, "first_line": a.line})
            r["count"] += 1
    scored = table[[a.scored for a in alleles]]
    best = {}
    for name in names:
        ranked = scored.reindex(scored[f"{name}_diff"].abs().sort_values(ascending=False).index).head(top)
        best[name] = [{"id": r.id, "chrom": r.chrom, "pos": int(r.pos), "ref": r.ref, "alt": r.alt,
                       "diff": float(getattr(r, f"{name}_diff")), "z": _finite(getattr(r, f"{name}_z"))}
                      for r in ranked.itertuples()]
    return {
        "records": len({a.record for a in alleles}), "alleles": len(alleles), "scored": int(len(scored)),
        "ref_status": {s: sum(a.status == s for a in alleles) for s in STATUSES},
        "mismatches_not_scored": sum(a.status in ("mismatch", "N") and not a.scored for a in alleles),
        "skipped": reasons, "null": null_stats, "top": best,
    }


def _finite(v) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def _info_fields(names: list[str]) -> list[tuple[str, str, str, str]]:
    """The ``##INFO`` declarations of the annotated VCF."""
    from seqnet.io.vcf import INFO_PREFIX, info_key

    what = {"ref": "predicted probability (value) of the reference window", "alt": "the same for the ALT window",
            "diff": "alt - ref", "logit_diff": "logit(alt) - logit(ref)", "log2_ratio": "log2(alt / ref)",
            "z": "empirical z-score of diff against random SNVs", "p": "two-sided empirical p-value of diff"}
    out = [(f"{INFO_PREFIX}STATUS", "A", "String", "seqnet: REF check per ALT (match, mismatch, N, edge, skipped)")]
    for name in names:
        out += [(info_key(name, f), "A", "Float", f"seqnet {name}: {what[f]}") for f in FIELDS]
    return out


def _info_values(alleles: list[Allele], table: pd.DataFrame, names: list[str]) -> dict[int, str]:
    """Line number -> the INFO text of its record (one value per ALT, ``.`` where unscored)."""
    from seqnet.io.vcf import INFO_PREFIX, info_key

    per_line: dict[int, list[int]] = {}
    for k, a in enumerate(alleles):
        per_line.setdefault(a.line, []).append(k)
    columns = {(n, f): table[f"{n}_{f}"].to_numpy() for n in names for f in FIELDS}
    out = {}
    for line, rows in per_line.items():
        parts = [f"{INFO_PREFIX}STATUS=" + ",".join(alleles[k].status for k in rows)]
        for name in names:
            for field in FIELDS:
                vals = columns[(name, field)][rows]
                parts.append(f"{info_key(name, field)}=" + ",".join("." if not np.isfinite(v) else f"{v:.6g}"
                                                                     for v in vals))
        out[line] = ";".join(parts)
    return out


def _write_ism(tmp: Path, tm, alleles: list[Allele], table: pd.DataFrame, fa, genome: str, n_top: int,
               batch_size: int, device) -> int:
    """ISM maps of the reference windows of the ``n_top`` alleles with the largest |diff|."""
    from seqnet.attribution import in_silico_mutagenesis
    from seqnet.kinds.sequence import SequenceInputs

    diffs = np.abs(table[[f"{n}_diff" for n in tm.names]].to_numpy())
    best = np.where(np.isnan(diffs).all(axis=1), -1.0, np.nan_to_num(diffs, nan=-1.0).max(axis=1))
    order = [k for k in np.argsort(-best, kind="stable")[:n_top] if best[k] >= 0]
    if not order:
        return 0
    chosen = [alleles[k] for k in order]
    targets = np.array([int(np.nanargmax(diffs[k])) for k in order])
    ref_tok, ref_of, _ = allele_windows([Allele(**{**a.__dict__, "scored": True}) for a in chosen], fa, tm.length,
                                        tm.alphabet, genome)
    tokens = ref_tok[ref_of]
    maps = np.zeros((len(order), tm.alphabet.size, tm.length), dtype=np.float32)
    inputs = SequenceInputs(tokens, tm.alphabet, tm.preprocess.get("unknown", "zeros"))
    for t in np.unique(targets):
        rows = np.flatnonzero(targets == t)
        sub = SequenceInputs(tokens[rows], tm.alphabet, inputs.unknown)
        maps[rows] = in_silico_mutagenesis(tm.model, sub, target=int(t), batch_size=batch_size, device=device)
    folder = tmp / "ism"
    folder.mkdir()
    ids = [a.id for a in chosen]
    with atomic_path(folder / "ism.npz") as path, open(path, "wb") as fh:
        np.savez_compressed(fh, ids=np.array(ids, dtype=str), tokens=tokens, ism=maps,
                            target=np.array([tm.names[t] for t in targets], dtype=str),
                            variant_offset=np.int64(tm.length // 2), letters=np.array(tm.alphabet.letters))
    for rank, (a, t) in enumerate(zip(chosen, targets), start=1):
        _plot_ism(folder / f"{rank:03d}_{_safe(a.id)}.png", maps[rank - 1], tokens[rank - 1], tm, a, tm.names[t])
    return len(order)


def _safe(name: str) -> str:
    import re

    return re.sub(r"^\.", "_", re.sub(r"[^A-Za-z0-9_.-]", "_", name))[:80] or "_"


def _plot_ism(path: Path, ism: np.ndarray, tokens: np.ndarray, tm, allele: Allele, task: str) -> None:
    """A heat map of one ISM map ``(C, L)``, the variant's first base marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    length = ism.shape[1]
    fig = Figure(figsize=(min(40.0, max(6.0, 0.06 * length)), 2.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    scale = float(np.abs(ism).max()) or 1.0
    image = ax.imshow(ism, aspect="auto", cmap="RdBu_r", vmin=-scale, vmax=scale, interpolation="nearest")
    ax.set_yticks(range(tm.alphabet.size), list(tm.alphabet.letters))
    offset = length // 2
    ax.axvline(offset, color="black", linestyle="--", linewidth=0.8)
    ax.set_xlabel(f"window position (variant at {offset}, {allele.chrom}:{allele.pos})")
    ax.set_title(f"{allele.id} {allele.ref}>{allele.alt}  ISM of logit({task})", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.02, pad=0.01)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def _check_variant_options(strand: str, null: int, top: int, ism: int, tm) -> None:
    if strand not in ("both", "plus"):
        raise ConfigError(f"{opt('strand')} must be 'both' or 'plus', got {strand!r}")
    for name, value in (("null", null), ("top", top), ("ism", ism)):
        if isinstance(value, bool) or int(value) != value or value < 0:
            raise ConfigError(f"{opt(name)} must be an integer >= 0, got {value}")


def variant_effects(run: str | Path, vcf: str | Path, genome: str | Path, out: str | Path, *,
                    strand: str = "both", allow_mismatch: bool = False, null: int = 1000, seed: int = 0,
                    ism: int = 0, top: int = 10, batch_size: int = 1024, device: str = "auto",
                    shared: bool = True, overwrite: bool = False) -> dict:
    """Score every ALT allele of a VCF with a trained DNA model and write the results.

    Parameters
    ----------
    run : path
        Run directory or ``model.pt`` of a sequence model reading DNA.
    vcf : path
        VCF (plain or bgzip).
    genome : path
        Genome FASTA the VCF refers to.
    out : path
        Output folder: ``variants.tsv``, ``variants.vcf``, ``summary.json`` (and
        ``ism/`` with ``ism``).
    strand : str
        ``"both"`` (average with the reverse complement) or ``"plus"``. Default is ``"both"``.
    allow_mismatch : bool
        Also score alleles whose REF disagrees with the genome (or holds N). Default is False.
    null : int
        Random SNVs behind the z-scores and p-values (0: none). Default is 1000.
    seed : int
        Seed of the random SNVs. Default is 0.
    ism : int
        Write ISM maps of the reference windows of this many top variants. Default is 0.
    top : int
        Variants per task listed in the summary. Default is 10.
    batch_size : int
        Windows per forward pass. Default is 1024.
    device : str
        Default is ``"auto"``.
    shared : bool
        Share computation between windows where the model allows it (see
        :mod:`seqnet.apply.windows`). Default is True.
    overwrite : bool
        Replace an existing output folder. Default is False.

    Returns
    -------
    dict
        The summary (as ``summary.json``), with ``table``: the ``variants.tsv`` frame.
    """
    from seqnet.apply.scan import _dna_model
    from seqnet.checkpoint import resolve_run
    from seqnet.io.genome import chrom_sizes, open_genome
    from seqnet.io.vcf import read_vcf, write_annotated

    with claim(out, {"vcf": vcf, "genome": genome, "run": resolve_run(run)}, folder=True):
        out = check_out_dir(out, overwrite)
        tm, dev = _dna_model(run, device, "seqnet variants")
        _check_variant_options(strand, null, top, ism, tm)
        fa = open_genome(genome)
        sizes = chrom_sizes(fa)
        records = read_vcf(vcf)
        alleles = plan_alleles(records, fa, sizes, tm.length, vcf=str(vcf), allow_mismatch=allow_mismatch)
        effects, null_stats = score_variants(tm, alleles, fa, sizes, genome=str(genome), strand=strand, null=null,
                                             seed=seed, batch_size=batch_size, device=dev, shared=shared)
        table = variant_table(alleles, effects, list(tm.names))
        summary = _summary(alleles, table, list(tm.names), null_stats, top)
        summary.update(run=str(run), vcf=str(vcf), genome=str(genome), model=tm.name, length=tm.length,
                       strand=strand, allow_mismatch=allow_mismatch, tasks=list(tm.names),
                       window=f"REF's first base at offset {tm.length // 2} of {tm.length}; indels keep the length "
                              "by trimming / extending the right flank")
        with staged_dir(out) as tmp:
            write_text_atomic(tmp / "variants.tsv", table.to_csv(sep="\t", index=False, float_format="%.6g",
                                                                   na_rep="NA"))
            with atomic_path(tmp / "variants.vcf") as path:
                write_annotated(vcf, path, _info_fields(list(tm.names)), _info_values(alleles, table, list(tm.names)))
            summary["ism"] = _write_ism(tmp, tm, alleles, table, fa, str(genome), ism, batch_size, dev) if ism else 0
            write_json_atomic(tmp / "summary.json", summary)
        if summary["mismatches_not_scored"]:
            warn(f"{summary['mismatches_not_scored']} allele(s) whose REF does not match the genome were not scored "
                 f"(see ref_status); {opt('allow_mismatch')} scores them")
        return {**summary, "table": table}
