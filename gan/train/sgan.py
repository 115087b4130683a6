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

import copy
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from gan.checkpoint import load_weights
from gan.config import Config, ConfigError
from gan.data import IndexSampler, load_images, to_training_tensor
from gan.models.sgan import N_CLASSES, SGANDiscriminator
from gan.quality import held_out_mask
from gan.train.gan import GANTrainer
from gan.train.loop import Record

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

    game_data = "unlabelled set"
    D: SGANDiscriminator
    baseline: SGANDiscriminator
    classifier_history: list[dict]

    def __init__(self, config: Config, images: np.ndarray | None = None, labels: np.ndarray | None = None,
                 device: torch.device | str | None = None, n_labelled: int = N_LABELLED,
                 eval_every: int = EVAL_EVERY):
        if config.arch != "sgan":  # the saved config names the trainer that resumes it
            raise ConfigError(f"SGANTrainer trains the 'sgan' architecture (got {config.arch!r})")
        if not (isinstance(eval_every, int) and eval_every >= 1):
            raise ValueError(f"eval_every must be an integer >= 1 (got {eval_every!r})")
        self.n_labelled = n_labelled
        self.eval_every = eval_every
        self.classifier_history = []  # {iteration, sgan_accuracy, baseline_accuracy}
        if images is None:
            images, labels = load_images(config.dataset, config.data_dir, download=config.download)
        if labels is None:
            raise ValueError("the SGAN learns to classify digits: it needs the images' labels")
        super().__init__(config, images=images, device=device, labels=labels)

    def _set_up_data(self, images: np.ndarray, labels: np.ndarray | None) -> None:
        """Three disjoint sets on the device, (N, 1, 28, 28) in [-1, 1] with int64 labels (N,): the unlabelled digits
        of the GAN game (`real`, labels unused), the labelled few, and the held-out digits both classifiers are
        scored on."""
        assert labels is not None  # __init__ refused a set without labels
        labels = labels.astype(np.int64)
        held_out = held_out_mask(labels)
        self.labelled_index = choose_labelled(labels, self.n_labelled, self.config.seed)  # into `images`
        unlabelled = ~held_out
        unlabelled[self.labelled_index] = False
        self.real = to_training_tensor(images[unlabelled], self.device)
        self.real_labels = None
        self.labelled = to_training_tensor(images[self.labelled_index], self.device)
        self.labelled_y = torch.tensor(labels[self.labelled_index], device=self.device)
        self.held_out = to_training_tensor(images[held_out], self.device)
        self.held_out_y = torch.tensor(labels[held_out], device=self.device)
        self.unseen_real = self.unseen_labels = None  # GANTrainer's data_fraction hold-out (the config keeps 1)
        self.labelled_sampler = IndexSampler(  # the baseline sees exactly these batches too
            len(self.labelled), min(self.config.batch_size, len(self.labelled)),
            torch.Generator(device=self.device).manual_seed(self.config.seed + 1), self.device)

    def _build_players(self) -> None:
        """GANTrainer's G and D (D with the 10-class head: the config's arch is 'sgan'), and the control: the same
        classifier from the same initial weights, which never plays the GAN game."""
        super()._build_players()
        cfg = self.config
        self.baseline = copy.deepcopy(self.D)  # the same weights, in the same memory layout
        # The book compiles the supervised and the unsupervised D models with an Adam each (shared weights,
        # separate moments); the baseline gets the same optimiser as the SGAN's supervised step.
        self.opt_d_supervised = self._adam(self.D, cfg.lr_d)
        self.opt_baseline = self._adam(self.baseline, cfg.lr_d)
        self.dropout_rng = torch.Generator(device=self.device).manual_seed(cfg.seed + 2)
        self.baseline_dropout_rng = torch.Generator(device=self.device).manual_seed(cfg.seed + 3)
        self.D.dropout.generator, self.baseline.dropout.generator = self.dropout_rng, self.baseline_dropout_rng

    def _start_loop(self) -> None:
        self.evaluate()  # both start from the same weights: the same chance-level accuracy
        super()._start_loop()

    @classmethod
    def from_checkpoint(cls, state: dict, images: np.ndarray | None = None, device: torch.device | str | None = None,
                        *, labels: np.ndarray | None = None, **budget) -> SGANTrainer:
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
    def _own_state(self) -> dict:
        """GANTrainer's own state plus the classifier side."""
        return {
            **super()._own_state(),
            "baseline": self.baseline.state_dict(),
            "opt_d_supervised": self.opt_d_supervised.state_dict(),
            "opt_baseline": self.opt_baseline.state_dict(),
            "labelled_index": torch.from_numpy(self.labelled_index.copy()),
            "labelled_sampler": self.labelled_sampler.state_dict(),
            "dropout_rng": self.dropout_rng.get_state(),
            "baseline_dropout_rng": self.baseline_dropout_rng.get_state(),
            "eval_every": self.eval_every,
            "classifier_history": [dict(point) for point in self.classifier_history],
        }

    def _load_own_state(self, state: dict) -> None:
        """Its labelled digits must be the ones this trainer chose (same data, same seed): checked first."""
        if not np.array_equal(torch.as_tensor(state["labelled_index"]).cpu().numpy(), self.labelled_index):
            raise ValueError("the checkpoint was trained with other labelled digits (another dataset or seed)")
        load_weights(self.baseline, state["baseline"], "baseline", self._architecture())
        self.opt_d_supervised.load_state_dict(state["opt_d_supervised"])
        self.opt_baseline.load_state_dict(state["opt_baseline"])
        self.labelled_sampler.load_state_dict(state["labelled_sampler"])
        self.dropout_rng.set_state(state["dropout_rng"].cpu())
        self.baseline_dropout_rng.set_state(state["baseline_dropout_rng"].cpu())
        self.eval_every = int(state["eval_every"])
        self.classifier_history = [dict(point) for point in state["classifier_history"]]
        super()._load_own_state(state)

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
