"""The semi-supervised GAN of "GANs in Action", chapter 7 (seed 003): a discriminator that is also a classifier.

D ends in 10 digit logits l. Its supervised head is softmax(l); its unsupervised head asks "real or fake?" with the
book's custom activation D(x) = Z / (Z + 1), Z = sum_k exp(l_k). Here that head is a *logit*, logsumexp(l), since
sigmoid(log Z) = Z / (Z + 1): it never overflows, and the BCE-with-logits losses of gan.losses apply unchanged. A
real digit must get a large logit for some digit; a fake, small logits for all of them.

Each iteration follows the book's training loop: (1) a supervised D step, cross-entropy of the class head on a batch
of the labelled digits; (2) an unsupervised D step, BCE of the real/fake head on unlabelled digits vs G's fakes;
(3) a G step through the real/fake head (non-saturating). G is the chapter-4 DCGAN generator.

The lesson is a controlled experiment. A *baseline* with the same architecture and the same initial weights learns
from the labelled digits only: the same batches, one step per supervised step, the same Adam settings. Every
`eval_every` iterations both classify the held-out digits (gan.quality.held_out_mask; 1,000 of the embedded ones)
and `classifier_history` gets {iteration, sgan_accuracy, baseline_accuracy}. With 100 labels the baseline
memorises them; the unlabelled digits and the fakes teach the SGAN features that carry over to unseen digits.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from gan.checkpoint import load_weights
from gan.config import Config
from gan.data import IndexSampler, load_images, to_training_tensor
from gan.device import autocast, choose_precision, resolve_device
from gan.models.dcgan import DCGANGenerator
from gan.models.sgan import N_CLASSES, SGANDiscriminator
from gan.quality import held_out_mask
from gan.train.gan import GANTrainer
from gan.train.loop import METRICS, Record

N_LABELLED = 100  # the book's num_labeled
EVAL_EVERY = 100  # iterations between held-out accuracy points
EVAL_BATCH = 2000  # held-out digits per forward pass (full MNIST holds out 12,000)


def choose_labelled(labels: np.ndarray, n_labelled: int, seed: int) -> np.ndarray:
    """Indices (n_labelled,) int64, sorted, of n_labelled / 10 digits of each class, none of them held out."""
    labels = np.asarray(labels)
    if n_labelled < N_CLASSES or n_labelled % N_CLASSES:
        raise ValueError(f"n_labelled must be a positive multiple of {N_CLASSES} (got {n_labelled!r})")
    per_class = n_labelled // N_CLASSES
    pool = ~held_out_mask(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for digit in range(N_CLASSES):
        members = np.flatnonzero(pool & (labels == digit))
        if len(members) <= per_class:  # at least one unlabelled digit of each class must remain
            raise ValueError(f"n_labelled {n_labelled} asks for {per_class} digits of class {digit}, "
                             f"but the training pool holds only {len(members)}")
        chosen.append(rng.choice(members, per_class, replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)


# ---------------------------------------------------------------------------------------------------- the trainer
class SGANTrainer(GANTrainer):
    """One SGAN run plus its fully supervised baseline, with GANTrainer's public interface.

    Reuses GANTrainer's run loop, logging (`flush`, `history`: the six GAN metrics of the unsupervised game), live
    controls, snapshots and good-state bookkeeping, which work on `self.real` (here: the *unlabelled* digits),
    `self.sampler`, `self.D` (the real/fake logit) and `self.G`. It adds the supervised moves and the held-out
    accuracies in `classifier_history`.
    """

    def __init__(self, config: Config, images: np.ndarray | None = None, labels: np.ndarray | None = None,
                 device: torch.device | str | None = None, n_labelled: int = N_LABELLED,
                 eval_every: int = EVAL_EVERY):
        # Deliberately not GANTrainer.__init__: that one builds the networks config.arch names and trains on all
        # images. Every attribute its methods use is set here.
        self.config = cfg = config.validate()
        self.device = torch.device(device) if device is not None else resolve_device(cfg.device)
        self.conditional = False  # G draws any digit; only D learns the labels
        if images is None:
            images, labels = load_images(cfg.dataset, cfg.data_dir, download=cfg.download)
        if labels is None:
            raise ValueError("the SGAN learns to classify digits: it needs the images' labels")
        if not (isinstance(eval_every, int) and eval_every >= 1):
            raise ValueError(f"eval_every must be an integer >= 1 (got {eval_every!r})")
        images, labels = np.asarray(images), np.asarray(labels).astype(np.int64)
        held_out = held_out_mask(labels)
        self.labelled_index = choose_labelled(labels, n_labelled, cfg.seed)  # into `images`
        unlabelled = ~held_out
        unlabelled[self.labelled_index] = False

        # Three disjoint sets on the device, (N, 1, 28, 28) in [-1, 1] with int64 labels (N,)
        self.real = to_training_tensor(images[unlabelled], self.device)  # what the GAN game sees; labels unused
        self.real_labels = None
        self.labelled = to_training_tensor(images[self.labelled_index], self.device)
        self.labelled_y = torch.tensor(labels[self.labelled_index], device=self.device)
        self.held_out = to_training_tensor(images[held_out], self.device)
        self.held_out_y = torch.tensor(labels[held_out], device=self.device)
        self.unseen_real = self.unseen_labels = None  # GANTrainer's data_fraction hold-out (the config keeps 1)
        if len(self.real) < cfg.batch_size:
            raise ValueError(f"batch_size {cfg.batch_size} is larger than the unlabelled set ({len(self.real)} images)")

        torch.manual_seed(cfg.seed)  # the weights' initialisation
        self.G = DCGANGenerator(cfg.latent_dim, cfg.g_width, cfg.leaky_slope, cfg.bn_momentum).to(self.device)
        self.D = SGANDiscriminator(cfg.d_width, cfg.leaky_slope, cfg.bn_momentum).to(self.device)
        # The control: the same architecture from the same initial weights; only the GAN game is missing.
        self.baseline = SGANDiscriminator(cfg.d_width, cfg.leaky_slope, cfg.bn_momentum).to(self.device)
        self.baseline.load_state_dict(self.D.state_dict())
        self.opt_g = self._adam(self.G, cfg.lr_g)
        self.opt_d = self._adam(self.D, cfg.lr_d)  # the unsupervised step's
        self.G_ema = self._average(self.G, cfg.g_ema)
        # The book compiles the supervised and the unsupervised D models with an Adam each (shared weights,
        # separate moments); the baseline gets the same optimiser as the SGAN's supervised step.
        self.opt_d_supervised = self._adam(self.D, cfg.lr_d)
        self.opt_baseline = self._adam(self.baseline, cfg.lr_d)

        self.rng = torch.Generator(device=self.device).manual_seed(cfg.seed)  # noise
        self.data_rng = torch.Generator(device=self.device).manual_seed(cfg.seed)  # unlabelled batches
        self.sampler = IndexSampler(len(self.real), cfg.batch_size, self.data_rng, self.device)
        self._set_up_augmentation()  # off: the config refuses DiffAugment for the SGAN
        self.labelled_sampler = IndexSampler(  # the baseline sees exactly these batches too
            len(self.labelled), min(cfg.batch_size, len(self.labelled)),
            torch.Generator(device=self.device).manual_seed(cfg.seed + 1), self.device)
        self.D.dropout.generator = torch.Generator(device=self.device).manual_seed(cfg.seed + 2)
        self.baseline.dropout.generator = torch.Generator(device=self.device).manual_seed(cfg.seed + 3)
        cpu_rng = torch.Generator().manual_seed(cfg.seed)  # fixed noise: the same on every device
        self.fixed_inputs = tuple(t.to(self.device) for t in self.G.sample_inputs(cfg.n_samples, cpu_rng))

        self.iteration = 0
        self.elapsed = 0.0
        self.d_steps = cfg.d_steps
        self.pretrained = cfg.d_pretrain_steps == 0
        self.history: dict[str, list[float]] = {k: [] for k in ("iteration", "epoch", *METRICS, "its_per_sec")}
        self.events: list[dict] = []
        self.snapshot_iterations: list[int] = []
        self.snapshots: list[torch.Tensor] = []
        self.last_fake_logits = torch.empty(0)
        self.log_every = cfg.log_every or (1 if self.device.type == "cpu" else 25)
        self.precision = choose_precision(cfg.precision, self.device)  # 'auto' -> what this hardware runs natively
        self._autocast = autocast(self.precision, self.device)
        self._pending_fake = None
        self.eval_every = eval_every
        self.classifier_history: list[dict] = []  # {iteration, sgan_accuracy, baseline_accuracy}
        self.evaluate()  # both start from the same weights: the same chance-level accuracy
        self._start_loop()

    @classmethod
    def from_checkpoint(cls, state: dict, images: np.ndarray | None = None, labels: np.ndarray | None = None,
                        device: torch.device | str | None = None, **budget) -> SGANTrainer:
        """Resume a checkpoint's run; `budget` may change only how long it runs and how often it reports."""
        config = cls._resumed_config(state, budget)
        trainer = cls(config, images=images, labels=labels, device=device, n_labelled=len(state["labelled_index"]),
                      eval_every=int(state["eval_every"]))
        trainer.load_state_dict(state)
        return trainer

    # ------------------------------------------------------------------ the moves
    def supervised_step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """(1) Train D as a classifier: cross-entropy of the softmax head on labelled digits."""
        self._classifier_step(self.D, self.opt_d_supervised, x, y)

    def baseline_step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """The control's only move: the same cross-entropy step, on the same batch, for the baseline."""
        self._classifier_step(self.baseline, self.opt_baseline, x, y)

    def d_step(self, keep_fake_for_g: bool = False, batch=None) -> None:
        """Train D: the supervised step on a labelled batch (and the baseline's on the same batch), then
        GANTrainer's real-vs-fake step on an unlabelled batch and a batch of fakes through the logsumexp head."""
        index = self.labelled_sampler.next()
        x, y = self.labelled[index], self.labelled_y[index]
        self.supervised_step(x, y)
        self.baseline_step(x, y)
        super().d_step(keep_fake_for_g, batch)

    # g_step: GANTrainer's, unchanged: D(fake) is the real/fake logit, so G's loss is the book's.

    def iteration_step(self) -> None:
        super().iteration_step()
        if self.iteration % self.eval_every == 0 or self.finished():
            self.evaluate()

    def run(self) -> Iterator[Record]:
        yield from super().run()
        if self.classifier_history[-1]["iteration"] != self.iteration:  # a time budget ended between points
            self.evaluate()

    # ------------------------------------------------------------------ the lesson's numbers
    @torch.inference_mode()
    def held_out_accuracy(self, net: SGANDiscriminator) -> float:
        """Fraction of the held-out digits whose argmax class `net` gets right (eval mode: no dropout, BN averages)."""
        was_training = net.training
        net.eval()
        try:
            correct = torch.zeros((), dtype=torch.long, device=self.device)
            for start in range(0, len(self.held_out), EVAL_BATCH):
                x, y = self.held_out[start:start + EVAL_BATCH], self.held_out_y[start:start + EVAL_BATCH]
                with self._autocast:
                    correct += (net.class_logits(x).argmax(dim=1) == y).sum()
        finally:
            net.train(was_training)
        return correct.item() / max(len(self.held_out), 1)

    def evaluate(self) -> dict:
        """Score both classifiers on the held-out digits and append the point to `classifier_history`."""
        point = {"iteration": self.iteration, "sgan_accuracy": self.held_out_accuracy(self.D),
                 "baseline_accuracy": self.held_out_accuracy(self.baseline)}
        self.classifier_history.append(point)
        return point

    # ------------------------------------------------------------------ live changes
    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        """As GANTrainer's; lr_d also sets the supervised step's and the baseline's rate, so the control stays fair."""
        super().set_lr(lr_g, lr_d)
        for opt in (self.opt_d_supervised, self.opt_baseline):
            for group in opt.param_groups:
                group["lr"] = self.lr_d

    # ------------------------------------------------------------------ checkpoint state
    def state_dict(self) -> dict:
        """GANTrainer's state plus the classifier side; plain containers and tensors only (weights_only-safe)."""
        return {
            **super().state_dict(),
            "baseline": self.baseline.state_dict(),
            "opt_d_supervised": self.opt_d_supervised.state_dict(),
            "opt_baseline": self.opt_baseline.state_dict(),
            "labelled_index": torch.from_numpy(self.labelled_index.copy()),
            "labelled_sampler": self.labelled_sampler.state_dict(),
            "dropout_rng": self.D.dropout.generator.get_state(),
            "baseline_dropout_rng": self.baseline.dropout.generator.get_state(),
            "eval_every": self.eval_every,
            "classifier_history": [dict(point) for point in self.classifier_history],
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue a saved run; its labelled digits must be the ones this trainer chose (same data, same seed)."""
        if not np.array_equal(torch.as_tensor(state["labelled_index"]).cpu().numpy(), self.labelled_index):
            raise ValueError("the checkpoint was trained with other labelled digits (another dataset or seed)")
        load_weights(self.baseline, state["baseline"], self.config, "baseline")
        self.opt_d_supervised.load_state_dict(state["opt_d_supervised"])
        self.opt_baseline.load_state_dict(state["opt_baseline"])
        self.labelled_sampler.load_state_dict(state["labelled_sampler"])
        self.D.dropout.generator.set_state(state["dropout_rng"].cpu())
        self.baseline.dropout.generator.set_state(state["baseline_dropout_rng"].cpu())
        self.eval_every = int(state["eval_every"])
        self.classifier_history = [dict(point) for point in state["classifier_history"]]
        super().load_state_dict(state)  # last: it remembers the loaded state as the good one

    # ------------------------------------------------------------------ internals
    def _classifier_step(self, net: SGANDiscriminator, opt: torch.optim.Optimizer, x: torch.Tensor,
                         y: torch.Tensor) -> None:
        with self._autocast:
            logits = net.class_logits(x).float()
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


__all__ = ["N_LABELLED", "SGANTrainer", "choose_labelled"]
