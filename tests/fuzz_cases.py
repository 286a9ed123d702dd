"""Malformed inputs for ``tests/test_fuzz.py``: small valid files, seeded broken variants
of them, and the named cases that throw those variants at every command.

A case is data: an id, what the correct outcome is, and a function that writes the
case's input files (through a :class:`Ctx`) and returns the command line, the paths the
command may create and, for a run that succeeds, a check that its outputs are right.

Outcomes
--------
``ok``     the input is valid (perhaps unusual): exit 0 and a correct result.
``error``  the input does not fit: exit 1 and one ``Error: ...`` line naming what is wrong.
``any``    either of the two, but a result, when there is one, must be the right one
           (the expected ids / record count / task names are checked).

Where the right outcome was open to debate the principle decides: a value in an input
that does not fit the task is an error naming the file, line and column; never a new
category, never silently dropped.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SEED = 20240611
LEN = 40          # sequence length of the base FASTA files
N_POS = N_NEG = 24
N_SEQS = 40       # records of seqs.fa (with labels.tsv / classes.tsv / values.tsv)
N_GENES = 30
N_SAMPLES = 40    # feature table rows
N_IMAGES = 40
IMG = 8           # images are IMG x IMG, one channel

#: Options that keep every training run tiny.
TRAIN = ["--epochs", "1", "--batch-size", "16", "--quiet", "--seed", "0", "--device", "cpu"]
#: Files every finished run directory holds.
RUN_FILES = ("model.pt", "metrics.json", "config.yaml", "history.csv", "train.log")

SEQ_YAML = "model_args:\n  n_filters: 4\n  filter_width: 5\n  hidden: 4\n"
TS_YAML = "kind: timeseries\nmodel: lstm\nmodel_args:\n  rnn_hidden: 4\n"
TABLE_YAML = "kind: table\nmodel: mlp\nmodel_args:\n  hidden: [4]\n"
IMAGE_YAML = "kind: image\nmodel: mlp\nmodel_args:\n  hidden: [4]\n"

MATCHES = (
    "motif\tconsensus\tnsites\tinformation_content\tbest_match_id\tbest_match_name\tp\tq\tstrand\tinfluence\tfilters\n"
    "filter_3\tGATAAG\t40\t9.1\tMA0035.5\tGATA1\t1e-6\t0.0004\t+\t0.12\t3\n"
    "filter_1\tCCGGAT\t30\t6.0\tMA0080.6\tSPI1\t0.01\t0.3\t-\t0.05\t1\n"
)

MEME_DB = """MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.25 C 0.25 G 0.25 T 0.25

MOTIF M1 EBOX

letter-probability matrix: alength= 4 w= 6 nsites= 20 E= 0
 0.05 0.85 0.05 0.05
 0.85 0.05 0.05 0.05
 0.05 0.85 0.05 0.05
 0.05 0.05 0.85 0.05
 0.05 0.05 0.05 0.85
 0.05 0.05 0.85 0.05

MOTIF M2 GATA

letter-probability matrix: alength= 4 w= 4 nsites= 20 E= 0
 0.05 0.05 0.85 0.05
 0.85 0.05 0.05 0.05
 0.05 0.05 0.05 0.85
 0.85 0.05 0.05 0.05

