"""First-layer filters -> PFMs (seqnet.motifs.extract) and filter ablation
(seqnet.motifs.influence), on tiny hand-built models with planted k-mers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from seqnet.alphabets import DNA, PROTEIN
from seqnet.checkpoint import TrainedModel
from seqnet.encode import encode
from seqnet.errors import ConfigError, InputError
from seqnet.models import build_model
from seqnet.models.common import SameConv1d
from seqnet.motifs.extract import (
    FilterMotif,
    conv_geometry,
    default_merge_rc,
    extract_motifs,
    filter_activations,
)
from seqnet.kinds.sequence import SequenceInputs
from seqnet.motifs.influence import ablate_filter, filter_influence
from seqnet.motifs.motif import motifs_from_jaspar

N_TOKEN = DNA.unknown


class ConvOnly(nn.Module):
    """A bare convolution exposing ``first_conv``; logits = per-filter maximum."""

    def __init__(self, conv: nn.Conv1d) -> None:
        super().__init__()
        self.conv = conv

    @property
    def first_conv(self) -> nn.Conv1d:
        return self.conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).amax(dim=-1)


def kmer_weights(kmer: str, width: int | None = None, at: int = 0) -> torch.Tensor:
    """``(4, width)`` weights: +1 for the k-mer's letter at taps ``at..``, -1 for the
    others, 0 at taps outside the k-mer."""
    width = width or len(kmer)
    w = torch.zeros(4, width)
    for i, letter in enumerate(kmer):
        w[:, at + i] = -1.0
        w["ACGT".index(letter), at + i] = 1.0
    return w


def set_filter(conv: nn.Conv1d, index: int, weight: torch.Tensor, bias: float = 0.0) -> None:
    with torch.no_grad():
        conv.weight[index] = weight
        if conv.bias is not None:
            conv.bias[index] = bias


def random_tokens(rng, n: int, length: int) -> np.ndarray:
    return rng.integers(0, 4, size=(n, length)).astype(np.uint8)


def plant(tokens: np.ndarray, text: str, positions) -> np.ndarray:
    """Write ``text`` (N allowed) into row i at ``positions[i]`` (skipped when None)."""
    site = encode(text)
    out = tokens.copy()
    for i, p in enumerate(positions):
        if p is not None:
            out[i, p : p + len(site)] = site
    return out


# -- geometry ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "conv, expected",
    [
        (nn.Conv1d(4, 1, 8, padding=4), (8, 1, 1, 4)),  # DeepBind: symmetric width // 2
        (nn.Conv1d(4, 1, 7, padding="same"), (7, 1, 1, 3)),
        (nn.Conv1d(4, 1, 8, padding="same"), (8, 1, 1, 3)),  # odd extra zero on the right
        (SameConv1d(4, 1, 8), (8, 1, 1, 3)),
        (nn.Conv1d(4, 1, 4, dilation=2, padding="same"), (4, 1, 2, 3)),
        (nn.Conv1d(4, 1, 5), (5, 1, 1, 0)),
        (nn.Conv1d(4, 1, 6, stride=2, padding="valid"), (6, 2, 1, 0)),
    ],
)
def test_conv_geometry(conv, expected):
    assert conv_geometry(conv) == expected


# Planting sites at known positions checks the window arithmetic: a window read one
# position off would mix letters and break the consensus.
OFFSET_CASES = {
    "odd_int": (lambda: nn.Conv1d(4, 1, 7, padding=3), "GATTACA"),
    "even_deepbind": (lambda: nn.Conv1d(4, 1, 8, padding=4), "GATTACAG"),
    "even_same": (lambda: nn.Conv1d(4, 1, 8, padding="same"), "GATTACAG"),
    "same_conv": (lambda: SameConv1d(4, 1, 8), "GATTACAG"),
    "valid": (lambda: nn.Conv1d(4, 1, 6), "GATTAC"),
    "stride2": (lambda: nn.Conv1d(4, 1, 6, stride=2, padding=1), "GATTAC"),
}


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("case", sorted(OFFSET_CASES))
def test_planted_sites_are_aligned(case):
    make, kmer = OFFSET_CASES[case]
    conv = make()
    set_filter(conv, 0, kmer_weights(kmer))
    model = ConvOnly(conv)
    rng = np.random.default_rng(0)
    n, length = 60, 50
    _, s, _, left = conv_geometry(conv)
    # Positions the conv reads as a window start: (p + left) % stride == 0.
    positions = [int(p) - (int(p) + left) % s for p in rng.integers(5, length - 12, size=n)]
    tok = plant(random_tokens(rng, n, length), kmer, positions)

    act = filter_activations(model, tok, alphabet="dna", batch_size=16)
    assert act.shape == (n, 1, conv(torch.zeros(1, 4, length)).shape[-1])
    best = act[:, 0].argmax(axis=1)
    assert np.all(best * s - left == np.array(positions))

    (fm,), _ = extract_motifs(model, tok, alphabet="dna", threshold=0.9, pseudocount=0.0, trim_bits=0.0)
    assert fm.skipped is None and fm.motif.consensus() == kmer and fm.start == 0
    assert fm.nsites >= n
    # Every site is an exact copy: each column is a single letter.
    assert np.all(fm.motif.pfm.max(axis=1) == 1.0)
    assert np.all(fm.counts.sum(axis=1) == fm.nsites)


def test_dilated_filter_counts_only_its_taps():
    conv = nn.Conv1d(4, 1, 4, dilation=2, padding="same")
    set_filter(conv, 0, kmer_weights("AGCT"))
    rng = np.random.default_rng(1)
    n, length = 80, 40
    positions = rng.integers(4, length - 10, size=n)
    tok = random_tokens(rng, n, length)
    for i, p in enumerate(positions):  # A?G?C?T with random letters in the gaps
        tok[i, p : p + 7 : 2] = encode("AGCT")
    (fm,), _ = extract_motifs(ConvOnly(conv), tok, alphabet="dna", threshold=0.9,
                              pseudocount=0.0, trim_bits=0.0)
    assert fm.motif.width == 4 and fm.motif.consensus() == "AGCT"
    assert np.all(fm.motif.pfm.max(axis=1) == 1.0)
    act = filter_activations(ConvOnly(conv), tok, alphabet="dna")[:, 0]
    # Output j reads taps j - 3, j - 1, j + 1, j + 3 (left padding 3).
    assert np.all(act[np.arange(n), positions + 3] == 4.0)


# -- motifs from a DeepBind model -----------------------------------------------------------------


@pytest.fixture(scope="module")
def ctcf8():
    """An 8-column slice of JASPAR's CTCF (MA0139.2), its log-odds and its consensus."""
    pfm = motifs_from_jaspar(["MA0139"])[0].pfm[4:12]
    logodds = np.log2((pfm + 0.01) / 1.04 / 0.25)
    return pfm, torch.tensor(logodds.T, dtype=torch.float32)


