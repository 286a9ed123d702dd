"""Shared set-up of the apply benchmarks (variants.py, scan.py, ism.py): a DeepBind model
trained on planted CTCF sites, and a planted-motif genome it has not seen.

Everything lands in a work folder and is reused by later runs (delete it to start over).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

LENGTH = 200
SEQNET = [sys.executable, "-m", "seqnet", "--threads", "1"]


def sh(args: list, **kw) -> subprocess.CompletedProcess:
    """Run a seqnet command; stop with its output when it fails."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{proc.stdout}\n{proc.stderr}")
    return proc


def trained_model(work: Path, epochs: int = 8) -> Path:
    """``seqnet simulate`` (CTCF with decoys, 2,000 + 2,000 x 200 bp) -> ``seqnet train`` (deepbind)."""
    run = work / "run"
    if (run / "model.pt").is_file():
        return run
    sim = work / "train_sim"
    sh([*SEQNET, "simulate", "--out", sim, "--n", 2000, "--length", LENGTH, "--motifs", "CTCF,GATA1,MA0080",
        "--seed", 0])
    sh([*SEQNET, "train", "--positives", sim / "positives.fa", "--negatives", sim / "negatives.fa", "--epochs", epochs,
        "--seed", 0, "--out", run, "--quiet"])
    return run


def planted_genome(work: Path, n: int = 400):
    """A two-chromosome genome of unseen simulated sequences (CTCF positives and decoy-only
    negatives, alternating), the planted CTCF sites in genome coordinates, every planted site,
    and the CTCF motif.

    Returns
    -------
    genome : Path
    ctcf_sites : list of (chrom, start, strand)
    all_sites : list of (chrom, start, end)
    motif : seqnet.motifs.motif.Motif
    """
    from seqnet.io.fasta import read_fasta, write_fasta
    from seqnet.simulate import simulate

    data = simulate(work / "genome_sim", n=n, length=LENGTH, motifs=["CTCF", "GATA1", "MA0080"], seed=7)
    pos_ids, pos = read_fasta(data.positives_fasta)
    neg_ids, neg = read_fasta(data.negatives_fasta)
    headers = {}
    for path in (data.positives_fasta, data.negatives_fasta):
        for line in Path(path).read_text().splitlines():
            if line.startswith(">"):
                rid, _, rest = line[1:].partition(" ")
                headers[rid] = rest
    widths = dict(zip(data.columns, (m.pfm.shape[0] for m in data.motifs)))
    ctcf, every, chroms = [], [], {}
    for c in range(2):
        parts, offset = [], 0
        for k in range(c * n // 2, (c + 1) * n // 2):
            for rid, seq in ((pos_ids[k], pos[k]), (neg_ids[k], neg[k])):
                for site in headers[rid].replace("sites=", "").split(","):
                    if site in ("", "none"):
                        continue
                    name, start, strand = site.rsplit(":", 2)
                    g = offset + int(start)
                    every.append((f"chr{c + 1}", g, g + widths.get(name, 30)))
                    if name == data.columns[0]:
                        ctcf.append((f"chr{c + 1}", g, strand))
                parts.append(seq)
                offset += len(seq)
        chroms[f"chr{c + 1}"] = "".join(parts)
    genome = work / "planted_genome.fa"
    write_fasta(genome, list(chroms), list(chroms.values()), line_width=60)
    return genome, ctcf, every, data.motifs[0]


def random_snvs(genome_seqs: dict[str, str], n: int, seed: int, margin: int = LENGTH) -> list[tuple[str, int, str, str]]:
    """``n`` random SNVs (chrom, 1-based pos, ref, alt) away from the chromosome ends, ref in ACGT."""
    rng = np.random.default_rng(seed)
    chroms = list(genome_seqs)
    out = []
    while len(out) < n:
        c = chroms[int(rng.integers(len(chroms)))]
        p = int(rng.integers(margin, len(genome_seqs[c]) - margin))
        ref = genome_seqs[c][p - 1].upper()
        if ref in "ACGT":
            out.append((c, p, ref, "ACGT".replace(ref, "")[int(rng.integers(3))]))
    return out


def write_vcf(path: Path, snvs) -> Path:
    rows = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    rows += [f"{c}\t{p}\tv{k}\t{r}\t{a}\t.\t.\t." for k, (c, p, r, a) in enumerate(snvs)]
    path.write_text("\n".join(rows) + "\n")
    return path


def read_genome(path: Path) -> dict[str, str]:
    from seqnet.io.fasta import read_fasta

    ids, seqs = read_fasta(path)
    return {i: s.upper() for i, s in zip(ids, seqs)}
