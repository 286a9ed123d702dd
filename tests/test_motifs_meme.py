"""Tests of seqnet.motifs.motif (Motif, JASPAR look-up) and seqnet.motifs.meme."""

from __future__ import annotations

import os

import numpy as np
import pytest

from seqnet.errors import ConfigError, InputError
from seqnet.motifs.meme import read_meme, write_meme
from seqnet.motifs.motif import Motif, motifs_from_jaspar


def _toy(name="toy", alt_name="TOY", nsites=10):
    pfm = np.array(
        [
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.5, 0.5, 0.0],
            [0.25, 0.25, 0.25, 0.25],
            [0.1, 0.2, 0.3, 0.4],
        ]
    )
    return Motif(name, pfm, nsites=nsites, alt_name=alt_name)


@pytest.fixture(scope="module")
def jaspar_motifs():
    return motifs_from_jaspar(["MA0139.2", "MA0080", "CEBPB", "pou5f1::sox2"])


# -- Motif ----------------------------------------------------------------------------


def test_motif_basics():
    m = _toy()
    assert m.width == len(m) == 4
    assert m.pfm.dtype == np.float64 and m.pfm.flags.c_contiguous
    assert m.consensus() == "ACAT"  # ties go to the earlier letter
    ic = m.information_content()
    assert ic.shape == (4,)
    assert ic[0] == pytest.approx(2.0)
    assert ic[1] == pytest.approx(1.0)
    assert ic[2] == pytest.approx(0.0)
    # Against a skewed background a uniform row carries information.
    assert m.information_content([0.4, 0.1, 0.1, 0.4])[2] > 0
    assert "toy" in repr(m) and "ACAT" in repr(m)


def test_reverse_complement():
    m = _toy()
    rc = m.reverse_complement()
    assert rc.consensus() == "AACT"
    np.testing.assert_array_equal(rc.pfm[0], [0.4, 0.3, 0.2, 0.1])
    np.testing.assert_array_equal(rc.pfm[-1], [0.0, 0.0, 0.0, 1.0])
    assert rc.reverse_complement() == m
    assert (rc.name, rc.alt_name, rc.nsites) == (m.name, m.alt_name, m.nsites)
    protein = Motif("p", np.full((2, 20), 0.05), alphabet="ACDEFGHIKLMNPQRSTVWY")
    with pytest.raises(ConfigError, match="no reverse complement"):
        protein.reverse_complement()


def test_from_counts():
    counts = np.array([[10, 0, 0, 0], [2, 3, 5, 0], [0, 0, 0, 12]])
    m = Motif.from_counts(counts, "c", alt_name="C")
    assert m.nsites == 12
    np.testing.assert_allclose(m.pfm[1], [0.2, 0.3, 0.5, 0.0])
    m1 = Motif.from_counts(counts, "c", pseudocount=1.0)
    np.testing.assert_allclose(m1.pfm[0], np.array([11, 1, 1, 1]) / 14)
    assert m1.nsites == 12  # counted before the pseudocounts
    with pytest.raises(InputError, match="all zero"):
        Motif.from_counts(np.zeros((2, 4)), "z")
    with pytest.raises(InputError, match="shape"):
        Motif.from_counts(np.ones((3, 5)), "z")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(name="a b", pfm=np.full((2, 4), 0.25)), "white space"),
        (dict(name="a", pfm=np.full((2, 4), 0.25), alt_name="x y"), "white space"),
        (dict(name="a", pfm=np.full((2, 3), 1 / 3)), "shape"),
        (dict(name="a", pfm=np.zeros((0, 4))), "shape"),
        (dict(name="a", pfm=np.full((2, 4), 3.0)), "row 1 .* sums to 12"),
        (dict(name="a", pfm=np.array([[1.5, -0.5, 0, 0]])), "negative"),
        (dict(name="a", pfm=np.full((1, 4), 0.25), nsites=-1), "nsites"),
    ],
)
def test_motif_validation(kwargs, message):
    with pytest.raises(InputError, match=message):
        Motif(**kwargs)


# -- JASPAR ---------------------------------------------------------------------------


def test_jaspar_ids_and_names(jaspar_motifs):
    names = [(m.name, m.alt_name) for m in jaspar_motifs]
    assert names == [
        ("MA0139.2", "CTCF"),
        ("MA0080.7", "Spi1"),  # base id -> newest version
        ("MA0466.4", "CEBPB"),
        ("MA0142.1", "Pou5f1::Sox2"),  # names are case-insensitive
    ]
    ctcf = jaspar_motifs[0]
    assert ctcf.width == 15 and ctcf.consensus() == "GCCACCAGGGGGCGC"
    np.testing.assert_allclose(ctcf.pfm.sum(axis=1), 1.0)
    # CTCF names three CORE vertebrate profiles; the canonical MA0139 wins.
    assert motifs_from_jaspar(["ctcf"])[0].name == "MA0139.2"
    assert motifs_from_jaspar("MA0139.1")[0].name == "MA0139.1"


