"""Tests of seqnet.simulate: the planted-motif data set generator."""

from __future__ import annotations

import gzip
import json
import os

import numpy as np
import pytest
from Bio.SeqIO.FastaIO import SimpleFastaParser

from seqnet.errors import ConfigError
from seqnet.motifs.meme import read_meme
from seqnet.motifs.motif import Motif, motifs_from_jaspar
from seqnet.simulate import DEFAULT_MOTIFS, DECOY_PROBABILITY, TARGET_FRACTION, simulate

N = 300
LENGTH = 150
FILES = ["labels.tsv", "motifs.meme", "multilabel.fa", "negatives.fa", "positives.fa", "simulation.json"]
BACKGROUND = np.array([0.29, 0.21, 0.21, 0.29])


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("sim"), n=N, length=LENGTH, seed=1)


def read_fasta(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as fh:
        return list(SimpleFastaParser(fh))


def parse_sites(title):
    """``[(column, start, strand), ...]`` from a ``<id> sites=...`` title."""
    rid, desc = title.split(" ", 1)
    assert desc.startswith("sites=")
    value = desc[len("sites=") :]
    if value == "none":
        return rid, []
    out = []
    for item in value.split(","):
        col, start, strand = item.split(":")
        out.append((col, int(start), strand))
    return rid, out


def log_odds(motif):
    return np.log2((motif.pfm + 1e-3) / (1 + 4e-3) / BACKGROUND)


def site_score(motif, seq, start, strand):
    site = np.array(["ACGT".index(c) for c in seq[start : start + motif.width]])
    if strand == "-":
        site = 3 - site[::-1]
    return log_odds(motif)[np.arange(motif.width), site].sum()


def best_score(motif, seqs):
    """Best log-odds score of ``motif`` over both strands of each sequence."""
    lut = np.zeros(256, dtype=np.int64)
    lut[np.frombuffer(b"ACGT", dtype=np.uint8)] = np.arange(4)
    x = np.stack([lut[np.frombuffer(s.encode(), dtype=np.uint8)] for s in seqs])
    lo = log_odds(motif)
    best = np.full(len(seqs), -np.inf)
    for strand in (x, 3 - x[:, ::-1]):
        windows = np.lib.stride_tricks.sliding_window_view(strand, motif.width, axis=1)
        scores = lo[np.arange(motif.width), windows].sum(axis=-1)
        best = np.maximum(best, scores.max(axis=1))
    return best


# -- files, ids, determinism ----------------------------------------------------------


def test_files_and_result(sim):
    folder = sim.positives_fasta.parent
    assert sorted(os.listdir(folder)) == FILES  # and no temp files left
    assert [m.name.split(".")[0] for m in sim.motifs] == list(DEFAULT_MOTIFS)
    assert sim.columns == ["CTCF", "SPI1", "CEBPB", "FOXA1", "POU5F1_SOX2", "MAFK", "HNF4A", "REST"]
    for path in (sim.positives_fasta, sim.negatives_fasta, sim.multilabel_fasta, sim.labels_tsv, sim.motifs_meme):
        assert path.parent == folder and path.stat().st_size > 0


def test_counts_lengths_ids_and_line_width(sim):
    expected = ((sim.positives_fasta, "sim_pos_"), (sim.negatives_fasta, "sim_neg_"), (sim.multilabel_fasta, "sim_"))
    for path, prefix in expected:
        records = read_fasta(path)
        assert len(records) == N
        assert [t.split()[0] for t, _ in records] == [f"{prefix}{i:05d}" for i in range(1, N + 1)]
        assert all(len(s) == LENGTH and set(s) <= set("ACGT") for _, s in records)
        lines = path.read_text().splitlines()
        assert max(len(line) for line in lines if not line.startswith(">")) == 80


def test_same_seed_same_bytes_other_seed_differs(tmp_path, sim):
    again = simulate(tmp_path / "a", n=N, length=LENGTH, seed=1)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (sim.positives_fasta.parent / name).read_bytes(), name
    other = simulate(tmp_path / "b", n=N, length=LENGTH, seed=2)
    assert other.positives_fasta.read_bytes() != again.positives_fasta.read_bytes()
    assert other.multilabel_fasta.read_bytes() != again.multilabel_fasta.read_bytes()
    assert other.labels_tsv.read_bytes() != again.labels_tsv.read_bytes()


def test_gzip_is_deterministic_and_same_content(tmp_path, sim):
    a = simulate(tmp_path / "a", n=N, length=LENGTH, seed=1, gzip=True)
    simulate(tmp_path / "b", n=N, length=LENGTH, seed=1, gzip=True)
    assert a.positives_fasta.name == "positives.fa.gz"
    for name in ("positives.fa.gz", "negatives.fa.gz", "multilabel.fa.gz"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert gzip.decompress(a.positives_fasta.read_bytes()) == sim.positives_fasta.read_bytes()
    assert read_fasta(a.multilabel_fasta) == read_fasta(sim.multilabel_fasta)


# -- labels and planted sites ---------------------------------------------------------


def test_labels_match_multilabel_fasta(sim):
    lines = sim.labels_tsv.read_text().splitlines()
    assert lines[0].split("\t") == ["id", *sim.columns]
    records = read_fasta(sim.multilabel_fasta)
    assert len(lines) == N + 1
    rates = np.zeros(len(sim.columns))
    for line, (title, _) in zip(lines[1:], records):
        rid, *values = line.split("\t")
        sid, sites = parse_sites(title)
        assert rid == sid
        assert set(values) <= {"0", "1"}
        planted = {col for col, _, _ in sites}
        assert planted == {c for c, v in zip(sim.columns, values) if v == "1"}
        assert len(sites) == len(planted)  # one site per planted motif
        rates += np.array(values, dtype=int)
    # Each motif planted with probability 0.5: 300 draws stay within about +-0.1.
    assert np.all(np.abs(rates / N - 0.5) < 0.1)


def _check_sites(records, motifs_by_column):
    """Sites lie inside the sequence, do not overlap and score as their motif."""
    scores = []
    for title, seq in records:
        _, sites = parse_sites(title)
        spans = sorted((start, start + motifs_by_column[col].width) for col, start, _ in sites)
        for (s0, e0), (s1, _) in zip(spans, spans[1:]):
            assert e0 <= s1, title
        for col, start, strand in sites:
            motif = motifs_by_column[col]
            assert 0 <= start <= len(seq) - motif.width and strand in "+-"
            scores.append(site_score(motif, seq, start, strand))
    scores = np.array(scores)
    # Sites drawn from the PFM score far above background on average.
    assert np.mean(scores > 0) > 0.95
    return scores


def test_planted_sites_are_there(sim):
    by_column = dict(zip(sim.columns, sim.motifs))
    for path in (sim.positives_fasta, sim.negatives_fasta, sim.multilabel_fasta):
        _check_sites(read_fasta(path), by_column)


def test_binary_task_design(sim):
    pos = read_fasta(sim.positives_fasta)
    neg = read_fasta(sim.negatives_fasta)
    target = sim.columns[0]
    n_target = np.array([sum(c == target for c, _, _ in parse_sites(t)[1]) for t, _ in pos])
    assert set(n_target) <= {0, 1, 2}
    assert abs(np.mean(n_target > 0) - TARGET_FRACTION) < 0.05
    assert all(c != target for t, _ in neg for c, _, _ in parse_sites(t)[1])
    # Decoys of every other motif at about the same rate in both classes.
    for col in sim.columns[1:]:
        rate_pos = np.mean([any(c == col for c, _, _ in parse_sites(t)[1]) for t, _ in pos])
        rate_neg = np.mean([any(c == col for c, _, _ in parse_sites(t)[1]) for t, _ in neg])
        assert abs(rate_pos - DECOY_PROBABILITY) < 0.1 and abs(rate_neg - DECOY_PROBABILITY) < 0.1
    # A PWM scan of the target separates the classes well but not perfectly.
    s_pos = best_score(sim.motifs[0], [s for _, s in pos])
    s_neg = best_score(sim.motifs[0], [s for _, s in neg])
    threshold = np.quantile(s_neg, 0.99)
    assert np.mean(s_pos > threshold) > 0.8
    auroc = (s_pos[:, None] > s_neg[None, :]).mean() + 0.5 * (s_pos[:, None] == s_neg[None, :]).mean()
    assert 0.9 < auroc < 0.995


def test_gc_close_to_requested(tmp_path, sim):
    seqs = "".join(s for _, s in read_fasta(sim.negatives_fasta))
    assert abs((seqs.count("G") + seqs.count("C")) / len(seqs) - 0.42) < 0.02
    rich = simulate(tmp_path, n=200, length=LENGTH, gc=0.65, seed=3, motifs=["CTCF"])
    seqs = "".join(s for _, s in read_fasta(rich.negatives_fasta))  # no decoys: pure background
    assert abs((seqs.count("G") + seqs.count("C")) / len(seqs) - 0.65) < 0.01
    assert abs(seqs.count("A") - seqs.count("T")) / len(seqs) < 0.01


def test_motifs_meme_and_provenance(sim):
    back = read_meme(sim.motifs_meme)
    assert [m.name for m in back] == [m.name for m in sim.motifs]
    for got, want in zip(back, sim.motifs):
        np.testing.assert_allclose(got.pfm, np.round(want.pfm, 6), atol=1e-12)
    assert "A 0.290000 C 0.210000 G 0.210000 T 0.290000\n" in sim.motifs_meme.read_text()
    info = json.loads(sim.simulation_json.read_text())
    assert info["seed"] == 1 and info["n"] == N and info["length"] == LENGTH and info["gzip"] is False
    assert [m["id"] for m in info["motifs"]] == [m.name for m in sim.motifs]
    assert [m["requested"] for m in info["motifs"]] == list(DEFAULT_MOTIFS)
    assert [m["column"] for m in info["motifs"]] == sim.columns
    assert info["jaspar_release"].startswith("JASPAR")
    assert info["files"]["positives"] == "positives.fa"


# -- other motif sets, crowded sequences ----------------------------------------------


def test_names_and_motif_objects(tmp_path):
    toy = Motif("toy_1", np.eye(4)[[0, 1, 2, 3, 0, 1]], nsites=5)
    data = simulate(tmp_path, n=20, length=60, motifs=["rest", toy], seed=0)
    assert [m.name for m in data.motifs] == ["MA0138.3", "toy_1"]
    assert data.columns == ["REST", "toy_1"]
    # A deterministic motif is planted letter for letter.
    for title, seq in read_fasta(data.multilabel_fasta):
        for col, start, strand in parse_sites(title)[1]:
            if col == "toy_1":
                assert seq[start : start + 6] == ("ACGTAC" if strand == "+" else "GTACGT")


def test_crowded_sequences_drop_optional_sites(tmp_path):
    # Eight motifs (100 bp together) cannot all fit in 40 bp: labels follow what fits.
    data = simulate(tmp_path, n=50, length=40, planted_probability=1.0, seed=0)
    by_column = dict(zip(data.columns, data.motifs))
    lines = data.labels_tsv.read_text().splitlines()[1:]
    records = read_fasta(data.multilabel_fasta)
    for line, (title, seq) in zip(lines, records):
        sites = parse_sites(title)[1]
        assert sum(by_column[c].width for c, _, _ in sites) <= 40
        assert sum(map(int, line.split("\t")[1:])) == len(sites) >= 1
    _check_sites(records, by_column)
    # The target keeps its sites in the binary task; only decoys give way.
    pos = read_fasta(data.positives_fasta)
    n_target = [sum(c == "CTCF" for c, _, _ in parse_sites(t)[1]) for t, _ in pos]
    assert np.mean(np.array(n_target) > 0) > 0.8


# -- argument errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=0), "n must be >= 1"),
        (dict(n=True), "n must be an integer"),
        (dict(n=2.5), "n must be an integer"),
        (dict(length=39), r"length 39 is too short.*widest motif \(20 bp\).*>= 40"),
        (dict(gc=0.0), "gc must be strictly between 0 and 1"),
        (dict(gc=1.2), "gc must be strictly between 0 and 1"),
        (dict(gc=float("nan")), "gc must be finite"),
        (dict(planted_probability=-0.1), r"planted_probability must be in \[0, 1\]"),
        (dict(planted_probability=1.5), r"planted_probability must be in \[0, 1\]"),
        (dict(seed=-1), "seed must be >= 0"),
        (dict(motifs=["CTCF", "NOT_A_TF"]), "unknown JASPAR motif.*'NOT_A_TF'"),
        (dict(motifs=["CTCF", "MA0139"]), "more than once: MA0139.2"),
        (dict(motifs=[]), "motifs is empty"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    args = dict(n=10, length=60) | kwargs
    with pytest.raises(ConfigError, match=message):
        simulate(tmp_path / "out", **args)
    assert not (tmp_path / "out").exists()  # nothing written before validation


def test_default_motifs_resolve_to_distinct_jaspar_profiles():
    motifs = motifs_from_jaspar(DEFAULT_MOTIFS)
    assert [m.alt_name.upper() for m in motifs] == [
        "CTCF", "SPI1", "CEBPB", "FOXA1", "POU5F1::SOX2", "MAFK", "HNF4A", "REST",
    ]
    assert all(m.information_content().sum() > 10 for m in motifs)