def sample_sites(rng, pfm: np.ndarray, n: int) -> list[str]:
    cum = pfm.cumsum(axis=1)
    draws = (rng.random((n, len(pfm), 1)) > cum[None]).sum(axis=2)
    return ["".join("ACGT"[i] for i in row) for row in np.minimum(draws, 3)]


def test_deepbind_filter_recovers_planted_jaspar_motif(ctcf8):
    pfm, logodds = ctcf8
    torch.manual_seed(0)
    model = build_model("deepbind", n_channels=4, n_outputs=1, n_filters=3, filter_width=8,
                        hidden=0, dropout=0.0).eval()
    set_filter(model.first_conv, 0, logodds)
    set_filter(model.first_conv, 2, torch.zeros(4, 8), bias=0.5)  # dead: constant output
    rng = np.random.default_rng(2)
    n, length = 300, 60
    tok = random_tokens(rng, n, length)
    for i, site in enumerate(sample_sites(rng, pfm, 200)):
        p = int(rng.integers(0, length - 8))
        tok[i, p : p + 8] = encode(site)

    filters, background = extract_motifs(model, tok, alphabet="dna")
    assert [f.index for f in filters] == [0, 1, 2]
    assert all(isinstance(f, FilterMotif) for f in filters)
    f0 = filters[0]
    consensus = "".join("ACGT"[i] for i in pfm.argmax(axis=1))
    assert f0.skipped is None and f0.motif.name == "filter_0"
    # Trimming may drop a weak end column; what is left sits where it was.
    assert consensus[f0.start : f0.start + f0.motif.width] == f0.motif.consensus()
    assert f0.motif.width >= 6 and f0.nsites >= 150
    # Weak chance matches dilute the sites, but the letter preferences are CTCF's.
    truth = pfm[f0.start : f0.start + f0.motif.width]
    r = [np.corrcoef(a, b)[0, 1] for a, b in zip(f0.motif.pfm, truth)]
    assert min(r) > 0.8, r
    assert f0.motif.information_content(background).sum() > 3.0
    assert filters[2].motif is None and filters[2].skipped == "0 sites < 10"
    assert filters[2].nsites == 0
    np.testing.assert_allclose(background.sum(), 1.0)
    np.testing.assert_allclose(background, np.bincount(tok.ravel(), minlength=4) / tok.size)