"""


def rng_for(name: str) -> random.Random:
    """A generator seeded by the module seed and ``name``: every variant is reproducible."""
    return random.Random(SEED ^ zlib.crc32(name.encode()))


# ============================================================================ valid base data


def _dna(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ACGT") for _ in range(n))


def _plant(rng: random.Random, seq: str, motif: str) -> str:
    at = rng.randrange(0, len(seq) - len(motif))
    return seq[:at] + motif + seq[at + len(motif):]


def fasta(records, wrap: int = 0, eol: str = "\n") -> str:
    """FASTA text of ``(id, sequence)`` pairs; ``wrap`` > 0 wraps sequence lines."""
    out = []
    for rid, seq in records:
        out.append(f">{rid}{eol}")
        if wrap:
            out.extend(seq[i:i + wrap] + eol for i in range(0, len(seq), wrap))
        else:
            out.append(seq + eol)
    return "".join(out)


def tsv(rows, sep: str = "\t", eol: str = "\n") -> str:
    return "".join(sep.join(map(str, r)) + eol for r in rows)


@dataclass
class Base:
    """What the valid files hold (made in memory by :func:`make_base`, written by :func:`write_base`)."""

    pos: list = field(default_factory=list)        # (id, seq) records of pos.fa
    neg: list = field(default_factory=list)        # neg.fa
    seqs: list = field(default_factory=list)       # seqs.fa
    labels: list = field(default_factory=list)     # rows of labels.tsv (header first): id, A, B
    classes: list = field(default_factory=list)    # classes.tsv: id, cls (x / y / z)
    values: list = field(default_factory=list)     # values.tsv: id, score (regression)
    chroms: dict = field(default_factory=dict)     # genome.fa: name -> sequence
    bed: list = field(default_factory=list)        # peaks.bed rows: chrom, start, end, name
    expr: list = field(default_factory=list)       # expr.tsv rows (header first)
    conditions: list = field(default_factory=list)  # conditions.tsv rows (header first)
    ts_labels: list = field(default_factory=list)  # ts_labels.tsv rows (header first)
    features: list = field(default_factory=list)   # features.tsv rows (header first)
    table_labels: list = field(default_factory=list)  # table_labels.tsv rows (header first)
    images: np.ndarray | None = None               # (N, IMG, IMG) uint8
    image_labels: np.ndarray | None = None         # (N,)


def make_base() -> Base:
    """The valid data every case starts from (seeded, in memory)."""
    rng = random.Random(SEED)
    b = Base()
    b.pos = [(f"p{i}", _plant(rng, _dna(rng, LEN), "CACGTG")) for i in range(N_POS)]
    b.neg = [(f"n{i}", _dna(rng, LEN)) for i in range(N_NEG)]

    # one FASTA + label tables: multi-label (A, B), multi-class (x, y, z), regression
    b.labels, b.classes, b.values = [["id", "A", "B"]], [["id", "cls"]], [["id", "score"]]
    for i in range(N_SEQS):
        a, bb = i % 2, (i // 2) % 2
        s = _dna(rng, LEN)
        if a:
            s = _plant(rng, s, "CACGTG")
        if bb:
            s = _plant(rng, s, "GATA")
        b.seqs.append((f"s{i}", s))
        b.labels.append([f"s{i}", a, bb])
        b.classes.append([f"s{i}", "xyz"[i % 3]])
        b.values.append([f"s{i}", f"{(s.count('G') + s.count('C')) / LEN + rng.random() / 10:.4f}"])

    # genome + BED peaks (all 40 bp, well inside their chromosome)
    b.chroms = {"chr1": _dna(rng, 1500), "chr2": _dna(rng, 900)}
    b.bed = [["chr1", 50 + 70 * i, 90 + 70 * i, f"peak{i}"] for i in range(12)]
    b.bed += [["chr2", 60 + 90 * i, 100 + 90 * i, f"peak{12 + i}"] for i in range(8)]

    # time series: series a (5 times) and b (4 times), two phase classes
    times = [("a", t) for t in (0, 10, 20, 30, 40)] + [("b", t) for t in (0, 15, 30, 45)]
    cols = [f"{s}_{t}" for s, t in times]
    b.expr = [["gene", *cols]]
    b.ts_labels = [["gene", "phase"]]
    for g in range(N_GENES):
        phase = g % 2
        vals = [math.sin(2 * math.pi * t / 40 + math.pi * phase) + 0.1 * rng.gauss(0, 1) for _, t in times]
        b.expr.append([f"g{g}", *(f"{v:.3f}" for v in vals)])
        b.ts_labels.append([f"g{g}", ("early", "late")[phase]])
    b.conditions = [["condition", "series", "time"]] + [[c, s, t] for c, (s, t) in zip(cols, times)]

    # feature table: 3 features on different scales, two groups
    b.features = [["sample", "f1", "f2", "f3"]]
    b.table_labels = [["sample", "group"]]
    for i in range(N_SAMPLES):
        grp = i % 2
        b.features.append([f"t{i}", f"{rng.gauss(grp, 1):.4f}", f"{100 + 10 * rng.gauss(0, 1):.3f}",
                           f"{0.1 * rng.gauss(-grp, 1):.5f}"])
        b.table_labels.append([f"t{i}", f"g{grp}"])

    # images: IMG x IMG, a bright bar whose rows depend on the class
    nrng = np.random.default_rng(SEED)
    y = np.arange(N_IMAGES) % 2
    x = nrng.integers(0, 60, size=(N_IMAGES, IMG, IMG))
    for i, c in enumerate(y):
        x[i, 4 * c:4 * c + 3, 2:6] = 250
    b.images, b.image_labels = x.astype(np.uint8), y
    return b


def write_base(b: Base, d: Path) -> Path:
    """Write the valid files of ``b`` into ``d``."""
    files = {
        "pos.fa": fasta(b.pos), "neg.fa": fasta(b.neg), "seqs.fa": fasta(b.seqs),
        "labels.tsv": tsv(b.labels), "classes.tsv": tsv(b.classes), "values.tsv": tsv(b.values),
        "genome.fa": genome_text(b.chroms), "peaks.bed": tsv(b.bed),
        "expr.tsv": tsv(b.expr), "conditions.tsv": tsv(b.conditions), "ts_labels.tsv": tsv(b.ts_labels),
        "features.tsv": tsv(b.features), "table_labels.tsv": tsv(b.table_labels),
        "digits.csv": image_csv(b.images, b.image_labels),
        "seq.yaml": SEQ_YAML, "ts.yaml": TS_YAML, "table.yaml": TABLE_YAML, "image.yaml": IMAGE_YAML,
        "db.meme": MEME_DB,
    }
    for name, text in files.items():
        (d / name).write_bytes(text.encode())
    np.savez(d / "digits.npz", x=b.images, y=b.image_labels)
    return d


def genome_text(chroms: dict, wrap: int = 60, eol: str = "\n") -> str:
    return fasta(chroms.items(), wrap=wrap, eol=eol)


def image_csv(x: np.ndarray, y, eol: str = "\n") -> str:
    return "".join(",".join(map(str, r)) + f",{c}{eol}" for r, c in zip(x.reshape(len(x), -1), y))


def junk(name: str, n: int = 600) -> bytes:
    """Seeded binary junk (not gzip, not text)."""
    data = bytes(rng_for(name).randrange(256) for _ in range(n))
    return b"\x00\xff" + data  # never starts like gzip or text


# ============================================================================ FASTA variants


@dataclass(frozen=True)
class Variant:
    """A malformed (or merely unusual) variant of a valid file."""

    name: str
    data: bytes
    expect: str                 # "ok", "error" or "any"
    ids: list | None = None     # record ids a correct reader finds (None: not checked)
    gz: bool = False            # gzip data: the file is named *.gz


def fasta_variants(records, tag: str = "pos") -> dict[str, Variant]:
    """Every FASTA variant of ``records``, by name."""
    rng = rng_for(f"fasta-{tag}")
    ids = [r for r, _ in records]
    seqs = [s for _, s in records]
    k = len(records)
    mid = k // 2
    text = fasta(records)

    def swap(i, seq):
        return [(r, seq if j == i else s) for j, (r, s) in enumerate(records)]

    def with_char(ch, i=mid, at=LEN // 2):
        s = seqs[i]
        return fasta(swap(i, s[:at] + ch + s[at + 1:]))

    variants = [
        Variant("empty", b"", "error"),
        Variant("whitespace_only", b"\n  \n\t\n\n", "error"),
        Variant("no_header", "".join(s + "\n" for s in seqs).encode(), "error"),
        Variant("header_only", f">{ids[0]}\n".encode(), "error"),
        Variant("headers_without_sequences", "".join(f">{r}\n" for r in ids).encode(), "error"),
        Variant("empty_record_in_middle", fasta(swap(mid, "")).encode(), "error"),
        Variant("trailing_lone_gt", (text + ">\n").encode(), "error"),
        Variant("empty_id", text.replace(f">{ids[mid]}\n", ">\n").encode(), "error"),
        Variant("blank_lines", text.replace("\n>", "\n\n\n>").encode() + b"\n\n", "ok", ids),
        Variant("whitespace_lines", text.replace("\n>", "\n   \n\t\n>").encode(), "any", ids),
        Variant("trailing_spaces", text.replace("\n", "  \n").encode(), "any", ids),
        Variant("invalid_letter_J", with_char("J").encode(), "error"),
        Variant("digits_in_sequence", with_char("7").encode(), "error"),
        Variant("gap_dash", with_char("-").encode(), "error"),
        Variant("stop_star", with_char("*").encode(), "error"),
        Variant("rna_U_in_dna", with_char("U").encode(), "error"),
        Variant("protein_letters", fasta(swap(mid, "MKVLEFPQWRSTHIK" * 2)).encode(), "error"),
        Variant("nul_byte", with_char("\x00").encode(), "error"),
        Variant("lower_case", fasta([(r, s.lower()) for r, s in records]).encode(), "ok", ids),
        Variant("soft_masked", fasta([(r, s[:10].lower() + s[10:]) for r, s in records]).encode(), "ok", ids),
        Variant("iupac_codes", fasta(swap(0, "NRYSWKMBDHV" + seqs[0][11:])).encode(), "ok", ids),
        Variant("crlf", text.replace("\n", "\r\n").encode(), "ok", ids),
        Variant("cr_only", text.replace("\n", "\r").encode(), "any", ids),
        Variant("no_final_newline", text.rstrip("\n").encode(), "ok", ids),
        Variant("wrapped_lines", fasta(records, wrap=7).encode(), "ok", ids),
        Variant("duplicate_ids", fasta([(ids[0] if j == mid else r, s) for j, (r, s) in enumerate(records)]).encode(),
                "any", [ids[0] if j == mid else r for j, r in enumerate(ids)]),
        Variant("long_record", fasta(swap(mid, _dna(rng, 10 * LEN))).encode(), "ok", ids),
        Variant("short_record", fasta(swap(mid, "A")).encode(), "ok", ids),
        Variant("n_only_record", fasta(swap(mid, "N" * LEN)).encode(), "ok", ids),
        Variant("all_n", fasta([(r, "N" * LEN) for r in ids]).encode(), "any", ids),
        Variant("single_record", fasta(records[:1]).encode(), "any", ids[:1]),
        Variant("binary_junk", junk(f"fasta-{tag}"), "error"),
        Variant("truncated_gzip", gzip.compress(text.encode())[: len(gzip.compress(text.encode())) // 2], "error",
                gz=True),
        Variant("gzip_of_junk", gzip.compress(junk(f"gz-{tag}")), "error", gz=True),
        Variant("gzip_valid", gzip.compress(text.encode()), "ok", ids, gz=True),
        Variant("gzip_twice", gzip.compress(gzip.compress(text.encode())), "error", gz=True),
        Variant("utf8_bom", b"\xef\xbb\xbf" + text.encode(), "any", ids),
        Variant("utf16", text.encode("utf-16"), "error"),
        Variant("ids_with_spaces", "".join(f">{r} some description here\n{s}\n" for r, s in records).encode(),
                "ok", ids),
        Variant("ids_with_tabs", "".join(f">{r}\tdesc\tmore\n{s}\n" for r, s in records).encode(), "ok", ids),
        Variant("long_header", "".join(f">{r} {'x' * 5000}\n{s}\n" for r, s in records).encode(), "ok", ids),
        Variant("latin1_header", "".join(f">{r} caf\xe9\n{s}\n" for r, s in records).encode("latin-1"),
                "any", ids),
        Variant("leading_junk_line", b"sequences exported by tool\n" + text.encode(), "error"),
        Variant("semicolon_comment", b";old-style comment\n" + text.encode(), "any", ids),
        Variant("html_page", b"<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n", "error"),
    ]
    return {v.name: v for v in variants}


# ============================================================================ table helpers


def with_cell(rows, r, c, value):
    """``rows`` (header first) with cell (data row ``r``, column ``c``) set to ``value``."""
    out = [list(x) for x in rows]
    out[r + 1][c] = value
    return out


def table_variants(rows, tag: str, numeric_cols=(1,), sep="\t") -> dict[str, tuple[str | bytes, str]]:
    """Generic malformations of a delimited table (header first): name -> (content, expect)."""
    text = tsv(rows, sep=sep)
    r = rng_for(tag).randrange(2, len(rows) - 2)
    c = numeric_cols[0]
    short = [list(x) for x in rows]
    short[r + 1] = short[r + 1][:-1]
    long_ = [list(x) for x in rows]
    long_[r + 1] = long_[r + 1] + ["7"]
    dup = [list(x) for x in rows]
    dup[r + 1][0] = rows[1][0]
    return {
        "empty": ("", "error"),
        "header_only": (tsv(rows[:1], sep=sep), "error"),
        "short_row": (tsv(short, sep=sep), "error"),
        "long_row": (tsv(long_, sep=sep), "error"),
        "duplicate_ids": (tsv(dup, sep=sep), "error"),
        "wrong_separator": (tsv(rows, sep="," if sep == "\t" else ";"), "error"),
        "crlf": (text.replace("\n", "\r\n"), "ok"),
        "gzip": (gzip.compress(text.encode()), "ok"),
        "binary_junk": (junk(tag), "error"),
        "na_cell": (tsv(with_cell(rows, r, c, "NA"), sep=sep), "error"),
        "nd_cell": (tsv(with_cell(rows, r, c, "n/d"), sep=sep), "error"),
        "empty_cell": (tsv(with_cell(rows, r, c, ""), sep=sep), "error"),
        "text_cell": (tsv(with_cell(rows, r, c, "abc"), sep=sep), "error"),
        "inf_cell": (tsv(with_cell(rows, r, c, "inf"), sep=sep), "error"),
    }


# ============================================================================ cases


@dataclass
class Call:
    """What a case runs and what it may leave behind."""

    args: list
    outputs: list = field(default_factory=list)   # paths the command may create (success only)
    check: Callable[[], None] | None = None        # validates a successful result
    mentions: tuple = ()                           # fragments the Error line must contain (a tuple: any of them)

    def _mention(self, v: Variant, stem: str) -> Call:
        """An error about the bad file ``v`` (written as ``stem``.fa[.gz]) must name it."""
        if v.expect == "error":
            self.mentions = (*self.mentions, stem + (".fa.gz" if v.gz else ".fa"))
        return self


@dataclass(frozen=True)
class Case:
    id: str
    expect: str                                    # "ok", "error" or "any"
    build: Callable[["Ctx"], Call]                 # noqa: F821  (Ctx lives in test_fuzz.py)

    def __post_init__(self):
        assert self.expect in ("ok", "error", "any"), self.expect


CASES: list[Case] = []
_IDS: set[str] = set()


def case(cid: str, expect: str):
    """Register the decorated builder as case ``cid``."""

    def register(build):
        assert cid not in _IDS, f"duplicate case id {cid}"
        _IDS.add(cid)
        CASES.append(Case(cid, expect, build))
        return build

    return register


def add(cid: str, expect: str, build) -> None:
    case(cid, expect)(build)


# ---------------------------------------------------------------------------- output checks


def _read_fasta_ids(path: Path) -> list[str]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return [line[1:].split()[0] for line in data.decode().splitlines() if line.startswith(">")]


def check_run(out: Path, names=None, task_type=None) -> None:
    """A finished run directory: every file there and parseable, and the model's outputs."""
    import pandas as pd
    import yaml

    import seqnet

    for f in RUN_FILES:
        assert (out / f).is_file(), f"run directory lacks {f}: {sorted(p.name for p in out.iterdir())}"
    hidden = [p.name for p in out.rglob(".*")]
    assert not hidden, f"hidden files in the run directory: {hidden}"
    metrics = json.loads((out / "metrics.json").read_text())
    assert isinstance(metrics, dict) and isinstance(metrics.get("n"), int) and metrics["n"] > 0, metrics
    assert isinstance(yaml.safe_load((out / "config.yaml").read_text()), dict)
    history = pd.read_csv(out / "history.csv")
    assert len(history) >= 1 and "epoch" in history.columns, history
    tm = seqnet.load(out)
    if names is not None:
        assert [str(n) for n in tm.names] == [str(n) for n in names], f"model outputs {tm.names}, expected {names}"
    if task_type is not None:
        assert tm.task_type == task_type, f"task type {tm.task_type}, expected {task_type}"


def check_predictions(path: Path, ids=None, n=None, probabilities=True) -> None:
    """A predictions TSV: id column then finite numbers (and a ``predicted`` class for
    multi-class), one row per input record."""
    import pandas as pd

    table = pd.read_csv(path, sep="\t", dtype={"id": str}, keep_default_na=False)
    assert table.columns[0] == "id", list(table.columns)
    assert len(table.columns) >= 2, list(table.columns)
    if ids is not None:
        assert list(table["id"]) == [str(i) for i in ids], f"ids {list(table['id'])[:6]}..., expected {ids[:6]}..."
    if n is not None:
        assert len(table) == n, f"{len(table)} rows, expected {n}"
    outputs = [c for c in table.columns[1:] if c != "predicted"]  # multi-class tables add the predicted class
    if "predicted" in table.columns:
        assert set(table["predicted"]) <= set(outputs), f"predicted classes {set(table['predicted'])} not in {outputs}"
    values = table[outputs].apply(pd.to_numeric, errors="raise").to_numpy(float)
    assert np.isfinite(values).all(), "non-finite predictions"
    if probabilities:
        assert ((values >= 0) & (values <= 1)).all(), "probabilities outside [0, 1]"


def check_metrics_json(path: Path, n: int | None) -> None:
    metrics = json.loads(path.read_text())
    assert isinstance(metrics, dict), metrics
    if n is not None:
        assert metrics.get("n") == n, f"metrics n = {metrics.get('n')}, expected {n}"


def check_motifs(out: Path) -> None:
    for f in ("motifs.meme", "matches.tsv", "filters.tsv", "report.html"):
        assert (out / f).is_file(), f"motifs output lacks {f}"
    assert not [p.name for p in out.rglob(".*")], "hidden files in the motifs output"


def check_attribute(out: Path, ids) -> None:
    for f in ("attributions.npz", "attributions.tsv", "predictions.tsv"):
        assert (out / f).is_file(), f"attribute output lacks {f}"
    with np.load(out / "attributions.npz", allow_pickle=False) as z:
        assert len(z["ids"]) == len(ids), (len(z["ids"]), len(ids))
    check_predictions(out / "predictions.tsv", ids=ids)


def check_prepare(pos_out: Path, neg_out: Path, n_pos: int | None, ids=None) -> None:
    got = _read_fasta_ids(pos_out)
    if ids is not None:
        assert got == [str(i) for i in ids], f"positives {got[:5]}..., expected {list(ids)[:5]}..."
    if n_pos is not None:
        assert len(got) == n_pos, f"{len(got)} positives, expected {n_pos}"
    assert len(_read_fasta_ids(neg_out)) > 0, "no negatives"


def check_summary(path: Path, n_rows: int) -> None:
    import pandas as pd

    table = pd.read_csv(path, sep="\t")
    assert len(table) == n_rows and "auroc" in table.columns, table


# ---------------------------------------------------------------------------- command builders


