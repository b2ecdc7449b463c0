"""One training step of a Trainer: critic updates, the generator update, the EMA generator.

``TrainingStep`` is a part of ``gan_core.training.trainer.Trainer`` (a mixin): the losses (gan_core.training.losses),
R1, LeCam, the self-supervised D's reconstruction and the adaptive augmentation probability
(gan_core.training.recipe) are applied here, on the Trainer's networks, optimisers and batch stream.
"""
from __future__ import annotations

import torch

from . import losses as L


def ema_decay_at(decay: float, step: int, start: int = 0, ramp: bool = True) -> float:
    """The EMA generator's decay at ``step``: 0 (a copy of G) before ``start`` or when off, then
    ramped up so short runs are not dominated by the random init; without ``ramp`` the decay
    holds from ``start`` on, so a fine-tune's EMA keeps some of its start point for a while."""
    if decay <= 0 or step < start:
        return 0.0
    return min(decay, (1 + step) / (10 + step)) if ramp else decay


class TrainingStep:
    """``train_step`` and its parts (see gan_core.training.trainer)."""

    def _d_loss(self, real: torch.Tensor, fake: torch.Tensor, step_index: int) -> torch.Tensor:
        c = self.cfg
        r1 = c.r1_gamma > 0 and step_index % c.r1_every == 0
        real_in = self._aug(real)
        if r1:
            real_in = real_in.detach().requires_grad_(True)
        fake_in = self._aug(fake)
        decoders = self.D.decoders
        with self._autocast():
            if decoders:
                rs, feats = self.D_fwd(real_in, features=True, heads=True)
                recon = L.self_supervised_loss(decoders, feats, real_in, self.gen)
            else:
                rs = self.D_fwd(real_in, heads=True)
            rs, fs = rs.float(), self.D_fwd(fake_in, heads=True).float()
        if c.loss in ("wgan-gp", "wgan-clip"):
            loss = L.d_loss_wgan(rs, fs)
        elif c.loss == "hinge":
            loss = L.d_loss_hinge(rs, fs)
        else:
            loss = L.d_loss_dcgan(rs, fs, c.label_smoothing, c.label_flip, self.gen)
        if c.loss == "wgan-gp":
            loss = loss + c.gp_lambda * L.gradient_penalty(self.D, real_in.float(), fake_in.float(), self.gen)
        if r1:
            loss = loss + (c.r1_gamma * 0.5 * c.r1_every) * L.r1_penalty(rs, real_in)
        if decoders:
            loss = loss + L.RECON_WEIGHT * recon
        if self.lecam is not None:
            loss = loss + c.lecam_weight * self.lecam.penalty(rs, fs)
        if self.ada is not None:
            self.ada.observe(rs)
        return loss

    def _d_update(self, loss: torch.Tensor) -> None:
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.dist.all_reduce_grads(self.D)
        self.opt_d.step()
        if self.cfg.loss == "wgan-clip":
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-self.cfg.clip, self.cfg.clip)

    def _g_loss(self, fake: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        with self._autocast():
            fs = self.D_fwd(self._aug(fake), heads=True).float()
        loss = L.g_loss_dcgan(fs) if self.cfg.loss == "dcgan" else L.g_loss_wgan(fs)
        if self.cfg.mode_seeking_weight > 0:
            loss = loss + self.cfg.mode_seeking_weight * L.mode_seeking_loss(fake, z)
        return loss

    def train_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """n_critic critic updates, then one generator update; returns detached losses."""
        c, b = self.cfg, self.cfg.batch_size
        self.G.train()
        for p in self.d_trainable:  # FreezeD's frozen blocks stay frozen
            p.requires_grad_(True)
        if c.n_critic == 1:
            # one G forward serves both updates (the PyTorch DCGAN example's trick)
            real, z = self._real_batch(), self._z(b)
            with self._autocast():
                fake = self.G_fwd(z).float()
            loss_d = self._d_loss(real, fake.detach(), self.step)
            self._d_update(loss_d)
        else:
            real = self._real_batch() if c.reuse_real_batch else None
            k = c.n_critic
            # G does not change during the critic steps, so the fakes of the first k-1 are
            # drawn in one call; groups=k-1 keeps BatchNorm's statistics per critic batch,
            # exactly as k-1 separate calls would.
            with torch.no_grad(), self._autocast():
                early = self.G_fwd(self._z(b * (k - 1)), groups=k - 1).float()
            for i in range(k):
                batch = real if real is not None else self._real_batch()
                if i < k - 1:
                    fake = early[i * b:(i + 1) * b]
                else:  # the last critic step's fakes also serve the G step (as in the car-rim loop)
                    z = self._z(b)
                    with self._autocast():
                        fake_g = self.G_fwd(z).float()
                    fake = fake_g.detach()
                loss_d = self._d_loss(batch, fake, self.step * k + i)
                self._d_update(loss_d)
            fake = fake_g
        for p in self.d_trainable:  # G's backward need not fill D's grads
            p.requires_grad_(False)
        loss_g = self._g_loss(fake, z)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.dist.all_reduce_grads(self.G)
        self.opt_g.step()
        self.dist.broadcast_buffers(self.G, self.D)  # before the EMA copies G's buffers
        self._update_ema()
        self.step += 1
        return loss_d.detach(), loss_g.detach()

    @torch.no_grad()
    def _update_ema(self) -> None:
        decay = ema_decay_at(self.cfg.ema_decay, self.step, self.cfg.ema_start, self.cfg.ema_ramp)
        ema_p, p = list(self.G_ema.parameters()), list(self.G.parameters())
        torch._foreach_lerp_(ema_p, p, 1.0 - decay)
        for be, b in zip(self.G_ema.buffers(), self.G.buffers()):
            be.copy_(b)
