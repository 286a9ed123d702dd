"""Tests for the fast FASTA -> tokens reader (seqnet.io.fasta.read_fasta_tokens), the
token cache (seqnet.cache) and encode.fit_flat."""

from __future__ import annotations

import gzip
import os
import re

import numpy as np
import pytest

from seqnet import cache
from seqnet.alphabets import DNA, PROTEIN
from seqnet.encode import center_fit, encode, fit_flat
from seqnet.errors import InputError
from seqnet.io.fasta import read_fasta, read_fasta_tokens


def _careful(path, alphabet):
    ids, seqs = read_fasta(path)
    parts = [encode(s, alphabet) for s in seqs]
    return ids, np.concatenate(parts), np.array([len(p) for p in parts])


@pytest.mark.parametrize(
    "text",
    [
        ">a desc\nACGT\nacgt\nNN\n>b\n\nGGCC\n>chr1:5-9(+)\ntTaA\n",
        "\n\n>a\r\nAC GT\r\nRYKM\r\n>b\r\nA\r\n",  # leading blank lines, CRLF, a space, IUPAC
        ">only\nACGTACGTNNNN",  # no final newline
    ],
)
def test_fast_reader_matches_careful_reader(tmp_path, text):
    path = tmp_path / "x.fa"
    path.write_text(text)
    expected = _careful(path, DNA)
    ids, tokens, lengths = read_fasta_tokens(path, DNA)
    assert ids == expected[0]
    np.testing.assert_array_equal(tokens, expected[1])
    np.testing.assert_array_equal(lengths, expected[2])
    assert tokens.dtype == np.uint8 and tokens.flags.writeable


def test_fast_reader_gzip_and_protein(tmp_path):
    path = tmp_path / "p.fa.gz"
    path.write_bytes(gzip.compress(b">p1\nMKVL\nAW\n>p2\nGGX\n"))
    ids, tokens, lengths = read_fasta_tokens(path, PROTEIN)
    assert ids == ["p1", "p2"] and lengths.tolist() == [6, 3]
    np.testing.assert_array_equal(tokens, np.concatenate([encode("MKVLAW", PROTEIN), encode("GGX", PROTEIN)]))


@pytest.mark.parametrize(
    "text, message",
    [
        (">a\nACGU\n", r"x\.fa: record 'a'.*'U'.*position 4"),
        (">a\nA>C\n", r"x\.fa: record 'a'.*'>'.*position 2"),
        (">a\nAC\n>a\nGG\n", r"x\.fa: duplicate record id 'a' \(records 1 and 2\)"),
        (">a\n>b\nAC\n", r"x\.fa: record 'a' \(record 1\) has an empty sequence"),
        ("id\tlabel\na\t1\n", r"x\.fa: line 1: expected a FASTA header starting with '>'"),
        ("> \nAC\n", r"x\.fa: record 1 has an empty id"),
    ],
)
def test_fast_reader_errors_are_the_careful_ones(tmp_path, text, message):
    path = tmp_path / "x.fa"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_fasta_tokens(path, DNA)


def test_truncated_gzip_error(tmp_path):
    path = tmp_path / "x.fa.gz"
    path.write_bytes(gzip.compress(b">a\nACGT\n" * 50)[:-12])
    with pytest.raises(InputError, match=r"x\.fa\.gz: truncated or corrupt gzip file"):
        read_fasta_tokens(path, DNA)


@pytest.mark.parametrize("length", [1, 5, 8, 12])
def test_fit_flat_matches_center_fit(length):
    rng = np.random.default_rng(0)
    parts = [rng.integers(0, 4, n).astype(np.uint8) for n in (1, 4, 5, 8, 11, 12)]
    lens = np.array([len(p) for p in parts])
    out = fit_flat(np.concatenate(parts), lens, length, 4)
    expected = np.stack([center_fit(p, length, 4) for p in parts])
    np.testing.assert_array_equal(out, expected)
    assert fit_flat(np.zeros(0, np.uint8), np.zeros(0, int), 7, 4).shape == (0, 7)


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQNET_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SEQNET_TOKEN_CACHE", raising=False)
    return tmp_path / "cache" / "tokens"


def test_cache_miss_then_memory_mapped_hit(tmp_path, cache_root):
    path = tmp_path / "x.fa"
    path.write_text(">a\nACGT\n>b\nGGN\n")
    first = cache.fasta_tokens(path, DNA, min_bytes=0)
    entries = list(cache_root.iterdir())
    assert len(entries) == 1 and entries[0].name == cache.cache_key(path, DNA)
    assert sorted(p.name for p in entries[0].iterdir()) == ["ids.json", "lengths.npy", "source.txt", "tokens.npy"]
    second = cache.fasta_tokens(path, DNA, min_bytes=0)
    assert isinstance(second[1], np.memmap)
    assert second[0] == first[0]
    np.testing.assert_array_equal(second[1], first[1])
    np.testing.assert_array_equal(second[2], first[2])


def test_cache_key_follows_content_and_alphabet(tmp_path, cache_root):
    path = tmp_path / "x.fa"
    path.write_text(">a\nACGT\n")
    key = cache.cache_key(path, DNA)
    assert cache.cache_key(path, PROTEIN) != key
    cache.fasta_tokens(path, DNA, min_bytes=0)
    path.write_text(">a\nACGA\n")  # edited input: a new entry, the old one never read
    assert cache.cache_key(path, DNA) != key
    ids, tokens, _ = cache.fasta_tokens(path, DNA, min_bytes=0)
    np.testing.assert_array_equal(tokens, encode("ACGA", DNA))
    assert len(list(cache_root.iterdir())) == 2