def train_call(c, inputs: list, *, config="seq.yaml", names=None, task_type=None, extra=(), out=None) -> Call:
    out = out or c.out / "run"
    cfg = [] if config is None else ["--config", c.copy(config)]
    return Call(["train", *inputs, *cfg, *TRAIN, *extra, "--out", out], [out],
                check=lambda: check_run(out, names, task_type))


def predict_call(c, run, inputs: list, *, ids=None, n=None, probabilities=True, out=None) -> Call:
    out = out or c.out / "pred.tsv"
    return Call(["predict", run, *inputs, "--device", "cpu", "--out", out], [out],
                check=lambda: check_predictions(out, ids, n, probabilities))


def evaluate_call(c, run, inputs: list, *, n=None, out=None) -> Call:
    out = out or c.out / "metrics.json"
    return Call(["evaluate", run, *inputs, "--device", "cpu", "--out", out], [out],
                check=lambda: check_metrics_json(out, n))


def motifs_call(c, run, fasta_path, extra=(), out=None) -> Call:
    out = out or c.out / "motifs"
    return Call(["motifs", run, "--fasta", fasta_path, "--db", c.copy("db.meme"), "--min-sites", "2",
                 "--influence-sequences", "20", "--device", "cpu", *extra, "--out", out], [out],
                check=lambda: check_motifs(out))


def attribute_call(c, run, fasta_path, ids, extra=(), out=None) -> Call:
    out = out or c.out / "attr"
    methods = [] if any(str(e) == "--methods" for e in extra) else ["--methods", "saliency"]
    return Call(["attribute", run, "--fasta", fasta_path, *methods, "--top", "1", "--device", "cpu", *extra,
                 "--out", out], [out], check=lambda: check_attribute(out, ids))


def prepare_call(c, inputs: list, *, n_pos=None, ids=None, pos_out=None, neg_out=None) -> Call:
    pos_out = pos_out or c.out / "pos.fa"
    neg_out = neg_out or c.out / "neg.fa"
    return Call(["prepare", *inputs, "--out-positives", pos_out, "--out-negatives", neg_out], [pos_out, neg_out],
                check=lambda: check_prepare(pos_out, neg_out, n_pos, ids))


def put_variant(c, stem: str, v: Variant) -> Path:
    return c.put(stem + (".fa.gz" if v.gz else ".fa"), v.data)


# ---------------------------------------------------------------------------- FASTA cases


def _fasta_cases(base: Base) -> None:
    pos_v = fasta_variants(base.pos, "pos")
    neg_v = fasta_variants(base.neg, "neg")
    seqs_v = fasta_variants(base.seqs, "seqs")
    n_neg = len(base.neg)

    # predict: every variant
    for name, v in pos_v.items():
        # issue 14: a record longer than the model's input is refused (seqnet scan is for those)
        add(f"predict-fasta-{name}", "error" if name == "long_record" else v.expect,
            lambda c, v=v: predict_call(c, c.run("seq"), ["--fasta", put_variant(c, "new", v)], ids=v.ids)
            ._mention(v, "new"))

    # train --positives VARIANT --negatives neg.fa
    train_pos = [n for n in pos_v if n not in ("whitespace_only", "trailing_lone_gt", "cr_only", "utf16",
                                               "html_page", "iupac_codes", "gzip_twice", "latin1_header")]
    for name in train_pos:
        v = pos_v[name]
        add(f"train-positives-{name}", v.expect,
            lambda c, v=v: train_call(c, ["--positives", put_variant(c, "pos", v), "--negatives", c.copy("neg.fa")],
                                      names=["bound"])._mention(v, "pos"))

    # train --positives pos.fa --negatives VARIANT
    for name in ("empty", "header_only", "no_header", "invalid_letter_J", "lower_case", "crlf", "binary_junk",
                 "truncated_gzip", "gzip_valid", "empty_record_in_middle", "duplicate_ids", "utf8_bom", "long_record"):
        v = neg_v[name]
        add(f"train-negatives-{name}", v.expect,
            lambda c, v=v: train_call(c, ["--positives", c.copy("pos.fa"), "--negatives", put_variant(c, "neg", v)],
                                      names=["bound"])._mention(v, "neg"))

    # train --positives VARIANT --negatives shuffle
    for name in ("empty", "invalid_letter_J", "lower_case", "crlf", "n_only_record", "short_record", "binary_junk",
                 "gzip_of_junk", "ids_with_tabs", "duplicate_ids"):
        v = pos_v[name]
        add(f"train-shuffle-{name}", v.expect,
            lambda c, v=v: train_call(c, ["--positives", put_variant(c, "pos", v), "--negatives", "shuffle"],
                                      names=["bound"])._mention(v, "pos"))

    # train --fasta VARIANT --labels labels.tsv: ids must match the label table one to one
    for name, expect in (("lower_case", "ok"), ("crlf", "ok"), ("ids_with_spaces", "ok"), ("gzip_valid", "ok"),
                         ("invalid_letter_J", "error"), ("empty", "error"), ("duplicate_ids", "error"),
                         ("single_record", "error"), ("utf8_bom", "any"), ("truncated_gzip", "error"),
                         ("empty_record_in_middle", "error")):
        v = seqs_v[name]
        add(f"train-fasta-labels-{name}", expect,
            lambda c, v=v: train_call(c, ["--fasta", put_variant(c, "seqs", v), "--labels", c.copy("labels.tsv")],
                                      names=["A", "B"]))

    # evaluate RUN --positives VARIANT --negatives neg.fa
    for name in ("empty", "invalid_letter_J", "lower_case", "crlf", "gzip_valid", "truncated_gzip", "binary_junk",
                 "long_record", "short_record", "ids_with_spaces"):
        v = pos_v[name]
        n = None if v.ids is None else len(v.ids) + n_neg
        # issue 14: nothing is cropped silently: a record longer than the model's input is an error
        add(f"evaluate-positives-{name}", "error" if name == "long_record" else v.expect,
            lambda c, v=v, n=n: evaluate_call(c, c.run("seq"), ["--positives", put_variant(c, "pos", v),
                                                                 "--negatives", c.copy("neg.fa")], n=n)
            ._mention(v, "pos"))

    # motifs RUN --fasta VARIANT
    for name in ("empty", "invalid_letter_J", "lower_case", "binary_junk", "truncated_gzip", "crlf"):
        v = pos_v[name]
        add(f"motifs-fasta-{name}", v.expect,
            lambda c, v=v: motifs_call(c, c.run("seq"), put_variant(c, "scan", v))._mention(v, "scan"))

    # attribute RUN --fasta VARIANT
    for name in ("empty", "invalid_letter_J", "lower_case", "binary_junk", "long_record", "short_record",
                 "ids_with_spaces", "header_only"):
        v = pos_v[name]
        add(f"attribute-fasta-{name}", "error" if name == "long_record" else v.expect,
            lambda c, v=v: attribute_call(c, c.run("seq"), put_variant(c, "few", v), v.ids)._mention(v, "few"))

    # prepare --positives VARIANT --negatives shuffle
    for name in ("empty", "header_only", "invalid_letter_J", "lower_case", "crlf", "gzip_valid", "truncated_gzip",
                 "binary_junk", "duplicate_ids", "ids_with_spaces", "empty_record_in_middle", "utf8_bom"):
        v = pos_v[name]
        add(f"prepare-positives-{name}", v.expect,
            lambda c, v=v: prepare_call(c, ["--positives", put_variant(c, "peaks", v), "--negatives", "shuffle"],
                                        ids=v.ids)._mention(v, "peaks"))


# ---------------------------------------------------------------------------- label table cases


def _label_cases(base: Base) -> None:
    labels = base.labels
    r = rng_for("labels").randrange(3, N_SEQS - 3)

    def lab(c, content, name="labels.tsv", extra=(), names=("A", "B")):
        path = c.put(name, content)
        call = train_call(c, ["--fasta", c.copy("seqs.fa"), "--labels", path], names=list(names) if names else None,
                          extra=extra)
        call.mentions = (name,)
        return call

    generic = table_variants(labels, "labels", numeric_cols=(1, 2))
    for name, (content, expect) in generic.items():
        add(f"train-labels-{name}", expect, lambda c, content=content, name=name:
            lab(c, content, "labels.tsv.gz" if name == "gzip" else "labels.tsv"))

    specific = {
        "half_classification": (tsv(with_cell(labels, r, 1, "0.5")), "error", ["--task", "classification"]),
        "half_auto": (tsv(with_cell(labels, r, 1, "0.5")), "any", []),   # auto may read fractions as regression
        "two_in_binary_column": (tsv(with_cell(labels, r, 2, "2")), "error", []),
        "minus_one": (tsv(with_cell(labels, r, 1, "-1")), "error", []),
        "nan_cell": (tsv(with_cell(labels, r, 2, "nan")), "error", []),
        "null_cell": (tsv(with_cell(labels, r, 1, "null")), "error", []),
        "whitespace_cell": (tsv(with_cell(labels, r, 1, "   ")), "error", []),
        "na_classification": (tsv(with_cell(labels, r, 1, "NA")), "error", ["--task", "classification"]),
        "extra_ids": (tsv(labels + [["s999", 1, 0], ["s998", 0, 0]]), "error", []),
        "missing_ids": (tsv(labels[:-3]), "error", []),
        "duplicate_id_same_values": (tsv(labels + [labels[5]]), "error", []),
        "no_header": (tsv(labels[1:]), "error", []),
        "id_column_only": (tsv([[row[0]] for row in labels]), "error", []),
        "duplicate_column_names": (tsv([["id", "A", "A"]] + labels[1:]), "error", []),
        "semicolon_csv": (tsv(labels, sep=";"), "error", []),
        "yes_no_column": (tsv([[row[0], {1: "yes", 0: "no"}.get(row[1], row[1]), row[2]] for row in labels]),
                          "error", []),
        "one_column_single_class": (tsv([labels[0]] + [[row[0], 0, row[2]] for row in labels[1:]]), "any", []),
        "float_zero_one": (tsv([labels[0]] + [[row[0], f"{row[1]}.0", row[2]] for row in labels[1:]]), "any", []),
        "true_false": (tsv([labels[0]] + [[row[0], str(bool(row[1])).upper(), row[2]] for row in labels[1:]]),
                       "any", []),
        "quoted_cells": (tsv([[f'"{x}"' for x in row] for row in labels]), "any", []),
        "spaces_around_values": (tsv([labels[0]] + [[row[0], f" {row[1]} ", row[2]] for row in labels[1:]]),
                                 "any", []),
        "trailing_tab": (tsv(labels).replace("\n", "\t\n"), "any", []),
        "utf8_bom": (b"\xef\xbb\xbf" + tsv(labels).encode(), "any", []),
        "blank_line_in_middle": (tsv(labels[:10]) + "\n" + tsv(labels[10:]), "any", []),
        "comment_line": ("# exported labels\n" + tsv(labels), "any", []),
        "rows_shuffled": (tsv([labels[0]] + sorted(labels[1:], key=lambda row: -int(row[0][1:]))), "ok", []),
    }
    for name, (content, expect, extra) in specific.items():
        add(f"train-labels-{name}", expect,
            lambda c, content=content, extra=extra: lab(c, content, extra=extra))

    # multi-class: one column of class names
    classes = base.classes
    rc = rng_for("classes").randrange(3, N_SEQS - 3)
    for name, content, expect in (
        ("ok", tsv(classes), "ok"),
        ("na", tsv(with_cell(classes, rc, 1, "NA")), "error"),
        ("empty_cell", tsv(with_cell(classes, rc, 1, "")), "error"),
        ("nd", tsv(with_cell(classes, rc, 1, "n/d")), "error"),
        ("nan", tsv(with_cell(classes, rc, 1, "NaN")), "error"),
        ("single_class", tsv([classes[0]] + [[row[0], "x"] for row in classes[1:]]), "any"),  # a warning, by design
        ("class_with_one_member", tsv(with_cell(classes, rc, 1, "w")), "any"),
        ("missing_ids", tsv(classes[:-2]), "error"),
    ):
        add(f"train-classes-{name}", expect, lambda c, content=content, expect=expect:
            lab(c, content, "classes.tsv", names=("x", "y", "z") if expect == "ok" else None))

    # regression targets
    values = base.values
    rv = rng_for("values").randrange(3, N_SEQS - 3)
    for name, content, expect, extra in (
        ("ok", tsv(values), "ok", ["--task", "regression"]),
        ("text", tsv(with_cell(values, rv, 1, "high")), "error", ["--task", "regression"]),
        ("na", tsv(with_cell(values, rv, 1, "NA")), "error", ["--task", "regression"]),
        ("empty_cell", tsv(with_cell(values, rv, 1, "")), "error", ["--task", "regression"]),
        ("inf", tsv(with_cell(values, rv, 1, "inf")), "error", ["--task", "regression"]),
        ("nd_auto", tsv(with_cell(values, rv, 1, "n/d")), "error", []),
        ("fractions_as_classification", tsv(values), "error", ["--task", "classification"]),
        ("constant", tsv([values[0]] + [[row[0], "0.5"] for row in values[1:]]), "any", ["--task", "regression"]),
    ):
        add(f"train-values-{name}", expect, lambda c, content=content, extra=extra, expect=expect:
            lab(c, content, "values.tsv", extra=extra, names=("score",) if expect == "ok" else None))


