"""Tests for seqnet.io.tables: read_table and read_labels, values and error messages."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pytest

from seqnet.errors import InputError
from seqnet.io.tables import Labels, read_labels, read_table

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------- read_table


def test_read_table_tsv_types_and_index(tmp_path):
    path = _write(tmp_path / "t.tsv", "gene\tx\ty\tname\nA\t1\t0.5\tfoo\nB\t2\t\tbar\n")
    df = read_table(path)
    assert df.index.tolist() == ["A", "B"]
    assert df.index.name == "gene"
    assert df.columns.tolist() == ["x", "y", "name"]
    assert df["x"].dtype == np.int64 and df["x"].tolist() == [1, 2]
    assert df["y"].dtype == np.float64 and np.isnan(df["y"].iloc[1])
    assert df["name"].tolist() == ["foo", "bar"]


def test_read_table_numeric_ids_stay_strings(tmp_path):
    path = _write(tmp_path / "t.tsv", "id\tv\n001\t1\n2\t3\n")
    df = read_table(path)
    assert df.index.tolist() == ["001", "2"]


def test_read_table_csv_gz_and_no_index(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n1,x\n\n2,y\n"))
    df = read_table(path, index_col=False)
    assert df.columns.tolist() == ["a", "b"]
    assert df["a"].tolist() == [1, 2]
    assert df["b"].tolist() == ["x", "y"]


def test_read_table_quoted_csv(tmp_path):
    path = _write(tmp_path / "q.csv", 'id,desc,v\na,"x, y",1\nb,"two\nlines",2\n')
    df = read_table(path)
    assert df.loc["a", "desc"] == "x, y"
    assert df.loc["b", "desc"] == "two\nlines"
    assert df["v"].tolist() == [1, 2]


def test_read_table_strips_cells_and_crlf(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(b"id, v\r\na , 1\r\nb,2\r\n")
    df = read_table(path)
    assert df.index.tolist() == ["a", "b"]
    assert df["v"].tolist() == [1, 2]


def test_read_table_missing_file(tmp_path):
    path = tmp_path / "nope.tsv"
    with pytest.raises(InputError, match=re.escape(f"{path}: no such file")):
        read_table(path)


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_read_table_empty(tmp_path, text):
    path = _write(tmp_path / "e.tsv", text)
    with pytest.raises(InputError, match=re.escape(f"{path}: empty file; expected a header row")):
        read_table(path)


def test_read_table_long_row(tmp_path):
    path = _write(tmp_path / "r.tsv", "id\ta\tb\nx\t1\t0\n\ny\t1\t0\t5\n")
    with pytest.raises(
        InputError, match=re.escape(f"{path}: line 4: expected 3 columns as in the header, found 4")
    ):
        read_table(path)


def test_read_table_short_row(tmp_path):
    path = _write(tmp_path / "r.tsv", "id\ta\tb\nx\t1\t0\ny\t1\n")
    with pytest.raises(
        InputError, match=re.escape(f"{path}: line 3: expected 3 columns as in the header, found 2")
    ):
        read_table(path)


def test_read_table_ragged_quoted_csv(tmp_path):
    path = _write(tmp_path / "r.csv", 'id,a\n"x,1",1\nq,"2\n3"\nr,1,2\n')
    with pytest.raises(
        InputError, match=re.escape(f"{path}: line 5: expected 2 columns as in the header, found 3")
    ):
        read_table(path)


def test_read_table_duplicate_ids(tmp_path):
    path = _write(tmp_path / "d.tsv", "id\tv\na\t1\nb\t2\n\na\t3\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: duplicate id 'a' (lines 2 and 5)")):
        read_table(path)


def test_read_table_empty_id(tmp_path):
    path = _write(tmp_path / "d.tsv", "id\tv\na\t1\n\t2\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: line 3, column 'id': empty id")):
        read_table(path)


def test_read_table_header_problems(tmp_path):
    path = _write(tmp_path / "h.tsv", "id\tv\tv\na\t1\t2\n")
    with pytest.raises(
        InputError,
        match=re.escape(f"{path}: line 1: column name 'v' is used twice (columns 2 and 3)"),
    ):
        read_table(path)
    path = _write(tmp_path / "h2.tsv", "id\t\tw\na\t1\t2\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: line 1: column 2 has an empty name")):
        read_table(path)


def test_read_table_binary_and_bad_gzip(tmp_path):
    path = tmp_path / "b.tsv"
    path.write_bytes(b"id\tv\na\t\xff\xfe\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: not a text table file")):
        read_table(path)
    path.write_bytes(b"id\tv\x00\x00\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: not a text table file")):
        read_table(path)
    gz = tmp_path / "c.tsv.gz"
    data = gzip.compress(b"id\tv\n" + b"a\t1\n" * 2000)
    gz.write_bytes(data[:-20])
    with pytest.raises(InputError, match=re.escape(f"{gz}: truncated or corrupt gzip file (")):
        read_table(gz)


# ----------------------------------------------------------------------------- read_labels


def test_labels_binary_in_fasta_order(tmp_path):
    path = _write(tmp_path / "l.tsv", "name\tbound\nb\t0\na\t1\nc\t1\n")
    labels = read_labels(path, ["a", "b", "c"])
    assert isinstance(labels, Labels)
    assert labels.task_type == "binary"
    assert labels.names == ["bound"]
    assert labels.y.dtype == np.float32 and labels.y.shape == (3, 1)
    np.testing.assert_array_equal(labels.y[:, 0], [1, 0, 1])


def test_labels_multilabel(tmp_path):
    path = _write(tmp_path / "l.csv", "id,CTCF,REST\ns1,1,0\ns2,0.0,1.0\n")
    labels = read_labels(path, ["s2", "s1"])
    assert labels.task_type == "multilabel"
    assert labels.names == ["CTCF", "REST"]
    np.testing.assert_array_equal(labels.y, np.array([[0, 1], [1, 0]], dtype=np.float32))


def test_labels_all_ones_is_binary(tmp_path):
    path = _write(tmp_path / "l.tsv", "id\tBound\na\t1\nb\t1\n")
    labels = read_labels(path, ["a", "b"])
    assert labels.task_type == "binary"


def test_labels_multiclass_strings(tmp_path):
    path = _write(tmp_path / "phase.tsv", "gene\tphase\ng1\tS\ng2\tG1\ng3\tM/G1\ng4\tG1\n")
    labels = read_labels(path, ["g4", "g3", "g2", "g1"])
    assert labels.task_type == "multiclass"
    assert labels.names == ["G1", "M/G1", "S"]
    assert labels.y.dtype == np.int64
    np.testing.assert_array_equal(labels.y, [0, 1, 0, 2])


def test_labels_multiclass_numbers_sorted_numerically(tmp_path):
    path = _write(tmp_path / "c.tsv", "id\tclass\na\t10\nb\t2\nc\t0\nd\t1\n")
    labels = read_labels(path, ["a", "b", "c", "d"])
    assert labels.task_type == "multiclass"
    assert labels.names == ["0", "1", "2", "10"]
    np.testing.assert_array_equal(labels.y, [3, 2, 0, 1])


def test_labels_bad_value_among_several_columns(tmp_path):
    rows = "".join(f"r{i}\t1\t0\n" for i in range(5)) + "r5\t1\tabc\n"
    path = _write(tmp_path / "m.tsv", "id\tREST\tCTCF\n" + rows)
    ids = [f"r{i}" for i in range(6)]
    with pytest.raises(
        InputError, match=re.escape(f"{path}: line 7, column 'CTCF': expected 0 or 1, found 'abc'")
    ):
        read_labels(path, ids)
    path = _write(tmp_path / "m2.tsv", "id\tA\tB\nr0\t2\t0\nr1\t1\t0\n")
    message = "line 2, column 'A': expected 0 or 1, found '2'"
    with pytest.raises(InputError, match=re.escape(message)):
        read_labels(path, ["r0", "r1"])


def test_labels_empty_cell(tmp_path):
    path = _write(tmp_path / "e.tsv", "id\tA\tB\nr0\t1\t0\nr1\t\t0\n")
    with pytest.raises(
        InputError, match=re.escape(f"{path}: line 3, column 'A': empty cell; expected a label")
    ):
        read_labels(path, ["r0", "r1"])


def test_labels_missing_and_extra_ids(tmp_path):
    rows = "".join(f"s{i}\t1\n" for i in range(3, 10)) + "x1\t0\nx2\t0\n"
    path = _write(tmp_path / "l.tsv", "id\tbound\n" + rows)
    ids = [f"s{i}" for i in range(10)]
    with pytest.raises(InputError) as info:
        read_labels(path, ids, ids_source="FASTA")
    assert str(info.value) == (
        f"{path}: 3 of 10 FASTA records have no label (first: 's0', 's1', 's2'); "
        "2 label rows match no FASTA record (first: 'x1', 'x2')"
    )


def test_labels_only_missing_ids_lists_first_three(tmp_path):
    path = _write(tmp_path / "l.tsv", "id\tbound\na\t1\n")
    with pytest.raises(
        InputError,
        match=re.escape(
            f"{path}: 4 of 5 BED records have no label (first: 'b', 'c', 'd', ...)"
        ),
    ):
        read_labels(path, ["a", "b", "c", "d", "e"], ids_source="BED")


def test_labels_only_extra_rows(tmp_path):
    path = _write(tmp_path / "l.tsv", "id\tbound\na\t1\nz\t0\n")
    with pytest.raises(
        InputError, match=re.escape(f"{path}: 1 label rows match no FASTA record (first: 'z')")
    ):
        read_labels(path, ["a"])


def test_labels_duplicate_id(tmp_path):
    path = _write(tmp_path / "l.tsv", "id\tbound\na\t1\nb\t0\na\t0\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: duplicate id 'a' (lines 2 and 4)")):
        read_labels(path, ["a", "b"])


def test_labels_no_label_column(tmp_path):
    path = _write(tmp_path / "l.tsv", "id,bound\na,1\n")
    with pytest.raises(
        InputError,
        match=re.escape(
            f"{path}: expected an id column and at least one label column, found 1 column "
            "(the header holds commas"
        ),
    ):
        read_labels(path, ["a"])


def test_labels_missing_header(tmp_path):
    path = _write(tmp_path / "l.tsv", "a\t1\nb\t0\n")
    with pytest.raises(
        InputError, match=re.escape(f"{path}: the first line looks like data (its first cell 'a'")
    ):
        read_labels(path, ["a", "b"])


def test_labels_header_only(tmp_path):
    path = _write(tmp_path / "l.tsv", "id\tbound\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: no label rows below the header")):
        read_labels(path, ["a"])


def test_labels_ragged_row(tmp_path):
    path = _write(tmp_path / "l.tsv", "id\tbound\na\t1\nb\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: line 3: expected 2 columns")):
        read_labels(path, ["a", "b"])


# ----------------------------------------------------------------------------- real data


def test_real_deepbind_table_and_phase_labels():
    seq_path = DATA / "encode_deepbind" / "ARID3A_HepG2_Stanford_B.seq.gz"
    phase_path = DATA / "yeast_cell_cycle" / "phase_labels.tsv"
    if not seq_path.exists() or not phase_path.exists():
        pytest.skip(f"shared data not available ({DATA})")
    df = read_table(seq_path, index_col=False)
    assert df.columns.tolist() == ["FoldID", "EventID", "seq", "Bound"]
    assert len(df) == 1000 and set(df["Bound"]) == {0, 1}
    with pytest.raises(InputError, match="duplicate id"):
        read_table(seq_path)  # FoldID is not an id column
    phases = read_table(phase_path)
    labels = read_labels(phase_path, phases.index.tolist(), ids_source="gene")
    assert labels.task_type == "multiclass"
    assert labels.names == ["G1", "G2/M", "M/G1", "S", "S/G2"]


# ----------------------------------------------------------------------------- numbers that do not fit


@pytest.mark.parametrize("cell", ["1e39", "-4e38"])
def test_read_features_number_too_large_for_float32(tmp_path, cell):
    """float32 would hold inf: an error naming the cell, not a silent infinity."""
    from seqnet.io.tables import read_features

    path = _write(tmp_path / "f.tsv", f"id\ta\tb\nr1\t1\t2\nr2\t3\t{cell}\n")
    with pytest.raises(InputError) as info:
        read_features(path)
    assert str(info.value) == (
        f"{path}: line 3, column 'b': {cell!r} is too large; expected a number between -3.4e38 and 3.4e38 "
        f"(32-bit floats)"
    )
    ok = read_features(_write(tmp_path / "ok.tsv", "id\ta\nr1\t3e38\nr2\t1e-50\n"))
    assert np.isfinite(ok.x).all() and ok.x[1, 0] == 0.0
