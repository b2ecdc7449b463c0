"""Data-parallel training on torch.distributed: one process (rank) per device.

``torchrun --nproc_per_node=N -m gan_core train ...`` starts N copies of the CLI; each calls
``init_from_env`` and hands the returned ``DistContext`` to the trainer, which calls the
hooks below. A single process gets ``SINGLE``, whose hooks return at once, so a one-process
run is exactly what it was before this module existed.

Why not ``DistributedDataParallel``: per loss the critic D is called twice (real, fake), the
gradient penalty and R1 differentiate through D with ``torch.autograd.grad`` (which DDP's
reducer does not support), and the multi-critic generator call is grouped. DDP's hooks assume
one forward per backward. We do what DDP's reducer does, explicitly and at the same points:

- after every backward, each network's gradients are averaged over the ranks in one flat
  all-reduce (DDP's mean of gradients), so every rank takes the same optimiser step and all
  ranks keep identical G, D and EMA weights;
- after every step the buffers (BatchNorm running statistics, spectral-norm vectors) are
  broadcast from rank 0, as DDP's ``broadcast_buffers=True`` does before each forward;
- on CUDA, BatchNorm becomes SyncBatchNorm (statistics over the global batch). On CPU (gloo)
  SyncBatchNorm does not run, so each rank normalises with its own batch's statistics (what
  plain DDP does) and the running statistics are rank 0's.

Control decisions (stop, time budget, checkpoint due) are all-reduced every step over a
gloo group, so every rank stops and checkpoints at the same step, and a rank that dies makes
the others fail within ``timeout_s`` with ``RankLostError`` instead of hanging.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn

from ..errors import UserError

DEFAULT_TIMEOUT_S = 120.0  # a silent rank is declared lost after this (GAN_CORE_DIST_TIMEOUT)
SETUP_TIMEOUT_S = 3600.0   # rank 0 may spend this long preparing the dataset for the others


class RankLostError(UserError):
    """Another process of the distributed run crashed, was killed or stopped answering."""


def rank_seed(seed: int, rank: int) -> int:
    """Seed of rank ``rank``'s training randomness; rank 0 keeps the run seed (so world size 1
    is the single-process run) and the others get distinct, reproducible seeds."""
    return (int(seed) + 1_000_003 * int(rank)) % (2 ** 63)


def env_timeout() -> float:
    try:
        return float(os.environ.get("GAN_CORE_DIST_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        raise UserError("GAN_CORE_DIST_TIMEOUT must be a number of seconds") from None


@dataclass
class DistContext:
    """Where this process stands in the run; every hook is a no-op when ``world_size`` is 1."""
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1
    backend: str | None = None     # nccl | gloo | None (single process)
    timeout_s: float = DEFAULT_TIMEOUT_S
    control: object = None         # gloo group for flags and objects (the default group on gloo)

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    # ---- errors --------------------------------------------------------------------------
    @contextlib.contextmanager
    def guard(self, what: str):
        """Turn a collective's failure (peer gone, timeout) into a clear ``RankLostError``."""
        try:
            yield
        except RankLostError:
            raise
        except RuntimeError as e:  # DistBackendError, gloo "Connection closed by peer", timeouts
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise RankLostError(
                f"rank {self.rank} of {self.world_size}: lost the other processes of this distributed run "
                f"during {what} ({first}). Another rank crashed, was killed or did not answer within "
                f"{self.timeout_s:g} s; this one stops too. The last checkpoint is intact: resume with "
                f"--resume (on any number of processes).") from None

    # ---- gradients and buffers ---------------------------------------------------------------
    def all_reduce_grads(self, module: nn.Module) -> None:
        """Average ``module``'s gradients over the ranks (one flat all-reduce, as DDP's bucket)."""
        if not self.enabled:
            return
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        with self.guard("the gradient all-reduce"):
            dist.all_reduce(flat)
        flat.div_(self.world_size)
        offset = 0
        for g in grads:
            n = g.numel()
            g.copy_(flat[offset:offset + n].view_as(g))  # view_as keeps channels_last strides right
            offset += n

    def broadcast_buffers(self, *modules: nn.Module) -> None:
        """Rank 0's buffers everywhere (DDP's ``broadcast_buffers``); floats only, one call."""
        if not self.enabled:
            return
        bufs = [b for m in modules for b in m.buffers()]
        if not bufs:
            return
        with torch.no_grad(), self.guard("the buffer broadcast"):
            for dtype in sorted({b.dtype for b in bufs}, key=str):
                same = [b for b in bufs if b.dtype == dtype]
                flat = torch.cat([b.reshape(-1) for b in same])
                dist.broadcast(flat, src=0)
                offset = 0
                for b in same:
                    b.copy_(flat[offset:offset + b.numel()].view_as(b))
                    offset += b.numel()

    def broadcast_parameters(self, *modules: nn.Module) -> None:
        """Start every rank from rank 0's weights and buffers (as DDP's constructor does)."""
        if not self.enabled:
            return
        with torch.no_grad(), self.guard("the initial weight broadcast"):
            for m in modules:
                for t in list(m.parameters()) + list(m.buffers()):
                    dist.broadcast(t.data, src=0)

    # ---- values and decisions ------------------------------------------------------------
    def mean(self, t: torch.Tensor) -> torch.Tensor:
        """The mean of ``t`` over the ranks (logged losses, so every rank sees the same numbers)."""
        if not self.enabled:
            return t
        t = t.detach().clone()
        with self.guard("the loss all-reduce"):
            dist.all_reduce(t)
        return t / self.world_size

    def any(self, *flags: bool) -> tuple[bool, ...]:
        """Each flag OR-ed over the ranks: a STOP seen by one rank stops all at the same step."""
        if not self.enabled:
            return tuple(bool(f) for f in flags)
        t = torch.tensor([int(bool(f)) for f in flags], dtype=torch.int32)
        with self.guard("the stop/budget check"):
            dist.all_reduce(t, op=dist.ReduceOp.MAX, group=self.control)
        return tuple(bool(v) for v in t.tolist())

    def gather(self, obj) -> list | None:
        """Every rank's ``obj`` on rank 0 (in rank order), None on the others."""
        if not self.enabled:
            return [obj]
        out = [None] * self.world_size if self.is_main else None
        with self.guard("the checkpoint gather"):
            dist.gather_object(obj, out, dst=0, group=self.control)
        return out

    def barrier(self, what: str = "a barrier", timeout_s: float | None = None) -> None:
        """Wait for every rank; gloo's monitored barrier names the ranks that did not come."""
        if not self.enabled:
            return
        timeout = timedelta(seconds=timeout_s or self.timeout_s)
        with self.guard(what):
            dist.monitored_barrier(group=self.control, timeout=timeout, wait_all_ranks=True)

    def shard(self, n: int, device) -> torch.Tensor | None:
        """This rank's dataset indices (every world_size-th image from ``rank``); None = all."""
        if not self.enabled:
            return None
        if n < self.world_size:
            raise UserError(f"{n} image(s) cannot be split over {self.world_size} processes; "
                            f"add images or use fewer processes")
        return torch.arange(self.rank, n, self.world_size, device=device)

    def device_for(self, name: str) -> torch.device:
        """The device of this rank: ``cuda:LOCAL_RANK`` on CUDA, else what ``name`` picks."""
        from ..device import pick_device
        dev = pick_device(name)
        if self.enabled and dev.type == "cuda":
            if torch.cuda.device_count() < self.local_world_size:
                raise UserError(f"{self.local_world_size} processes on this node but only "
                                f"{torch.cuda.device_count()} CUDA GPU(s); use --nproc_per_node "
                                f"{torch.cuda.device_count()} or fewer")
            dev = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(dev)
        if self.enabled and (dev.type == "cuda") != (self.backend == "nccl"):
            raise UserError(f"the distributed run uses {self.backend} but this rank trains on {dev.type}; "
                            f"give every rank the same --device")
        return dev