def test_deepbind_activation_length_and_both_strands():
    model = build_model("deepbind", n_channels=4, n_outputs=1, n_filters=2, filter_width=6,
                        both_strands=True).eval()
    set_filter(model.first_conv, 0, kmer_weights("GATTAC"))
    rng = np.random.default_rng(3)
    tok = random_tokens(rng, 40, 30)
    assert filter_activations(model, tok, alphabet="dna").shape == (40, 2, 31)  # even width: L + 1
    # Sites only on the minus strand: found when the model scans both strands.
    tok = plant(tok, "GTAATC", [5] * 40)
    (f0, _), _ = extract_motifs(model, tok, alphabet="dna", threshold=0.9)
    assert f0.motif is not None and f0.motif.consensus() == "GATTAC" and f0.nsites >= 40
    (f0, _), _ = extract_motifs(model, tok, alphabet="dna", threshold=0.9, both_strands=False)
    assert f0.motif is None or f0.nsites < 40


# -- edges, unknown letters, background -----------------------------------------------------------


def test_windows_off_the_edge_count_in_range_letters_only():
    conv = nn.Conv1d(4, 1, 7, padding=3)
    set_filter(conv, 0, kmer_weights("ACGT", width=7, at=3))  # taps 0-2 carry no weight
    rng = np.random.default_rng(4)
    n = 50
    tok = random_tokens(rng, n, 30)
    tok[:, :4] = encode("ACGT")  # every sequence starts with the site: taps 0-2 hang off
    (fm,), _ = extract_motifs(ConvOnly(conv), tok, alphabet="dna", threshold=0.9,
                              pseudocount=0.0, trim_bits=0.0)
    totals = fm.counts.sum(axis=1)
    assert np.all(totals[3:] == fm.nsites) and fm.nsites >= n
    # Off-edge columns only count the (few) interior sites.
    assert np.all(totals[:3] == fm.nsites - n)
    assert fm.motif.consensus()[3:] == "ACGT"
    (fm,), _ = extract_motifs(ConvOnly(conv), tok, alphabet="dna", threshold=0.9)
    assert fm.motif.consensus() == "ACGT" and fm.start == 3  # flanks trimmed


def test_unknown_letters_contribute_nothing():
    conv = nn.Conv1d(4, 1, 6, padding="same")
    set_filter(conv, 0, kmer_weights("CAGGTA"))
    rng = np.random.default_rng(5)
    tok = plant(random_tokens(rng, 40, 30), "CAGGTA", [10] * 40)
    kw = dict(alphabet="dna", threshold=0.5, pseudocount=0.0, trim_bits=0.0)
    (base,), bg = extract_motifs(ConvOnly(conv), tok, **kw)

    # All-N records (and N padding) change neither the thresholds nor the counts.
    padded = np.concatenate([tok, np.full((10, 30), N_TOKEN, dtype=np.uint8)])
    (same,), bg2 = extract_motifs(ConvOnly(conv), padded, **kw)
    assert same.threshold == pytest.approx(base.threshold) and same.nsites == base.nsites
    np.testing.assert_array_equal(same.counts, base.counts)
    np.testing.assert_allclose(bg2, bg)

    # An N inside half of the sites: that column counts fewer letters, the rest do not.
    holed = plant(tok, "CANGTA", [10] * 20 + [None] * 20)
    (fm,), bg3 = extract_motifs(ConvOnly(conv), holed, **{**kw, "threshold": 0.6})
    totals = fm.counts.sum(axis=1)
    assert totals[2] < totals[0] and totals[0] == totals[1] == totals[3]
    assert fm.motif.consensus() == "CAGGTA"
    expected = np.bincount(holed[holed < 4], minlength=4) / (holed < 4).sum()
    np.testing.assert_allclose(bg3, expected)
    np.testing.assert_allclose(bg3.sum(), 1.0)


