"""Sharp filter motifs (seqnet.motifs.sites), clustering (seqnet.motifs.cluster), signed
group ablation (seqnet.motifs.influence.group_effects) and the main-set rules
(seqnet.motifs.tables), on tiny hand-built models with planted k-mers."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch
import torch.nn as nn

from seqnet.alphabets import DNA
from seqnet.encode import encode, reverse_complement
from seqnet.errors import ConfigError
from seqnet.inference import predict
from seqnet.kinds.sequence import SequenceInputs
from seqnet.motifs.cluster import cluster_motifs
from seqnet.motifs.extract import _Shaping
from seqnet.motifs.influence import ablate_filter, group_effects
from seqnet.motifs.motif import Motif
from seqnet.motifs.sites import filter_sites, motif_hits
from seqnet.motifs.tables import Candidate, Groups, direction, enrichment, select

KMER_A = "GATAAGCT"  # not its own reverse complement
KMER_B = "CCGGAAGT"


class ConvHead(nn.Module):
    """conv -> ReLU -> max over positions -> linear: logit = w . pooled."""

    def __init__(self, n_filters: int, width: int, head: list[float]) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, n_filters, width, padding=width // 2)
        self.head = nn.Linear(n_filters, 1)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.bias.zero_()
            self.head.weight[0] = torch.tensor(head)
            self.head.bias.zero_()

    @property
    def first_conv(self) -> nn.Conv1d:
        return self.conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.conv(x)).amax(dim=-1))


def kmer_weights(kmer: str, width: int) -> torch.Tensor:
    """+1 for the k-mer's letters, -1 for the others, at the first taps."""
    w = torch.zeros(4, width)
    for i, letter in enumerate(kmer):
        w[:, i] = -1.0
        w["ACGT".index(letter), i] = 1.0
    return w


def planted(seed: int = 0, n: int = 200, length: int = 60):
    """Random sequences; the first half carry KMER_A (on either strand), the second half KMER_B."""
    rng = np.random.default_rng(seed)
    tok = rng.integers(0, 4, size=(n, length)).astype(np.uint8)
    for i in range(n):
        kmer = KMER_A if i < n // 2 else KMER_B
        site = encode(kmer)
        if i % 2:
            site = reverse_complement(site[None], DNA)[0]
        p = int(rng.integers(5, length - len(site) - 5))
        tok[i, p : p + len(site)] = site
    return tok


@pytest.fixture(scope="module")
def model():
    """Filter 0 reads KMER_A, filter 1 its reverse complement, filter 2 KMER_B, filter 3 nothing."""
    torch.manual_seed(0)
    m = ConvHead(4, 10, [1.0, 1.0, -1.0, 0.0]).eval()
    rc_a = "".join({"A": "T", "C": "G", "G": "C", "T": "A"}[c] for c in reversed(KMER_A))
    with torch.no_grad():
        m.conv.weight[0] = kmer_weights(KMER_A, 10)
        m.conv.weight[1] = kmer_weights(rc_a, 10)
        m.conv.weight[2] = kmer_weights(KMER_B, 10)
        m.conv.weight[3] = 0.01 * torch.randn(4, 10)
    return m


def test_sites_are_the_planted_kmers_once_per_sequence_and_strand(model):
    tok = planted()
    scan = filter_sites(model, tok, alphabet="dna", min_sites=5)
    f0, f2, f3 = scan.filters[0], scan.filters[2], scan.filters[3]
    assert scan.hits.shape == (4, 2, 200) and scan.strands == 2
    # KMER_A is in the first 100 sequences, on one strand each: one site per sequence.
    assert scan.hits[0].any(axis=0)[:100].all() and scan.hits[0].any(axis=0)[100:].sum() <= 5
    assert 100 <= f0.nsites <= 110 and f0.nsites == scan.hits[0].sum()
    assert f0.motif.consensus().startswith(KMER_A)
    assert f0.motif.information_content().sum() > 14  # 8 sharp columns of ~2 bits
    assert f2.motif.consensus().startswith(KMER_B) and scan.hits[2].any(axis=0)[100:].all()
    # A filter reading nothing fires on real sequence as on shuffled sequence: skipped.
    assert f3.motif is None and "expected from shuffled sequence" in f3.skipped
    assert np.isclose(scan.expected, 0.01 * 2 * 200)


def test_sites_are_deterministic_and_one_strand_option(model):
    tok = planted()
    a = filter_sites(model, tok, alphabet="dna", min_sites=5, seed=3)
    b = filter_sites(model, tok, alphabet="dna", min_sites=5, seed=3)
    np.testing.assert_array_equal(a.thresholds, b.thresholds)
    one = filter_sites(model, tok, alphabet="dna", min_sites=5, both_strands=False)
    assert one.hits.shape == (4, 1, 200)
    # on the plus strand only, KMER_A is read forward in half of its sequences
    assert 45 <= one.filters[0].nsites <= 60


def test_basset_threshold_option_counts_one_site_per_sequence_and_strand(model):
    tok = planted()
    scan = filter_sites(model, tok, alphabet="dna", threshold=0.8, min_sites=5)
    assert "mean to max" in scan.rule and np.isnan(scan.expected)
    assert scan.filters[0].nsites <= 2 * len(tok)