# ---------------------------------------------------------------------------- BED and genome cases


def _bed_cases(base: Base) -> None:
    bed = base.bed
    n = len(bed)
    r = rng_for("bed").randrange(2, n - 2)
    text = tsv(bed)
    chr1_len = len(base.chroms["chr1"])

    def row(i, **kw):
        out = [list(x) for x in bed]
        for k, v in kw.items():
            out[i][("chrom", "start", "end", "name").index(k)] = v
        return tsv(out)

    variants = {
        # name: (content, expect, expected positives when it succeeds)
        "track_line": ('track name=peaks description="ChIP peaks"\n' + text, "ok", n),
        "browser_line": ("browser position chr1:1-1000\n" + text, "any", n),
        "comment_lines": ("# peaks called by MACS2\n" + text + "# end\n", "ok", n),
        "header_line": ("chrom\tstart\tend\tname\n" + text, "any", n),
        "blank_lines": (text.replace("\n", "\n\n", 3), "any", n),
        "crlf": (text.replace("\n", "\r\n"), "ok", n),
        "bed6": ("".join(f"{c}\t{s}\t{e}\t{nm}\t0\t{'+-'[i % 2]}\n" for i, (c, s, e, nm) in enumerate(bed)), "ok", n),
        "bed3": (tsv([x[:3] for x in bed]), "ok", n),
        "spaces_not_tabs": (tsv(bed, sep=" "), "any", n),
        "gzip": (gzip.compress(text.encode()), "any", n),
        "utf8_bom": (b"\xef\xbb\xbf" + text.encode(), "any", n),
        "end_at_chrom_end": (row(r, chrom="chr1", start=chr1_len - 40, end=chr1_len), "ok", n),
        "zero_length": (row(r, end=bed[r][1]), "any", n),
        "window_past_chrom_end": (row(r, chrom="chr1", start=chr1_len - 6, end=chr1_len - 2), "any", n),
        "too_few_columns": (tsv([x[:2] if i == r else x for i, x in enumerate(bed)]), "error", None),
        "start_gt_end": (row(r, start=bed[r][2] + 10), "error", None),
        "negative_start": (row(r, start=-5), "error", None),
        "float_coordinate": (row(r, start=f"{bed[r][1]}.5"), "error", None),
        "non_numeric_coordinate": (row(r, end="abc"), "error", None),
        "scientific_coordinate": (row(r, end="1e3"), "error", None),
        "huge_coordinate": (row(r, end=str(10 ** 30)), "error", None),
        "unknown_chromosome": (row(r, chrom="chrZ"), "error", None),
        "chromosome_case": (row(r, chrom="CHR1"), "error", None),
        "empty_chromosome": (row(r, chrom=""), "error", None),
        "past_chromosome_end": (row(r, chrom="chr1", start=chr1_len - 20, end=chr1_len + 20), "error", None),
        "duplicate_lines": (text + tsv(bed[r:r + 2]), "any", None),  # kept once, with a warning
        "empty": ("", "error", None),
        "only_comments": ("# nothing here\ntrack name=x\n", "error", None),
        "binary_junk": (junk("bed"), "error", None),
    }
    for name, (content, expect, n_pos) in variants.items():
        add(f"prepare-bed-{name}", expect, lambda c, content=content, n_pos=n_pos, name=name:
            _prepare_bed(c, c.put("peaks.bed.gz" if name == "gzip" else "peaks.bed", content), n_pos))
    for name in ("duplicate_lines", "past_chromosome_end", "unknown_chromosome", "start_gt_end", "crlf",
                 "track_line", "non_numeric_coordinate", "empty"):
        content, expect, _ = variants[name]
        add(f"train-bed-{name}", expect, lambda c, content=content:
            _with_mentions(train_call(c, ["--bed", c.put("peaks.bed", content), "--genome", c.copy("genome.fa"),
                                          "--negatives", "shuffle", "--length", "40"], names=None), "peaks.bed"))
    add("train-bed-negatives-genome", "ok", lambda c: train_call(
        c, ["--bed", c.copy("peaks.bed"), "--genome", c.copy("genome.fa"), "--negatives", "genome", "--length", "40"]))
    add("train-bed-tile", "ok", lambda c: train_call(
        c, ["--bed", c.copy("peaks.bed"), "--genome", c.copy("genome.fa"), "--negatives", "shuffle", "--length",
            "20", "--tile"]))

    chroms = base.chroms
    mid = bed[0][1] + 20
    bad_chr1 = chroms["chr1"][:mid] + "J" + chroms["chr1"][mid + 1:]
    uneven = ">chr1\n" + chroms["chr1"][:50] + "\n" + chroms["chr1"][50:70] + "\n" + chroms["chr1"][70:] + "\n" \
        + ">chr2\n" + chroms["chr2"] + "\n"
    genomes = {
        "empty": ("", "error"),
        "binary_junk": (junk("genome"), "error"),
        "duplicate_chromosome": (genome_text(chroms) + ">chr1\n" + "ACGT" * 20 + "\n", "error"),
        "lower_case": (genome_text({k: v.lower() for k, v in chroms.items()}), "ok"),
        "invalid_letter_in_peak": (genome_text({**chroms, "chr1": bad_chr1}), "error"),
        "plain_gzip": (gzip.compress(genome_text(chroms).encode()), "any"),
        "crlf": (genome_text(chroms, eol="\r\n"), "any"),
        "uneven_lines": (uneven, "any"),
        "no_header": (chroms["chr1"] + "\n", "error"),
    }
    for name, (content, expect) in genomes.items():
        add(f"prepare-genome-{name}", expect, lambda c, content=content, name=name:
            _prepare_bed(c, c.copy("peaks.bed"), n, genome=c.put("genome.fa.gz" if name == "plain_gzip"
                                                                    else "genome.fa", content),
                         mention="genome.fa"))
    add("prepare-genome-missing", "error", lambda c: _prepare_bed(c, c.copy("peaks.bed"), n,
                                                                   genome=c.inp / "nope.fa", mention="nope.fa"))


def _with_mentions(call: Call, *names) -> Call:
    call.mentions = (*call.mentions, *names)
    return call


def _prepare_bed(c, bed_path, n_pos, genome=None, mention=None) -> Call:
    genome = genome or c.copy("genome.fa")
    call = prepare_call(c, ["--bed", bed_path, "--genome", genome, "--negatives", "shuffle", "--length", "40"],
                        n_pos=n_pos)
    return _with_mentions(call, mention or bed_path.name)


# ---------------------------------------------------------------------------- time series, tables, images


def _ts_cases(base: Base) -> None:
    expr, cond, labels = base.expr, base.conditions, base.ts_labels
    r = rng_for("expr").randrange(2, N_GENES - 2)

    def ts(c, expr_c=None, cond_c=None, lab_c=None, names=None, expr_name="expr.tsv"):
        e = c.put(expr_name, expr_c) if expr_c is not None else c.copy("expr.tsv")
        k = c.put("conditions.tsv", cond_c) if cond_c is not None else c.copy("conditions.tsv")
        lb = c.put("ts_labels.tsv", lab_c) if lab_c is not None else c.copy("ts_labels.tsv")
        call = train_call(c, ["--timeseries", e, "--conditions", k, "--labels", lb], config="ts.yaml", names=names)
        bad = [p.name for p, content in ((e, expr_c), (k, cond_c), (lb, lab_c)) if content is not None]
        return _with_mentions(call, *bad)

    ok_names = ["early", "late"]
    add("train-timeseries-valid", "ok", lambda c: ts(c, names=ok_names))
    gen = table_variants(expr, "expr", numeric_cols=(3,))
    expect_expr = {"na_cell": "ok", "empty_cell": "ok"}     # documented missing values
    for name, (content, expect) in gen.items():
        expect = expect_expr.get(name, expect)
        add(f"train-timeseries-expr-{name}", expect, lambda c, content=content, name=name, expect=expect:
            ts(c, expr_c=content, names=ok_names if expect == "ok" else None,
               expr_name="expr.tsv.gz" if name == "gzip" else "expr.tsv"))
    spellings = [list(x) for x in expr]
    spellings[r + 1][2], spellings[r + 1][4], spellings[r + 2][5] = "NaN", "N/A", "null"
    add("train-timeseries-expr-missing_spellings", "ok", lambda c: ts(c, expr_c=tsv(spellings), names=ok_names))
    all_missing = [list(x) for x in expr]
    all_missing[r + 1][1:] = ["NA"] * (len(all_missing[r + 1]) - 1)
    add("train-timeseries-expr-gene_all_missing", "any", lambda c: ts(c, expr_c=tsv(all_missing)))

    missing_cond = cond[:-1]
    bad_time = with_cell(cond, 2, 2, "ten")
    na_time = with_cell(cond, 3, 2, "NA")
    for name, content, expect in (
        ("missing_condition", tsv(missing_cond), "error"),
        ("non_numeric_time", tsv(bad_time), "error"),
        ("na_time", tsv(na_time), "error"),
        ("duplicate_condition", tsv(cond + [cond[3]]), "error"),
        ("unknown_condition", tsv(cond + [["c_99", "a", 50]]), "any"),
        ("empty", "", "error"),
        ("header_only", tsv(cond[:1]), "error"),
        ("crlf", tsv(cond, eol="\r\n"), "ok"),
    ):
        add(f"train-timeseries-conditions-{name}", expect, lambda c, content=content, expect=expect:
            ts(c, cond_c=content, names=ok_names if expect == "ok" else None))

    rl = rng_for("tslab").randrange(2, N_GENES - 2)
    for name, content, expect in (
        ("unknown_gene", tsv(labels + [["g999", "early"]]), "error"),
        ("na", tsv(with_cell(labels, rl, 1, "NA")), "error"),
        ("empty_cell", tsv(with_cell(labels, rl, 1, "")), "error"),
        ("single_class", tsv([labels[0]] + [[x[0], "early"] for x in labels[1:]]), "any"),  # a warning, by design
        ("duplicate_gene", tsv(labels + [labels[4]]), "error"),
        ("subset_of_genes", tsv(labels[:-5]), "ok"),
    ):
        add(f"train-timeseries-labels-{name}", expect, lambda c, content=content, expect=expect:
            ts(c, lab_c=content, names=ok_names if expect == "ok" else None))


