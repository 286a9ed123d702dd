"""Make the small inputs of the workflow's test configuration (data/), deterministically.

    python workflows/.test/make_data.py        # rewrites workflows/.test/data/

* ``genome.fa`` + ``peaks.bed``: two 24 kb chromosomes built from planted-motif
  sequences: every 400 bp, one 100 bp peak carrying CTCF, then 300 bp of background
  (sample ``peaks``: BED + genome, GC-matched genomic negatives);
* ``gata_positives.fa``: 150 sequences carrying GATA1 (sample ``gata``: FASTA +
  shuffled negatives);
* ``gata_test.tsv``: a held-out labelled table in DeepBind's layout (FoldID, EventID,
  seq, Bound): 50 GATA1 sequences (Bound 1) and 50 background ones (Bound 0).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from seqnet.io.fasta import read_fasta, write_fasta
from seqnet.simulate import simulate

HERE = Path(__file__).resolve().parent / "data"
LENGTH = 100
PEAKS_PER_CHROM = 60


def main() -> None:
    HERE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ctcf = simulate(Path(tmp) / "ctcf", n=3 * 2 * PEAKS_PER_CHROM, length=LENGTH, motifs=["CTCF", "GATA1"], seed=11)
        gata = simulate(Path(tmp) / "gata", n=200, length=LENGTH, motifs=["GATA1", "CTCF"], seed=12)
        _, peak_seqs = read_fasta(ctcf.positives_fasta)
        _, background = read_fasta(ctcf.negatives_fasta)
        names, chroms, bed = [], [], []
        for c in range(2):
            parts = []
            for i in range(PEAKS_PER_CHROM):
                k = c * PEAKS_PER_CHROM + i
                start = 4 * LENGTH * i
                parts.append(peak_seqs[k])
                parts.extend(background[3 * k : 3 * k + 3])
                bed.append(f"chr{c + 1}\t{start}\t{start + LENGTH}\tpeak{k + 1}\n")
            names.append(f"chr{c + 1}")
            chroms.append("".join(parts))
        write_fasta(HERE / "genome.fa", names, chroms, line_width=60)
        (HERE / "peaks.bed").write_text("".join(bed))

        _, seqs = read_fasta(gata.positives_fasta)
        _, neg_seqs = read_fasta(gata.negatives_fasta)
        write_fasta(HERE / "gata_positives.fa", [f"gata{i + 1}" for i in range(150)], seqs[:150])
        rows = ["FoldID\tEventID\tseq\tBound\n"]
        rows += [f"B\ttest_pos{i + 1}\t{s}\t1\n" for i, s in enumerate(seqs[150:200])]
        rows += [f"B\ttest_neg{i + 1}\t{s}\t0\n" for i, s in enumerate(neg_seqs[150:200])]
        (HERE / "gata_test.tsv").write_text("".join(rows))


if __name__ == "__main__":
    main()
