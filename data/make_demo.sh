#!/usr/bin/env bash
# Regenerates data/demo/ (the README demo) with seqnet's own simulator. Deterministic.
set -euo pipefail
cd "$(dirname "$0")/.."
seqnet simulate --out data/demo --n 2000 --length 200 --seed 0 --gzip
# A few unseen sequences for `seqnet predict` (another seed): 5 positives, 5 negatives.
tmp=$(mktemp -d)
seqnet simulate --out "$tmp" --n 5 --length 200 --seed 7
cat "$tmp/positives.fa" "$tmp/negatives.fa" > data/demo/new_sequences.fa
rm -rf "$tmp"