def test_site_option_errors(model):
    tok = planted()
    with pytest.raises(ConfigError, match="site_fpr must be in"):
        filter_sites(model, tok, alphabet="dna", fpr=0.0)
    with pytest.raises(ConfigError, match="threshold must be in"):
        filter_sites(model, tok, alphabet="dna", threshold=1.0)
    with pytest.raises(ConfigError, match="no reverse complement"):
        filter_sites(model, np.zeros((2, 10), np.uint8), alphabet="protein")


def test_clusters_merge_reverse_complement_twins(model):
    tok = planted()
    scan = filter_sites(model, tok, alphabet="dna", min_sites=5)
    kept = [f for f in scan.filters if f.motif is not None]
    shaping = _Shaping(scan.background, 0.1, 0.2, DNA, "filter")
    clusters = cluster_motifs(kept, scan.hits, shaping)
    by_filters = {tuple(sorted(c.filters)): c for c in clusters}
    assert set(by_filters) == {(0, 1), (2,)}
    twin = by_filters[(0, 1)]
    assert sorted(twin.strands) == ["+", "-"]
    # both filters read the same sites on opposite strands: the union counts each once per strand
    assert twin.nsites == int(np.any(scan.hits[[0, 1]], axis=0).sum()) <= 2 * 200
    cons = twin.motif.consensus()
    rc = "".join({"A": "T", "C": "G", "G": "C", "T": "A"}[c] for c in reversed(KMER_A))
    assert KMER_A in cons or rc in cons


def test_group_effects_are_signed_and_equal_weight_zeroing(model):
    tok = planted()
    inputs = SequenceInputs(tok, "dna")
    groups = [[0, 1], [2], [3], []]
    effects = group_effects(model, inputs, groups, task_type="binary", batch_size=37)
    assert effects.shape == (4, 1)
    assert effects[0, 0] > 0.05 and effects[1, 0] < -0.05 and effects[3, 0] == 0.0
    base = predict(model, inputs, task_type="binary")
    for g, e in zip(groups, effects[:, 0]):
        with contextlib.ExitStack() as stack:
            for i in g:
                stack.enter_context(ablate_filter(model.conv, i))
            brute = (base - predict(model, inputs, task_type="binary")).mean()
        assert e == pytest.approx(brute, abs=1e-6)
    # the model is left as it was
    assert "forward" not in vars(model.conv)
    np.testing.assert_allclose(predict(model, inputs, task_type="binary"), base)
    with pytest.raises(ConfigError, match="filter index 9 out of range"):
        group_effects(model, inputs, [[9]], task_type="binary")


def test_motif_hits_find_planted_sites():
    tok = planted()
    motif = Motif.from_counts(np.eye(4)[[ "ACGT".index(c) for c in KMER_A]] * 20, "a", pseudocount=1)
    hits = motif_hits([motif], tok, alphabet="dna", background=np.full(4, 0.25))
    assert hits.shape == (1, 200) and hits[0, :100].all() and hits[0, 100:].sum() <= 5


def test_directions_and_enrichment():
    y = np.array([1] * 6 + [0] * 4)
    groups = Groups.of(y[:, None], "binary", ["bound"], 10, positive="oct4", negative="mafk")
    assert direction(np.array([0.3]), groups)[:2] == ("raises P(oct4)", 0.3)
    assert direction(np.array([-0.2]), groups)[0] == "raises P(mafk)"
    hits = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], bool)
    text, ratio = enrichment(hits, groups, 0, True)
    assert text == "oct4 3/6 (50%); mafk 0/4 (0%)" and ratio == pytest.approx((3.5 / 7) / (0.5 / 5))
    multi = Groups.of(np.array([[1, 0], [0, 1], [1, 1]]), "multilabel", ["A", "B"], 3)
    assert direction(np.array([0.01, -0.4]), multi)[0] == "lowers P(B)"
    classes = Groups.of(np.array([0, 1, 2]), "multiclass", ["x", "y", "z"], 3)
    assert direction(np.array([-0.1, 0.05, 0.02]), classes)[0] == "raises P(y)"


def test_select_keeps_one_motif_per_factor():
    def cand(name, e, targets, method="filters"):
        m = Motif(name, np.full((4, 4), 0.25))
        return Candidate(m, method, None if e is None else np.array([e]), np.zeros(3, bool),
                         targets=dict.fromkeys(targets, "TF"), row={"name": name})

    cands = [cand("maf", -0.5, ["MA1"]), cand("pou", 0.3, ["MA2"]), cand("maf2", -0.2, ["MA1", "MA9"]),
             cand("weak", 0.001, []), cand("pat", None, ["MA2"], "modisco"), cand("new", None, [], "modisco")]
    main, other = select(cands, lambda a, b: False, max_motifs=15, min_influence=0.05)
    assert [c.row["name"] for c in main] == ["maf", "pou", "new"]
    assert [c.row["motif"] for c in main] == ["motif_1", "motif_2", "motif_3"]
    reasons = {c.row["name"]: c.reason for c in other}
    assert reasons["maf2"] == "redundant with motif_1 (both match MA1 TF)"
    assert reasons["weak"].startswith("weak influence")
    assert reasons["pat"] == "also found by filters as motif_2"
    main, other = select(cands, lambda a, b: False, max_motifs=1, min_influence=0.05)
    assert len(main) == 1 and any("beyond the 1 motifs" in c.reason for c in other)
