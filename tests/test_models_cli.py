"""Every registered architecture trains and predicts through the CLI, on DNA and protein."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import write
from seqnet.models import MODELS
from test_models_zoo import SMALL


def _fasta(path, rng, alphabet, n, lo, hi, motif=None):
    recs = []
    for i in range(n):
        s = "".join(rng.choice(list(alphabet), int(rng.integers(lo, hi + 1))))
        if motif:
            p = int(rng.integers(0, len(s) - len(motif)))
            s = s[:p] + motif + s[p + len(motif):]
        recs.append(f">{path.stem}{i}\n{s}\n")
    return write(path, "".join(recs))


@pytest.fixture(scope="module")
def dna_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("zoo_dna")
    rng = np.random.default_rng(0)
    return _fasta(d / "pos.fa", rng, "ACGT", 40, 60, 90, "GGGGCCCC"), _fasta(d / "neg.fa", rng, "ACGT", 40, 60, 90)


@pytest.fixture(scope="module")
def protein_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("zoo_prot")
    rng = np.random.default_rng(1)
    aa = "ACDEFGHIKLMNPQRSTVWY"
    return _fasta(d / "pos.fa", rng, aa, 30, 50, 70, "WWKWW"), _fasta(d / "neg.fa", rng, aa, 30, 50, 70)


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("alphabet", ["dna", "protein"])
def test_train_predict_every_model(name, alphabet, dna_files, protein_files, tmp_path, cli):
    pos, neg = dna_files if alphabet == "dna" else protein_files
    cfg = write(tmp_path / "c.yaml", yaml.safe_dump({"model": name, "model_args": SMALL[name]}))
    out = tmp_path / "run"
    result = cli("train", "--positives", pos, "--negatives", neg, "--config", cfg, "--alphabet", alphabet,
                 "--epochs", 1, "--batch-size", 16, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((out / "config.yaml").read_text())["model"] == name
    preds = tmp_path / "p.tsv"
    result = cli("predict", out, "--fasta", pos, "--out", preds)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(preds, sep="\t")
    assert len(table) == (40 if alphabet == "dna" else 30) and table.bound.between(0, 1).all()  # issue 15: task "bound"
