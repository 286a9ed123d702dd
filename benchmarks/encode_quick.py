"""Quick timings of seqnet.encode; prints a table (best of a few runs).

    python benchmarks/encode_quick.py [TORCH_THREADS]

On a shared 2-core machine, torch timings with 2 threads swing widely whenever another
process holds a core; 1 thread gives steadier numbers.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch

from seqnet.encode import dinucleotide_shuffle, dinucleotide_shuffle_many, encode_many, one_hot, one_hot_torch


def best(fn, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    if len(sys.argv) > 1:
        torch.set_num_threads(int(sys.argv[1]))
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGTacgtN", dtype=np.uint8)
    rows = []

    n, length = 10_000, 1000
    seqs = [letters[rng.integers(0, 9, length)].tobytes().decode() for _ in range(n)]
    s = best(lambda: encode_many(seqs))
    rows.append((f"encode_many {n} x {length} bp (equal lengths)", s, n * length / s / 1e6))
    ragged = [q[: int(rng.integers(900, 1001))] for q in seqs]
    s = best(lambda: encode_many(ragged, length=length))
    rows.append((f"encode_many {n} x 900-1000 bp, padded to {length}", s, sum(map(len, ragged)) / s / 1e6))
    s = best(lambda: encode_many(seqs, length=500))
    rows.append((f"encode_many {n} x {length} bp, cropped to 500", s, n * length / s / 1e6))

    tokens = encode_many(seqs)
    s = best(lambda: one_hot(tokens[:1000]))
    rows.append(("one_hot numpy 1000 x 1000", s, 1000 * length / s / 1e6))
    for batch, width in [(128, 1000), (512, 1000), (1024, 101), (10_000, 1000)]:
        t = torch.from_numpy(tokens[:batch, :width].copy())
        s = best(lambda: one_hot_torch(t, 4), 20 if batch * width < 1e7 else 5)
        rows.append((f"one_hot_torch CPU {batch} x {width}", s, batch * width / s / 1e6))

    short = rng.choice(5, size=(17_000, 101), p=[0.24, 0.24, 0.24, 0.24, 0.04]).astype(np.uint8)
    s = best(lambda: dinucleotide_shuffle_many(short, seed=0), 3)
    rows.append(("dinucleotide_shuffle_many 17000 x 101 (array)", s, short.size / s / 1e6))
    as_list = list(short)
    s = best(lambda: dinucleotide_shuffle_many(as_list, seed=0), 3)
    rows.append(("dinucleotide_shuffle_many 17000 x 101 (list)", s, short.size / s / 1e6))
    s = best(lambda: [dinucleotide_shuffle(row, 0) for row in short[:1000]], 3)
    rows.append(("dinucleotide_shuffle 1000 x 101, one call each", s, 1000 * 101 / s / 1e6))
    long_seq = short.ravel()[:100_000]
    s = best(lambda: dinucleotide_shuffle(long_seq, 0), 3)
    rows.append(("dinucleotide_shuffle 1 x 100000", s, long_seq.size / s / 1e6))

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'case':55s} {'seconds':>9s} {'Mbases/s':>9s}")
    for name, seconds, rate in rows:
        print(f"{name:55s} {seconds:9.4f} {rate:9.1f}")


if __name__ == "__main__":
    main()
