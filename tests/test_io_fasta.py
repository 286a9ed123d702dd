"""Tests for seqnet.io.fasta: reading, atomic writing, coordinate ids, error messages."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pytest

from seqnet.errors import InputError
from seqnet.io.fasta import open_text, parse_coordinate_id, read_fasta, write_fasta

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------- reading


def test_read_multiline_ids_and_case(tmp_path):
    path = _write(
        tmp_path / "a.fa",
        ">seq1 some description\nACGT\nacgt\nNN\n>seq2\n\nGGCC\n>chr1:5-9(+)\ntTaA\n",
    )
    ids, seqs = read_fasta(path)
    assert ids == ["seq1", "seq2", "chr1:5-9(+)"]
    assert seqs == ["ACGTacgtNN", "GGCC", "tTaA"]


def test_read_leading_blank_lines_and_crlf(tmp_path):
    path = tmp_path / "crlf.fa"
    path.write_bytes(b"\r\n\r\n>a\r\nAC\r\nGT\r\n>b\r\nTT\r\n")
    assert read_fasta(path) == (["a", "b"], ["ACGT", "TT"])


def test_read_gzip_by_magic_bytes_not_suffix(tmp_path):
    payload = b">x\nACGT\n>y\nCC\n"
    no_suffix = tmp_path / "reads.fa"
    no_suffix.write_bytes(gzip.compress(payload))
    plain_gz = tmp_path / "plain.fa.gz"  # misnamed: not compressed
    plain_gz.write_bytes(payload)
    assert read_fasta(no_suffix) == (["x", "y"], ["ACGT", "CC"])
    assert read_fasta(plain_gz) == (["x", "y"], ["ACGT", "CC"])
    with open_text(no_suffix) as fh:
        assert fh.readline() == ">x\n"


def test_read_accepts_str_path(tmp_path):
    path = _write(tmp_path / "a.fa", ">a\nAC\n")
    assert read_fasta(str(path)) == (["a"], ["AC"])


# ----------------------------------------------------------------------------- writing


@pytest.mark.parametrize("name", ["out.fa", "out.fa.gz"])
def test_write_read_roundtrip(tmp_path, name):
    ids = ["a", "chr1:100-200", "c"]
    seqs = ["ACGT" * 50, "acgtn", "G"]
    path = tmp_path / name
    write_fasta(path, ids, seqs, line_width=60)
    assert read_fasta(path) == (ids, seqs)
    with open(path, "rb") as fh:
        assert (fh.read(2) == b"\x1f\x8b") == name.endswith(".gz")
    assert sorted(os.listdir(tmp_path)) == [name]  # no temp file left


def test_write_line_width(tmp_path):
    path = tmp_path / "w.fa"
    write_fasta(path, ["a"], ["ACGTACGTAC"], line_width=4)
    assert path.read_text() == ">a\nACGT\nACGT\nAC\n"
    write_fasta(path, ["a"], ["ACGTACGTAC"], line_width=None)
    assert path.read_text() == ">a\nACGTACGTAC\n"
    write_fasta(path, ["a"], ["ACGTACGTAC"], line_width=0)
    assert path.read_text() == ">a\nACGTACGTAC\n"


def test_write_gzip_is_deterministic(tmp_path):
    path = tmp_path / "1.fa.gz"
    write_fasta(path, ["a"], ["ACGT"])
    first = path.read_bytes()
    write_fasta(path, ["a"], ["ACGT"])
    assert path.read_bytes() == first


def test_write_failure_keeps_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "keep.fa"
    write_fasta(path, ["old"], ["AAAA"])
    with pytest.raises(TypeError):
        write_fasta(path, ["a", "b"], ["ACGT", None])  # fails mid-write
    assert path.read_text() == ">old\nAAAA\n"
    assert os.listdir(tmp_path) == ["keep.fa"]


def test_write_file_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_fasta(tmp_path / "m.fa", ["a"], ["A"])
    finally:
        os.umask(old)
    assert (tmp_path / "m.fa").stat().st_mode & 0o777 == 0o644


def test_write_bad_id(tmp_path):
    path = tmp_path / "bad.fa"
    with pytest.raises(
        InputError, match=re.escape(f"{path}: record id 'a b' (record 2) is empty or contains")
    ):
        write_fasta(path, ["ok", "a b"], ["A", "C"])
    with pytest.raises(InputError, match=r"record id '' \(record 1\)"):
        write_fasta(path, [""], ["A"])
    assert not path.exists()


def test_write_missing_directory(tmp_path):
    path = tmp_path / "nope" / "x.fa"
    with pytest.raises(InputError, match=re.escape(f"{path}: directory ")):
        write_fasta(path, ["a"], ["A"])


def test_write_length_mismatch_is_a_bug_not_input():
    with pytest.raises(ValueError, match="2 ids but 1 sequences"):
        write_fasta("unused.fa", ["a", "b"], ["A"])


# ----------------------------------------------------------------------------- read errors


def test_missing_file(tmp_path):
    path = tmp_path / "missing.fa"
    with pytest.raises(InputError, match=re.escape(f"{path}: no such file")):
        read_fasta(path)


def test_directory(tmp_path):
    with pytest.raises(InputError, match=re.escape(f"{tmp_path}: is a directory")):
        read_fasta(tmp_path)


@pytest.mark.parametrize("text", ["", "\n  \n\n"])
def test_empty_file(tmp_path, text):
    path = _write(tmp_path / "empty.fa", text)
    with pytest.raises(
        InputError,
        match=re.escape(f"{path}: no FASTA records found; expected lines starting with '>'"),
    ):
        read_fasta(path)


def test_tsv_is_not_fasta(tmp_path):
    path = tmp_path / "train.seq.gz"
    path.write_bytes(
        gzip.compress(b"FoldID\tEventID\tseq\tBound\nA\tseq_00001_peak\tACGTACGT\t1\n")
    )
    with pytest.raises(
        InputError,
        match=re.escape(
            f"{path}: line 1: expected a FASTA header starting with '>', "
            "found 'FoldID\\tEventID\\tseq\\tBound'"
        ),
    ):
        read_fasta(path)


def test_bed_is_not_fasta_and_long_line_is_cut(tmp_path):
    path = _write(tmp_path / "peaks.bed", "\nchr1\t1000\t2000\tpeak_with_a_very_long_name_here\n")
    with pytest.raises(InputError, match=r"peaks\.bed: line 2: expected a FASTA header") as info:
        read_fasta(path)
    assert "'chr1\\t1000\\t2000\\tpeak_with_a_very_long_nam...'" in str(info.value)
    assert "\n" not in str(info.value)


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "junk.fa"
    path.write_bytes(b">a\nAC\xff\xfeGT\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: not a text FASTA file (byte 0xff")):
        read_fasta(path)


def test_binary_junk_first_line(tmp_path):
    path = tmp_path / "model.fa"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(InputError, match=re.escape(f"{path}: not a text FASTA file (binary data")):
        read_fasta(path)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "cut.fa.gz"
    data = gzip.compress(b">a\n" + b"ACGT" * 5000 + b"\n")
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=re.escape(f"{path}: truncated or corrupt gzip file (")):
        read_fasta(path)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "bad.fa.gz"
    data = bytearray(gzip.compress(b">a\nACGT\n"))
    data[-8] ^= 0xFF  # break the CRC
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=re.escape(f"{path}: truncated or corrupt gzip file (")):
        read_fasta(path)
    path.write_bytes(b"\x1f\x8b" + b"not really gzip")
    with pytest.raises(InputError, match=re.escape(f"{path}: truncated or corrupt gzip file (")):
        read_fasta(path)


def test_duplicate_ids(tmp_path):
    text = "".join(f">{name} desc\nACGT\n" for name in ["a", "b", "x", "c", "d", "e", "x"])
    path = _write(tmp_path / "dup.fa", text)
    with pytest.raises(
        InputError, match=re.escape(f"{path}: duplicate record id 'x' (records 3 and 7)")
    ):
        read_fasta(path)


def test_empty_sequence(tmp_path):
    path = _write(tmp_path / "e.fa", ">a\nAC\n>b\nGT\n>c\nA\n>x\n\n>y\nAC\n")
    with pytest.raises(
        InputError, match=re.escape(f"{path}: record 'x' (record 4) has an empty sequence")
    ):
        read_fasta(path)


@pytest.mark.parametrize("header", [">", ">   "])
def test_empty_id(tmp_path, header):
    path = _write(tmp_path / "noid.fa", f">a\nAC\n{header}\nGT\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: record 2 has an empty id")):
        read_fasta(path)


def test_errors_are_one_line(tmp_path):
    path = _write(tmp_path / "t.tsv", "a\tb\n")
    with pytest.raises(InputError) as info:
        read_fasta(path)
    assert "\n" not in str(info.value)


# ----------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize(
    ("record_id", "expected"),
    [
        ("chr1:100-200", ("chr1", 100, 200)),
        ("chr1:100-200(+)", ("chr1", 100, 200)),
        ("chr1:100-200(-)", ("chr1", 100, 200)),
        ("chr1:1,000-2,000", ("chr1", 1000, 2000)),
        ("chrUn_KI270742v1:0-5", ("chrUn_KI270742v1", 0, 5)),
        ("HLA-A*01:01:01:01:10-20", ("HLA-A*01:01:01:01", 10, 20)),
        ("chr1:100", None),
        ("chr1:200-100", None),
        ("chr1:a-b", None),
        ("chr1:1,00-2,000", None),
        ("chr1:100-200(x)", None),
        ("seq_00001_peak", None),
        (":100-200", None),
        ("", None),
    ],
)
def test_parse_coordinate_id(record_id, expected):
    assert parse_coordinate_id(record_id) == expected


# ----------------------------------------------------------------------------- real data


def test_real_chipseq_fasta():
    path = DATA / "chipseq_oct4_mafk" / "oct4_test.fa"
    if not path.exists():
        pytest.skip(f"shared data not available ({path})")
    ids, seqs = read_fasta(path)
    assert len(ids) == 100
    assert {len(s) for s in seqs} == {200}
    assert all(parse_coordinate_id(i) is not None for i in ids)
    assert any(c.islower() for c in "".join(seqs))  # soft-masking kept