def test_jaspar_matches_pyjaspar(jaspar_motifs):
    from pyjaspar import jaspardb

    ref = jaspardb().fetch_motif_by_id("MA0139.2")
    counts = np.array([ref.counts[letter] for letter in "ACGT"]).T
    np.testing.assert_allclose(jaspar_motifs[0].pfm, counts / counts.sum(axis=1, keepdims=True))
    assert jaspar_motifs[0].nsites == int(counts.sum(axis=1).max())


def test_jaspar_release_and_errors():
    old = motifs_from_jaspar(["MA0080"], release="JASPAR2020")[0]
    assert old.name.startswith("MA0080.") and old.name != "MA0080.7"
    with pytest.raises(ConfigError, match=r"'NOT_A_TF', 'MA9999.1'"):
        motifs_from_jaspar(["CTCF", "NOT_A_TF", "MA9999.1"])
    with pytest.raises(ConfigError, match="unknown JASPAR release 'JASPAR1999'"):
        motifs_from_jaspar(["CTCF"], release="JASPAR1999")


# -- write_meme -----------------------------------------------------------------------


def test_write_exact_format(tmp_path):
    path = tmp_path / "toy.meme"
    write_meme(path, [_toy(), _toy("plain", alt_name=None, nsites=3)], background=[3, 2, 2, 3])
    assert path.read_text() == (
        "MEME version 4\n"
        "\n"
        "ALPHABET= ACGT\n"
        "\n"
        "strands: + -\n"
        "\n"
        "Background letter frequencies\n"
        "A 0.300000 C 0.200000 G 0.200000 T 0.300000\n"
        "\n"
        "MOTIF toy TOY\n"
        "\n"
        "letter-probability matrix: alength= 4 w= 4 nsites= 10\n"
        " 1.000000  0.000000  0.000000  0.000000\n"
        " 0.000000  0.500000  0.500000  0.000000\n"
        " 0.250000  0.250000  0.250000  0.250000\n"
        " 0.100000  0.200000  0.300000  0.400000\n"
        "\n"
        "MOTIF plain\n"
        "\n"
        "letter-probability matrix: alength= 4 w= 4 nsites= 3\n"
        " 1.000000  0.000000  0.000000  0.000000\n"
        " 0.000000  0.500000  0.500000  0.000000\n"
        " 0.250000  0.250000  0.250000  0.250000\n"
        " 0.100000  0.200000  0.300000  0.400000\n"
        "\n"
    )
    assert sorted(os.listdir(tmp_path)) == ["toy.meme"]  # no temp file left


def test_write_single_strand_and_protein(tmp_path):
    write_meme(tmp_path / "a.meme", [_toy()], strands="+")
    assert "strands: +\n" in (tmp_path / "a.meme").read_text()
    prot = Motif("p1", np.full((3, 20), 0.05), alphabet="ACDEFGHIKLMNPQRSTVWY")
    write_meme(tmp_path / "p.meme", [prot])
    text = (tmp_path / "p.meme").read_text()
    assert "ALPHABET= ACDEFGHIKLMNPQRSTVWY" in text and "strands" not in text
    assert "alength= 20 w= 3" in text
    assert read_meme(tmp_path / "p.meme")[0] == prot


