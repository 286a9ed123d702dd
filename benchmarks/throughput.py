"""Training and inference throughput (sequences/s) of seqnet next to a naive PyTorch loop.

For each model (default deepbind, danq, dilated; packaged recipes) at length ``--length``
and batch ``--batch-size``, on each device (CPU, and CUDA when present), in one run:

* **seqnet**: :func:`seqnet.training.fit` for one epoch over ``--steps`` batches (uint8
  tokens moved per batch, or held on the GPU; one-hot and reverse-complement
  augmentation made on the device; bf16 autocast and TF32 on CUDA), and
  :func:`seqnet.predict.predict_logits` for inference;
* **naive**: the loop most tutorials write: a ``Dataset`` whose ``__getitem__`` builds
  a float32 one-hot ``(4, L)`` with numpy on the CPU, the default ``DataLoader``
  (shuffle, no pinned memory, no workers), float32, no AMP, ``loss.item()`` every step.

Also printed: the loader alone (seqnet's batch maker without the model) in sequences/s,
so "data-bound" can be read off, and model FLOP utilisation: FLOPs per sequence counted
by ``torch.utils.flop_counter`` (forward + backward = training, forward = inference)
times sequences/s, against the device's peak (``--peak-tflops``, default: H100/H200
dense bf16 989 TFLOP/s on CUDA; none on CPU, where only the achieved GFLOP/s is shown).

    python benchmarks/throughput.py [--models deepbind,danq,dilated] [--length 1000]
        [--batch-size 256] [--steps 5] [--devices cpu,cuda] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode

from seqnet.alphabets import DNA
from seqnet.config import packaged_recipe
from seqnet.datasets import SequenceSet
from seqnet.inference import logits
from seqnet.kinds.sequence import SequenceFeed, SequenceInputs
from seqnet.models import build_model
from seqnet.training import TrainSettings, fit


class NaiveOneHot(Dataset):
    """float32 one-hot built per item on the CPU: the baseline's data path."""

    def __init__(self, tokens: np.ndarray, y: np.ndarray) -> None:
        self.tokens, self.y = tokens, y

    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, i: int):
        x = np.zeros((4, self.tokens.shape[1]), dtype=np.float32)
        t = self.tokens[i]
        ok = t < 4
        x[t[ok], np.flatnonzero(ok)] = 1.0
        return torch.from_numpy(x), torch.tensor(self.y[i], dtype=torch.float32)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def make_model(name: str, length: int, device: torch.device) -> nn.Module:
    args = packaged_recipe(name).get("model_args") or {}
    torch.manual_seed(0)
    return build_model(name, n_channels=4, length=length, n_outputs=1, **args).to(device)


def flops_per_sequence(name: str, length: int, train: bool) -> float:
    model = make_model(name, length, torch.device("cpu"))
    model.train(train)
    x = torch.rand(2, 4, length)
    with FlopCounterMode(display=False) as counter:
        out = model(x)
        if train:
            out.sum().backward()
    return counter.get_total_flops() / 2


def seqnet_train(name, data, args, device) -> float:
    model = make_model(name, args.length, device)
    warm = data.subset(np.arange(min(len(data), args.batch_size)))
    settings = TrainSettings(epochs=1, batch_size=args.batch_size, lr=1e-3, rc_augment=True, device=device, quiet=True)
    fit(model, warm, None, settings)
    sync(device)
    t0 = time.perf_counter()
    fit(model, data, None, settings)
    sync(device)
    return len(data) / (time.perf_counter() - t0)


