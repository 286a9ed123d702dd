"""``seqnet variants``: exactness, biology and speed on a planted-motif genome.

    python benchmarks/variants.py [--work WORK] [--snvs 1000] [--speed 2000]

1. Exactness: ``diff`` of random SNVs equals the difference of ``seqnet predict`` on the
   reference and alternative windows written out as FASTA (max |difference|), with
   ``--strand plus`` and ``--strand both`` (predict ``--rc-average``).
2. Biology: SNVs at high-information positions (>= 1 bit) of planted CTCF sites (in
   sequences with one CTCF site: a second one backs up the first) vs SNVs at least 30 bp
   from any planted site: AUROC of |diff| (strand both).
3. Speed, side by side on the same SNVs: ``seqnet variants`` (null 1000 included) vs a
   naive loop (per variant, one predict call on the reference and one on the
   alternative window, batch 1, both strands).

The model is a DeepBind trained on ``seqnet simulate`` CTCF data; the genome joins
unseen simulated sequences (see apply_common.py).  Needs no ../shared/data.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from apply_common import LENGTH, planted_genome, random_snvs, read_genome, trained_model, write_vcf


def exactness(run, genome, seqs, snvs, work: Path) -> list[tuple]:
    from seqnet.apply.variants import variant_effects
    from seqnet.inputs import InputSpec
    from seqnet.predict import predict_table

    half = LENGTH // 2
    ref_fa, alt_fa = work / "exact_ref.fa", work / "exact_alt.fa"
    ref_fa.write_text("".join(f">r{k}\n{seqs[c][p - 1 - half : p - 1 - half + LENGTH]}\n" for k, (c, p, r, a) in enumerate(snvs)))
    alt_fa.write_text("".join(f">a{k}\n{seqs[c][p - 1 - half : p - 1]}{a}{seqs[c][p : p - half + LENGTH - 1]}\n"
                              for k, (c, p, r, a) in enumerate(snvs)))
    vcf = write_vcf(work / "exact.vcf", snvs)
    rows = []
    for strand in ("plus", "both"):
        table = variant_effects(run, vcf, genome, work / f"exact_{strand}", strand=strand, null=0, device="cpu",
                                overwrite=True)["table"]
        kw = dict(rc_average=strand == "both", device="cpu")
        expected = (predict_table(run, InputSpec(fasta=alt_fa), **kw).iloc[:, 1]
                    - predict_table(run, InputSpec(fasta=ref_fa), **kw).iloc[:, 1]).to_numpy()
        err = float(np.abs(table.iloc[:, 8].to_numpy() - expected).max())
        rows.append((strand, len(snvs), err, "met" if err <= 1e-6 else "NOT met"))
    return rows


def biology(run, genome, seqs, ctcf, every, motif, work: Path, seed: int = 1) -> tuple:
    from sklearn.metrics import roc_auc_score

    from seqnet.apply.variants import variant_effects

    rng = np.random.default_rng(seed)
    ic = motif.information_content()
    strong = np.flatnonzero(ic >= 1.0)
    # A second CTCF site in the same sequence backs up the first (the model max-pools): use
    # sequences with one site.
    per_seq: dict[tuple[str, int], int] = {}
    for chrom, start, _ in ctcf:
        per_seq[(chrom, start // LENGTH)] = per_seq.get((chrom, start // LENGTH), 0) + 1
    hits = []
    for chrom, start, strand in ctcf:
        if per_seq[(chrom, start // LENGTH)] > 1:
            continue
        col = int(rng.choice(strong))
        offset = col if strand == "+" else motif.pfm.shape[0] - 1 - col
        p = start + offset + 1
        ref = seqs[chrom][p - 1]
        hits.append((chrom, p, ref, "ACGT".replace(ref, "")[int(rng.integers(3))]))
    covered = {c: np.zeros(len(s), bool) for c, s in seqs.items()}
    for chrom, a, b in every:
        covered[chrom][max(0, a - 30) : b + 30] = True
    far = [v for v in random_snvs(seqs, 4 * len(hits), seed + 1) if not covered[v[0]][v[1] - 1]][: len(hits)]
    vcf = write_vcf(work / "biology.vcf", hits + far)
    table = variant_effects(run, vcf, genome, work / "biology", null=0, device="cpu", overwrite=True)["table"]
    score = table.iloc[:, 8].abs().to_numpy()
    label = np.r_[np.ones(len(hits)), np.zeros(len(far))]
    keep = np.isfinite(score)
    auc = roc_auc_score(label[keep], score[keep])
    return (len(hits), len(far), float(np.nanmedian(score[: len(hits)])), float(np.nanmedian(score[len(hits):])),
            auc)


def naive_loop(run, genome, snvs) -> float:
    """Seconds for one predict call per window (reference, then alternative), batch 1, both strands."""
    from seqnet import inference
    from seqnet.checkpoint import load
    from seqnet.encode import encode
    from seqnet.io.genome import open_genome
    from seqnet.kinds.sequence import SequenceInputs

    tm = load(run)
    fa = open_genome(genome)
    half = LENGTH // 2
    t0 = time.perf_counter()
    for chrom, p, ref, alt in snvs:
        window = str(fa[chrom][p - 1 - half : p - 1 - half + LENGTH])
        for seq in (window, window[:half] + alt + window[half + 1 :]):
            inference.predict(tm.model, SequenceInputs(encode(seq)[None], "dna"), task_type=tm.task_type,
                              batch_size=1, rc_average=True)
    return time.perf_counter() - t0


def speed(run, genome, seqs, n: int, work: Path, repeat: int = 2) -> list[tuple]:
    """Best of ``repeat`` seconds for each method on the same ``n`` random SNVs."""
    from seqnet.apply.variants import variant_effects

    snvs = random_snvs(seqs, n, seed=11)
    vcf = write_vcf(work / "speed.vcf", snvs)
    rows = []
    for label, kw in (("seqnet variants --null 0", dict(null=0)), ("seqnet variants (default: --null 1000)", {}),
                      ("seqnet variants --null 0, plain passes (no shared trunk)", dict(null=0, shared=False))):
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            variant_effects(run, vcf, genome, work / "speed", device="cpu", overwrite=True, **kw)
            best = min(best, time.perf_counter() - t0)
        rows.append((label, best))
    naive = min(naive_loop(run, genome, snvs) for _ in range(repeat))
    return [("naive loop (2 predict calls per variant, batch 1)", naive)] + rows


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("bench_apply"))
    parser.add_argument("--snvs", type=int, default=1000)
    parser.add_argument("--speed", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.work.mkdir(parents=True, exist_ok=True)
    run = trained_model(args.work)
    genome, ctcf, every, motif = planted_genome(args.work)
    seqs = read_genome(genome)

    print("| strand | SNVs | max abs(diff - predict difference) | 1e-6 |\n|---|---|---|---|")
    for row in exactness(run, genome, seqs, random_snvs(seqs, args.snvs, seed=3), args.work):
        print(f"| {row[0]} | {row[1]} | {row[2]:.2e} | {row[3]} |")
    hits, far, med_hit, med_far, auc = biology(run, genome, seqs, ctcf, every, motif, args.work)
    print(f"\n| SNVs in planted CTCF sites (>= 1 bit, one site per sequence) | SNVs >= 30 bp from any site | median abs(diff) in sites | "
          f"elsewhere | AUROC | >= 0.9 |\n|---|---|---|---|---|---|")
    print(f"| {hits} | {far} | {med_hit:.4f} | {med_far:.4f} | {auc:.3f} | {'met' if auc >= 0.9 else 'NOT met'} |")
    rows = speed(run, genome, seqs, args.speed, args.work)
    span = sum(len(s) for s in seqs.values())
    print(f"\n| method ({args.speed} SNVs in {span / 1e3:.0f} kb, both strands, 1 thread, best of 2) | seconds | "
          f"variants/s | vs naive |\n|---|---|---|---|")
    for label, sec in rows:
        print(f"| {label} | {sec:.2f} | {args.speed / sec:.0f} | {rows[0][1] / sec:.1f}x |")


if __name__ == "__main__":
    main()