def test_trimming_and_skip_reasons():
    conv = nn.Conv1d(4, 3, 10, padding="same")
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.zero_()
    set_filter(conv, 0, kmer_weights("ACGTAC", width=10, at=2))
    set_filter(conv, 1, kmer_weights("TTTGGG", width=10, at=2))  # never planted: few sites
    rng = np.random.default_rng(6)
    tok = plant(random_tokens(rng, 300, 40), "ACGTAC", rng.integers(5, 30, size=300))
    filters, _ = extract_motifs(ConvOnly(conv), tok, alphabet="dna", threshold=0.9, min_sites=20)
    assert filters[0].motif.consensus() == "ACGTAC" and filters[0].start == 2
    assert filters[0].motif.width == 6  # random flanking columns are below 0.2 bits
    assert filters[0].counts.shape == (10, 4)
    assert filters[1].motif is None and filters[1].skipped.endswith("sites < 20")
    assert filters[2].skipped == "0 sites < 20"  # an all-zero filter never exceeds its mean
    filters, _ = extract_motifs(ConvOnly(conv), tok, alphabet="dna", threshold=0.9, trim_bits=10)
    assert filters[0].motif is None and filters[0].skipped == "no column reaches 10 bits"
    filters, _ = extract_motifs(ConvOnly(conv), tok, alphabet="dna", threshold=0.9, trim_bits=0)
    assert filters[0].motif.width == 10 and filters[0].start == 0
    assert filters[0].motif.nsites == filters[0].nsites


# -- reverse-complement twins ----------------------------------------------------------------------


KMER = "GACTTCAG"  # not its own reverse complement (CTGAAGTC)


def twin_model() -> ConvOnly:
    conv = nn.Conv1d(4, 3, 10, padding="same")
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.zero_()
    set_filter(conv, 0, kmer_weights(KMER, width=10, at=0))
    set_filter(conv, 1, kmer_weights("CTGAAGTC", width=10, at=2))  # the twin, shifted
    set_filter(conv, 2, kmer_weights("TTACGCGT", width=10, at=1))
    return ConvOnly(conv)


@pytest.fixture(scope="module")
def twin_tokens():
    rng = np.random.default_rng(8)
    n = 200
    tok = random_tokens(rng, n, 40)
    strand = rng.random(n) < 0.5
    for i in range(n):
        site = KMER if strand[i] else "CTGAAGTC"
        p = int(rng.integers(3, 28))
        tok[i, p : p + 8] = encode(site)
        if i % 2:
            tok[i, 0:8] = encode("TTACGCGT")
    return tok


def test_reverse_complement_twins_are_merged(twin_tokens):
    model = twin_model()
    kw = dict(alphabet="dna", threshold=0.9, pseudocount=0.0)
    apart, _ = extract_motifs(model, twin_tokens, merge_rc=False, **kw)
    assert [f.motif is not None for f in apart] == [True, True, True]
    merged, _ = extract_motifs(model, twin_tokens, merge_rc=True, **kw)
    keep, twin, other = merged
    assert keep.merged == (1,) and keep.motif.name == "filter_0"
    assert keep.motif.alt_name == "filter_0+filter_1_rc"
    assert keep.nsites == apart[0].nsites + apart[1].nsites == keep.motif.nsites
    # Aligned by TOMTOM's offset: the merged columns are still pure.
    assert keep.motif.consensus() == KMER and np.all(keep.motif.pfm.max(axis=1) == 1.0)
    assert keep.start == 0
    assert twin.motif is None and twin.merged_into == 0
    assert twin.skipped == "merged into filter_0 as its reverse complement"
    assert other.merged == () and other.motif.consensus() == "TTACGCGT"


