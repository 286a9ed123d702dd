"""FASTA -> uint8 tokens, in Mbases/s: seqnet's readers next to a plain baseline.

Writes a synthetic FASTA (random DNA, 60-letter lines; ``--n`` records of ``--length``
bases, plain and gzipped), then times, best of ``--repeat`` runs on one core:

* baseline: ``Bio.SeqIO.parse`` + one numpy lookup per sequence (``np.frombuffer`` of
  ``str(record.seq).encode()`` through a 256-entry table), stacked;
* ``read_fasta`` + ``encode_many``: Biopython's ``SimpleFastaParser`` then one joined
  lookup (seqnet's careful reader);
* ``read_fasta_tokens``: bytes split + ``bytes.translate`` (seqnet's fast reader);
* token cache hit: ``seqnet.cache.fasta_tokens`` on the second call (content hash +
  memory-mapped ``.npy``), forced into memory by a sum.

Each timing includes laying the records out as an ``(N, L)`` matrix.

    python benchmarks/encode.py [--n 50000] [--length 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from seqnet import cache
from seqnet.alphabets import DNA
from seqnet.encode import encode_many, fit_flat
from seqnet.io.fasta import read_fasta, read_fasta_tokens, write_fasta


def baseline(path: Path) -> np.ndarray:
    from Bio import SeqIO

    from seqnet.io.fasta import open_text

    with open_text(path) as handle:
        rows = [DNA.lut[np.frombuffer(str(r.seq).encode(), dtype=np.uint8)] for r in SeqIO.parse(handle, "fasta")]
    return np.stack(rows)


def careful(path: Path) -> np.ndarray:
    _, seqs = read_fasta(path)
    return encode_many(seqs, DNA)


def fast(path: Path) -> np.ndarray:
    _, flat, lens = read_fasta_tokens(path, DNA)
    return fit_flat(flat, lens, int(lens.max()), DNA.unknown)


def cached(path: Path) -> np.ndarray:
    _, flat, lens = cache.fasta_tokens(path, DNA, min_bytes=0)
    out = fit_flat(flat, lens, int(lens.max()), DNA.unknown)
    int(out.sum(dtype=np.int64))  # touch every page of the memory map
    return out


def best_of(fn, path: Path, repeat: int) -> tuple[float, np.ndarray]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(path)
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=50000)
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["SEQNET_CACHE"] = str(tmp / "cache")
        letters = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, (args.n, args.length))]
        seqs = [row.tobytes().decode() for row in letters]
        ids = [f"seq{i}" for i in range(args.n)]
        plain, gz = tmp / "seqs.fa", tmp / "seqs.fa.gz"
        write_fasta(plain, ids, seqs, line_width=60)
        write_fasta(gz, ids, seqs, line_width=60)
        del seqs
        mbases = args.n * args.length / 1e6
        print(f"FASTA -> uint8 tokens (N={args.n:,} x L={args.length}, {mbases:.0f} Mbases); best of {args.repeat}; "
              f"{platform.node()}, {os.cpu_count()} CPUs, one process")
        print(f"{'file':<8} {'method':<32} {'seconds':>8} {'Mbases/s':>9} {'vs baseline':>11}")
        for label, path in (("plain", plain), ("gzip", gz)):
            base_t, ref = best_of(baseline, path, args.repeat)
            cache.fasta_tokens(path, DNA, min_bytes=0)  # fill the cache
            for name, fn, t in (
                ("Biopython SeqIO + numpy per seq", None, base_t),
                ("read_fasta + encode_many", careful, None),
                ("read_fasta_tokens", fast, None),
                ("token cache hit", cached, None),
            ):
                if fn is not None:
                    t, out = best_of(fn, path, args.repeat)
                    if not np.array_equal(out, ref):
                        raise SystemExit(f"{name}: tokens differ from the baseline's")
                print(f"{label:<8} {name:<32} {t:>8.3f} {mbases / t:>9.1f} {base_t / t:>10.1f}x")


if __name__ == "__main__":
    main()
