"""JASPAR collections, MEME databases and TOMTOM matching (seqnet.motifs.match).

memelite compiles its TOMTOM kernels with numba on first use (tens of seconds on a cold
numba cache; cached on disk afterwards), so the TOMTOM work here is one module-scoped
call of a few queries against JASPAR.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from seqnet.errors import ConfigError, InputError
from seqnet.motifs.match import (
    MATCH_COLUMNS,
    benjamini_hochberg,
    load_database,
    load_jaspar,
    tomtom_matches,
)
from seqnet.motifs.meme import write_meme
from seqnet.motifs.motif import Motif


@pytest.fixture(scope="module")
def jaspar() -> list[Motif]:
    return load_jaspar()


@pytest.fixture(scope="module")
def matches(jaspar) -> pd.DataFrame:
    ctcf = next(m for m in jaspar if m.name == "MA0139.2")
    rng = np.random.default_rng(7)
    queries = [
        ctcf,
        Motif("ctcf_rc", ctcf.reverse_complement().pfm),
        Motif("ctcf_core", ctcf.pfm[3:12]),  # a piece: found at its offset
        Motif("uniform", np.full((12, 4), 0.25)),
        Motif("random", rng.dirichlet(np.full(4, 20.0), size=10)),
    ]
    start = time.perf_counter()
    df = tomtom_matches(queries, jaspar)
    # Printed with -s: the cost of the first call (numba compile when the cache is cold).
    print(f"\ntomtom_matches: {len(queries)} queries x {len(jaspar)} targets in "
          f"{time.perf_counter() - start:.1f} s")
    return df.set_index("query")


def test_load_jaspar_collection(jaspar):
    assert len(jaspar) > 500  # JASPAR2026 CORE vertebrates: ~1000 profiles
    names = [m.name for m in jaspar]
    assert len(set(names)) == len(names)
    # One (the newest) version per base id.
    bases = [n.split(".")[0] for n in names]
    assert len(set(bases)) == len(bases)
    ctcf = jaspar[names.index("MA0139.2")]
    assert ctcf.alt_name == "CTCF" and ctcf.width == 15
    np.testing.assert_allclose(ctcf.pfm.sum(axis=1), 1.0)
    assert all(m.alt_name and " " not in m.alt_name for m in jaspar)


def test_load_jaspar_other_taxa_and_releases():
    plants = load_jaspar(taxon="plants")
    assert len(plants) > 100 and {m.name for m in plants}.isdisjoint({"MA0139.2"})
    old = load_jaspar(release="2014")
    assert 100 < len(old) < 500


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"release": "JASPAR1999"}, "unknown JASPAR release 'JASPAR1999'; pyjaspar ships .*JASPAR2026"),
        ({"taxon": "mammals"}, "unknown JASPAR taxon 'mammals' .*expected one of: .*vertebrates"),
        ({"collection": "PBM"}, "unknown JASPAR collection 'PBM' .*CORE, UNVALIDATED"),
    ],
)
def test_load_jaspar_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        load_jaspar(**kwargs)


def test_load_database(tmp_path):
    assert [m.name for m in load_database(None, release="2014")] == [
        m.name for m in load_jaspar(release="2014")
    ]
    motifs = [Motif("m1", np.eye(4)[[0, 1, 2]] * 0.9 + 0.025, alt_name="X")]
    write_meme(tmp_path / "db.meme", motifs)
    assert load_database(tmp_path / "db.meme") == motifs
    with pytest.raises(InputError, match="no such MEME file"):
        load_database(tmp_path / "missing.meme")
    write_meme(tmp_path / "empty.meme", [])
    with pytest.raises(InputError, match="holds no motifs"):
        load_database(tmp_path / "empty.meme")


def test_self_match(matches):
    row = matches.loc["MA0139.2"]
    assert row.best_match_id == "MA0139.2" and row.best_match_name == "CTCF"
    assert row.p < 1e-20 and row.q < 1e-15
    assert row.strand == "+" and row.offset == 0 and row.overlap == 15
    assert row.e_value == pytest.approx(row.p * row.n_targets)


def test_reverse_complement_matches_on_minus_strand(matches):
    row = matches.loc["ctcf_rc"]
    assert row.best_match_id == "MA0139.2"
    assert row.strand == "-" and row.offset == 0 and row.q < 1e-15


def test_piece_matches_at_its_offset(matches):
    row = matches.loc["ctcf_core"]
    assert row.best_match_name == "CTCF" and row.q < 1e-5
    if row.best_match_id == "MA0139.2":
        assert row.strand == "+" and row.offset == 3 and row.overlap == 9


def test_uninformative_motifs_do_not_match(matches):
    assert matches.loc["uniform"].q >= 0.05
    assert matches.loc["random"].q >= 0.05


def test_table_layout(matches):
    assert list(matches.reset_index().columns) == MATCH_COLUMNS
    assert (matches.q >= matches.p).all() and (matches.q <= 1).all()


def test_uniform_only_queries(jaspar):
    df = tomtom_matches([Motif("flat", np.full((6, 4), 0.25))], jaspar[:30])
    assert df.p.iloc[0] == 1.0 and df.q.iloc[0] == 1.0


def test_empty_and_bad_inputs():
    m = Motif("a", np.full((3, 4), 0.25))
    empty = tomtom_matches([], [m])
    assert list(empty.columns) == MATCH_COLUMNS and len(empty) == 0
    with pytest.raises(ConfigError, match="no target motifs"):
        tomtom_matches([m], [])
    rna = Motif("r", np.full((3, 4), 0.25), alphabet="ACGU")
    with pytest.raises(ConfigError, match="different alphabets"):
        tomtom_matches([m], [rna])
    with pytest.raises(ConfigError, match="column_score"):
        tomtom_matches([m], [m], column_score="kl")


def test_benjamini_hochberg_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # Sorted: 0.005, 0.01, 0.03, 0.04, 0.5; times m / rank: 0.025, 0.025, 0.05, 0.05, 0.5;
    # running minimum from the top changes nothing here.
    expected = np.array([0.025, 0.05, 0.05, 0.025, 0.5])
    np.testing.assert_allclose(benjamini_hochberg(p), expected)
    # The running minimum matters: p * m / rank = 0.06, 0.04 -> both 0.04.
    np.testing.assert_allclose(benjamini_hochberg(np.array([0.03, 0.04])), [0.04, 0.04])
    # Capped at 1, per row of a 2-D array, and along another axis.
    rows = np.array([[0.9, 0.8, 0.7], [0.001, 0.002, 0.003]])
    np.testing.assert_allclose(benjamini_hochberg(rows), [[0.9, 0.9, 0.9], [0.003, 0.003, 0.003]])
    np.testing.assert_allclose(benjamini_hochberg(rows.T, axis=0), benjamini_hochberg(rows).T)
    assert benjamini_hochberg(np.zeros((2, 0))).shape == (2, 0)