def test_pearson_fallback_when_tomtom_fails(twin_tokens, monkeypatch):
    import seqnet.motifs.match as match

    def broken(*args, **kwargs):
        raise ValueError("no TOMTOM today")

    monkeypatch.setattr(match, "run_tomtom", broken)
    with pytest.warns(UserWarning, match="merging by column correlation"):
        merged, _ = extract_motifs(twin_model(), twin_tokens, alphabet="dna", threshold=0.9,
                                   pseudocount=0.0, merge_rc=True)
    assert merged[0].merged == (1,) and merged[0].motif.consensus() == KMER
    assert np.all(merged[0].motif.pfm.max(axis=1) == 1.0)
    assert merged[2].merged == ()


def test_merge_default_follows_training_config():
    def trained(rc_augment, alphabet=DNA):
        return TrainedModel(model=nn.Identity(), name="deepbind", model_args={}, alphabet=alphabet,
                            length=10, task_type="binary", names=["t"],
                            config={"train": {"rc_augment": rc_augment}})

    assert default_merge_rc(trained(True)) is True
    assert default_merge_rc(trained(False)) is False
    assert default_merge_rc(trained(True, PROTEIN)) is False


def test_trained_model_supplies_the_merge_default(twin_tokens):
    def trained(rc_augment):
        return TrainedModel(model=twin_model(), name="deepbind", model_args={}, alphabet=DNA,
                            length=40, task_type="binary", names=["t"],
                            config={"train": {"rc_augment": rc_augment}})

    kw = dict(alphabet="dna", threshold=0.9)
    assert extract_motifs(trained(True), twin_tokens, **kw)[0][0].merged == (1,)
    assert extract_motifs(trained(False), twin_tokens, **kw)[0][0].merged == ()
    assert extract_motifs(trained(True), twin_tokens, merge_rc=False, **kw)[0][0].merged == ()


# -- errors -------------------------------------------------------------------------------------


def test_model_without_convolution_is_a_config_error():
    model = build_model("lstm", n_channels=4, n_outputs=1, lstm_hidden=4, hidden=0)
    tok = np.zeros((2, 10), dtype=np.uint8)
    message = "model 'lstm' has no convolutional first layer; motifs can only be read from convolutional filters"
    with pytest.raises(ConfigError, match=message):
        extract_motifs(model, tok, alphabet="dna")
    with pytest.raises(ConfigError, match="no convolutional first layer"):
        filter_activations(model, tok, alphabet="dna")


def test_bad_options_and_inputs():
    model = ConvOnly(nn.Conv1d(4, 2, 5))
    tok = np.zeros((3, 20), dtype=np.uint8)
    for kwargs, message in [
        ({"threshold": 1.0}, "threshold must be in"),
        ({"min_sites": 0}, "min_sites must be"),
        ({"trim_bits": -1}, "trim_bits"),
        ({"pseudocount": -0.1}, "pseudocount"),
        ({"unknown": "ones"}, "unknown must be"),
        ({"alphabet": "protein"}, "takes 4 channels but the protein alphabet has 20"),
    ]:
        with pytest.raises(ConfigError, match=message):
            extract_motifs(model, tok, **{"alphabet": "dna", **kwargs})
    with pytest.raises(InputError, match="hold no ACGT letters"):
        extract_motifs(model, np.full((3, 20), N_TOKEN, dtype=np.uint8), alphabet="dna")
    with pytest.raises(InputError, match="tokens must lie in"):
        extract_motifs(model, np.full((3, 20), 9, dtype=np.uint8), alphabet="dna")
    protein_model = ConvOnly(nn.Conv1d(20, 2, 5))
    with pytest.raises(ConfigError, match="no reverse complement"):
        extract_motifs(protein_model, tok, alphabet="protein", merge_rc=True)


