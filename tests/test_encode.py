"""Tests for seqnet.encode: exact small values and invariants over seeded random sequences."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
import torch

from seqnet.alphabets import DNA, PROTEIN, RNA
from seqnet.encode import (
    center_fit,
    decode,
    dinucleotide_shuffle,
    dinucleotide_shuffle_many,
    encode,
    encode_many,
    one_hot,
    one_hot_torch,
    reverse_complement,
    reverse_complement_one_hot,
    reverse_complement_torch,
)
from seqnet.errors import ConfigError, InputError

DNA_TEXT = "ACGTNRYSWKMBDHVacgtnryswkmbdhv"
EXPECTED_DNA = "expected DNA letters ACGT or ambiguity codes NRYSWKMBDHV"


def random_text(rng, length, letters="ACGTN"):
    return "".join(rng.choice(list(letters), size=length))


def random_tokens(rng, n, length, n_symbols=5, p_unknown=0.05):
    """(n, length) uint8 tokens in 0..n_symbols-1; the last symbol is rarer (like N)."""
    p = np.full(n_symbols, (1 - p_unknown) / (n_symbols - 1))
    p[-1] = p_unknown
    return rng.choice(n_symbols, size=(n, length), p=p).astype(np.uint8)


def dinucleotide_counts(seq):
    seq = list(np.asarray(seq).tolist())
    return Counter(zip(seq[:-1], seq[1:]))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


# --------------------------------------------------------------------------- encode / decode


def test_encode_exact_values():
    assert encode("ACGTN").tolist() == [0, 1, 2, 3, 4]
    assert encode("ACGTN").dtype == np.uint8
    assert encode(b"acgtn").tolist() == [0, 1, 2, 3, 4]
    assert encode("RYSWKMBDHV").tolist() == [4] * 10
    assert encode("").shape == (0,)
    assert encode("ACGU", "rna").tolist() == [0, 1, 2, 3]
    assert encode("ACDWY", "protein").tolist() == [0, 1, 2, 18, 19]
    assert encode("XBZJUO*", PROTEIN).tolist() == [20] * 7


def test_decode_exact_values():
    assert decode(np.array([0, 1, 2, 3, 4], dtype=np.uint8)) == "ACGTN"
    assert decode(np.array([[0, 4], [3, 3]], dtype=np.uint8)) == ["AN", "TT"]
    assert decode(np.array([0, 1, 2, 3, 4], dtype=np.uint8), "rna") == "ACGUN"
    assert decode(np.array([0, 19, 20], dtype=np.uint8), "protein") == "AYX"
    assert decode(np.zeros((3, 0), dtype=np.uint8)) == ["", "", ""]
    with pytest.raises(ValueError, match="0..4"):
        decode(np.array([5], dtype=np.uint8))


def test_round_trip_text(rng):
    for _ in range(50):
        text = random_text(rng, int(rng.integers(0, 300)), DNA_TEXT)
        expected = re.sub("[RYSWKMBDHV]", "N", text.upper())
        assert decode(encode(text)) == expected
    for _ in range(20):
        text = random_text(rng, 100, "ACDEFGHIKLMNPQRSTVWYXBZJUO*acdefghiklmnpqrstvwy")
        assert decode(encode(text, "protein"), "protein") == re.sub("[BZJUO*]", "X", text.upper())


def test_lower_case_equals_upper_case(rng):
    for alphabet, letters in [("dna", DNA_TEXT), ("rna", "ACGUNacgun"), ("protein", "ACDEFGHIKLMNPQRSTVWYX")]:
        text = random_text(rng, 500, letters)
        np.testing.assert_array_equal(encode(text.lower(), alphabet), encode(text.upper(), alphabet))


def test_rna():
    assert encode("ACGUN", RNA).tolist() == [0, 1, 2, 3, 4]
    assert decode(reverse_complement(encode("AACGU", "rna"), "rna"), "rna") == "ACGUU"
    with pytest.raises(InputError, match="expected RNA letters ACGU or ambiguity codes"):
        encode("ACGT", "rna")


def test_encode_accepts_objects_with_str():
    class FakeSeq:
        def __str__(self):
            return "ACGT"

    assert encode(FakeSeq()).tolist() == [0, 1, 2, 3]


# --------------------------------------------------------------------------- invalid input


def test_invalid_character_message_exact():
    msg = f"reads.fa: record 'chr1': invalid character 'Z' at position 17; {EXPECTED_DNA}"
    with pytest.raises(InputError, match=f"^{re.escape(msg)}$"):
        encode("ACGTACGTACGTACGTZACGT", name="chr1", source="reads.fa")


def test_invalid_character_message_without_source_or_name():
    msg = f"invalid character 'Z' at position 1; {EXPECTED_DNA}"
    with pytest.raises(InputError, match=f"^{re.escape(msg)}$"):
        encode("ZZ")
    with pytest.raises(InputError, match=r"^x\.fa: invalid character '\.' at position 3; "):
        encode("AC.", source="x.fa")
    with pytest.raises(InputError, match=r"^record 'r2': invalid character '-' at position 2; "):
        encode("A-", name="r2")


def test_invalid_character_reports_first_position(rng):
    for _ in range(20):
        text = list(random_text(rng, 200))
        bad = sorted(rng.choice(200, size=3, replace=False))
        for b in bad:
            text[b] = "E"
        with pytest.raises(InputError, match=f"at position {bad[0] + 1};"):
            encode("".join(text))


def test_invalid_nonprintable_and_non_ascii():
    with pytest.raises(InputError, match=re.escape(r"invalid character '\t' at position 3;")):
        encode("AC\tGT")
    with pytest.raises(InputError, match=re.escape(r"invalid character '\x00' at position 1;")):
        encode(b"\x00A")
    with pytest.raises(InputError, match="^record 's': invalid character 'é' at position 4; "):
        encode("ACGé", name="s")
    # Raw bytes above 0x7f are shown as escapes, not guessed as Latin-1.
    with pytest.raises(InputError, match=re.escape(r"invalid character '\xc3' at position 2;")):
        encode("Aé".encode("utf-8"))
    with pytest.raises(InputError, match="position 2; expected DNA"):
        encode_many(["ACGT", "Aé"], names=["a", "b"])


def test_invalid_protein_message():
    msg = ("p.fa: record 'P1': invalid character '1' at position 3; "
           "expected protein letters ACDEFGHIKLMNPQRSTVWY or ambiguity codes XBZJUO*")
    with pytest.raises(InputError, match=f"^{re.escape(msg)}$"):
        encode("MK1", "protein", name="P1", source="p.fa")


def test_encode_many_invalid_names_record_and_position():
    msg = f"in.fa: record 'second': invalid character 'J' at position 5; {EXPECTED_DNA}"
    with pytest.raises(InputError, match=f"^{re.escape(msg)}$"):
        encode_many(["ACGTAC", "ACGTJJ", "ZZ"], names=["first", "second", "third"], source="in.fa")
    # Without names the 1-based sequence number stands in for the record.
    with pytest.raises(InputError, match=r"^in\.fa: sequence 3: invalid character 'Z' at position 1; "):
        encode_many(["ACGTAC", "ACGT", "ZZ"], source="in.fa")
    with pytest.raises(InputError, match=r"^sequence 1: invalid character 'z' at position 7; "):
        encode_many([b"ACGTAAz"], length=3)
    with pytest.raises(InputError, match=r"^record 'b': invalid character 'Z' at position 1; "):
        encode_many(np.array(["AC", "ZA"]), names=np.array(["a", "b"]))


def test_unknown_alphabet():
    with pytest.raises(ConfigError, match="unknown alphabet"):
        encode("ACGT", "dan")


# --------------------------------------------------------------------------- encode_many / center_fit


def test_center_fit_exact():
    t = np.arange(1, 8, dtype=np.uint8)  # 1..7
    assert center_fit(t, 7, 0).tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert center_fit(t, 5, 0).tolist() == [2, 3, 4, 5, 6]
    assert center_fit(t, 4, 0).tolist() == [2, 3, 4, 5]  # odd excess: the extra base goes on the right
    assert center_fit(t, 1, 0).tolist() == [4]
    assert center_fit(t, 0, 0).tolist() == []
    assert center_fit(t, 9, 9).tolist() == [9, 1, 2, 3, 4, 5, 6, 7, 9]
    assert center_fit(t, 10, 9).tolist() == [9, 1, 2, 3, 4, 5, 6, 7, 9, 9]
    assert center_fit(t[:0], 3, 4).tolist() == [4, 4, 4]
    assert center_fit(t, 10, 9).dtype == np.uint8


def test_center_fit_pad_then_crop_is_identity(rng):
    for _ in range(50):
        t = rng.integers(0, 5, int(rng.integers(0, 50))).astype(np.uint8)
        extra = int(rng.integers(0, 10))
        np.testing.assert_array_equal(center_fit(center_fit(t, t.size + extra, 4), t.size, 4), t)


def test_encode_many_padding_and_cropping_exact():
    out = encode_many(["ACG", "ACGTACG", "A", "", "GGGG"], length=4)
    assert out.dtype == np.uint8 and out.shape == (5, 4)
    assert decode(out) == ["ACGN", "CGTA", "NANN", "NNNN", "GGGG"]
    out = encode_many(["ACG", "T", "ACGTA"])  # L = the longest
    assert out.tolist() == [[4, 0, 1, 2, 4], [4, 4, 3, 4, 4], [0, 1, 2, 3, 0]]
    assert encode_many([]).shape == (0, 0)
    assert encode_many([], length=7).shape == (0, 7)
    assert encode_many(["AC", "GT"], length=0).shape == (2, 0)


def test_encode_many_matches_encode_and_center_fit(rng):
    for length in (None, 1, 37, 80, 150):
        texts = [random_text(rng, int(rng.integers(0, 120)), DNA_TEXT) for _ in range(60)]
        width = length if length is not None else max(map(len, texts))
        expected = np.stack([center_fit(encode(t), width, DNA.unknown) for t in texts])
        np.testing.assert_array_equal(encode_many(texts, length=length), expected)
        np.testing.assert_array_equal(encode_many([t.encode() for t in texts], length=length), expected)


def test_encode_many_equal_lengths_and_protein(rng):
    texts = [random_text(rng, 30, "ACDEFGHIKLMNPQRSTVWYX") for _ in range(10)]
    out = encode_many(texts, "protein")
    assert out.shape == (10, 30)
    assert decode(out, "protein") == texts


# --------------------------------------------------------------------------- one-hot


def test_one_hot_exact():
    x = one_hot(encode("ACGTN"))
    assert x.dtype == np.float32 and x.shape == (4, 5)
    np.testing.assert_array_equal(x, np.array([[1, 0, 0, 0, 0],
                                               [0, 1, 0, 0, 0],
                                               [0, 0, 1, 0, 0],
                                               [0, 0, 0, 1, 0]], dtype=np.float32))
    u = one_hot(encode("AN"), unknown="uniform", dtype=np.float64)
    assert u.dtype == np.float64
    np.testing.assert_array_equal(u[:, 1], [0.25] * 4)
    assert one_hot(encode("MX", "protein"), "protein").shape == (20, 2)
    with pytest.raises(ConfigError, match="zeros"):
        one_hot(encode("A"), unknown="ones")


def test_one_hot_column_sums(rng):
    for alphabet, c in [("dna", 4), ("protein", 20)]:
        tokens = random_tokens(rng, 7, 50, c + 1, p_unknown=0.2)
        known = tokens < c
        x = one_hot(tokens, alphabet)
        assert x.shape == (7, c, 50) and x.flags.c_contiguous
        np.testing.assert_array_equal(x.sum(axis=1), known.astype(np.float32))
        np.testing.assert_array_equal(x.argmax(axis=1)[known], tokens[known])
        xu = one_hot(tokens, alphabet, unknown="uniform")
        np.testing.assert_allclose(xu.sum(axis=1), 1.0, rtol=1e-6)


def test_one_hot_torch_matches_numpy(rng):
    for c, unknown in [(4, "zeros"), (4, "uniform"), (20, "zeros"), (20, "uniform")]:
        alphabet = DNA if c == 4 else PROTEIN
        tokens = random_tokens(rng, 9, 33, c + 1, p_unknown=0.2)
        expected = one_hot(tokens, alphabet, unknown=unknown)
        value = 0.0 if unknown == "zeros" else 1.0 / c
        for dtype in (torch.uint8, torch.int32, torch.int64):
            got = one_hot_torch(torch.from_numpy(tokens).to(dtype), c, unknown_value=value)
            assert got.dtype == torch.float32 and got.is_contiguous()
            np.testing.assert_array_equal(got.numpy(), expected)
        single = one_hot_torch(torch.from_numpy(tokens[0]), c, unknown_value=value)
        np.testing.assert_array_equal(single.numpy(), expected[0])
    half = one_hot_torch(torch.tensor([[0, 4]], dtype=torch.uint8), 4, dtype=torch.bfloat16)
    assert half.dtype == torch.bfloat16 and half.tolist() == [[[1, 0], [0, 0], [0, 0], [0, 0]]]


@pytest.mark.gpu
def test_torch_functions_on_gpu(rng):
    tokens = random_tokens(rng, 8, 40)
    t = torch.from_numpy(tokens).cuda()
    x = one_hot_torch(t, 4, unknown_value=0.25)
    assert x.device == t.device
    np.testing.assert_array_equal(x.cpu().numpy(), one_hot(tokens, unknown="uniform"))
    rc = reverse_complement_torch(t)
    assert rc.device == t.device
    np.testing.assert_array_equal(rc.cpu().numpy(), reverse_complement(tokens))
    torch.testing.assert_close(reverse_complement_one_hot(x), one_hot_torch(rc, 4, unknown_value=0.25))


# --------------------------------------------------------------------------- reverse complement


def test_reverse_complement_exact():
    assert decode(reverse_complement(encode("AACGN"))) == "NCGTT"
    assert reverse_complement(encode("ACGTN")).tolist() == [4, 0, 1, 2, 3]
    assert reverse_complement(np.zeros(0, dtype=np.uint8)).shape == (0,)
    assert decode(reverse_complement(encode_many(["AAC", "GTN"]))) == ["GTT", "NAC"]
    rc = reverse_complement_torch(torch.from_numpy(encode_many(["AACGN", "TTTTG"])))
    assert rc.dtype == torch.uint8
    assert decode(rc.numpy()) == ["NCGTT", "CAAAA"]
    x = one_hot(encode("AACGN"))
    np.testing.assert_array_equal(reverse_complement_one_hot(x), one_hot(encode("NCGTT")))


def test_reverse_complement_twice_is_identity(rng):
    for alphabet in ("dna", "rna"):
        for length in (0, 1, 2, 17, 200):
            tokens = random_tokens(rng, 6, length)
            for arr in (tokens, tokens[0]):
                twice = reverse_complement(reverse_complement(arr, alphabet), alphabet)
                np.testing.assert_array_equal(twice, arr)
            t = torch.from_numpy(tokens)
            assert torch.equal(reverse_complement_torch(reverse_complement_torch(t, alphabet), alphabet), t)
            assert torch.equal(reverse_complement_torch(t.long(), alphabet),
                               torch.from_numpy(reverse_complement(tokens, alphabet)).long())
            for unknown, value in [("zeros", 0.0), ("uniform", 0.25)]:
                x = one_hot(tokens, alphabet, unknown=unknown)
                np.testing.assert_array_equal(reverse_complement_one_hot(reverse_complement_one_hot(x)), x)
                np.testing.assert_array_equal(reverse_complement_one_hot(x[0]), one_hot(
                    reverse_complement(tokens[0], alphabet), alphabet, unknown=unknown))
                xt = one_hot_torch(t, 4, unknown_value=value)
                assert torch.equal(reverse_complement_one_hot(reverse_complement_one_hot(xt)), xt)


def test_reverse_complement_commutes_with_one_hot(rng):
    for _ in range(20):
        tokens = random_tokens(rng, 5, int(rng.integers(1, 100)), p_unknown=0.2)
        for unknown, value in [("zeros", 0.0), ("uniform", 0.25)]:
            np.testing.assert_array_equal(one_hot(reverse_complement(tokens), unknown=unknown),
                                          reverse_complement_one_hot(one_hot(tokens, unknown=unknown)))
            t = torch.from_numpy(tokens)
            assert torch.equal(one_hot_torch(reverse_complement_torch(t), 4, unknown_value=value),
                               reverse_complement_one_hot(one_hot_torch(t, 4, unknown_value=value)))


def test_reverse_complement_protein_raises():
    tokens = encode("MKV", "protein")
    with pytest.raises(ConfigError, match="protein alphabet has no reverse complement"):
        reverse_complement(tokens, "protein")
    with pytest.raises(ConfigError, match="protein"):
        reverse_complement_torch(torch.from_numpy(tokens), "protein")
    with pytest.raises(ValueError, match="4, L"):
        reverse_complement_one_hot(one_hot(tokens, "protein"))


# --------------------------------------------------------------------------- dinucleotide shuffle


def assert_valid_shuffle(original, shuffled):
    original, shuffled = np.asarray(original), np.asarray(shuffled)
    assert shuffled.shape == original.shape and shuffled.dtype == original.dtype
    if original.size:
        assert shuffled[0] == original[0] and shuffled[-1] == original[-1]
    assert dinucleotide_counts(shuffled) == dinucleotide_counts(original)


def test_shuffle_keeps_dinucleotide_counts(rng):
    for _ in range(200):
        length = int(rng.integers(0, 150))
        n_symbols = int(rng.choice([2, 3, 5, 21]))
        tokens = random_tokens(rng, 1, length, n_symbols, p_unknown=0.1)[0]
        assert_valid_shuffle(tokens, dinucleotide_shuffle(tokens, rng))


def test_shuffle_many_keeps_dinucleotide_counts(rng):
    for length in (0, 1, 2, 3, 4, 10, 101):
        tokens = random_tokens(rng, 300, length, p_unknown=0.1)
        out = dinucleotide_shuffle_many(tokens, seed=length)
        assert isinstance(out, np.ndarray) and out.shape == tokens.shape and out.dtype == np.uint8
        for a, b in zip(tokens, out):
            assert_valid_shuffle(a, b)
    # Skewed sequences (rare symbols, long random walks in the tree step).
    skewed = rng.choice(5, size=(500, 60), p=[0.9, 0.04, 0.03, 0.02, 0.01]).astype(np.uint8)
    for a, b in zip(skewed, dinucleotide_shuffle_many(skewed, seed=1)):
        assert_valid_shuffle(a, b)


def test_shuffle_many_list_of_mixed_lengths(rng):
    seqs = [random_tokens(rng, 1, int(n))[0] for n in rng.integers(0, 60, size=100)]
    out = dinucleotide_shuffle_many(seqs, seed=4)
    assert isinstance(out, list) and len(out) == len(seqs)
    for a, b in zip(seqs, out):
        assert_valid_shuffle(a, b)
    again = dinucleotide_shuffle_many(seqs, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(out, again))
    assert dinucleotide_shuffle_many([], seed=0) == []


def test_shuffle_edge_cases():
    for text in ["", "A", "AC", "ACG", "AAAAAAAA", "NNNN", "ANANANAN", "ACACACACAC"]:
        tokens = encode(text)
        out = dinucleotide_shuffle(tokens, 0)
        assert_valid_shuffle(tokens, out)
    # Homopolymers and strict alternations have one arrangement only.
    assert decode(dinucleotide_shuffle(encode("AAAAAAAA"), 1)) == "AAAAAAAA"
    assert decode(dinucleotide_shuffle(encode("ACACACACAC"), 1)) == "ACACACACAC"
    assert decode(dinucleotide_shuffle(encode("ACG"), 1)) == "ACG"
    many = dinucleotide_shuffle_many(np.zeros((5, 7), dtype=np.uint8), seed=0)
    assert not many.any()


def test_shuffle_with_n_varies_and_keeps_counts(rng):
    text = "ACGTNNACGTAGCTNAGCTAGGATCNNNTACGATCGATCGNATCGATGCTAGNCTAG"
    tokens = encode(text)
    outs = {decode(dinucleotide_shuffle(tokens, seed)) for seed in range(20)}
    assert len(outs) > 15
    for out in outs:
        assert_valid_shuffle(tokens, encode(out))


def test_shuffle_deterministic_and_varied(rng):
    tokens = random_tokens(rng, 50, 101)
    a = dinucleotide_shuffle_many(tokens, seed=7)
    b = dinucleotide_shuffle_many(tokens, seed=7)
    c = dinucleotide_shuffle_many(tokens, seed=8)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any(axis=1).all()  # every row differs between seeds
    assert (a != tokens).any(axis=1).all()  # and differs from the input
    one = tokens[0]
    np.testing.assert_array_equal(dinucleotide_shuffle(one, 3),
                                  dinucleotide_shuffle(one, np.random.default_rng(3)))
    assert not np.array_equal(dinucleotide_shuffle(one, 3), dinucleotide_shuffle(one, 4))
    assert not np.array_equal(dinucleotide_shuffle(one, 3), one)
    # The input is never modified.
    before = tokens.copy()
    dinucleotide_shuffle_many(tokens, seed=1)
    dinucleotide_shuffle(tokens[0], 1)
    np.testing.assert_array_equal(tokens, before)


def test_shuffle_mismatched_shapes():
    with pytest.raises(ValueError, match="dinucleotide_shuffle_many"):
        dinucleotide_shuffle(np.zeros((2, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="N, L"):
        dinucleotide_shuffle_many(np.zeros(3, dtype=np.uint8))


def _all_arrangements(tokens):
    """Every sequence with the same first symbol and dinucleotide counts (depth-first search)."""
    left = dinucleotide_counts(tokens)
    found = set()

    def extend(seq):
        if len(seq) == tokens.size:
            found.add(tuple(seq))
            return
        for (a, b), count in list(left.items()):
            if a == seq[-1] and count:
                left[(a, b)] -= 1
                extend(seq + [b])
                left[(a, b)] += 1

    extend([int(tokens[0])])
    return found


@pytest.mark.parametrize("text", ["AACAGACCAGA", "ACNAGACNTTAC", "GATTACAGATNAC", "CATCGATTAGCN"])
def test_shuffle_is_uniform(text):
    # Altschul-Erickson with a uniform last-edge tree samples every valid sequence equally.
    tokens = encode(text)
    arrangements = _all_arrangements(tokens)
    assert len(arrangements) >= 5
    n = 4000
    batched = dinucleotide_shuffle_many(np.tile(tokens, (n, 1)), seed=11)
    single = [dinucleotide_shuffle(tokens, seed) for seed in range(n // 4)]
    for samples in (batched, single):
        seen = Counter(tuple(row.tolist()) for row in samples)
        assert set(seen) == arrangements
        expected = len(samples) / len(arrangements)
        chi2 = sum((seen[a] - expected) ** 2 / expected for a in arrangements)
        # Far above the 99.9% point of chi-square with len(arrangements) - 1 <= 60 d.o.f.
        assert chi2 < 3 * len(arrangements) + 30, (chi2, len(arrangements))


def test_padding_mask_matches_center_fit():
    from seqnet.encode import padding_mask

    L = 9
    for n in range(0, 13):
        fitted = center_fit(np.ones(n, dtype=np.uint8), L, 0)
        mask = padding_mask(torch.tensor([n]), L)[0].numpy()
        np.testing.assert_array_equal(mask, fitted == 1)


# ----------------------------------------------------------------------------- dinucleotide shuffle on the device


def _doublets(row):
    return Counter(zip(row[:-1], row[1:]))


def test_dinucleotide_shuffle_torch_keeps_doublets_first_and_last():
    from seqnet.encode import dinucleotide_shuffle_torch

    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 5, (64, 57), generator=g).to(torch.uint8)  # 4 letters + the unknown token
    y = dinucleotide_shuffle_torch(x, generator=g)
    assert y.dtype == torch.uint8 and y.shape == x.shape
    for a, b in zip(x.tolist(), y.tolist()):
        assert _doublets(a) == _doublets(b) and a[0] == b[0] and a[-1] == b[-1]
    assert (x != y).any(1).float().mean() > 0.9
    again = dinucleotide_shuffle_torch(x, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(again, dinucleotide_shuffle_torch(x, generator=torch.Generator().manual_seed(5)))
    short = torch.tensor([[1, 2], [3, 0]])
    torch.testing.assert_close(dinucleotide_shuffle_torch(short), short)
    with pytest.raises(ValueError, match=r"takes \(N, L\) tokens"):
        dinucleotide_shuffle_torch(torch.zeros(5, dtype=torch.long))


def test_dinucleotide_shuffle_torch_is_uniform_over_the_doublet_class():
    from seqnet.encode import dinucleotide_shuffle_torch

    # ACAGCAGAC has exactly 9 sequences with its doublets, first and last letter.
    row = [0, 1, 0, 2, 1, 0, 2, 0, 1]
    n = 9000
    out = dinucleotide_shuffle_torch(torch.tensor([row] * n), generator=torch.Generator().manual_seed(1))
    counts = Counter(map(tuple, out.tolist()))
    assert len(counts) == 9
    # Each expected 1000 times; 850..1150 is > 4.5 standard deviations wide.
    assert all(850 < c < 1150 for c in counts.values()), counts
