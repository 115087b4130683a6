"""Be the discriminator's round (gan.game): seeded, half real and half fake, judged by D on the very pixels shown,
scored against hand-counted answers, and drawn without changing the run it comes from."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan.data import load_images
from gan.game import GameRound, draw_round, score_round, trainer_round
from gan.imaging import from_uint8, to_uint8
from gan.models import NoiseGenerator
from gan.train import GANTrainer
from tests.conftest import tiny_config


class WhiteG(NoiseGenerator):
    """Draws an all-white image (z is ignored): its fakes are told apart from real digits at a glance."""

    latent_dim = 2

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def sample_inputs(self, n, generator=None, device="cpu"):
        return (torch.randn(n, self.latent_dim, generator=generator).to(device),)

    def forward(self, z):
        return self.scale * torch.ones(len(z), 1, 28, 28)


class BrightnessD(nn.Module):
    """Scores an image by its mean pixel plus `offset`, and keeps what it was shown (and told)."""

    def __init__(self, offset: float = 0.0) -> None:
        super().__init__()
        self.offset = offset
        self.weight = nn.Parameter(torch.zeros(()))
        self.seen: list[tuple[torch.Tensor, ...]] = []

    def forward(self, x, *condition):
        self.seen.append((x.clone(), *condition))
        return x.mean(dim=(1, 2, 3)) + self.offset + self.weight


@pytest.fixture(scope="module")
def real() -> torch.Tensor:
    images, _ = load_images("mnist-embedded")
    return from_uint8(torch.from_numpy(images[:200].copy()).unsqueeze(1))  # (200, 1, 28, 28) in [-1, 1]


def test_a_round_is_half_real_half_fake_shuffled_and_set_by_its_seed(real):
    G = WhiteG()
    first, again, other = (draw_round(G, real, seed) for seed in (3, 3, 4))
    assert first.images.shape == (16, 1, 28, 28) and first.images.dtype == torch.uint8
    assert sum(first.real) == 8 and len(first.real) == 16
    assert torch.equal(first.images, again.images) and first.real == again.real
    assert first.real != other.real or not torch.equal(first.images, other.images)
    reals = to_uint8(real).flatten(1)
    for image, is_real in zip(first.images, first.real):  # the truth says which tile is which
        found = (reals == image.flatten()).all(dim=1).any().item()
        assert found == is_real and (image == 255).all().item() != is_real
    assert first.real[:8] != (True,) * 8 or first.real[8:] != (False,) * 8  # shuffled, not reals first
    assert first.d_real is None and first.d_says_real is None  # no D asked


def test_d_judges_the_pixels_shown_and_its_verdicts_are_counted_against_the_truth(real):
    D = BrightnessD()
    game = draw_round(WhiteG(), real, 5, D=D, iteration=42)
    [(shown,)] = D.seen
    assert torch.equal(shown, from_uint8(game.images))  # the 8-bit images the student sees, in their order
    # white fakes (mean 1) score high: D calls every fake real and every real digit (mostly black) fake
    assert game.d_says_real == tuple(not is_real for is_real in game.real)
    assert score_round(game, []).d_right == 0 and game.iteration == 42
    centred = draw_round(WhiteG(), real, 5, D=BrightnessD(offset=100.0), centred=True)
    assert centred.d_says_real == game.d_says_real  # a WGAN's shift of every score changes no verdict


def test_scores_are_counted_by_hand():
    game = GameRound(images=torch.zeros(4, 1, 28, 28, dtype=torch.uint8), real=(True, False, True, False),
                     d_real=(0.9, 0.2, 0.4, 0.6), iteration=0, seed=0)
    assert game.d_says_real == (True, False, False, True)
    score = score_round(game, marked_fake=[1, 2])  # said: real, fake, fake, real -> right on 0 and 1
    assert (score.total, score.student_right, score.d_right) == (4, 2, 2)
    assert score_round(game, marked_fake=[1, 3]).student_right == 4
    assert score_round(game, marked_fake=[0, 2]).student_right == 0
    assert score.student_accuracy == 0.5 and score.d_accuracy == 0.5
    assert score_round(GameRound(game.images, game.real, None, 0, 0), [1]).d_right is None


def test_a_conditional_d_is_told_each_real_digits_label_and_each_fakes_asked_for_digit():
    images, labels = load_images("mnist-embedded")
    trainer = GANTrainer(tiny_config("cgan", batch_size=16), images=images[::10], labels=labels[::10])
    D = BrightnessD()
    trainer.D = D
    game = trainer_round(trainer, 9)
    [(shown, told)] = D.seen
    reals = to_uint8(trainer.real).flatten(1)
    for image, label, is_real in zip(game.images, told.tolist(), game.real):
        if is_real:  # the label of the very digit shown
            index = (reals == image.flatten()).all(dim=1).nonzero()[0, 0]
            assert label == trainer.real_labels[index].item()
        else:
            assert 0 <= label <= 9


def test_drawing_rounds_leaves_the_run_exactly_as_it_would_have_been(digits):
    played, untouched = (GANTrainer(tiny_config("dcgan", iterations=6), images=digits) for _ in range(2))
    for trainer in (played, untouched):
        for _ in range(3):
            trainer.iteration_step()
    game = trainer_round(played, 1)
    assert sum(game.real) == 8 and game.d_real is not None and game.iteration == 3
    assert played.G.training and played.D.training  # put back in training mode
    for trainer in (played, untouched):
        for _ in range(3):
            trainer.iteration_step()
    for net in ("G", "D"):  # the same weights and BatchNorm statistics: the noise streams were not touched either
        mine, theirs = getattr(played, net).state_dict(), getattr(untouched, net).state_dict()
        assert all(torch.equal(mine[k], theirs[k]) for k in mine), net