def _table_cases(base: Base) -> None:
    feats, labels = base.features, base.table_labels
    names = ["g0", "g1"]

    def tab(c, feat_c=None, lab_c=None, expect="error", feat_name="features.tsv", extra=()):
        f = c.put(feat_name, feat_c) if feat_c is not None else c.copy("features.tsv")
        lb = c.put("table_labels.tsv", lab_c) if lab_c is not None else c.copy("table_labels.tsv")
        call = train_call(c, ["--table", f, "--labels", lb], config="table.yaml",
                          names=names if expect == "ok" else None, extra=extra)
        return _with_mentions(call, *[p.name for p, x in ((f, feat_c), (lb, lab_c)) if x is not None])

    add("train-table-valid", "ok", lambda c: tab(c, expect="ok"))
    for name, (content, expect) in table_variants(feats, "features", numeric_cols=(2,)).items():
        add(f"train-table-features-{name}", expect, lambda c, content=content, expect=expect, name=name:
            tab(c, feat_c=content, expect=expect, feat_name="features.tsv.gz" if name == "gzip" else "features.tsv"))
    const = [feats[0]] + [[x[0], x[1], "3.0", x[3]] for x in feats[1:]]
    add("train-table-features-constant_column", "ok", lambda c: tab(c, feat_c=tsv(const), expect="ok"))
    add("train-table-features-no_feature_columns", "error",
        lambda c: tab(c, feat_c=tsv([[x[0]] for x in feats])))
    rl = rng_for("tablab").randrange(2, N_SAMPLES - 2)
    for name, content, expect, extra in (
        ("extra_ids", tsv(labels + [["t999", "g0"]]), "error", []),
        ("missing_ids", tsv(labels[:-3]), "error", []),
        ("na", tsv(with_cell(labels, rl, 1, "NA")), "error", []),
        ("empty_cell", tsv(with_cell(labels, rl, 1, "")), "error", []),
        ("duplicate_ids", tsv(labels + [labels[3]]), "error", []),
        ("single_class", tsv([labels[0]] + [[x[0], "g0"] for x in labels[1:]]), "any", []),  # a warning, by design
        ("half_classification", tsv([labels[0]] + [[x[0], ("0", "1", "0.5")[i % 3]] for i, x in
                                                    enumerate(labels[1:])]), "error", ["--task", "classification"]),
    ):
        add(f"train-table-labels-{name}", expect, lambda c, content=content, extra=extra:
            tab(c, lab_c=content, extra=extra))


def _image_cases(base: Base) -> None:
    x, y = base.images, base.image_labels
    rows = [",".join(map(str, p)) + f",{lab}" for p, lab in zip(x.reshape(len(x), -1), y)]
    r = rng_for("images").randrange(2, N_IMAGES - 2)

    def edit(i, fn):
        out = list(rows)
        out[i] = fn(out[i])
        return "\n".join(out) + "\n"

    def img(c, name, content, expect, extra=()):
        path = c.put(name, content)
        call = train_call(c, ["--images", path], config="image.yaml", names=None, extra=extra)
        return _with_mentions(call, path.name) if expect == "error" else call

    csv_text = "\n".join(rows) + "\n"
    variants = {
        "valid": (csv_text, "ok", []),
        "header_line": (",".join(f"px{i}" for i in range(IMG * IMG)) + ",label\n" + csv_text, "ok", []),
        "crlf": (csv_text.replace("\n", "\r\n"), "ok", []),
        "gzip": (gzip.compress(csv_text.encode()), "ok", []),
        "short_row": (edit(r, lambda s: s.split(",", 1)[1]), "error", []),
        "long_row": (edit(r, lambda s: "0," + s), "error", []),
        "text_pixel": (edit(r, lambda s: "abc," + s.split(",", 1)[1]), "error", []),
        "empty_pixel": (edit(r, lambda s: "," + s.split(",", 1)[1]), "error", []),
        "nan_pixel": (edit(r, lambda s: "nan," + s.split(",", 1)[1]), "error", []),
        "fraction_label_classification": (edit(r, lambda s: s.rsplit(",", 1)[0] + ",0.5"), "error",
                                          ["--task", "classification"]),
        "fraction_label_auto": (edit(r, lambda s: s.rsplit(",", 1)[0] + ",0.5"), "any", []),
        "na_label": (edit(r, lambda s: s.rsplit(",", 1)[0] + ",NA"), "error", []),
        "empty_label": (edit(r, lambda s: s.rsplit(",", 1)[0] + ","), "error", []),
        "single_class": ("\n".join(s.rsplit(",", 1)[0] + ",0" for s in rows) + "\n", "any", []),  # a warning
        "empty": ("", "error", []),
        "binary_junk": (junk("images"), "error", []),
        "not_square": ("\n".join(",".join(s.split(",")[4:]) for s in rows) + "\n", "error", []),
        "shape_mismatch": (csv_text, "error", ["--image-shape", "4x4"]),
        "semicolons": (csv_text.replace(",", ";"), "error", []),
    }
    for name, (content, expect, extra) in variants.items():
        ext = ".csv.gz" if name == "gzip" else ".csv"
        add(f"train-images-csv-{name}", expect, lambda c, content=content, expect=expect, extra=extra, ext=ext:
            img(c, "digits" + ext, content, expect, extra))

    def npz(**arrays) -> bytes:
        import io

        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return buf.getvalue()

    xf = x.astype(np.float32)
    xf_nan = xf.copy()
    xf_nan[r, 0, 0] = np.nan
    for name, content, expect in (
        ("valid", npz(x=x, y=y), "ok"),
        ("missing_y", npz(x=x), "error"),
        ("missing_x", npz(y=y), "error"),
        ("length_mismatch", npz(x=x, y=y[:-3]), "error"),
        ("nan_pixel", npz(x=xf_nan, y=y), "error"),
        ("fraction_labels", npz(x=x, y=y + 0.5), "error"),
        ("na_labels", npz(x=x, y=np.array([str(v) for v in y[:-1]] + ["NA"])), "error"),
        ("junk", junk("npz"), "error"),
        ("truncated", npz(x=x, y=y)[:300], "error"),
    ):
        add(f"train-images-npz-{name}", expect, lambda c, content=content, expect=expect, name=name:
            img(c, "digits.npz", content, expect, ["--task", "classification"] if name == "fraction_labels" else []))

    def idx(a: np.ndarray) -> bytes:
        return struct.pack(">BBBB", 0, 0, 0x08, a.ndim) + b"".join(struct.pack(">I", d) for d in a.shape) + a.tobytes()

    for name, images, labs, expect in (
        ("valid", idx(x), idx(y.astype(np.uint8)), "ok"),
        ("truncated_images", idx(x)[:-100], idx(y.astype(np.uint8)), "error"),
        ("label_count_mismatch", idx(x), idx(y[:-2].astype(np.uint8)), "error"),
        ("labels_junk", idx(x), junk("idx-labels", 40), "error"),
    ):
        def build(c, images=images, labs=labs):
            ip, lp = c.put("images-idx3-ubyte", images), c.put("labels-idx1-ubyte", labs)
            return train_call(c, ["--images", ip, "--labels", lp], config="image.yaml")

        add(f"train-images-idx-{name}", expect, build)


# ---------------------------------------------------------------------------- YAML configs


#: The tiny settings a dict-based config case starts from (no command-line flag overrides them).
CONFIG_BASE = {"model_args": {"n_filters": 4, "filter_width": 5, "hidden": 4},
               "train": {"epochs": 1, "batch_size": 16}, "seed": 0, "device": "cpu"}


def merged(base: dict, patch: dict) -> dict:
    """``base`` deep-updated with ``patch``."""
    out = dict(base)
    for k, v in patch.items():
        out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


#: Config values that do not fit: case name -> (patch of CONFIG_BASE, what the error must name).
CONFIG_PATCHES = {
    "unknown_top_key": ({"epochz": 3}, "epochz"),
    "top_level_epochs_0": ({"epochs": 0}, "epochs"),
    "top_level_dropout_1_5": ({"dropout": 1.5}, "dropout"),
    "unknown_model_arg": ({"model_args": {"n_filterz": 4}}, "n_filterz"),
    "unknown_train_key": ({"train": {"epocs": 1}}, "epocs"),
    "unknown_data_key": ({"data": {"lenght": 40}}, "lenght"),
    "n_filters_negative": ({"model_args": {"n_filters": -3}}, "n_filters"),
    "n_filters_zero": ({"model_args": {"n_filters": 0}}, "n_filters"),
    "n_filters_string": ({"model_args": {"n_filters": "four"}}, "n_filters"),
    "n_filters_float": ({"model_args": {"n_filters": 4.5}}, "n_filters"),
    "n_filters_bool": ({"model_args": {"n_filters": True}}, "n_filters"),
    "n_filters_list": ({"model_args": {"n_filters": [4, 4]}}, "n_filters"),
    "filter_width_zero": ({"model_args": {"filter_width": 0}}, "filter_width"),
    "hidden_negative": ({"model_args": {"hidden": -1}}, "hidden"),
    "dropout_1_5": ({"model_args": {"dropout": 1.5}}, "dropout"),
    "dropout_negative": ({"model_args": {"dropout": -0.1}}, "dropout"),
    "dropout_string": ({"model_args": {"dropout": "half"}}, "dropout"),
    "pool_unknown": ({"model_args": {"pool": "median"}}, "pool"),
    "model_args_list": ({"model_args": [4, 5, 4]}, "model_args"),
    "model_args_string": ({"model_args": "small"}, "model_args"),
    "train_is_list": ({"train": [1, 2]}, "train"),
    "data_is_string": ({"data": "dna"}, "data"),
    "epochs_0": ({"train": {"epochs": 0}}, "epochs"),
    "epochs_negative": ({"train": {"epochs": -2}}, "epochs"),
    "epochs_string": ({"train": {"epochs": "ten"}}, "epochs"),
    "epochs_float": ({"train": {"epochs": 1.5}}, "epochs"),
    "epochs_bool": ({"train": {"epochs": True}}, "epochs"),
    "batch_size_0": ({"train": {"batch_size": 0}}, ("batch_size", "batch size")),
    "batch_size_string": ({"train": {"batch_size": "big"}}, ("batch_size", "batch size")),
    "lr_negative": ({"train": {"lr": -0.01}}, ("lr", "learning rate")),
    "lr_string": ({"train": {"lr": "fast"}}, ("lr", "learning rate")),
    "patience_negative": ({"train": {"patience": -1}}, "patience"),
    "monitor_unknown": ({"train": {"monitor": "f1"}}, "monitor"),
    "rc_augment_string": ({"train": {"rc_augment": "maybe"}}, ("rc_augment", "rc augment")),
    "weight_decay_negative": ({"train": {"weight_decay": -1}}, ("weight_decay", "weight decay")),
    "valid_fraction_1": ({"data": {"valid_fraction": 1.0}}, ("valid_fraction", "valid fraction")),
    "fractions_sum_over_1": ({"data": {"valid_fraction": 0.6, "test_fraction": 0.6}}, "fraction"),
    "alphabet_unknown": ({"data": {"alphabet": "klingon"}}, "alphabet"),
    "unknown_value_mode": ({"data": {"unknown": "random"}}, "unknown"),
    "length_negative": ({"data": {"length": -40}}, "length"),
    "length_string": ({"data": {"length": "long"}}, "length"),
    "max_length_0": ({"data": {"max_length": 0}}, ("max_length", "max length")),
    "model_unknown": ({"model": "transformerz"}, "transformerz"),
    "model_is_list": ({"model": ["deepbind"]}, "model"),
    "kind_mismatch": ({"kind": "image", "model": "lenet", "model_args": None}, "image"),
    "kind_unknown": ({"kind": "audio"}, "audio"),
    "seed_string": ({"seed": "lucky"}, "seed"),
    "seed_float": ({"seed": 1.5}, "seed"),
    "device_unknown": ({"device": "tpu"}, "tpu"),
    "args_of_other_model": ({"model_args": {"rnn_hidden": 4}}, "rnn_hidden"),
}