def test_cache_skips_small_files_bad_files_and_can_be_off(tmp_path, cache_root, monkeypatch):
    path = tmp_path / "x.fa"
    path.write_text(">a\nACGT\n")
    cache.fasta_tokens(path, DNA)  # below MIN_BYTES
    assert not cache_root.exists()
    bad = tmp_path / "bad.fa"
    bad.write_text(">a\nACGU\n")
    with pytest.raises(InputError, match="bad.fa: record 'a'"):
        cache.fasta_tokens(bad, DNA, min_bytes=0)
    assert not cache_root.exists() or not any(cache_root.iterdir())
    monkeypatch.setenv("SEQNET_TOKEN_CACHE", "0")
    assert cache.cache_dir() is None
    cache.fasta_tokens(path, DNA, min_bytes=0)
    assert not cache_root.exists() or not any(cache_root.iterdir())


def test_corrupt_cache_entry_is_rebuilt(tmp_path, cache_root):
    path = tmp_path / "x.fa"
    path.write_text(">a\nACGT\n")
    cache.fasta_tokens(path, DNA, min_bytes=0)
    entry = cache_root / cache.cache_key(path, DNA)
    (entry / "lengths.npy").write_bytes(b"junk")
    ids, tokens, lengths = cache.fasta_tokens(path, DNA, min_bytes=0)
    assert ids == ["a"] and lengths.tolist() == [4]
    assert isinstance(cache.fasta_tokens(path, DNA, min_bytes=0)[1], np.memmap)  # rewritten


def test_train_reads_through_the_cache_with_identical_results(sim, tiny_config, tmp_path, cache_root, monkeypatch, cli):
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    args = ["train", "--positives", sim.positives_fasta, "--negatives", sim.negatives_fasta, "--config", tiny_config,
            "--epochs", "1", "--quiet", "--device", "cpu"]
    first = cli(*args, "--out", tmp_path / "a")
    assert first.exit_code == 0, first.output
    assert len(list(cache_root.iterdir())) == 2  # one entry per input file
    second = cli(*args, "--out", tmp_path / "b")
    assert second.exit_code == 0, second.output
    assert (tmp_path / "a" / "metrics.json").read_text() == (tmp_path / "b" / "metrics.json").read_text()


def test_cache_rewrite_with_same_size_and_old_mtime_gives_the_new_tokens(tmp_path, cache_root):
    """The key is the content: a same-size rewrite with the old modification time is seen."""
    path = tmp_path / "x.fa"
    path.write_text(">a\nACGT\n>b\nGGNN\n")
    st = path.stat()
    cache.fasta_tokens(path, DNA, min_bytes=0)
    assert isinstance(cache.fasta_tokens(path, DNA, min_bytes=0)[1], np.memmap)
    path.write_text(">a\nTTTT\n>c\nCCAA\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    ids, tokens, lengths = cache.fasta_tokens(path, DNA, min_bytes=0)
    assert ids == ["a", "c"] and lengths.tolist() == [4, 4]
    np.testing.assert_array_equal(tokens, encode("TTTTCCAA", DNA))
    assert len(list(cache_root.iterdir())) == 2


def test_cache_entry_is_keyed_by_the_bytes_parsed(tmp_path, cache_root, monkeypatch):
    """A file rewritten between hashing and reading: its tokens go under the new content's key."""
    from seqnet.io import fasta

    path = tmp_path / "x.fa"
    path.write_text(">a\nACGT\n")
    old_key = cache.cache_key(path, DNA)
    read_raw = fasta.read_raw

    def rewritten_first(p):
        path.write_text(">a\nGGGG\n")
        return read_raw(p)

    monkeypatch.setattr(fasta, "read_raw", rewritten_first)
    ids, tokens, _ = cache.fasta_tokens(path, DNA, min_bytes=0)
    np.testing.assert_array_equal(tokens, encode("GGGG", DNA))
    assert [p.name for p in cache_root.iterdir()] == [cache.bytes_key(b">a\nGGGG\n", DNA)] != [old_key]


def test_fast_reader_splits_ids_like_the_careful_reader(tmp_path):
    """A no-break space ends an id in read_fasta (str.split); the fast reader agrees."""
    path = tmp_path / "x.fa"
    path.write_bytes(">a\u00a0desc\nACGT\n>b\u2003x\nGG\n".encode())
    assert read_fasta(path)[0] == ["a", "b"]
    assert read_fasta_tokens(path, DNA)[0] == ["a", "b"]


def test_fast_reader_refuses_an_indented_first_header_like_the_careful_reader(tmp_path):
    path = tmp_path / "x.fa"
    path.write_text("\n  >a\nACGT\n")
    with pytest.raises(InputError, match=re.escape(f"{path}: line 2: expected a FASTA header starting with '>'")):
        read_fasta(path)
    with pytest.raises(InputError, match=re.escape(f"{path}: line 2: expected a FASTA header starting with '>'")):
        read_fasta_tokens(path, DNA)
    path.write_text("\n \t\n>a\nACGT\n")  # blank lines before the header are fine
    assert read_fasta_tokens(path, DNA)[0] == ["a"]