def naive_train(name, data, args, device) -> float:
    model = make_model(name, args.length, device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    loader = DataLoader(NaiveOneHot(data.tokens, data.y), batch_size=args.batch_size, shuffle=True)
    t0 = None
    for step, (x, y) in enumerate(loader):
        if step == 1:  # the first batch is warm-up
            sync(device)
            t0 = time.perf_counter()
        x, y = x.to(device), y.to(device)
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
    sync(device)
    return (len(data) - args.batch_size) / (time.perf_counter() - t0)


def seqnet_infer(name, data, args, device) -> float:
    model = make_model(name, args.length, device)
    logits(model, SequenceInputs(data.tokens[: args.batch_size], DNA), batch_size=args.batch_size, device=device)
    sync(device)
    t0 = time.perf_counter()
    logits(model, SequenceInputs(data.tokens, DNA), batch_size=args.batch_size, device=device)
    sync(device)
    return len(data) / (time.perf_counter() - t0)


def naive_infer(name, data, args, device) -> float:
    model = make_model(name, args.length, device).eval()
    loader = DataLoader(NaiveOneHot(data.tokens, data.y), batch_size=args.batch_size)
    out, t0 = [], None
    with torch.no_grad():
        for step, (x, _) in enumerate(loader):
            if step == 1:
                sync(device)
                t0 = time.perf_counter()
            out.append(model(x.to(device)).cpu())
    sync(device)
    return (len(data) - args.batch_size) / (time.perf_counter() - t0)


def loader_only(data, args, device) -> float:
    """seqnet's own batch feed (tokens -> device one-hot + RC flips), no model: the code
    :func:`seqnet.training.fit` runs, timed alone."""
    settings = TrainSettings(epochs=1, batch_size=args.batch_size, lr=1e-3, rc_augment=True)
    feed = SequenceFeed(data, nn.Identity(), device=device, settings=settings)
    gen = torch.Generator().manual_seed(0)
    sync(device)
    t0 = time.perf_counter()
    perm = torch.randperm(feed.n, generator=gen)
    feed.draw(gen)
    for b in range(0, feed.n, args.batch_size):
        feed.batch(perm[b : b + args.batch_size])
    sync(device)
    return feed.n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="deepbind,danq,dilated")
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5, help="timed batches per measurement")
    ap.add_argument("--devices", default="cpu,cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    ap.add_argument("--peak-tflops", type=float, help="device peak for utilisation (default 989 on CUDA)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    n = args.batch_size * (args.steps + 1)
    tokens = rng.integers(0, 4, (n, args.length)).astype(np.uint8)
    y = rng.integers(0, 2, (n, 1)).astype(np.float32)
    data = SequenceSet(ids=[str(i) for i in range(n)], tokens=tokens, y=y, task_type="binary", names=["t"],
                       alphabet=DNA, groups=np.arange(n))
    print(f"throughput, sequences/s: length {args.length}, batch {args.batch_size}, {args.steps} timed batches; "
          f"{platform.node()}, {os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    for dev_name in args.devices.split(","):
        device = torch.device(dev_name)
        label = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
        peak = args.peak_tflops or (989.0 if device.type == "cuda" else None)
        if device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        print(f"\ndevice: {label}" + (f" (peak {peak:g} TFLOP/s for utilisation)" if peak else ""))
        print(f"loader alone (seqnet batch maker): {loader_only(data, args, device):,.0f} seq/s")
        print(f"{'model':<9} {'phase':<9} {'naive':>9} {'seqnet':>9} {'ratio':>6} {'GFLOP/seq':>9} "
              f"{'TFLOP/s':>8} {'util':>6}")
        for name in args.models.split(","):
            for phase, ours, theirs in (("train", seqnet_train, naive_train), ("inference", seqnet_infer, naive_infer)):
                base = theirs(name, data, args, device)
                fast = ours(name, data, args, device)
                gflop = flops_per_sequence(name, args.length, phase == "train") / 1e9
                tflops = fast * gflop / 1e3
                util = f"{100 * tflops / peak:5.1f}%" if peak else "-"
                print(f"{name:<9} {phase:<9} {base:>9.1f} {fast:>9.1f} {fast / base:>5.2f}x {gflop:>9.3f} "
                      f"{tflops:>8.4f} {util:>6}", flush=True)


if __name__ == "__main__":
    main()
