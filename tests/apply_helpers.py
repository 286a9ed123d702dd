"""Small seeded models and genomes for the tests of seqnet.apply (scan, variants, trunk)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


def make_run(folder: Path, *, model: str = "deepbind", length: int = 60, names=("a", "b"), alphabet: str = "dna",
             seed: int = 0, task_type: str | None = None, unknown: str = "zeros", **model_args) -> Path:
    """A run directory holding only ``model.pt``: a seeded, untrained model (weights scaled up so
    predictions vary)."""
    from seqnet.alphabets import get_alphabet
    from seqnet.checkpoint import make_checkpoint, save
    from seqnet.models import build_model

    torch.manual_seed(seed)
    args = {"n_channels": get_alphabet(alphabet).size, "length": length, "n_outputs": len(names), **model_args}
    net = build_model(model, **args).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(3.0)
    folder.mkdir(parents=True, exist_ok=True)
    task_type = task_type or ("binary" if len(names) == 1 else "multilabel")
    save(folder / "model.pt", make_checkpoint(net, name=model, model_args=args, alphabet=get_alphabet(alphabet),
                                              length=length, task_type=task_type, names=list(names),
                                              preprocess={"unknown": unknown, "fit": "center"}, config={}))
    return folder


def make_genome(path: Path, sizes=(("chr1", 3000), ("chr2", 1700)), *, seed: int = 0, n_run=("chr1", 1000, 1400),
                line: int = 60) -> dict[str, str]:
    """A random genome FASTA (lower-case stretches and an N run included); returns the sequences."""
    rng = np.random.default_rng(seed)
    seqs = {}
    for name, n in sizes:
        s = "".join(rng.choice(list("ACGT"), n))
        seqs[name] = s
    if n_run is not None:
        c, a, b = n_run
        seqs[c] = seqs[c][:a] + "N" * (b - a) + seqs[c][b:]
    c = sizes[0][0]
    seqs[c] = seqs[c][:100] + seqs[c][100:160].lower() + seqs[c][160:]
    with open(path, "w") as fh:
        for name, s in seqs.items():
            fh.write(f">{name} test\n")
            fh.write("".join(s[i : i + line] + "\n" for i in range(0, len(s), line)))
    return {k: v.upper() for k, v in seqs.items()}


def write_vcf(path: Path, rows: list[str], header: bool = True) -> Path:
    """A VCF with the minimal header and tab-separated ``rows`` (``chrom pos id ref alt`` + optional rest)."""
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"] if header else []
    for r in rows:
        f = r.split()
        f += ["."] * (8 - len(f))
        lines.append("\t".join(f))
    path.write_text("\n".join(lines) + "\n")
    return path