SINGLE = DistContext()
_current = SINGLE


def current() -> DistContext:
    """The context ``init``/``init_from_env`` made in this process, else ``SINGLE``."""
    return _current


def init(rank: int, world_size: int, init_method: str, backend: str = "gloo",
         timeout_s: float | None = None, local_rank: int | None = None,
         local_world_size: int | None = None) -> DistContext:
    """Join a process group (tests use ``file://`` init, no ports) and return this rank's context."""
    global _current
    if backend not in ("gloo", "nccl"):
        raise UserError(f"backend must be nccl or gloo; got {backend!r}")
    timeout_s = timeout_s or env_timeout()
    kw = {}
    if backend == "nccl":  # bind the rank to its GPU before NCCL creates its communicator
        kw["device_id"] = torch.device("cuda", rank if local_rank is None else local_rank)
        torch.cuda.set_device(kw["device_id"])
    dist.init_process_group(backend, init_method=init_method, rank=rank, world_size=world_size,
                            timeout=timedelta(seconds=timeout_s), **kw)
    # flags and objects always travel over gloo: CPU values, no GPU sync, monitored barriers
    control = dist.new_group(backend="gloo", timeout=timedelta(seconds=timeout_s)) if backend == "nccl" else None
    _current = DistContext(rank, world_size, rank if local_rank is None else local_rank,
                           world_size if local_world_size is None else local_world_size,
                           backend, timeout_s, control)
    return _current


def backend_for(device_name: str) -> str:
    """nccl when this run trains on CUDA, gloo otherwise (CPU, or mixed CPU ranks)."""
    from ..device import pick_device
    return "nccl" if pick_device(device_name).type == "cuda" else "gloo"


def init_from_env(device_name: str = "auto", timeout_s: float | None = None) -> DistContext:
    """Under torchrun (``WORLD_SIZE`` > 1 in the environment) join its group; else ``SINGLE``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return SINGLE
    if dist.is_initialized():
        return _current
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    return init(rank, world, "env://", backend_for(device_name), timeout_s, local_rank, local_world)


def shutdown() -> None:
    """Leave the process group after a clean finish (not after a lost rank: that could hang)."""
    global _current
    if dist.is_initialized():
        dist.destroy_process_group()
    _current = SINGLE


def convert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """BatchNorm -> SyncBatchNorm (CUDA only), keeping weights and statistics; the generator's
    grouped BatchNorm keeps its per-group calls, each synchronised over the ranks."""
    from ..nets.models import GroupBatchNorm2d, GroupSyncBatchNorm2d
    if isinstance(module, nn.BatchNorm2d):
        cls = GroupSyncBatchNorm2d if isinstance(module, GroupBatchNorm2d) else nn.SyncBatchNorm
        new = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats)
        if module.affine:
            with torch.no_grad():
                new.weight.copy_(module.weight)
                new.bias.copy_(module.bias)
        new.running_mean, new.running_var = module.running_mean, module.running_var
        new.num_batches_tracked = module.num_batches_tracked
        new.train(module.training)
        return new.to(module.running_mean.device) if module.running_mean is not None else new
    for name, child in module.named_children():
        module.add_module(name, convert_sync_batchnorm(child))
    return module
