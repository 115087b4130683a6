"""CycleGAN (GANs in Action, ch. 9) at digit scale: unpaired translation between plain and thick-stroke digits.

Two generators (G_AB: A -> B, G_BA: B -> A) and two PatchGAN discriminators (D_A, D_B) play two least-squares
games at once; the cycle loss |A - G_BA(G_AB(A))| and the identity loss |A - G_BA(A)| keep the translation from
inventing a different digit. `CycleGANTrainer` has GANTrainer's public interface, so `TrainingRunner`, the CLI and
the pages drive it unchanged: `G` is G_AB and `D` is D_B, the pair that makes the A -> B translation shown live.

The two domains come from the embedded digits: the set is shuffled with the seed and split in halves; the first
half is domain A as it is, the second half becomes domain B (thickened, or inverted). No digit appears in both,
so the pairs are never seen: that is the point of a CycleGAN.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
import torch.nn.functional as F

from gan.checkpoint import load_weights
from gan.config import Config
from gan.data import OWN_IMAGES, IndexSampler, load_images, read_own_images, to_training_tensor
from gan.device import PrecisionChoice, resolve_device
from gan.losses import least_squares_discriminator_loss
from gan.models.cyclegan import PatchDiscriminator, UNetGenerator
from gan.train.loop import METRICS, TrainingLoop

DOMAINS = ("thick", "inverted")
N_HELD = 64  # images per domain in the fixed batch that measures the cycle reconstruction error


# ---------------------------------------------------------------------- the two domains
def make_domains(images: np.ndarray, seed: int, kind: str = "thick") -> tuple[np.ndarray, np.ndarray]:
    """Split uint8 (N, 28, 28) digits into two unpaired domains, each uint8 (N // 2, 28, 28).

    A: the first half of a seeded shuffle, unchanged. B: the second half, transformed by `kind`:
    'thick' dilates the strokes (a 3x3 grey max filter), 'inverted' draws white on black as black on white.
    """
    if kind not in DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(DOMAINS)} (got {kind!r})")
    images = np.asarray(images)
    if len(images) < 2:
        raise ValueError(f"a CycleGAN needs at least 2 images to split into two domains (got {len(images)})")
    order = np.random.default_rng(seed).permutation(len(images))
    half = len(images) // 2
    domain_a = images[order[:half]].astype(np.uint8)
    other = images[order[half:2 * half]]
    if kind == "thick":
        x = torch.from_numpy(other.astype(np.float32) / 255.0).unsqueeze(1)  # (n, 1, 28, 28) in [0, 1]
        x = F.max_pool2d(x, 3, stride=1, padding=1)  # grey dilation: every stroke grows a pixel on each side
        domain_b = (x.squeeze(1) * 255.0).round().clamp(0, 255).to(torch.uint8).numpy()
    else:
        domain_b = 255 - other.astype(np.uint8)
    return domain_a, domain_b


def digits_of(config: Config) -> np.ndarray:
    images, _ = load_images(config.dataset, config.data_dir, download=config.download)
    return images


def own_domains(config: Config, images=None) -> tuple[np.ndarray, np.ndarray]:
    """The two domains of a CycleGAN on the user's images: `images` as (A, B) where the caller has them (an upload),
    else read from image_folder (A) and image_folder_b (B)."""
    if images is not None:
        domain_a, domain_b = images
        return np.asarray(domain_a), np.asarray(domain_b)
    rgb = config.channels == 3
    return (read_own_images(config.image_folder, config.image_size, rgb),
            read_own_images(config.image_folder_b, config.image_size, rgb))


# ---------------------------------------------------------------------- the trainer
class CycleGANTrainer(TrainingLoop):
    """Owns one CycleGAN run: four networks, two optimisers, both domains on the device, and the run's history.

    lambda_cycle: weight of the cycle L1 loss (book: 10). lambda_id: weight of the identity L1 loss (book: 1, a
    tenth of lambda_cycle). domain: how domain B is made from the digits ('thick' or 'inverted'). g_width, d_width:
    filters of the first conv of each generator and discriminator (doubled once). n_fixed: A inputs shown live.
    `images`/`labels` as for GANTrainer; labels are not used (the translation is told nothing about the digit).
    """

    conditional = False
    player_names = ("generator A->B", "discriminator B")

    def __init__(self, config: Config, images: np.ndarray | None = None, labels: np.ndarray | None = None,
                 device: torch.device | str | None = None, lambda_cycle: float = 10.0, lambda_id: float = 1.0,
                 domain: str = "thick", g_width: int = 16, d_width: int = 16, n_fixed: int = 8):
        self.config = config.validate()
        for name, value in (("lambda_cycle", lambda_cycle), ("lambda_id", lambda_id)):
            if not (math.isfinite(value) and 0 <= value <= 1000):
                raise ValueError(f"{name} must be in [0, 1000] (got {value!r})")
        for name, value, low in (("g_width", g_width, 4), ("d_width", d_width, 4), ("n_fixed", n_fixed, 1)):
            if not (isinstance(value, int) and low <= value <= 1024):
                raise ValueError(f"{name} must be an integer in [{low}, 1024] (got {value!r})")
        self.hparams = dict(lambda_cycle=float(lambda_cycle), lambda_id=float(lambda_id), domain=domain,
                            g_width=g_width, d_width=d_width, n_fixed=n_fixed)
        self.lambda_cycle, self.lambda_id = float(lambda_cycle), float(lambda_id)
        self.device = torch.device(device) if device is not None else resolve_device(config.device)
        # InstanceNorm's statistics of 16-px-wide nets are where bf16 rounding hurts; the nets are small anyway
        self.precision = PrecisionChoice("fp32", "fp32: the CycleGAN always trains in fp32")
        domain_a, domain_b = own_domains(config, images) if config.dataset in OWN_IMAGES \
            else make_domains(images if images is not None else digits_of(config), config.seed, domain)
        self.real_a = to_training_tensor(domain_a, self.device)  # (N/2, 1, 28, 28) in [-1, 1]
        self.real_b = to_training_tensor(domain_b, self.device)
        if len(self.real_a) < config.batch_size:
            raise ValueError(f"batch_size {config.batch_size} is larger than each domain ({len(self.real_a)} images)")

        torch.manual_seed(config.seed)  # the weights' initialisation
        channels = config.channels
        self.G_AB = UNetGenerator(g_width, channels).to(self.device)
        self.G_BA = UNetGenerator(g_width, channels).to(self.device)
        self.D_A = PatchDiscriminator(d_width, channels).to(self.device)
        self.D_B = PatchDiscriminator(d_width, channels).to(self.device)
        self.G, self.D = self.G_AB, self.D_B  # GANTrainer's names: the A -> B translation and its judge
        fused = self.device.type in ("cpu", "cuda")
        betas = (config.beta1, config.beta2)
        self.opt_g = torch.optim.Adam(itertools.chain(self.G_AB.parameters(), self.G_BA.parameters()),
                                      lr=config.lr_g, betas=betas, fused=fused)
        self.opt_d = torch.optim.Adam(itertools.chain(self.D_A.parameters(), self.D_B.parameters()),
                                      lr=config.lr_d, betas=betas, fused=fused)
        # Each domain is drawn in its own order: A's batch never tells which B images it goes with.
        self.sampler_a = IndexSampler(len(self.real_a), config.batch_size,
                                      torch.Generator(device=self.device).manual_seed(config.seed), self.device)
        self.sampler_b = IndexSampler(len(self.real_b), config.batch_size,
                                      torch.Generator(device=self.device).manual_seed(config.seed + 1), self.device)
        cpu_rng = torch.Generator().manual_seed(config.seed)  # fixed batches: the same on every device
        self.fixed_a = self.real_a[torch.randperm(len(self.real_a), generator=cpu_rng)[:n_fixed].to(self.device)]
        self.held_a = self.real_a[torch.randperm(len(self.real_a), generator=cpu_rng)[:N_HELD].to(self.device)]
        self.held_b = self.real_b[torch.randperm(len(self.real_b), generator=cpu_rng)[:N_HELD].to(self.device)]

        self.iteration = 0
        self.elapsed = 0.0
        self.d_steps = config.d_steps
        self.history: dict[str, list[float]] = {k: [] for k in ("iteration", "epoch", *METRICS, "its_per_sec")}
        self.reconstruction_history: list[dict[str, float]] = []
        self.events: list[dict] = []
        self.snapshot_iterations: list[int] = []
        self.snapshots: list[torch.Tensor] = []  # uint8 (3 * n_fixed, 1, 28, 28) each
        # The "Why -log D?" panel shows sigmoid(last_fake_logits); these are logit(D_B's mean patch score per fake),
        # so the panel shows the least-squares scores themselves (clamped into (0, 1)).
        self.last_fake_logits = torch.empty(0)
        self.log_every = config.log_every or (1 if self.device.type == "cpu" else 25)
        self._pending: tuple[torch.Tensor, ...] | None = None
        self._start_loop()

    @classmethod
    def from_checkpoint(cls, state: dict, images: np.ndarray | None = None,
                        device: torch.device | str | None = None, **budget) -> CycleGANTrainer:
        """Resume a checkpoint's run; `budget` may change only how long it runs and how often it reports."""
        config = cls._resumed_config(state, budget)
        trainer = cls(config, images=images, device=device, **state["cyclegan"])
        trainer.load_state_dict(state)
        return trainer

    # ------------------------------------------------------------------ the players' moves
    def _batches(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.real_a[self.sampler_a.next()], self.real_b[self.sampler_b.next()]

    def d_step(self, keep_fake_for_g: bool = False) -> None:
        """(1) Update D_A and D_B: least squares, real patches to 1, translated patches to 0 (book step 1)."""
        a, b = self._batches()
        with torch.set_grad_enabled(keep_fake_for_g):
            fake_b, fake_a = self.G_AB(a), self.G_BA(b)  # (B, 1, 28, 28) each
        # Real and fake in one pass each: InstanceNorm normalises every image alone, so batching them changes
        # nothing but the number of (overhead-bound) small ops.
        d_real_a, d_fake_a = self.D_A(torch.cat((a, fake_a.detach()))).chunk(2)  # (B, 1, 7, 7) patch scores each
        d_real_b, d_fake_b = self.D_B(torch.cat((b, fake_b.detach()))).chunk(2)
        loss_d_a = least_squares_discriminator_loss(d_real_a, d_fake_a)  # ½ mse(real, 1) + ½ mse(fake, 0)
        loss_d_b = least_squares_discriminator_loss(d_real_b, d_fake_b)
        loss = 0.5 * (loss_d_a + loss_d_b)  # the book's d_loss: the mean of both discriminators' losses
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        # G is unchanged until the G step, so these fakes (and their graphs) are what it would compute again.
        self._pending = (a, b, fake_a, fake_b) if keep_fake_for_g else None
        d_real = torch.cat((d_real_a, d_real_b)).detach()
        d_fake = torch.cat((d_fake_a, d_fake_b)).detach()
        self._d_sum += torch.stack((loss.detach(), (d_real > 0.5).float().mean(), (d_fake < 0.5).float().mean(),
                                    d_real.clamp(0, 1).mean(), d_fake.clamp(0, 1).mean()))
        self._d_count += 1

    def g_step(self) -> None:
        """(2) Update G_AB and G_BA together: adversarial + lambda_cycle * cycle + lambda_id * identity (step 2)."""
        pending, self._pending = self._pending, None
        if pending is None:
            a, b = self._batches()
            fake_b, fake_a = self.G_AB(a), self.G_BA(b)
        else:
            a, b, fake_a, fake_b = pending
        self.D_A.requires_grad_(False)
        self.D_B.requires_grad_(False)
        try:
            d_fake_b, d_fake_a = self.D_B(fake_b), self.D_A(fake_a)
            loss_adv = F.mse_loss(d_fake_b, torch.ones_like(d_fake_b)) + F.mse_loss(d_fake_a, torch.ones_like(d_fake_a))
            # One pass per generator (per-image InstanceNorm again): G_BA sees [G_AB(a); a], G_AB sees [G_BA(b); b]
            rec_a, same_a = self.G_BA(torch.cat((fake_b, a))).chunk(2)
            rec_b, same_b = self.G_AB(torch.cat((fake_a, b))).chunk(2)
            loss_cycle = F.l1_loss(rec_a, a) + F.l1_loss(rec_b, b)  # A -> B -> A and B -> A -> B
            loss_id = F.l1_loss(same_a, a) + F.l1_loss(same_b, b)  # a translator leaves its own domain alone
            loss = loss_adv + self.lambda_cycle * loss_cycle + self.lambda_id * loss_id
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
        finally:
            self.D_A.requires_grad_(True)
            self.D_B.requires_grad_(True)
        score = d_fake_b.detach().mean(dim=(1, 2, 3)).clamp(1e-4, 1 - 1e-4)  # (B,) D_B's mean score per fake
        self.last_fake_logits = torch.logit(score)
        self._g_sum += loss.detach()
        self._g_count += 1

    # ------------------------------------------------------------------ TrainingLoop hooks
    def _dataset_size(self) -> int:
        return len(self.real_a)

    def _batches_per_epoch(self) -> int:
        return self.sampler_a.batches_per_epoch

    # ------------------------------------------------------------------ samples
    @torch.inference_mode()
    def sample_fixed(self) -> torch.Tensor:
        """A -> B -> A for the fixed A inputs: (3k, 1, 28, 28) in [-1, 1]; with nrow=k the rows read A, G_AB(A),
        G_BA(G_AB(A)). InstanceNorm keeps no running statistics, so no train/eval switch is needed."""
        fake_b = self.G_AB(self.fixed_a)
        return torch.cat((self.fixed_a, fake_b, self.G_BA(fake_b))).float().cpu()

    @torch.inference_mode()
    def cycle_errors(self) -> dict[str, float]:
        """Mean |A - G_BA(G_AB(A))| and |B - G_AB(G_BA(B))| on the fixed held batches, in [-1, 1] pixel units."""
        error_a = (self.G_BA(self.G_AB(self.held_a)) - self.held_a).abs().mean()
        error_b = (self.G_AB(self.G_BA(self.held_b)) - self.held_b).abs().mean()
        return {"cycle_error_a": error_a.item(), "cycle_error_b": error_b.item()}

    def _on_snapshot(self) -> None:
        """Each snapshot also measures the cycle errors (the live reconstruction curve)."""
        if not self.reconstruction_history or self.reconstruction_history[-1]["iteration"] != self.iteration:
            self.reconstruction_history.append({"iteration": self.iteration, **self.cycle_errors()})

    # ------------------------------------------------------------------ checkpoint state
    def _own_state(self) -> dict:
        """'generator' and 'discriminator' (TrainingLoop's) hold G_AB and D_B; here the other two networks, and
        'cyclegan': the constructor's hyperparameters, which `from_checkpoint` passes back."""
        return {
            "cyclegan": dict(self.hparams),
            "generator_ba": self.G_BA.state_dict(),
            "discriminator_a": self.D_A.state_dict(),
            "pretrained": True,
            "sampler_a": self.sampler_a.state_dict(),
            "sampler_b": self.sampler_b.state_dict(),
            "fixed_a": self.fixed_a.cpu(),
            "held_a": self.held_a.cpu(),
            "held_b": self.held_b.cpu(),
            "reconstruction_history": self.reconstruction_history,
        }

    def _load_own_state(self, state: dict) -> None:
        """The same B -> A translator and A's judge, data order, fixed batches and reconstruction curve."""
        for net, key, which in ((self.G_BA, "generator_ba", "generator B->A"),
                                (self.D_A, "discriminator_a", "discriminator A")):
            load_weights(net, state[key], which, self._architecture())
        self.sampler_a.load_state_dict(state["sampler_a"])
        self.sampler_b.load_state_dict(state["sampler_b"])
        self.fixed_a = state["fixed_a"].to(self.device)
        self.held_a = state["held_a"].to(self.device)
        self.held_b = state["held_b"].to(self.device)
        self.reconstruction_history = [dict(r) for r in state["reconstruction_history"]]
        self._pending = None


def cycle_scores(trainer: CycleGANTrainer) -> dict[str, float]:
    """The live quality point for `TrainingRunner(scorer=...)`: the cycle errors on the held batches (G(z)-based
    scores such as `gan.quality.live_scores` do not apply: a CycleGAN's generators take images, not noise)."""
    return trainer.cycle_errors()


__all__ = ["DOMAINS", "CycleGANTrainer", "cycle_scores", "make_domains"]
