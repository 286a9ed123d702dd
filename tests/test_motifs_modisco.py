"""TF-MoDISco patterns from attribution maps (seqnet.motifs.modisco, modisco-lite)."""

from __future__ import annotations

import numpy as np
import pytest

from seqnet.encode import encode, one_hot
from seqnet.errors import ConfigError
from seqnet.motifs.modisco import MIN_SEQUENCES, modisco_patterns

KMER = "TGACGTCAGG"


@pytest.fixture(scope="module")
def maps():
    """300 random sequences of 100 bp, KMER planted in 240 of them; the maps credit the
    planted letters (+1.3, the other letters there -0.3), with noise everywhere."""
    rng = np.random.default_rng(0)
    n, length = 300, 100
    tok = rng.integers(0, 4, size=(n, length)).astype(np.uint8)
    hyp = rng.normal(0, 0.1, size=(n, 4, length)).astype(np.float32)
    site = encode(KMER)
    for i in range(240):
        p = int(rng.integers(5, length - len(KMER) - 5))
        tok[i, p : p + len(KMER)] = site
        hyp[i, :, p : p + len(KMER)] -= 0.3
        hyp[i, site, np.arange(p, p + len(KMER))] += 1.3
    return one_hot(tok, "dna"), hyp


def test_modisco_finds_the_planted_pattern(maps):
    x, hyp = maps
    pats = modisco_patterns(x, hyp)
    assert pats, "no pattern found"
    top = pats[0]
    assert top.sign == "+" and top.motif.name == "pattern_1" and top.seqlets == top.motif.nsites >= 20
    cons = top.motif.consensus()
    rc = "".join({"A": "T", "C": "G", "G": "C", "T": "A"}[c] for c in reversed(KMER))
    assert KMER[1:-1] in cons or rc[1:-1] in cons, cons
    assert len(top.examples) == len(top.starts) == len(top.ends) == len(top.revcomp) == top.seqlets
    assert (top.examples < 240).mean() > 0.95  # seqlets come from the sequences with the site
    assert top.contribution > 0


def test_modisco_errors(maps):
    x, hyp = maps
    with pytest.raises(ConfigError, match=f"at least {MIN_SEQUENCES} attributed sequences, got 50"):
        modisco_patterns(x[:50], hyp[:50])
    with pytest.raises(ConfigError, match="must be the same"):
        modisco_patterns(x, hyp[:, :, :10])
    with pytest.raises(ConfigError, match="DNA or RNA maps"):
        modisco_patterns(np.zeros((200, 20, 50)), np.zeros((200, 20, 50)))
    with pytest.raises(ConfigError, match="at least 100 bases, got 80"):
        modisco_patterns(x[:, :, :80], hyp[:, :, :80])
