"""In-silico mutagenesis: seqnet (incremental) vs tangermeme's ``saturation_mutagenesis``.

    python benchmarks/ism.py [--work WORK] [--n 400] [--plain 50]

Same DeepBind model (the one of apply_common.py, 200 bp input), same sequences (real
Oct4 peaks from ../shared/data when present, else planted-motif sequences), one thread:

* seqnet ``in_silico_mutagenesis`` (recomputes only the k convolution outputs under each
  edited base; ``seqnet attribute`` and ``seqnet variants --ism`` use it);
* seqnet's full-pass path (every mutant through the model; what other architectures get),
  on ``--plain`` sequences;
* tangermeme ``saturation_mutagenesis`` with its defaults (fastISM, Nair et al. 2022,
  engaged when the job is long enough) and ``raw_outputs=True``.

The maps are compared: seqnet's ``logit(mutant) - logit(reference)`` against
tangermeme's raw mutant and reference outputs.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from apply_common import LENGTH, trained_model

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "chipseq_oct4_mafk" / "oct4_train.fa"


def sequences(work: Path, n: int) -> tuple[np.ndarray, str]:
    from seqnet.encode import encode_many
    from seqnet.io.fasta import read_fasta

    path = SHARED if SHARED.is_file() else work / "train_sim" / "positives.fa"
    _, seqs = read_fasta(path)
    return encode_many(seqs[:n], "dna", length=LENGTH), str(path)


def main() -> None:
    import torch
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    from seqnet.apply.trunk import incremental_ism
    from seqnet.attribution import in_silico_mutagenesis
    from seqnet.checkpoint import load
    from seqnet.encode import one_hot
    from seqnet.kinds.sequence import SequenceInputs
    import seqnet.apply.trunk as trunk_mod

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("bench_apply"))
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--plain", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.work.mkdir(parents=True, exist_ok=True)
    tm = load(trained_model(args.work))
    model = tm.model.eval()
    tokens, source = sequences(args.work, args.n)
    tokens = tokens[(tokens < 4).all(axis=1)]  # tangermeme takes one-hot without N
    n = len(tokens)
    inputs = SequenceInputs(tokens, "dna")

    t0 = time.perf_counter()
    ours = in_silico_mutagenesis(model, inputs, target=0)
    t_ours = time.perf_counter() - t0
    assert incremental_ism(model, inputs) is not None

    orig = trunk_mod.conv_pool_of
    trunk_mod.conv_pool_of = lambda m: None  # the full-pass path
    sub = SequenceInputs(tokens[: args.plain], "dna")
    t0 = time.perf_counter()
    plain = in_silico_mutagenesis(model, sub, target=0, batch_size=256)
    t_plain = time.perf_counter() - t0
    trunk_mod.conv_pool_of = orig

    x = torch.from_numpy(one_hot(tokens, "dna")).float()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        raw = saturation_mutagenesis(model, x, raw_outputs=True, device="cpu")
        t_tm = time.perf_counter() - t0
    y0, y = (raw[0], raw[1]) if isinstance(raw, tuple) else (raw.y0, raw.y_hat)
    theirs = (torch.as_tensor(y)[..., 0] - torch.as_tensor(y0)[:, 0][:, None, None]).numpy()  # (N, C, L)
    err = float(np.abs(theirs - ours).max())
    err_plain = float(np.abs(plain - ours[: args.plain]).max())

    print(f"{n} sequences of {LENGTH} bp ({source}); DeepBind, {sum(p.numel() for p in model.parameters()):,} "
          f"parameters; 1 thread\n")
    print("| method | sequences | seconds | sequences/s | vs tangermeme |\n|---|---|---|---|---|")
    print(f"| tangermeme saturation_mutagenesis (defaults: fastISM) | {n} | {t_tm:.1f} | {n / t_tm:.1f} | 1.0x |")
    print(f"| seqnet in_silico_mutagenesis, full passes | {args.plain} | {t_plain:.1f} | {args.plain / t_plain:.1f} | "
          f"{(args.plain / t_plain) / (n / t_tm):.2f}x |")
    print(f"| seqnet in_silico_mutagenesis, incremental | {n} | {t_ours:.1f} | {n / t_ours:.1f} | "
          f"{(n / t_ours) / (n / t_tm):.1f}x |")
    print(f"\nmax |seqnet - tangermeme| = {err:.2e}; max |incremental - full passes| = {err_plain:.2e}")
    for w in caught:
        print(f"tangermeme warning: {str(w.message).splitlines()[0][:160]}")


if __name__ == "__main__":
    main()
