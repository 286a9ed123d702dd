"""Tests of seqnet.motifs.formats: JASPAR, TRANSFAC and HOMER files, read back by
Biopython, memelite and our own HOMER reader."""

from __future__ import annotations

import numpy as np
import pytest
from Bio import motifs as bio_motifs

from seqnet.errors import ConfigError, InputError
from seqnet.motifs.formats import (
    HOMER_PSEUDOCOUNT,
    counts_matrix,
    read_homer,
    write_all,
    write_homer,
    write_jaspar,
    write_transfac,
)
from seqnet.motifs.meme import read_meme
from seqnet.motifs.motif import Motif, motifs_from_jaspar

PROTEIN = "ACDEFGHIKLMNPQRSTVWY"


@pytest.fixture(scope="module")
def jaspar_motifs():
    return motifs_from_jaspar(["MA0139.2", "pou5f1::sox2", "CEBPB"])


def _random_motifs(n: int, seed: int = 0) -> list[Motif]:
    """Motifs of widths 1..12 with zeros, odd nsites and no alt name on some."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        width = int(rng.integers(1, 13))
        pfm = rng.dirichlet(np.full(4, 0.3), size=width)
        pfm[pfm < 0.05] = 0.0  # zero probabilities
        pfm /= pfm.sum(axis=1, keepdims=True)
        alt = f"TF{i}::Partner" if i % 3 else None
        out.append(Motif(f"m{i}", pfm, nsites=int(rng.integers(1, 500)), alt_name=alt))
    return out


def _edge_motifs() -> list[Motif]:
    return [
        Motif("w1", np.array([[0.0, 1.0, 0.0, 0.0]]), nsites=7, alt_name="Single"),
        Motif("thirds", np.full((3, 4), 0.25), nsites=3),  # 0.75 each: ties broken by letter order
        Motif("zero_sites", np.array([[0.2, 0.3, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3, 0.0]]), nsites=0),
    ]


# -- counts ---------------------------------------------------------------------------


def test_counts_largest_remainder():
    m = Motif("t", np.array([[1 / 3, 1 / 3, 1 / 3, 0.0], [0.125, 0.125, 0.25, 0.5], [0.25] * 4]), nsites=10)
    counts = counts_matrix(m)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts.sum(axis=1), [10, 10, 10])
    # 3.33 each: one leftover site, to the first of the tied letters.
    np.testing.assert_array_equal(counts[0], [4, 3, 3, 0])
    # 1.25 1.25 2.5 5: one leftover site, to G (largest remainder, 0.5).
    np.testing.assert_array_equal(counts[1], [1, 1, 3, 5])
    # 2.5 each: two leftover sites, to the first two letters.
    np.testing.assert_array_equal(counts[2], [3, 3, 2, 2])
    # Never off by more than one from the exact value.
    exact = m.pfm * 10
    assert np.all(np.abs(counts - exact) < 1)
    # Rows a little off 1 (printed files) are renormalised first.
    off = Motif("o", np.array([[0.502, 0.5, 0.0, 0.0]]), nsites=4)
    assert counts_matrix(off).sum() == 4
    # nsites = 0: a percent matrix.
    z = counts_matrix(_edge_motifs()[2])
    np.testing.assert_array_equal(z.sum(axis=1), [100, 100])
    np.testing.assert_array_equal(z[0], [20, 30, 50, 0])


def test_counts_random_rows_sum_exactly():
    for m in _random_motifs(40, seed=1):
        counts = counts_matrix(m)
        assert np.all(counts.sum(axis=1) == m.nsites)
        assert np.all(np.abs(counts - m.pfm * m.nsites) < 1)
        assert np.all(counts[m.pfm == 0] == 0)  # impossible letters stay impossible


# -- JASPAR ---------------------------------------------------------------------------


def _check_bio_counts(record, motifs):
    assert len(record) == len(motifs)
    for got, m in zip(record, motifs):
        counts = counts_matrix(m)
        for j, letter in enumerate("ACGT"):
            assert list(got.counts[letter]) == counts[:, j].astype(float).tolist(), (m.name, letter)


def test_jaspar_round_trip_biopython(tmp_path, jaspar_motifs):
    motifs = jaspar_motifs + _random_motifs(25) + _edge_motifs()
    path = tmp_path / "m.jaspar"
    write_jaspar(path, motifs)
    with open(path) as fh:
        record = bio_motifs.parse(fh, "jaspar")
    _check_bio_counts(record, motifs)
    for got, m in zip(record, motifs):
        assert got.matrix_id == m.name
        assert got.name == (m.alt_name or m.name)
    # The first CTCF column sums to nsites in the database: its counts come back as is.
    ctcf = record[0]
    assert (ctcf.matrix_id, ctcf.name) == ("MA0139.2", "CTCF")
    assert [ctcf.counts[c][0] for c in "ACGT"] == [281, 49, 449, 134]
    assert record[1].name == "Pou5f1::Sox2"


def test_jaspar_layout(tmp_path):
    path = tmp_path / "one.jaspar"
    write_jaspar(path, [_edge_motifs()[0]])
    assert path.read_text() == (
        ">w1 Single\n"
        "A  [   0 ]\n"
        "C  [   7 ]\n"
        "G  [   0 ]\n"
        "T  [   0 ]\n"
    )


# -- TRANSFAC -------------------------------------------------------------------------


def test_transfac_round_trip_biopython(tmp_path, jaspar_motifs):
    motifs = jaspar_motifs + _random_motifs(25, seed=2) + _edge_motifs()
    motifs.append(Motif("long", np.tile([[0.7, 0.1, 0.1, 0.1]], (120, 1)), nsites=10))  # 3-digit rows
    path = tmp_path / "m.transfac"
    write_transfac(path, motifs)
    with open(path) as fh:
        record = bio_motifs.parse(fh, "transfac")  # strict by default
    _check_bio_counts(record, motifs)
    for got, m in zip(record, motifs):
        assert got["AC"] == got["ID"] == m.name
        assert got.get("DE") == m.alt_name
    assert record[1]["DE"] == "Pou5f1::Sox2"


def test_transfac_layout_and_consensus(tmp_path):
    m = Motif(
        "cav",
        np.array([
            [0.8, 0.1, 0.05, 0.05],  # A alone
            [0.5, 0.0, 0.5, 0.0],  # A+G -> R
            [0.4, 0.3, 0.3, 0.0],  # three letters, T absent -> V
            [0.25, 0.25, 0.25, 0.25],  # N
        ]),
        nsites=20,
        alt_name="Cav",
    )
    path = tmp_path / "c.transfac"
    write_transfac(path, [m])
    lines = path.read_text().splitlines()
    assert lines[:6] == ["AC  cav", "XX", "ID  cav", "XX", "DE  Cav", "XX"]
    assert lines[6].split() == ["P0", "A", "C", "G", "T"]
    assert [ln.split()[-1] for ln in lines[7:11]] == ["A", "R", "V", "N"]
    assert lines[7].split()[:5] == ["01", "16", "2", "1", "1"]
    assert lines[-2:] == ["XX", "//"]


# -- HOMER ----------------------------------------------------------------------------


def _independent_threshold(rows: np.ndarray, fraction: float, bg=(0.25, 0.25, 0.25, 0.25)) -> float:
    total = 0.0
    for row in rows:
        total += max(np.log(p / b) for p, b in zip(row, bg))
    return fraction * total


def test_homer_round_trip_and_threshold(tmp_path, jaspar_motifs):
    motifs = jaspar_motifs + _random_motifs(10, seed=3) + _edge_motifs()
    path = tmp_path / "m.homer"
    write_homer(path, motifs)
    lines = path.read_text().splitlines()
    headers = [i for i, ln in enumerate(lines) if ln.startswith(">")]
    assert len(headers) == len(motifs)
    for i, m in zip(headers, motifs):
        consensus, name, threshold = lines[i][1:].split("\t")
        assert consensus == m.consensus()
        assert name == (f"{m.alt_name}/{m.name}" if m.alt_name else m.name)
        rows = np.array([[float(x) for x in lines[k].split("\t")] for k in range(i + 1, i + 1 + m.width)])
        assert rows.min() > 0  # the pseudocount: no log(0)
        assert float(threshold) == pytest.approx(_independent_threshold(rows, 0.6), abs=2e-6)
    back = read_homer(path)
    assert [(b.name, b.alt_name) for b in back] == [(m.name, m.alt_name) for m in motifs]
    for b, m in zip(back, motifs):
        # The pseudocount moves each probability by at most ~A * pseudocount.
        np.testing.assert_allclose(b.pfm, m.pfm, atol=5 * HOMER_PSEUDOCOUNT)
        assert b.consensus() == m.consensus()


def test_homer_threshold_options(tmp_path):
    m = Motif("w1", np.array([[0.0, 1.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0]]), nsites=7)
    bg = [0.3, 0.2, 0.2, 0.3]
    path = tmp_path / "x.homer"
    write_homer(path, [m], background=bg, threshold_fraction=0.7)
    header, *rows = path.read_text().splitlines()
    rows = np.array([[float(x) for x in r.split("\t")] for r in rows])
    assert float(header.split("\t")[2]) == pytest.approx(_independent_threshold(rows, 0.7, bg), abs=2e-6)
    # Close to the analytic value: 0.7 * (ln(1/0.2) + ln(0.5/0.2)).
    assert float(header.split("\t")[2]) == pytest.approx(0.7 * (np.log(5) + np.log(2.5)), rel=1e-2)
    with pytest.raises(ConfigError, match="threshold_fraction"):
        write_homer(path, [m], threshold_fraction=0.0)
    with pytest.raises(ConfigError, match="background"):
        write_homer(path, [m], background=[1, 0, 0, 0])


def test_read_homer_user_file(tmp_path):
    path = tmp_path / "user.motif"
    path.write_text(
        ">ASTTCCTCTT\tCTCF(Zf)/CD4+-CTCF-ChIP-Seq(Barski_et_al.)/Homer\t8.05\t-23791.5\t0\tT:17311.0\n"
        "0.419 0.275 0.277 0.028\n"
        "0.001 0.001 0.997 0.001\n"
        "\n"
        ">GGAA\tmy motif\t4.0\n"
        "0.1\t0.1\t0.7\t0.1\n"
        ">TTAA spaced 3.5\n"
        "0.1\t0.1\t0.7\t0.1\n"
    )
    a, b, c = read_homer(path)
    assert (a.name, a.alt_name, a.width, a.nsites) == ("CD4+-CTCF-ChIP-Seq(Barski_et_al.)", "CTCF(Zf)", 2, 20)
    np.testing.assert_allclose(a.pfm.sum(axis=1), 1.0)
    assert (b.name, b.alt_name) == ("my_motif", None)
    assert (c.name, c.alt_name, c.consensus()) == ("spaced", None, "G")


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("0.25 0.25 0.25 0.25\n", 1, "header"),
        (">A\tx\t1\n0.5 0.5 0.0\n", 2, "4 numbers"),
        (">A\tx\t1\n0.5 0.5 zero 0\n", 2, "4 numbers"),
        (">A\tx\t1\n0.5 0.6 0.2 0\n", 2, "sums to"),
        (">A\tx\t1\n0.5 -0.5 0.5 0.5\n", 2, "non-negative"),
        (">A\tx\t1\n>C\ty\t1\n0.1 0.2 0.3 0.4\n", 1, "no matrix rows"),
    ],
)
def test_read_homer_errors(tmp_path, text, line, message):
    path = tmp_path / "bad.homer"
    path.write_text(text)
    with pytest.raises(InputError, match=rf"bad\.homer, line {line}: .*{message}"):
        read_homer(path)
    with pytest.raises(InputError, match="no such"):
        read_homer(tmp_path / "absent.homer")


# -- write_all, alphabets, empty -------------------------------------------------------


def test_write_all_round_trips(tmp_path, jaspar_motifs):
    from memelite.io import read_meme as memelite_read_meme

    motifs = jaspar_motifs + _edge_motifs()
    bg = [0.3, 0.2, 0.2, 0.3]
    paths = write_all(tmp_path / "out", motifs, background=bg)
    assert set(paths) == {"meme", "jaspar", "transfac", "homer"}
    assert [p.name for p in paths.values()] == ["motifs.meme", "motifs.jaspar", "motifs.transfac", "motifs.homer"]
    # memelite: a dict "name alt" -> (4, W) array.
    mm = memelite_read_meme(str(paths["meme"]))
    assert isinstance(mm, dict) and len(mm) == len(motifs)
    for key, m in zip(mm, motifs):
        assert key == (f"{m.name} {m.alt_name}" if m.alt_name else m.name)
        np.testing.assert_allclose(mm[key].T, m.pfm, atol=5e-7)
    ours = read_meme(paths["meme"])
    assert ours[1].alt_name == "Pou5f1::Sox2"
    assert "A 0.300000 C 0.200000" in paths["meme"].read_text()
    with open(paths["jaspar"]) as fh:
        _check_bio_counts(bio_motifs.parse(fh, "jaspar"), motifs)
    with open(paths["transfac"]) as fh:
        _check_bio_counts(bio_motifs.parse(fh, "transfac"), motifs)
    assert len(read_homer(paths["homer"])) == len(motifs)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp files left
    other = write_all(tmp_path / "out", motifs[:1], stem="ctcf")
    assert other["jaspar"].name == "ctcf.jaspar"
    with pytest.raises(ConfigError, match="stem"):
        write_all(tmp_path, motifs, stem="a/b")


def test_empty_motif_list_writes_valid_empty_files(tmp_path):
    paths = write_all(tmp_path, [])
    for fmt in ("jaspar", "transfac", "homer"):
        assert paths[fmt].read_text() == ""
    with open(paths["jaspar"]) as fh:
        assert len(bio_motifs.parse(fh, "jaspar")) == 0
    with open(paths["transfac"]) as fh:
        assert len(bio_motifs.parse(fh, "transfac")) == 0
    assert read_homer(paths["homer"]) == []
    assert read_meme(paths["meme"]) == []


def test_rna_written_as_dna(tmp_path):
    rna = Motif("r1", np.array([[0.1, 0.1, 0.1, 0.7], [0.7, 0.1, 0.1, 0.1]]), nsites=10, alphabet="ACGU")
    paths = write_all(tmp_path, [rna])
    assert "ALPHABET= ACGU" in paths["meme"].read_text()
    with open(paths["jaspar"]) as fh:
        (got,) = bio_motifs.parse(fh, "jaspar")
    assert list(got.counts["T"]) == [7, 1]
    text = paths["transfac"].read_text()
    assert "U" not in text.replace("AC  ", "")
    header = paths["homer"].read_text().splitlines()[0]
    assert header.startswith(">TA\t")
    (back,) = read_homer(paths["homer"])
    assert back.alphabet == "ACGT"
    np.testing.assert_allclose(back.pfm, rna.pfm, atol=5 * HOMER_PSEUDOCOUNT)


def test_protein_and_mixed_rejected(tmp_path):
    protein = Motif("p", np.full((3, 20), 0.05), alphabet=PROTEIN)
    dna = _edge_motifs()[0]
    for writer in (write_jaspar, write_transfac, write_homer):
        with pytest.raises(ConfigError, match="MEME"):
            writer(tmp_path / "x", [dna, protein])
    with pytest.raises(ConfigError, match="MEME"):
        write_all(tmp_path / "p", [protein])
    assert not (tmp_path / "p").exists() or not any((tmp_path / "p").iterdir())  # nothing half-written
    rna = Motif("r", np.full((2, 4), 0.25), alphabet="ACGU")
    with pytest.raises(ConfigError, match="different alphabets"):
        write_all(tmp_path / "m", [dna, rna])
    with pytest.raises(ConfigError, match="does not exist"):
        write_jaspar(tmp_path / "missing" / "x.jaspar", [dna])
    assert not list(tmp_path.iterdir())