def test_protein_filters():
    conv = nn.Conv1d(20, 1, 3, padding=1)
    with torch.no_grad():
        conv.weight.fill_(-1.0)
        conv.bias.zero_()
        for i, letter in enumerate("WKD"):
            conv.weight[0, PROTEIN.letters.index(letter), i] = 1.0
    rng = np.random.default_rng(9)
    tok = rng.integers(0, 20, size=(50, 25)).astype(np.uint8)
    tok[:, 10:13] = encode("WKD", "protein")
    (fm,), bg = extract_motifs(ConvOnly(conv), tok, alphabet="protein", threshold=0.9)
    assert fm.motif.alphabet == PROTEIN.letters and fm.motif.consensus() == "WKD"
    assert bg.shape == (20,)


# -- filter influence ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def influence_setup():
    """DeepBind with one filter that detects the label's k-mer and two dead ones."""
    model = build_model("deepbind", n_channels=4, n_outputs=1, n_filters=3, filter_width=6,
                        hidden=0, dropout=0.0, pool="max").eval()
    set_filter(model.first_conv, 0, kmer_weights("GATTAC"), bias=-4.0)
    set_filter(model.first_conv, 1, torch.randn(4, 6, generator=torch.Generator().manual_seed(0)),
               bias=-50.0)  # never positive: ReLU zeroes it
    set_filter(model.first_conv, 2, torch.zeros(4, 6), bias=0.0)
    with torch.no_grad():
        model.head[-1].weight.copy_(torch.tensor([[1.0, 3.0, 2.0]]))
        model.head[-1].bias.fill_(-1.0)
    rng = np.random.default_rng(10)
    y = (rng.random(120) < 0.5).astype(np.float32)
    tok = plant(random_tokens(rng, 120, 30), "GATTAC",
                [int(p) if lab else None for p, lab in zip(rng.integers(0, 24, 120), y)])
    return model, tok, y[:, None]


def test_filter_influence_finds_the_used_filter(influence_setup):
    model, tok, y = influence_setup
    before = {k: v.clone() for k, v in model.state_dict().items()}
    drop = filter_influence(model, SequenceInputs(tok, "dna"), y, task_type="binary", batch_size=32)
    assert drop.shape == (3,)
    assert drop[0] > 0.3 and drop[1] == 0.0 and drop[2] == 0.0
    change = filter_influence(model, SequenceInputs(tok, "dna"), task_type="binary")
    assert change[0] > 0.05 and change[1] == 0.0 and change[2] == 0.0
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    assert not model.training


def test_ablation_restores_weights_even_on_error(influence_setup):
    model, _, _ = influence_setup
    conv = model.first_conv
    weight, bias = conv.weight.detach().clone(), conv.bias.detach().clone()
    with pytest.raises(RuntimeError, match="boom"), ablate_filter(conv, 0):
        assert torch.all(conv.weight[0] == 0) and conv.bias[0] == 0
        assert torch.equal(conv.weight[1], weight[1])
        raise RuntimeError("boom")
    assert torch.equal(conv.weight, weight) and torch.equal(conv.bias, bias)
    with pytest.raises(ConfigError, match="filter index 3 out of range"), ablate_filter(conv, 3):
        pass


def test_filter_influence_errors(influence_setup):
    model, tok, y = influence_setup
    with pytest.raises(InputError, match="AUROC is undefined"):
        filter_influence(model, SequenceInputs(tok, "dna"), np.zeros_like(y), task_type="binary")
    with pytest.raises(InputError, match="labels for"):
        filter_influence(model, SequenceInputs(tok, "dna"), y[:5], task_type="binary")
    with pytest.raises(ConfigError, match="task_type"):
        filter_influence(model, SequenceInputs(tok, "dna"), y, task_type="regression")
    lstm = build_model("lstm", n_channels=4, n_outputs=1, lstm_hidden=4, hidden=0)
    with pytest.raises(ConfigError, match="no convolutional first layer"):
        filter_influence(lstm, SequenceInputs(tok, "dna"), y, task_type="binary")