def _config_cases(base: Base) -> None:
    import yaml

    def posneg(c):
        return ["--positives", c.copy("pos.fa"), "--negatives", c.copy("neg.fa")]

    def raw(c, text, mention=None, inputs=None):
        """A config file of ``text``; the tiny settings come from the command line."""
        path = c.put("bad.yaml", text)
        call = train_call(c, inputs or posneg(c), config=None, extra=["--config", path], names=["bound"])
        return _with_mentions(call, *((mention,) if mention else ()))

    def patched(c, patch, mention):
        """The tiny config with ``patch`` applied; only --quiet on the command line, so the value counts."""
        path = c.put("bad.yaml", yaml.safe_dump(merged(CONFIG_BASE, patch), sort_keys=False))
        out = c.out / "run"
        call = Call(["train", *posneg(c), "--config", path, "--quiet", "--out", out], [out],
                    check=lambda: check_run(out, ["bound"]))
        return _with_mentions(call, mention) if mention else call

    for name, (text, mention) in {
        "invalid_yaml": ("model_args: {n_filters: 4\n", "bad.yaml"),
        "tab_indentation": ("model_args:\n\tn_filters: 4\n", "bad.yaml"),
        "list_at_top_level": ("- n_filters: 4\n- hidden: 4\n", "bad.yaml"),
        "scalar_at_top_level": ("deepbind\n", "bad.yaml"),
        "binary_junk": (junk("yaml"), "bad.yaml"),
        "latin1_text": ("# caf\xe9\nmodel_args: {n_filters: 4}\n".encode("latin-1"), "bad.yaml"),
    }.items():
        add(f"config-{name}", "error", lambda c, text=text, mention=mention: raw(c, text, mention))

    for name, (patch, mention) in CONFIG_PATCHES.items():
        if patch.get("model_args", 0) is None:
            patch = {k: v for k, v in patch.items() if k != "model_args"}
            add(f"config-{name}", "error", lambda c, patch=patch, mention=mention: _no_model_args(
                patched(c, patch, mention)))
        else:
            add(f"config-{name}", "error", lambda c, patch=patch, mention=mention: patched(c, patch, mention))
    add("config-valid", "ok", lambda c: patched(c, {}, None))
    # null means "the default" in the recipes (data.length: null), so a null argument may take the default
    add("config-n_filters_null", "any", lambda c: patched(c, {"model_args": {"n_filters": None}}, None))
    add("config-missing_file", "error", lambda c: _with_mentions(
        train_call(c, posneg(c), config=None, extra=["--config", c.inp / "nope.yaml"]), "nope.yaml"))
    m = "model_args:\n  n_filters: 4\n  filter_width: 5\n  hidden: 4\n"
    for name, text in (("empty_file", ""), ("comments_only", "# nothing\n"), ("null_model_args", "model_args:\n"),
                       ("duplicate_keys", m + "seed: 1\nseed: 2\n")):
        add(f"config-{name}", "any", lambda c, text=text: raw(c, text))
    # other kinds' model arguments
    for name, text, inputs in (
        ("timeseries_rnn_hidden_negative", "kind: timeseries\nmodel: lstm\nmodel_args: {rnn_hidden: -4}\n", "ts"),
        ("timeseries_pool_unknown", "kind: timeseries\nmodel: lstm\nmodel_args: {rnn_hidden: 4, pool: top}\n", "ts"),
        ("table_hidden_negative", "kind: table\nmodel: mlp\nmodel_args: {hidden: [-4]}\n", "table"),
        ("table_dropout_1_5", "kind: table\nmodel: mlp\nmodel_args: {hidden: [4], dropout: 1.5}\n", "table"),
        ("image_dropout_1_5", "kind: image\nmodel: mlp\nmodel_args: {hidden: [4], dropout: 1.5}\n", "image"),
        ("image_lenet_kernel_zero", "kind: image\nmodel: lenet\nmodel_args: {kernel_size: 0}\n", "image"),
        ("image_model_for_table", "kind: table\nmodel: lenet\n", "table"),
    ):
        add(f"config-{name}", "error", lambda c, text=text, inputs=inputs: raw(c, text, inputs=_inputs_of(c, inputs)))


def _no_model_args(call: Call) -> Call:
    """Drop the tiny model_args of a patched config (for a config naming another kind's model)."""
    import yaml

    path = Path(call.args[call.args.index("--config") + 1])
    cfg = yaml.safe_load(path.read_text())
    cfg.pop("model_args", None)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return call


def _inputs_of(c, kind: str) -> list:
    if kind == "ts":
        return ["--timeseries", c.copy("expr.tsv"), "--conditions", c.copy("conditions.tsv"),
                "--labels", c.copy("ts_labels.tsv")]
    if kind == "table":
        return ["--table", c.copy("features.tsv"), "--labels", c.copy("table_labels.tsv")]
    if kind == "image":
        return ["--images", c.copy("digits.csv")]
    return ["--positives", c.copy("pos.fa"), "--negatives", c.copy("neg.fa")]


# ---------------------------------------------------------------------------- option values


def _posneg(c) -> list:
    return ["--positives", c.copy("pos.fa"), "--negatives", c.copy("neg.fa")]


def _option_cases(base: Base) -> None:
    """Train: outputs that are inputs, odd option values, missing / conflicting inputs."""
    posneg = _posneg
    add("train-out-is-positives", "error", lambda c: train_call(c, posneg(c), out=c.inp / "pos.fa"))
    add("train-out-is-positives-overwrite", "error",
        lambda c: train_call(c, posneg(c), out=c.inp / "pos.fa", extra=["--overwrite"]))
    add("train-out-is-labels", "error", lambda c: train_call(
        c, ["--fasta", c.copy("seqs.fa"), "--labels", c.copy("labels.tsv")], out=c.inp / "labels.tsv"))
    add("train-out-is-config", "error", lambda c: train_call(c, posneg(c), out=c.inp / "seq.yaml"))
    add("train-out-is-genome-overwrite", "error", lambda c: train_call(
        c, ["--bed", c.copy("peaks.bed"), "--genome", c.copy("genome.fa"), "--negatives", "shuffle", "--length",
            "40"], out=c.inp / "genome.fa", extra=["--overwrite"]))
    add("train-out-is-input-folder-overwrite", "error",
        lambda c: train_call(c, posneg(c), out=c.inp, extra=["--overwrite"]))
    add("train-out-is-parent-of-inputs-overwrite", "error",
        lambda c: train_call(c, posneg(c), out=c.root, extra=["--overwrite"]))
    add("train-out-inside-input-folder", "ok",
        lambda c: train_call(c, posneg(c), out=c.inp / "run", names=["bound"]))
    add("train-out-exists-not-empty", "error", lambda c: _existing_out(c, train_call(c, posneg(c))))
    add("train-out-is-existing-file", "error", lambda c: _existing_file_out(c, train_call(
        c, posneg(c), out=c.out / "run.txt")))
    add("train-out-existing-overwrite", "ok",
        lambda c: _existing_out(c, train_call(c, posneg(c), extra=["--overwrite"], names=["bound"]), keep=False))
    for name, opts in (("epochs_0", ["--epochs", "0"]), ("epochs_negative", ["--epochs", "-1"]),
                       ("batch_size_0", ["--batch-size", "0"]), ("lr_negative", ["--lr", "-0.1"]),
                       ("lr_nan", ["--lr", "nan"]), ("valid_fraction_1_5", ["--valid-fraction", "1.5"]),
                       ("test_fraction_negative", ["--test-fraction", "-0.1"]), ("length_0", ["--length", "0"]),
                       ("length_negative", ["--length", "-5"]), ("patience_negative", ["--patience", "-1"]),
                       ("model_unknown", ["--model", "nope"]), ("device_unknown", ["--device", "gpu9"]),
                       ("standardize_unknown", ["--standardize", "zscore"]),
                       ("series_on_sequences", ["--series", "a,b"])):
        add(f"train-option-{name}", "error", lambda c, opts=opts: train_call(c, posneg(c), extra=opts))
    for name, inputs in (
        ("positives_missing", lambda c: ["--positives", c.inp / "nope.fa", "--negatives", "shuffle"]),
        ("negatives_missing", lambda c: ["--positives", c.copy("pos.fa"), "--negatives", c.inp / "nope.fa"]),
        ("positives_is_folder", lambda c: ["--positives", c.inp, "--negatives", "shuffle"]),
        ("no_negatives", lambda c: ["--positives", c.copy("pos.fa")]),
        ("negatives_genome_without_bed", lambda c: ["--positives", c.copy("pos.fa"), "--negatives", "genome"]),
        ("fasta_and_positives", lambda c: ["--fasta", c.copy("seqs.fa"), "--labels", c.copy("labels.tsv"),
                                           "--positives", c.copy("pos.fa"), "--negatives", "shuffle"]),
        ("fasta_without_labels", lambda c: ["--fasta", c.copy("seqs.fa")]),
        ("labels_without_fasta", lambda c: ["--labels", c.copy("labels.tsv")]),
        ("bed_without_genome", lambda c: ["--bed", c.copy("peaks.bed"), "--negatives", "shuffle"]),
        ("timeseries_without_conditions", lambda c: ["--timeseries", c.copy("expr.tsv"),
                                                     "--labels", c.copy("ts_labels.tsv")]),
        ("table_without_labels", lambda c: ["--table", c.copy("features.tsv")]),
        ("two_kinds", lambda c: ["--table", c.copy("features.tsv"), "--labels", c.copy("table_labels.tsv"),
                                 "--images", c.copy("digits.csv")]),
        ("no_inputs", lambda c: []),
        ("test_chroms_without_coordinates", lambda c: [*posneg(c), "--test-chroms", "chr8"]),
        ("labels_are_fasta", lambda c: ["--fasta", c.copy("seqs.fa"), "--labels", c.copy("seqs.fa")]),
        ("fasta_is_labels", lambda c: ["--fasta", c.copy("labels.tsv"), "--labels", c.copy("labels.tsv")]),
    ):
        add(f"train-inputs-{name}", "error", lambda c, inputs=inputs: train_call(c, inputs(c)))
    add("train-resume-missing", "error", lambda c: Call(["train", "--resume", c.out / "never"], []))
    add("train-no-out", "error", lambda c: Call(["train", *posneg(c), *TRAIN], []))


