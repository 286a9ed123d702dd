"""Data-parallel training with PyTorch DDP under ``torchrun``: the few pieces seqnet needs.

``torchrun --nproc_per_node N -m seqnet train ...`` starts N copies of the same command
with ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` set.  :func:`setup` joins them into one
process group (NCCL on GPUs, gloo on CPUs); each rank then trains on its own shard of
every epoch (:class:`torch.utils.data.DistributedSampler`), the gradients are averaged by
:class:`torch.nn.parallel.DistributedDataParallel`, the training loss is summed over all
ranks, and only rank 0 writes the run directory and logs to the console.  Every rank
scores the whole validation set with identical weights; rank 0's early-stopping decision
is broadcast so all ranks stop on the same epoch.

Without ``torchrun`` (``WORLD_SIZE`` unset or 1) every function here is a no-op and
training runs exactly as a single process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from seqnet.errors import ConfigError

__all__ = ["Context", "setup", "teardown", "shard", "all_sum", "broadcast_float", "barrier"]


@dataclass(frozen=True)
class Context:
    """Where this process stands: ``rank`` of ``world`` processes, ``local_rank`` on its node."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        """True when several processes train together."""
        return self.world > 1

    @property
    def main(self) -> bool:
        """True on the process that writes files and logs (rank 0)."""
        return self.rank == 0


def from_env() -> Context:
    """Read ``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK`` as torchrun sets them."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError:
        raise ConfigError("WORLD_SIZE, RANK and LOCAL_RANK must be integers (as torchrun sets them)") from None
    return Context(rank=rank, world=world, local_rank=local)


def setup(device: torch.device) -> tuple[Context, torch.device]:
    """Join the torchrun process group when there is one.

    Parameters
    ----------
    device : torch.device
        The device the user asked for; on CUDA each rank takes ``cuda:LOCAL_RANK``.

    Returns
    -------
    Context, torch.device
        This process's place, and the device it trains on.
    """
    ctx = from_env()
    if not ctx.active:
        return ctx, device
    if device.type == "cuda":
        device = torch.device("cuda", ctx.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return ctx, device


def teardown(ctx: Context) -> None:
    """Leave the process group (after the last collective call)."""
    if ctx.active and dist.is_initialized():
        dist.destroy_process_group()


def shard(n: int, ctx: Context, *, seed: int, epoch: int) -> torch.Tensor:
    """This rank's indices of an epoch over ``n`` records, shuffled (DistributedSampler).

    Every rank gets ``ceil(n / world)`` indices (a few records repeat when ``n`` does not
    divide), so all ranks run the same number of batches.
    """
    from torch.utils.data import DistributedSampler

    sampler = DistributedSampler(range(n), num_replicas=ctx.world, rank=ctx.rank, shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    return torch.as_tensor(list(sampler), dtype=torch.long)


def all_sum(value: torch.Tensor, ctx: Context) -> torch.Tensor:
    """Sum a tensor over all ranks (returned; the input is left alone)."""
    if not ctx.active:
        return value
    out = value.detach().clone()
    dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return out


def broadcast_float(value: float, ctx: Context, device: torch.device) -> float:
    """Rank 0's ``value`` on every rank (e.g. the early-stopping score)."""
    if not ctx.active:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.broadcast(t, src=0)
    return float(t.item())


def barrier(ctx: Context) -> None:
    """Wait for every rank."""
    if ctx.active:
        dist.barrier()
