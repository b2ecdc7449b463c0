"""The trainer's saved state: checkpoints (write, load, refuse NaN/inf) and NaN/inf recovery.

``TrainingState`` is a part of ``gan_core.training.trainer.Trainer`` (a mixin): it reads and writes the
Trainer's networks, optimisers, batch stream, recipe state and counters. A checkpoint holds
everything an exact resume needs, on any number of processes (``gan_core.training.distributed``).
"""
from __future__ import annotations

import time

import torch

from ..checkpoint import flatten_optimizer, load_tensors, save_tensors, unflatten_optimizer
from ..config import FORMAT_VERSION, ModelConfig
from ..errors import UserError
from .distributed import rank_seed

MAX_RECOVERIES = 3  # NaN/inf recoveries per session; then the run fails, keeping its last good checkpoint


class NonFiniteState(RuntimeError):
    """The training state holds NaN/inf, so it must not be saved over a good checkpoint."""


class TrainingState:
    """Checkpoints and recovery of a Trainer (see gan_core.training.trainer)."""

    def nonfinite_tensor(self) -> str | None:
        """Name of a G/D/EMA/optimizer tensor holding NaN or inf, or None when all are finite.
        One device sync for all of them (checkpoints are rare, so this costs nothing per step)."""
        named = []
        for name, mod in (("G", self.G), ("D", self.D), ("G_ema", self.G_ema)):
            named += [(f"{name}.{k}", v) for k, v in mod.state_dict().items()]
        for name, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
            named += [(f"{name}.{i}.{k}", v) for i, st in enumerate(opt.state.values()) for k, v in st.items()]
        named = [(k, v) for k, v in named if torch.is_tensor(v) and v.is_floating_point()]
        if not named or bool(torch.stack([torch.isfinite(v).all() for _, v in named]).all()):
            return None
        return next(k for k, v in named if not bool(torch.isfinite(v).all()))

    def save_checkpoint(self, seconds_total: float) -> None:
        """Write the full training state (and the EMA generator beside it), atomically.
        Refuses (NonFiniteState) to write NaN/inf weights over the last good checkpoint."""
        bad = self.nonfinite_tensor()
        if bad is not None:
            raise NonFiniteState(f"{bad} holds NaN/inf at step {self.step}; checkpoint not written")
        # the generator saved beside the checkpoint is the one designers get; every rank does the
        # same (deterministic, no communication), so the ranks' EMA generators stay identical
        self.calibrate_ema()
        # every rank's batch stream, on rank 0 (the gather is also the barrier before the write)
        ranks = self.dist.gather((self.gen.get_state(), self.perm.cpu(), self.cursor))
        if not self.dist.is_main:
            return
        tensors = {}
        for name, mod in (("G", self.G), ("D", self.D), ("G_ema", self.G_ema)):
            tensors.update({f"{name}.{k}": v for k, v in mod.state_dict().items()})
        tg, mg = flatten_optimizer(self.opt_g, "opt_g")
        td, md = flatten_optimizer(self.opt_d, "opt_d")
        tensors.update(tg)
        tensors.update(td)
        tensors["rng.gen"] = self.gen.get_state()
        tensors["perm"] = self.perm
        for r, (gen_state, perm, _) in enumerate(ranks[1:], 1):
            tensors[f"rank{r}.rng.gen"], tensors[f"rank{r}.perm"] = gen_state, perm
        if self.lecam is not None:
            tensors["recipe.lecam"] = self.lecam.anchors
        if self.ada is not None:
            tensors["recipe.ada"] = self.ada.state()
        meta = {"format_version": FORMAT_VERSION, "step": self.step, "images_seen": self.images_seen,
                "world_size": self.dist.world_size, "cursors": [r[2] for r in ranks],
                "cursor": self.cursor, "seconds": seconds_total, "opt_g": mg, "opt_d": md,
                "lr_scale": self.lr_scale, "recoveries": self.recoveries, "model": self.cfg.model.to_dict()}
        save_tensors(tensors, self.run.checkpoint, meta)
        from ..design.generate import save_generator
        save_generator(self.G_ema, self.run.path)

    def _load_checkpoint(self) -> None:
        tensors, meta = load_tensors(self.run.checkpoint)
        if not meta or _model_of(meta) != self.cfg.model:
            raise UserError(f"{self.run.checkpoint.name} was made with another model configuration; "
                            f"resume with the run's own config.json")
        for name, mod in (("G", self.G), ("D", self.D), ("G_ema", self.G_ema)):
            sd = {k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + ".")}
            mod.load_state_dict(sd)
        unflatten_optimizer(self.opt_g, "opt_g", tensors, meta["opt_g"])
        unflatten_optimizer(self.opt_d, "opt_d", tensors, meta["opt_d"])
        if self.lecam is not None and "recipe.lecam" in tensors:
            self.lecam.anchors.copy_(tensors["recipe.lecam"])
        if self.ada is not None and "recipe.ada" in tensors:
            self.ada.load_state(tensors["recipe.ada"])
        self.step, self.images_seen, self.cursor = meta["step"], meta["images_seen"], meta["cursor"]
        rank, world = self.dist.rank, self.dist.world_size
        if meta.get("world_size", 1) == world:  # each rank continues its own batch stream: exact
            key = f"rank{rank}." if rank else ""
            self.gen.set_state(tensors[f"{key}rng.gen"])
            self.perm = tensors[f"{key}perm"].to(self.device)
            self.cursor = meta.get("cursors", [self.cursor])[rank]
        else:  # other shards: weights, optimisers and step count continue, batches reshuffle
            self.gen.manual_seed(rank_seed(self.cfg.seed + 104_729 * self.step, rank))
            self.perm = torch.randperm(self.n_local, generator=self.gen, device=self.device)
            self.cursor = 0
            self.messages.append(f"resumed a {meta.get('world_size', 1)}-process run on {world} process(es) "
                                 f"at step {self.step}; the batch order starts a new shuffle")
        self.seconds_before = meta["seconds"]
        self.recoveries = meta.get("recoveries", 0)
        self.lr_scale = meta.get("lr_scale", 1.0)

    def _recover(self, what: str = "losses became NaN/inf") -> str:
        """Non-finite losses or weights: reload the last good checkpoint and halve the learning
        rates. The back-off and the count survive the reload (the checkpoint holds older ones),
        so each recovery takes a new, gentler path instead of replaying the last one."""
        bad_step, recoveries, lr_scale = self.step, self.recoveries, self.lr_scale
        self._load_checkpoint()
        self.recoveries = max(self.recoveries, recoveries) + 1
        self.lr_scale = min(self.lr_scale, lr_scale) * 0.5
        if self.dist.is_main:
            self.run.truncate_log(self.step)  # the steps after the checkpoint will be logged again
        for opt, lr in ((self.opt_g, self.cfg.lr_g), (self.opt_d, self.cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * self.lr_scale
        self.gen.manual_seed(rank_seed(self.cfg.seed + 7919 * self.recoveries, self.dist.rank))  # new batches
        return (f"{what} near step {bad_step}; went back to the checkpoint at step "
                f"{self.step} and halved the learning rates")

    def _recover_or_give_up(self, t0, what: str) -> bool:
        """Recover (True), or, after MAX_RECOVERIES, go back to the last good checkpoint for
        good and record why the run fails (False)."""
        if self.recoveries - self.start_recoveries >= MAX_RECOVERIES:
            bad_step, recoveries = self.step, self.recoveries
            self._load_checkpoint()  # the last good state, for the final grid; nothing is written
            self.recoveries = max(self.recoveries, recoveries)
            self.fail_message = (f"{what} near step {bad_step} again after {MAX_RECOVERIES} recoveries with "
                                 f"halved learning rates; stopped. The last good checkpoint (step {self.step}) "
                                 f"is kept: resume it with a lower learning rate or pick another loss")
            self.messages.append(self.fail_message)
            self._report("error", t0, message=self.fail_message)
            return False
        msg = self._recover(what)
        self.messages.append(msg)
        self._report("recovered", t0, message=msg)
        return True

    def _checkpoint(self, t0) -> str:
        """Save; a full disk keeps the previous checkpoint. Raises NonFiniteState for bad weights."""
        try:
            self.save_checkpoint(self.seconds_before + time.perf_counter() - t0)
        except OSError as e:
            msg = f"checkpoint at step {self.step} failed ({e.strerror or e}); the previous checkpoint is kept"
            self.messages.append(msg)
            self._report("error", t0, message=msg)
            return msg
        msg = f"checkpoint saved at step {self.step}"
        self._report("checkpoint", t0, message=msg)
        return msg


def _model_of(meta: dict) -> ModelConfig | None:
    """The checkpoint's model configuration, with the defaults of fields added since it was written
    (a run from before ``d_eyes`` existed resumes as it was); None when it cannot be read."""
    try:
        return ModelConfig.from_dict(meta.get("model"))
    except UserError:
        return None