def _predict_cases(base: Base) -> None:
    pos_ids = [r for r, _ in base.pos]
    add("predict-valid", "ok", lambda c: predict_call(c, c.run("seq"), ["--fasta", c.copy("pos.fa")], ids=pos_ids))
    add("predict-model-pt-path", "ok", lambda c: predict_call(c, c.run("seq") / "model.pt",
                                                                ["--fasta", c.copy("pos.fa")], ids=pos_ids))
    add("predict-multilabel-run", "ok", lambda c: predict_call(c, c.run("multi"), ["--fasta", c.copy("pos.fa")],
                                                                 ids=pos_ids))
    add("predict-out-is-fasta", "error", lambda c: _out_is(c))
    add("predict-out-is-model-pt", "error", lambda c: predict_call(c, (run := c.run("seq")), [
        "--fasta", c.copy("pos.fa")], out=run / "model.pt"))
    add("predict-out-is-run-folder", "error", lambda c: predict_call(c, (run := c.run("seq")), [
        "--fasta", c.copy("pos.fa")], out=run))
    add("predict-out-inside-run-folder", "any", lambda c: predict_call(c, (run := c.run("seq")), [
        "--fasta", c.copy("pos.fa")], out=run / "pred.tsv", ids=pos_ids))
    add("predict-out-existing-output", "ok", lambda c: _existing_file_out(
        c, predict_call(c, c.run("seq"), ["--fasta", c.copy("pos.fa")], ids=pos_ids, out=c.out / "pred.tsv"),
        replaceable=True))
    for name, make in _BAD_RUNS.items():
        add(f"predict-run-{name}", "error", lambda c, make=make: predict_call(c, make(c), ["--fasta",
                                                                                          c.copy("pos.fa")]))
    add("predict-fasta-missing", "error", lambda c: predict_call(c, c.run("seq"), ["--fasta", c.inp / "nope.fa"]))
    add("predict-fasta-is-folder", "error", lambda c: predict_call(c, c.run("seq"), ["--fasta", c.inp]))
    add("predict-no-input", "error", lambda c: predict_call(c, c.run("seq"), []))
    add("predict-table-run-with-fasta", "error", lambda c: predict_call(c, c.run("table"),
                                                                          ["--fasta", c.copy("pos.fa")]))
    add("predict-seq-run-with-table", "error", lambda c: predict_call(c, c.run("seq"),
                                                                        ["--table", c.copy("features.tsv")]))
    add("predict-table-run-missing-feature", "error", lambda c: predict_call(c, c.run("table"), [
        "--table", c.put("features.tsv", tsv([x[:3] for x in base.features]))]))
    add("predict-table-run-extra-feature", "ok", lambda c: predict_call(c, c.run("table"), [
        "--table", c.put("features.tsv", tsv([x + [x[1] if i else "f9"] for i, x in enumerate(base.features)]))],
        ids=[x[0] for x in base.features[1:]]))
    add("predict-table-run-na-feature", "error", lambda c: predict_call(c, c.run("table"), [
        "--table", c.put("features.tsv", tsv(with_cell(base.features, 3, 1, "NA")))]))
    add("predict-table-run-valid", "ok", lambda c: predict_call(c, c.run("table"), [
        "--table", c.copy("features.tsv")], ids=[x[0] for x in base.features[1:]]))
    add("predict-timeseries-run-valid", "ok", lambda c: predict_call(c, c.run("ts"), [
        "--timeseries", c.copy("expr.tsv"), "--conditions", c.copy("conditions.tsv")],
        ids=[x[0] for x in base.expr[1:]]))
    add("predict-timeseries-run-missing-condition", "error", lambda c: predict_call(c, c.run("ts"), [
        "--timeseries", c.copy("expr.tsv"), "--conditions", c.put("conditions.tsv", tsv(base.conditions[:-1]))]))
    add("predict-timeseries-run-nd-cell", "error", lambda c: predict_call(c, c.run("ts"), [
        "--timeseries", c.put("expr.tsv", tsv(with_cell(base.expr, 4, 2, "n/d"))),
        "--conditions", c.copy("conditions.tsv")]))
    add("predict-image-run-valid", "ok", lambda c: predict_call(c, c.run("image"), [
        "--images", c.copy("digits.csv")], n=N_IMAGES))
    add("predict-image-run-other-size", "error", lambda c: predict_call(c, c.run("image"), [
        "--images", c.put("small.csv", image_csv(base.images[:, :4, :4], base.image_labels))]))


def _evaluate_cases(base: Base) -> None:
    posneg = _posneg
    n_all = len(base.pos) + len(base.neg)
    add("evaluate-valid", "ok", lambda c: evaluate_call(c, c.run("seq"), posneg(c), n=n_all))
    add("evaluate-negatives-shuffle", "ok", lambda c: evaluate_call(
        c, c.run("seq"), ["--positives", c.copy("pos.fa"), "--negatives", "shuffle"], n=2 * len(base.pos)))
    add("evaluate-multilabel-valid", "ok", lambda c: evaluate_call(
        c, c.run("multi"), ["--fasta", c.copy("seqs.fa"), "--labels", c.copy("labels.tsv")], n=N_SEQS))
    add("evaluate-out-is-positives", "error", lambda c: evaluate_call(c, c.run("seq"), posneg(c),
                                                                        out=c.inp / "pos.fa"))
    add("evaluate-out-is-labels", "error", lambda c: evaluate_call(
        c, c.run("multi"), ["--fasta", c.copy("seqs.fa"), "--labels", c.copy("labels.tsv")],
        out=c.inp / "labels.tsv"))
    add("evaluate-out-is-metrics-json", "error", lambda c: evaluate_call(c, (run := c.run("seq")), posneg(c),
                                                                           out=run / "metrics.json"))
    add("evaluate-out-is-model-pt", "error", lambda c: evaluate_call(c, (run := c.run("seq")), posneg(c),
                                                                       out=run / "model.pt"))
    for name, make in _BAD_RUNS.items():
        add(f"evaluate-run-{name}", "error", lambda c, make=make: evaluate_call(c, make(c), posneg(c)))
    add("evaluate-multilabel-labels-na", "error", lambda c: _with_mentions(evaluate_call(
        c, c.run("multi"), ["--fasta", c.copy("seqs.fa"),
                            "--labels", c.put("labels.tsv", tsv(with_cell(base.labels, 4, 1, "NA")))]),
        "labels.tsv"))
    add("evaluate-multilabel-labels-other-tasks", "error", lambda c: evaluate_call(
        c, c.run("multi"), ["--fasta", c.copy("seqs.fa"),
                            "--labels", c.put("labels.tsv", tsv([["id", "C", "D"]] + base.labels[1:]))]))
    add("evaluate-multilabel-labels-half", "error", lambda c: evaluate_call(
        c, c.run("multi"), ["--fasta", c.copy("seqs.fa"),
                            "--labels", c.put("labels.tsv", tsv(with_cell(base.labels, 6, 2, "0.5")))]))
    add("evaluate-table-run-labels-unknown-class", "error", lambda c: evaluate_call(
        c, c.run("table"), ["--table", c.copy("features.tsv"),
                            "--labels", c.put("table_labels.tsv", tsv(with_cell(base.table_labels, 2, 1, "g7")))]))
    add("evaluate-table-run-valid", "ok", lambda c: evaluate_call(
        c, c.run("table"), ["--table", c.copy("features.tsv"), "--labels", c.copy("table_labels.tsv")],
        n=N_SAMPLES))
    add("evaluate-image-run-na-label", "error", lambda c: evaluate_call(c, c.run("image"), [
        "--images", c.put("digits.csv", image_csv(base.images, ["NA" if i == 3 else v for i, v in
                                                                enumerate(base.image_labels)]))]))


def _interpret_cases(base: Base) -> None:
    """motifs and attribute."""
    pos_ids = [r for r, _ in base.pos]
    add("motifs-valid", "ok", lambda c: motifs_call(c, c.run("seq"), c.copy("pos.fa")))
    add("motifs-out-is-run-overwrite", "error", lambda c: motifs_call(c, (run := c.run("seq")), c.copy("pos.fa"),
                                                                       extra=["--overwrite"], out=run))
    add("motifs-out-is-fasta", "error", lambda c: motifs_call(c, c.run("seq"), (f := c.copy("pos.fa")), out=f))
    add("motifs-out-holds-fasta-overwrite", "error", lambda c: motifs_call(c, c.run("seq"), c.copy("pos.fa"),
                                                                           extra=["--overwrite"], out=c.inp))
    add("motifs-db-junk", "error", lambda c: _db(c, junk("meme")))
    add("motifs-db-empty", "error", lambda c: _db(c, ""))
    add("motifs-db-missing", "error", lambda c: _db(c, None))
    add("motifs-db-bad-row-sum", "error", lambda c: _db(c, MEME_DB.replace(" 0.05 0.85 0.05 0.05\n 0.85",
                                                                           " 0.55 0.85 0.05 0.05\n 0.85", 1)))
    add("motifs-db-text-probability", "error", lambda c: _db(c, MEME_DB.replace("0.85", "high", 1)))
    for name, make in _BAD_RUNS.items():
        add(f"motifs-run-{name}", "error", lambda c, make=make: motifs_call(c, make(c), c.copy("pos.fa")))
    add("motifs-table-run", "error", lambda c: motifs_call(c, c.run("table"), c.copy("pos.fa")))
    add("motifs-negatives-junk", "error", lambda c: motifs_call(c, c.run("seq"), c.copy("pos.fa"), extra=[
        "--negatives", c.put("neg.fa", junk("neg-motifs"))]))
    add("motifs-labels-na", "error", lambda c: _with_mentions(motifs_call(
        c, c.run("multi"), c.copy("seqs.fa"),
        extra=["--labels", c.put("labels.tsv", tsv(with_cell(base.labels, 7, 1, "NA")))]), "labels.tsv"))
    add("motifs-labels-extra-ids", "error", lambda c: motifs_call(
        c, c.run("multi"), c.copy("seqs.fa"), extra=["--labels", c.put("labels.tsv", tsv(base.labels + [
            ["s999", 1, 1]]))]))


    add("attribute-valid-ism", "ok", lambda c: attribute_call(c, c.run("seq"), c.copy("pos.fa"), pos_ids,
                                                              extra=["--methods", "saliency,ism"]))
    add("attribute-out-is-run-overwrite", "error", lambda c: attribute_call(
        c, (run := c.run("seq")), c.copy("pos.fa"), pos_ids, extra=["--overwrite"], out=run))
    add("attribute-out-is-fasta", "error", lambda c: attribute_call(c, c.run("seq"), (f := c.copy("pos.fa")),
                                                                    pos_ids, out=f))
    add("attribute-target-unknown", "error", lambda c: attribute_call(c, c.run("seq"), c.copy("pos.fa"), pos_ids,
                                                                      extra=["--target", "NOPE"]))
    add("attribute-methods-unknown", "error", lambda c: attribute_call(c, c.run("seq"), c.copy("pos.fa"), pos_ids,
                                                                       extra=["--methods", "shap"]))
    add("attribute-methods-empty", "error", lambda c: attribute_call(c, c.run("seq"), c.copy("pos.fa"), pos_ids,
                                                                     extra=["--methods", ","]))
    for name, make in _BAD_RUNS.items():
        add(f"attribute-run-{name}", "error", lambda c, make=make: attribute_call(c, make(c), c.copy("pos.fa"),
                                                                                   pos_ids))
    add("attribute-image-run", "error", lambda c: attribute_call(c, c.run("image"), c.copy("pos.fa"), pos_ids))