def test_write_errors(tmp_path):
    prot = Motif("p1", np.full((3, 20), 0.05), alphabet="ACDEFGHIKLMNPQRSTVWY")
    with pytest.raises(ConfigError, match="different alphabets"):
        write_meme(tmp_path / "x.meme", [_toy(), prot])
    with pytest.raises(ConfigError, match="strands"):
        write_meme(tmp_path / "x.meme", [_toy()], strands="both")
    with pytest.raises(ConfigError, match="background"):
        write_meme(tmp_path / "x.meme", [_toy()], background=[0.5, 0.5])
    with pytest.raises(ConfigError, match="background"):
        write_meme(tmp_path / "x.meme", [_toy()], background=[0.5, 0.5, 0.0, 0.0])
    with pytest.raises(ConfigError, match="does not exist"):
        write_meme(tmp_path / "no" / "x.meme", [_toy()])
    assert not os.listdir(tmp_path)


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.meme"
    path.write_text("old\n")

    def broken_replace(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk gone"):
        write_meme(path, [_toy()])
    assert path.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["m.meme"]


# -- round trips and other readers ----------------------------------------------------


def test_round_trip(tmp_path, jaspar_motifs):
    first = tmp_path / "a.meme"
    write_meme(first, jaspar_motifs, background=[0.29, 0.21, 0.21, 0.29])
    back = read_meme(first)
    assert [(m.name, m.alt_name, m.nsites, m.width) for m in back] == [
        (m.name, m.alt_name, m.nsites, m.width) for m in jaspar_motifs
    ]
    for got, want in zip(back, jaspar_motifs):
        np.testing.assert_allclose(got.pfm, np.round(want.pfm, 6), rtol=0, atol=1e-12)
    # Exact at the printed precision: writing what was read gives the same bytes.
    second = tmp_path / "b.meme"
    write_meme(second, back, background=[0.29, 0.21, 0.21, 0.29])
    assert second.read_bytes() == first.read_bytes()


def test_biopython_reads_our_files(tmp_path, jaspar_motifs):
    from Bio import motifs as bio_motifs

    path = tmp_path / "a.meme"
    write_meme(path, jaspar_motifs, background=[0.29, 0.21, 0.21, 0.29])
    with open(path) as fh:
        record = bio_motifs.parse(fh, "minimal")
    assert [m.name for m in record] == [m.name for m in jaspar_motifs]
    assert record[0].background == pytest.approx({"A": 0.29, "C": 0.21, "G": 0.21, "T": 0.29})
    for bio, ours in zip(record, jaspar_motifs):
        assert bio.length == ours.width
        assert bio.num_occurrences == ours.nsites
        # Biopython stores counts: round(printed probability * nsites).
        counts = np.array([bio.counts[letter] for letter in "ACGT"]).T
        np.testing.assert_array_equal(counts, np.round(np.round(ours.pfm, 6) * ours.nsites))
        pwm = np.array([bio.pwm[letter] for letter in "ACGT"]).T
        np.testing.assert_allclose(pwm, ours.pfm, atol=1.0 / ours.nsites)


def test_memelite_reads_our_files(tmp_path, jaspar_motifs):
    memelite_io = pytest.importorskip("memelite.io")
    path = tmp_path / "a.meme"
    write_meme(path, jaspar_motifs)
    got = memelite_io.read_meme(str(path))
    assert list(got) == [f"{m.name} {m.alt_name}" for m in jaspar_motifs]
    for pwm, ours in zip(got.values(), jaspar_motifs):
        pwm = np.asarray(pwm)
        pwm = pwm if pwm.shape == ours.pfm.shape else pwm.T  # (4, W) in newer versions
        np.testing.assert_allclose(pwm, np.round(ours.pfm, 6), atol=1e-12)


# -- read_meme on other people's files ------------------------------------------------

FULL_MEME_OUTPUT = """\
********************************************************************************
MEME - Motif discovery tool
********************************************************************************
MEME version 5.5.4 (Release date: Thu Sep 14 2023)

command: meme seqs.fa -dna -oc out -nmotifs 2

ALPHABET= ACGT

Background letter frequencies (from file seqs.fa):
A 0.291 C 0.209 G 0.209 T 0.291
********************************************************************************
MOTIF GATAA MEME-1\twidth =   3  sites =  12  llr = 55  E-value = 2.1e-010
********************************************************************************
\tMotif GATAA MEME-1 Description
--------------------------------------------------------------------------------
Simplified        A  ::a
pos.-specific     C  :::
probability       G  a::
matrix            T  :a:
--------------------------------------------------------------------------------
\tMotif GATAA MEME-1 position-specific scoring matrix
--------------------------------------------------------------------------------
log-odds matrix: alength= 4 w= 3 n= 1200 bayes= 6.2 E= 2.1e-010
  -1000  -1000    199  -1000
  -1000  -1000  -1000    180
    180  -1000  -1000  -1000
--------------------------------------------------------------------------------
\tMotif GATAA MEME-1 position-specific probability matrix
--------------------------------------------------------------------------------
letter-probability matrix: alength= 4 w= 3 nsites= 12 E= 2.1e-010
  0.000000  0.000000  1.000000  0.000000
  0.000000  0.000000  0.000000  1.000000
  0.916667  0.083333  0.000000  0.000000
--------------------------------------------------------------------------------
MOTIF 2\twidth =   2  sites =  7  llr = 20  E-value = 1.0e-002
letter-probability matrix: alength= 4 w= 2 nsites= 7.0 E= 1.0e-002
 0.25 0.25 0.25 0.25
 0.5 0.5 0 0
URL http://example.org/motif2
"""


def test_read_full_meme_output(tmp_path):
    path = tmp_path / "meme.txt"
    path.write_text(FULL_MEME_OUTPUT)
    first, second = read_meme(path)
    assert (first.name, first.alt_name, first.nsites) == ("GATAA", "MEME-1", 12)
    np.testing.assert_allclose(first.pfm[2], [0.916667, 0.083333, 0, 0])
    assert first.consensus() == "GTA"
    assert (second.name, second.alt_name, second.nsites) == ("2", None, 7)
    np.testing.assert_allclose(second.pfm, [[0.25] * 4, [0.5, 0.5, 0, 0]])


def test_read_minimal_without_optional_fields(tmp_path):
    path = tmp_path / "m.meme.gz"
    import gzip

    text = "MEME version 4\n\nMOTIF only\nletter-probability matrix:\n0.1 0.2 0.3 0.4\n0.4 0.3 0.2 0.1\n\n"
    path.write_bytes(gzip.compress(text.encode()))
    (m,) = read_meme(path)
    assert (m.name, m.alt_name, m.nsites, m.width, m.alphabet) == ("only", None, 20, 2, "ACGT")


@pytest.mark.parametrize(
    "text, message",
    [
        ("ALPHABET= ACGT\nMOTIF a\n", "line 2: MOTIF before the 'MEME version' line"),
        ("just text\n", "not a MEME motif file"),
        (
            "MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.25 0.25\n\n",
            "line 5: expected row 2 of 2 of motif a",
        ),
        (
            "MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.25 0.25 0.25 0.25\n",
            "file ends after 1 of 2 rows",
        ),
        (
            "MEME version 4\nMOTIF a\nletter-probability matrix: w= 1\n0.25 0.25 0.25\n",
            "line 4: matrix row has 3 values, expected 4",
        ),
        (
            "MEME version 4\nMOTIF a\nletter-probability matrix: w= 1\n10 20 30 40\n",
            "line 4: matrix row sums to 100",
        ),
        (
            "MEME version 4\nMOTIF a\nletter-probability matrix: w= 1\n0.5 0.5 x 0\n",
            "line 4: matrix row of motif a holds a non-number",
        ),
        ("MEME version 4\nMOTIF a\nMOTIF b\nletter-probability matrix: w= 1\n1 0 0 0\n", "line 2: motif a has no"),
        ("MEME version 4\nletter-probability matrix: w= 1\n1 0 0 0\n", "line 2: letter-probability matrix before"),
        ('MEME version 5\nALPHABET "RNA" RNA-LIKE\n', "line 2: custom alphabet"),
        ("MEME version 4\nALPHABET= XYZ\n", "line 2: unsupported alphabet"),
        (
            "MEME version 4\nALPHABET= ACGT\nMOTIF a\nletter-probability matrix: alength= 20 w= 1\n",
            "line 4: alength= 20 but the alphabet ACGT has 4",
        ),
        (
            "MEME version 4\nMOTIF a\nletter-probability matrix: w= 1\n1 0 0 0\n"
            "letter-probability matrix: w= 1\n1 0 0 0\n",
            "line 5: second letter-probability matrix for motif a",
        ),
    ],
)
def test_read_errors_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.meme"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        read_meme(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_read_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such MEME file"):
        read_meme(tmp_path / "nope.meme")


def test_evalues_and_urls_only_where_given(tmp_path):
    from memelite.io import read_meme as memelite_read

    a = Motif("motif_1", np.full((3, 4), 0.25), nsites=12)
    b = Motif("motif_2", np.eye(4)[[0, 1, 2]] * 0.97 + 0.0075, nsites=5)
    path = tmp_path / "m.meme"
    write_meme(path, [a, b], evalues={"motif_2": 1.2e-3}, urls={"motif_1": "https://jaspar.elixir.no/matrix/MA0142.1/"})
    text = path.read_text()
    assert "letter-probability matrix: alength= 4 w= 3 nsites= 12\n" in text
    assert "nsites= 5 E= 0.0012\n" in text and text.count("E=") == 1
    assert "URL https://jaspar.elixir.no/matrix/MA0142.1/\n" in text
    # the ID alone names each motif, for memelite as for seqnet's reader
    assert list(memelite_read(str(path))) == ["motif_1", "motif_2"]
    assert [m.name for m in read_meme(path)] == ["motif_1", "motif_2"]