def _prepare_cases(base: Base) -> None:
    pos_ids = [r for r, _ in base.pos]
    posshuf = lambda c: ["--positives", c.copy("pos.fa"), "--negatives", "shuffle"]  # noqa: E731
    add("prepare-valid", "ok", lambda c: prepare_call(c, posshuf(c), ids=pos_ids))
    add("prepare-out-positives-is-positives", "error", lambda c: prepare_call(c, posshuf(c),
                                                                             pos_out=c.inp / "pos.fa"))
    add("prepare-out-negatives-is-negatives", "error", lambda c: prepare_call(
        c, ["--positives", c.copy("pos.fa"), "--negatives", c.copy("neg.fa")], neg_out=c.inp / "neg.fa"))
    add("prepare-out-negatives-is-positives", "error", lambda c: prepare_call(c, posshuf(c),
                                                                             neg_out=c.inp / "pos.fa"))
    add("prepare-outs-are-the-same-file", "error", lambda c: prepare_call(c, posshuf(c), pos_out=c.out / "x.fa",
                                                                         neg_out=c.out / "x.fa"))
    add("prepare-out-is-genome", "error", lambda c: prepare_call(c, [
        "--bed", c.copy("peaks.bed"), "--genome", c.copy("genome.fa"), "--negatives", "shuffle", "--length", "40"],
        pos_out=c.inp / "genome.fa"))
    add("prepare-out-is-bed", "error", lambda c: prepare_call(c, [
        "--bed", c.copy("peaks.bed"), "--genome", c.copy("genome.fa"), "--negatives", "shuffle", "--length", "40"],
        neg_out=c.inp / "peaks.bed"))
    add("prepare-out-is-folder", "error", lambda c: prepare_call(c, posshuf(c), pos_out=c.inp))
    add("prepare-no-input", "error", lambda c: prepare_call(c, ["--negatives", "shuffle"]))
    add("prepare-negatives-genome-without-bed", "error", lambda c: prepare_call(
        c, ["--positives", c.copy("pos.fa"), "--negatives", "genome"]))
    seq_table = [["id", "seq", "bound"]] + [[r, s, 1] for r, s in base.pos[:12]] + \
        [[r, s, 0] for r, s in base.neg[:12]]
    rt = rng_for("seqtable").randrange(2, 20)
    for name, content, expect in (
        ("valid", tsv(seq_table), "ok"),
        ("label_na", tsv(with_cell(seq_table, rt, 2, "NA")), "error"),
        ("label_half", tsv(with_cell(seq_table, rt, 2, "0.5")), "error"),
        ("label_two", tsv(with_cell(seq_table, rt, 2, "2")), "error"),
        ("label_empty", tsv(with_cell(seq_table, rt, 2, "")), "error"),
        ("invalid_letter", tsv(with_cell(seq_table, rt, 1, "ACGTJACGT")), "error"),
        ("empty_sequence", tsv(with_cell(seq_table, rt, 1, "")), "error"),
        ("duplicate_ids", tsv(with_cell(seq_table, rt, 0, seq_table[1][0])), "error"),
        ("missing_seq_column", tsv([[x[0], x[2]] for x in seq_table]), "error"),
        ("header_only", tsv(seq_table[:1]), "error"),
    ):
        add(f"prepare-table-{name}", expect, lambda c, content=content, expect=expect: _with_mentions(prepare_call(
            c, ["--table", c.put("seqs.tsv", content), "--label-column", "bound"], n_pos=12 if expect == "ok" else None),
            *(("seqs.tsv",) if expect == "error" else ())))


def _more_option_cases(base: Base) -> None:
    """Outputs inside an input folder (the run directory: allowed while no input changes); array-kind options."""
    posneg = _posneg
    pos_ids = [r for r, _ in base.pos]
    n_all = len(base.pos) + len(base.neg)
    add("evaluate-out-inside-run-folder", "any", lambda c: evaluate_call(
        c, (run := c.run("seq")), posneg(c), n=n_all, out=run / "external.json"))
    add("motifs-out-inside-run-folder", "any", lambda c: motifs_call(c, (run := c.run("seq")), c.copy("pos.fa"),
                                                                     out=run / "motifs"))
    add("attribute-out-inside-run-folder", "any", lambda c: attribute_call(c, (run := c.run("seq")), c.copy("pos.fa"),
                                                                           pos_ids, out=run / "attr"))

    # option values of the array kinds
    ts_in = lambda c: ["--timeseries", c.copy("expr.tsv"), "--conditions", c.copy("conditions.tsv"),  # noqa: E731
                       "--labels", c.copy("ts_labels.tsv")]
    for name, opts in (("series_unknown", ["--series", "a,zzz"]), ("time_points_0", ["--time-points", "0"]),
                       ("time_points_negative", ["--time-points", "-3"]),
                       ("standardize_unknown", ["--standardize", "zscore"]),
                       ("image_shape_on_timeseries", ["--image-shape", "8x8"])):
        add(f"train-timeseries-option-{name}", "error", lambda c, opts=opts: train_call(
            c, ts_in(c), config="ts.yaml", extra=opts))
    for name, opts in (("image_shape_zero", ["--image-shape", "0x8"]), ("image_shape_text", ["--image-shape", "big"]),
                       ("image_shape_negative", ["--image-shape", "-8x-8"]),
                       ("standardize_unknown", ["--standardize", "feature"])):
        add(f"train-images-option-{name}", "error", lambda c, opts=opts: train_call(
            c, ["--images", c.copy("digits.csv")], config="image.yaml", extra=opts))
    add("train-table-option-standardize_unknown", "error", lambda c: train_call(
        c, ["--table", c.copy("features.tsv"), "--labels", c.copy("table_labels.tsv")], config="table.yaml",
        extra=["--standardize", "channel"]))
    add("evaluate-timeseries-run-labels-na", "error", lambda c: _with_mentions(evaluate_call(
        c, c.run("ts"), ["--timeseries", c.copy("expr.tsv"), "--conditions", c.copy("conditions.tsv"),
                         "--labels", c.put("ts_labels.tsv", tsv(with_cell(base.ts_labels, 5, 1, "NA")))]),
        "ts_labels.tsv"))
    add("evaluate-timeseries-run-valid", "ok", lambda c: evaluate_call(
        c, c.run("ts"), ["--timeseries", c.copy("expr.tsv"), "--conditions", c.copy("conditions.tsv"),
                         "--labels", c.copy("ts_labels.tsv")], n=N_GENES))
    add("predict-image-run-npz-without-x", "error", lambda c: predict_call(c, c.run("image"), [
        "--images", c.put("digits.npz", _npz(y=base.image_labels))]))
    add("predict-image-run-npz-valid", "ok", lambda c: predict_call(c, c.run("image"), [
        "--images", c.put("digits.npz", _npz(x=base.images))], n=N_IMAGES))


def _summarize_cases(base: Base) -> None:
    add("summarize-valid", "ok", lambda c: _summarize(c, lambda run, mot: [
        "--run", f"a={run}", "--motifs", f"a={mot}", "--run", f"b={c.run('multi')}"], rows=2))
    add("summarize-out-is-metrics-json", "error", lambda c: _summarize(
        c, lambda run, mot: ["--run", f"a={run}"], out=lambda run, mot: run / "metrics.json"))
    add("summarize-out-is-matches", "error", lambda c: _summarize(
        c, lambda run, mot: ["--run", f"a={run}", "--motifs", f"a={mot}"], out=lambda run, mot: mot / "matches.tsv"))
    add("summarize-html-is-out", "error", lambda c: _summarize(
        c, lambda run, mot: ["--run", f"a={run}", "--html", c.out / "summary.tsv"]))
    add("summarize-html-is-report", "error", lambda c: _summarize(
        c, lambda run, mot: ["--run", f"a={run}", "--motifs", f"a={mot}", "--html", mot / "report.html"]))
    add("summarize-run-missing", "error", lambda c: _summarize(c, lambda run, mot: ["--run", f"a={c.inp / 'no'}"]))
    add("summarize-run-spec-without-name", "error", lambda c: _summarize(c, lambda run, mot: ["--run", str(run)]))
    add("summarize-duplicate-names", "error", lambda c: _summarize(
        c, lambda run, mot: ["--run", f"a={run}", "--run", f"a={c.run('multi')}"]))
    add("summarize-metrics-junk", "error", lambda c: _summarize(c, lambda run, mot: [
        "--run", f"a={run}", "--metrics", f"a={c.put('m.json', '{not json')}"]))
    add("summarize-metrics-missing", "error", lambda c: _summarize(c, lambda run, mot: [
        "--run", f"a={run}", "--metrics", f"a={c.inp / 'none.json'}"]))
    add("summarize-metrics-for-unknown-sample", "error", lambda c: _summarize(c, lambda run, mot: [
        "--run", f"a={run}", "--metrics", f"zz={run / 'metrics.json'}"]))
    add("summarize-motifs-without-matches", "error", lambda c: _summarize(c, lambda run, mot: [
        "--run", f"a={run}", "--motifs", f"a={_rm(mot / 'matches.tsv')}"]))
    add("summarize-matches-junk", "error", lambda c: _summarize(c, lambda run, mot: [
        "--run", f"a={run}", "--motifs", f"a={_put_in(mot, 'matches.tsv', junk('matches'))}"]))
    add("summarize-run-metrics-junk", "error", lambda c: _summarize(c, lambda run, mot: [
        "--run", f"a={_put_in(run, 'metrics.json', b'[1, 2')}"]))


def _npz(**arrays) -> bytes:
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _rm(path: Path) -> Path:
    path.unlink()
    return path.parent


def _put_in(folder: Path, name: str, data) -> Path:
    p = folder / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return folder


def _summarize(c, opts, rows=None, out=None) -> Call:
    run = c.run("seq")
    mot = c.inp / "motifs"
    mot.mkdir()
    (mot / "matches.tsv").write_text(MATCHES)
    (mot / "report.html").write_text("<html><body>report</body></html>\n")
    out_path = out(run, mot) if out else c.out / "summary.tsv"
    args = ["summarize", *opts(run, mot), "--out", out_path]
    outputs = [out_path] + [Path(args[i + 1]) for i, a in enumerate(args) if a == "--html"]
    return Call(args, outputs, check=(lambda: check_summary(out_path, rows)) if rows else None)


def _db(c, text) -> Call:
    call = motifs_call(c, c.run("seq"), c.copy("pos.fa"))
    i = call.args.index("--db")
    path = c.inp / "mine.meme" if text is None else c.put("mine.meme", text)
    call.args[i + 1] = path
    return _with_mentions(call, "mine.meme")


def _out_is(c) -> Call:
    f = c.copy("pos.fa")
    return predict_call(c, c.run("seq"), ["--fasta", f], out=f)


def _existing_out(c, call: Call, keep=True) -> Call:
    """``--out`` names a non-empty folder that exists (a previous run): untouched without --overwrite."""
    out = Path(call.outputs[0])
    out.mkdir(parents=True)
    (out / "model.pt").write_bytes(b"previous run")
    (out / "notes.txt").write_text("keep me\n")
    c.preexisting(out, replaceable=not keep)
    return call


def _existing_file_out(c, call: Call, replaceable=False) -> Call:
    out = Path(call.outputs[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("an existing file\n")
    c.preexisting(out, replaceable=replaceable)
    return call


def _bad_run(kind: str):
    def make(c) -> Path:
        d = c.inp / "badrun"
        if kind == "missing":
            return c.inp / "no_such_run"
        d.mkdir()
        if kind == "empty_folder":
            return d
        run = c.run("seq")
        if kind == "fasta_file":
            return c.copy("pos.fa")
        data = {
            "junk_model": junk("model"),
            "empty_model": b"",
            "text_model": b"this is not a checkpoint\n",
            "truncated_model": (run / "model.pt").read_bytes()[:1000],
            "yaml_as_model": SEQ_YAML.encode(),
        }.get(kind)
        if kind == "wrong_dict_model":
            import io

            import torch

            buf = io.BytesIO()
            torch.save({"weights": [1, 2, 3]}, buf)
            data = buf.getvalue()
        (d / "model.pt").write_bytes(data)
        return d
    return make


_BAD_RUNS = {k: _bad_run(k) for k in ("missing", "empty_folder", "fasta_file", "junk_model", "empty_model",
                                      "text_model", "truncated_model", "wrong_dict_model", "yaml_as_model")}


# ---------------------------------------------------------------------------- assembly


def build_cases(base: Base) -> list[Case]:
    """Fill :data:`CASES` from the base data (idempotent)."""
    if not CASES:
        for part in (_fasta_cases, _label_cases, _bed_cases, _ts_cases, _table_cases, _image_cases,
                     _config_cases, _option_cases, _predict_cases, _evaluate_cases, _interpret_cases,
                     _prepare_cases, _more_option_cases, _summarize_cases):
            part(base)
    return CASES


BASE = make_base()


def all_cases() -> list[Case]:
    """Every case (built once, from the seeded base data)."""
    return build_cases(BASE)
