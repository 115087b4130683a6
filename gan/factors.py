"""The factor network of the shapes: a small CNN, bundled in assets/shapes_factors.pt, that reads a drawn shape's
factors (gan/shapes.py) back from its image, and the scores built on it.

    predict_factors(images)            # what each image shows: shape, scale, rotation, x, y, hue
    factor_scores(images, rgb=False)   # a GAN's samples against real shapes: FID, KID, which shapes, which ranges
    direction_effects(G, directions, rgb=False)   # which factors a latent direction moves, and how far

Images are float tensors (B, C, H, W) in [-1, 1], as everywhere in the core, of any size (8..128) and 1 or 3
channels: they are brought to the net's (B, 3, 32, 32) by a bilinear, antialiased resize, grey repeated to 3 channels.

What the net can tell is what the drawn shapes vary in: one white or coloured shape on black, of three kinds, its
size, turn, position and colour. It was never shown anything else, so its verdicts on images that look like no
drawn shape (noise, smudges, two shapes, a grey background) mean little; noise, smudges and flat images were shown
to it as "no shape" (uniform shape probabilities), so its shape confidence is low on them, but its regressed
factors are then whatever the net outputs. Its FID and KID are measured in its own 64-d feature space: they compare
only with themselves (not with the Inception FID of papers, nor with the digit classifier's FID of gan/quality.py).

Rotation is read modulo a quarter turn: a square looks the same every quarter turn, so no network could tell a
square turned by r from one turned by r + 1/4; the net predicts the angle 4 * 2 pi * rotation (as cos, sin), which
every shape's image determines, and reports rotation in [0, 1/4) of a turn.

Retrain the bundled net with ``python -m gan.factors --retrain`` (about 2 minutes on one CPU core).
"""

from __future__ import annotations

import argparse
import functools
import io
import math
import os
import pickle
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gan.data import to_training_tensor
from gan.fileio import write_bytes_atomic
from gan.models.common import NoiseGenerator, fixed_samples
from gan.quality import SCORE_SAMPLES, QualityScore, frechet_distance, kernel_distance
from gan.shapes import SCALES, SHAPES, draw_shapes

FACTOR_NET_PATH = Path(__file__).resolve().parent.parent / "assets" / "shapes_factors.pt"
FEATURES_NAME = "factor network features (64-d, the bundled shapes factor network assets/shapes_factors.pt)"
"""Which features factor_scores' FID and KID are measured in: not Inception's, so compare them only with themselves."""

INPUT_SIZE = 32  # the net reads (B, 3, 32, 32)
FEATURE_DIM = 64
NUM_SHAPES = len(SHAPES)
ROTATION_PERIOD = 0.25  # a quarter turn: rotation is only identifiable modulo this (the square's symmetry)
POSITION_RANGE = (SCALES[1] * 0.25 * 1.45, 1 - SCALES[1] * 0.25 * 1.45)  # where draw_shapes puts a shape's centre
"""The range of x and y in the drawn shapes (gan/shapes.py keeps the largest shape, turned, inside the image)."""
FACTOR_RANGES = {"scale": (0.0, 1.0), "x": POSITION_RANGE, "y": POSITION_RANGE, "hue": (0.0, 1.0)}
"""Each continuous factor's range in the drawn shapes; coverage bins and direction effects are relative to it."""
MIN_SIZE, MAX_SIZE = 8, 128  # the image sizes the GAN core trains at
SCORE_BATCH_SIZE = 500  # images per net call; bounds memory, results do not depend on it
REAL_SEED = 2  # the real shapes factor_scores compares with (the GAN's own training set is seed 0)
REAL_COUNT = 2_000
HELD_OUT_SEED = 1  # the held-out shapes of `python -m gan.factors` (training draws seeds from TRAIN_SEED up)
TRAIN_SEED = 1_000
SHAPE_COVERED = 0.05  # a shape counts as drawn when it holds at least this share of the samples
RECOGNISABLE_CONFIDENCE = 0.9  # a sample's shape is read when its top probability reaches this
COVERAGE_BINS = 10  # equal bins over a factor's range
BIN_COVERED = 0.02  # a bin counts as covered when it holds at least this share of the samples
# The net regresses scale, x and y normalised to their range, through a sigmoid stretched a little beyond [0, 1]:
# the edges of the range stay reachable without huge logits, and a shape a little outside it still reads outside.
_STRETCH = 0.1


class FactorNet(nn.Module):
    """Small CNN: (B, 3, 32, 32) in [-1, 1] -> 64-d features -> shape logits (3), scale, x, y (normalised to their
    range), (cos, sin) of 4 * 2 pi * rotation, (cos, sin) of 2 pi * hue.

    Two coordinate channels (x and y in [-1, 1]) join the image before the first convolution (CoordConv, Liu et al.
    2018), so position is read from the pixels' places rather than pieced together by the pooling.
    """

    coords: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(5, 24, 3, padding=1), nn.BatchNorm2d(24), nn.ReLU(), nn.MaxPool2d(2),  # (B, 24, 16, 16)
            nn.Conv2d(24, 48, 3, padding=1), nn.BatchNorm2d(48), nn.ReLU(), nn.MaxPool2d(2),  # (B, 48, 8, 8)
            nn.Conv2d(48, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),  # (B, 64, 4, 4)
        )
        self.fc = nn.Linear(64 * 4 * 4, FEATURE_DIM)
        self.head = nn.Linear(FEATURE_DIM, NUM_SHAPES + 3 + 2 + 2)
        grid = torch.linspace(-1, 1, INPUT_SIZE)
        coords = torch.stack([grid[None, :].expand(INPUT_SIZE, -1), grid[:, None].expand(-1, INPUT_SIZE)])
        self.register_buffer("coords", coords[None], persistent=False)  # (1, 2, 32, 32): x, then y

    def embedding(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 32, 32) -> (B, 64) features before their ReLU, where KID is measured (as in gan/quality.py: after
        the ReLU, images that excite nothing all sit at 0, which may lie inside the real shapes' cloud)."""
        coords = self.coords.to(x.dtype).expand(len(x), -1, -1, -1)
        return self.fc(self.conv(torch.cat([x, coords], dim=1)).flatten(1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 32, 32) -> (B, 64) penultimate features, the space factor_scores' FID is measured in."""
        return F.relu(self.embedding(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, 32, 32) -> (B, 10) raw outputs; `decode` turns them into factors."""
        return self.head(self.features(x))


def to_net_input(images: torch.Tensor) -> torch.Tensor:
    """Images (B, 1 or 3, H, W) in [-1, 1] -> (B, 3, 32, 32) float32 on their device: bilinear resize with antialias
    (a no-op at 32), grey repeated to three channels."""
    if images.ndim != 4 or images.shape[1] not in (1, 3) or min(images.shape[2:]) < 1:
        raise ValueError(f"expected images of shape (B, 1 or 3, H, W), got {tuple(images.shape)}")
    x = images.float()
    if tuple(x.shape[2:]) != (INPUT_SIZE, INPUT_SIZE):
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", antialias=True, align_corners=False)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def _unstretch(logit: torch.Tensor) -> torch.Tensor:
    return -_STRETCH + (1 + 2 * _STRETCH) * torch.sigmoid(logit)


def _from_range(normalised: torch.Tensor, factor: str) -> torch.Tensor:
    low, high = FACTOR_RANGES[factor]
    return low + normalised * (high - low)


def _to_range(value: torch.Tensor, factor: str) -> torch.Tensor:
    low, high = FACTOR_RANGES[factor]
    return (value - low) / (high - low)


def decode(outputs: torch.Tensor) -> dict[str, torch.Tensor]:
    """FactorNet outputs (B, 10) -> the factors predict_factors returns (on the outputs' device)."""
    probabilities = outputs[:, :NUM_SHAPES].softmax(dim=1)
    confidence, shape = probabilities.max(dim=1)
    regressed = _unstretch(outputs[:, NUM_SHAPES : NUM_SHAPES + 3])
    rotation_angle = torch.atan2(outputs[:, NUM_SHAPES + 4], outputs[:, NUM_SHAPES + 3])  # 4 * 2 pi * rotation
    hue_angle = torch.atan2(outputs[:, NUM_SHAPES + 6], outputs[:, NUM_SHAPES + 5])
    return {
        "shape": shape,
        "shape_confidence": confidence,
        "scale": _from_range(regressed[:, 0], "scale").clamp(0, 1),
        "rotation": (rotation_angle / (2 * math.pi) % 1) * ROTATION_PERIOD,
        "x": _from_range(regressed[:, 1], "x").clamp(0, 1),
        "y": _from_range(regressed[:, 2], "y").clamp(0, 1),
        "hue": hue_angle / (2 * math.pi) % 1,
    }


# ---------------------------------------------------------------------------------------------
# Loading the bundled net


def load_factor_net(device: torch.device | str = "cpu") -> FactorNet:
    """Return the bundled factor net in eval mode on `device`, cached per device (shared: do not modify).

    Raises FileNotFoundError when the file is missing and ValueError, naming the file, when it cannot be read.
    """
    return _load_factor_net(str(torch.device(device)), str(FACTOR_NET_PATH))


@functools.lru_cache(maxsize=None)
def _load_factor_net(device: str, path: str) -> FactorNet:
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} is missing; rebuild it with: python -m gan.factors --retrain")
    model = FactorNet()
    try:
        state = torch.load(path, map_location=device, weights_only=True)
        model.load_state_dict({key: value.float() for key, value in state.items()})  # stored as fp16
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, OSError, ValueError, KeyError,
            AttributeError, TypeError, IndexError) as err:
        raise ValueError(f"{path} is not a readable factor network ({type(err).__name__}); rebuild it with: "
                         f"python -m gan.factors --retrain") from None
    return model.to(device).eval().requires_grad_(False)


def save_factor_net(model: FactorNet, path: Path = FACTOR_NET_PATH) -> None:
    """Save the state_dict in fp16 (half the size; predictions barely move) atomically: temp file, then rename."""
    state = {key: value.detach().cpu().half() if value.is_floating_point() else value.detach().cpu()
             for key, value in model.state_dict().items()}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_bytes_atomic(path, buffer.getbuffer())
    os.chmod(path, 0o644)  # the temporary file was created 0600; an asset is readable by all


# ---------------------------------------------------------------------------------------------
# Predicting factors


@torch.inference_mode()
def predict_factors(images: torch.Tensor) -> dict[str, torch.Tensor]:
    """What the net reads in images (B, 1 or 3, H, W) in [-1, 1], each a tensor (B,) on the CPU:

    - "shape": int64 index into gan.shapes.SHAPES (0 square, 1 ellipse, 2 heart); "shape_confidence" its softmax
      probability (low on images that look like no shape);
    - "scale", "x", "y": in draw_shapes' units, [0, 1] (x, y the centre as a share of the width and height; the
      drawn shapes hold them in POSITION_RANGE);
    - "rotation": in [0, 1/4) of a turn, draw_shapes' rotation modulo a quarter turn (see the module's docstring);
    - "hue": in [0, 1), for every image; on grey images it means nothing, and callers ignore it.

    Runs the net in chunks of SCORE_BATCH_SIZE on the images' device; results do not depend on B.
    """
    model = load_factor_net(images.device)
    parts = [decode(model(to_net_input(chunk))) for chunk in images.split(SCORE_BATCH_SIZE)]
    return {key: torch.cat([part[key] for part in parts]).cpu() for key in parts[0]} if parts else {}


@torch.inference_mode()
def _read(images: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """(pre-ReLU embeddings (B, 64) float64 on CPU, predict_factors' dict) in one pass of the net."""
    model = load_factor_net(images.device)
    embeddings, parts = [], []
    for chunk in images.split(SCORE_BATCH_SIZE):
        e = model.embedding(to_net_input(chunk))
        embeddings.append(e.double().cpu())
        parts.append(decode(model.head(F.relu(e))))
    return torch.cat(embeddings), {key: torch.cat([part[key] for part in parts]).cpu() for key in parts[0]}


# ---------------------------------------------------------------------------------------------
# Scores of generated shapes


@functools.lru_cache(maxsize=None)
def _real_reference(rgb: bool, size: int, device: str
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, int]]:
    """REAL_COUNT real shapes (seed REAL_SEED, grey or colour) drawn at `size` and resized like the samples:
    (embeddings (N, 64) float64, FID's mu and sigma, the number of covered bins of each continuous factor), cached
    per colour mode, size and device. Drawn at the samples' size because the resize itself moves the features: real
    28x28 shapes against real 32x32 ones score an FID of ~12 and a KID of ~200, against ~2 and ~0 at one size."""
    images, _ = draw_shapes(REAL_COUNT, size=size, seed=REAL_SEED, rgb=rgb)
    embeddings, factors = _read(to_training_tensor(images, device))
    features = embeddings.clamp(min=0)
    bins = {name: _covered_bins(factors[name], name) for name in _coverage_factors(rgb)}
    return embeddings, features.mean(dim=0), torch.cov(features.T), bins


def _coverage_factors(rgb: bool) -> tuple[str, ...]:
    return ("scale", "x", "y", "hue") if rgb else ("scale", "x", "y")


def _covered_bins(values: torch.Tensor, factor: str) -> int:
    """How many of COVERAGE_BINS equal bins of the factor's range hold at least BIN_COVERED of the values (values
    outside the range count in its end bins)."""
    position = (_to_range(values.double(), factor) * COVERAGE_BINS).floor().clamp(0, COVERAGE_BINS - 1).long()
    shares = torch.bincount(position, minlength=COVERAGE_BINS).double() / len(values)
    return int((shares >= BIN_COVERED).sum())


def factor_scores(images: torch.Tensor, rgb: bool) -> dict:
    """Score generated shapes (B >= 2, any size, 1 or 3 channels, [-1, 1]) against REAL_COUNT real shapes of the
    same colour mode and size (square sizes 8..128; 32x32 for any other), in the factor net's eyes, on the images'
    device. Returns:

    - "fid": Fréchet distance of the net's 64-d features (FEATURES_NAME); lower is better: fresh real shapes score
      ~2 at B = 500 (FID is biased upwards at small B: ~7 at 100, ~0.5 at 2,000), one shape only ~200 to 400. It
      sees fidelity and diversity at once and cannot tell which is lacking; it compares only with itself.
    - "kid": kernel distance x 1000 in the same space (before the ReLU; gan.quality.kernel_distance, as the digit
      scores): unbiased, so ~0 for real shapes at any B and comparable across B; None below 2 samples.
    - "shape_histogram": the share of the samples read as each shape of SHAPES with confidence >= 0.9 (the rest
      look like no shape clearly; their sum is "recognisable"). Real shapes give about 1/3 each.
    - "shapes_covered": how many shapes hold at least SHAPE_COVERED (5%) of the samples: 3 for real shapes, 1 when G
      collapsed onto one shape. It cannot see collapse within a shape (every square the same size and place).
    - "recognisable": the share of samples whose shape is read with confidence >= 0.9; "confidence" the mean
      probability of the shape read.
    - "scale_coverage", "x_coverage", "y_coverage" (and "hue_coverage" when rgb): how much of the factor's range the
      samples span: the number of COVERAGE_BINS equal bins of the range that hold at least BIN_COVERED (2%) of the
      samples, over the same number for the real shapes, capped at 1. 1 means the samples reach everywhere the real
      shapes do; a G that draws every shape in one corner scores 0.1 to 0.2 on x and y. It sees spread, not the evenness
      of the spread (a bin at 2% counts as much as one at 20%), nor whether the factors go together as in the real
      shapes (that is the FID's part); and it trusts the net's reading, so samples that look like no shape add
      arbitrary values. With few samples (under ~200) bins are missed by chance.
    """
    if images.ndim != 4 or len(images) < 2:
        raise ValueError(f"expected images of shape (B, C, H, W) with B >= 2, got {tuple(images.shape)}")
    height, width = images.shape[2:]
    size = height if height == width and MIN_SIZE <= height <= MAX_SIZE else INPUT_SIZE
    real_embeddings, real_mu, real_sigma, real_bins = _real_reference(bool(rgb), int(size), str(images.device))
    embeddings, factors = _read(images)
    features = embeddings.clamp(min=0)
    confident = factors["shape"][factors["shape_confidence"] >= RECOGNISABLE_CONFIDENCE]
    histogram = torch.bincount(confident, minlength=NUM_SHAPES).double() / len(images)
    scores: dict = {
        "fid": frechet_distance(features.mean(dim=0), torch.cov(features.T), real_mu, real_sigma),
        "kid": kernel_distance(real_embeddings, embeddings),
        "shape_histogram": histogram.tolist(),
        "shapes_covered": int((histogram >= SHAPE_COVERED).sum()),
        "recognisable": float(histogram.sum()),
        "confidence": factors["shape_confidence"].double().mean().item(),
    }
    for name in _coverage_factors(bool(rgb)):
        scores[f"{name}_coverage"] = min(1.0, _covered_bins(factors[name], name) / max(real_bins[name], 1))
    return scores


def score_shapes(G: NoiseGenerator, rgb: bool, n: int = SCORE_SAMPLES, seed: int = 0) -> QualityScore:
    """factor_scores of `n` eval-mode samples of G as a QualityScore (the races' scorer on shapes): the shapes in
    place of the digits."""
    from gan.image_scores import eval_samples

    scores = factor_scores(eval_samples(G, n, seed), rgb=rgb)
    return QualityScore(fid=scores["fid"], confidence=scores["confidence"],
                        class_histogram=tuple(scores["shape_histogram"]), classes_covered=scores["shapes_covered"],
                        recognisable=scores["recognisable"], kid=scores["kid"])


@torch.inference_mode()
def shape_accuracy(G: NoiseGenerator, n: int = SCORE_SAMPLES, seed: int = 0) -> float:
    """For a conditional G of shapes: the share of `n` eval-mode samples the factor network reads as the shape G was
    asked for (chance: a third)."""
    (_, labels), images = fixed_samples(G, n, seed)
    return (predict_factors(images)["shape"] == labels.cpu()).double().mean().item()


# ---------------------------------------------------------------------------------------------
# What latent directions move


DIRECTION_STEPS = 5


@torch.inference_mode()
def direction_effects(G: NoiseGenerator, directions: torch.Tensor, *, n: int = 64, span: float = 2.0, seed: int = 0,
                      rgb: bool, steps: int = DIRECTION_STEPS) -> dict:
    """Which drawn-shape factors each latent direction moves, read by the factor net.

    For each row d of `directions` (k, latent_dim), used as given (normalise them first to compare directions at
    one step length), n base codes z of G (`G.sample_inputs(n, torch.Generator().manual_seed(seed))`, the same for
    every direction) are moved to z + t d for `steps` offsets t evenly from -span to +span, and the samples G draws
    there (in eval mode, one forward pass per step) are read by the net. Returns:

    - "factors": the factor names, ["scale", "x", "y", "rotation", ("hue" if rgb,) "shape"];
    - "effects": float64 array (k, n_factors): per factor, the mean over the n samples of how far it moves from one
      end (-span) to the other (+span), in units of the factor's range in the real shapes (FACTOR_RANGES; rotation's
      is a quarter turn, hue's a full one, both circular, so their most is 0.5): 1 = end to end of the range. For
      "shape", the share of samples whose read shape differs between the two ends.
    - "steps": the offsets t (a list of `steps` floats);
    - "means": float64 array (k, steps, n_factors): per step, the mean factor in its own units (scale, x, y in [0, 1],
      rotation in [0, 1/4) turns and hue in [0, 1), both circular means); for "shape", the share of samples whose
      read shape differs from the one at the first step.

    What it cannot tell: a factor that moves one way for some samples and the other way for others shows in
    "effects" but averages out in "means"; a direction whose samples stop looking like shapes gets arbitrary
    readings (the net was trained on drawn shapes only); effects add the net's own reading noise (a few hundredths),
    so only effects well above that mean something. A direction that moves a factor only a little over this span may
    move it more over a longer one.
    """
    if directions.ndim != 2:
        raise ValueError(f"expected directions of shape (k, latent_dim), got {tuple(directions.shape)}")
    if steps < 2:
        raise ValueError(f"steps must be at least 2 (got {steps})")
    names = ["scale", "x", "y", "rotation", *(["hue"] if rgb else []), "shape"]
    device = next(iter(G.parameters()), torch.zeros(0)).device
    z, *rest = (t.to(device) for t in G.sample_inputs(n, torch.Generator().manual_seed(seed)))
    offsets = torch.linspace(-span, span, steps).tolist()
    k = len(directions)
    effects = np.zeros((k, len(names)))
    means = np.zeros((k, steps, len(names)))
    was_training = G.training
    G.eval()
    try:
        for i, direction in enumerate(directions.to(device=device, dtype=z.dtype)):
            read = [predict_factors(G(z + t * direction, *rest).float()) for t in offsets]
            for j, name in enumerate(names):
                if name == "shape":
                    means[i, :, j] = [(r["shape"] != read[0]["shape"]).double().mean().item() for r in read]
                    effects[i, j] = means[i, -1, j]
                    continue
                period = {"rotation": ROTATION_PERIOD, "hue": 1.0}.get(name)
                means[i, :, j] = [_mean(r[name], period) for r in read]
                change = (read[-1][name] - read[0][name]).double()
                if period is None:
                    low, high = FACTOR_RANGES[name]
                    effects[i, j] = change.abs().mean().item() / (high - low)
                else:  # the shorter way round the circle, as a share of the period
                    turns = (change / period) % 1
                    effects[i, j] = torch.minimum(turns, 1 - turns).mean().item()
    finally:
        G.train(was_training)
    return {"factors": names, "effects": effects, "steps": offsets, "means": means}


def _mean(values: torch.Tensor, period: float | None) -> float:
    """The mean of `values`, circular (in [0, period)) when a period is given."""
    if period is None:
        return values.double().mean().item()
    angle = values.double() * (2 * math.pi / period)
    return (math.atan2(angle.sin().mean().item(), angle.cos().mean().item()) / (2 * math.pi) % 1) * period


# ---------------------------------------------------------------------------------------------
# Training the bundled net

TRAIN_SIZES = (20, 28, 32, 48, 64)  # drawn at these sizes, then resized to 32: the GAN trains at 28, 32 and 64
OUTLIER_WEIGHT = 0.5  # weight of the noise-is-no-shape loss
REGRESSION_WEIGHT = 10.0  # weight of the scale and position errors (squared, in units of their range)


def drawn_set(n_per_kind: int, seed: int, sizes: tuple[int, ...] = TRAIN_SIZES
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Shapes for training or checking the net: n_per_kind grey and as many colour shapes at each size, each
    (size, colour) drawn with its own seed from `seed` up, all brought to the net's input. Returns (images
    (N, 3, 32, 32) float16 in [-1, 1], factors (N, 6) float32 in RGB_FACTORS' order (hue 0 for grey), colour mask
    (N,) bool)."""
    images, factors, colour = [], [], []
    for index, (size, rgb) in enumerate((size, rgb) for size in sizes for rgb in (False, True)):
        drawn, known = draw_shapes(n_per_kind, size=size, seed=seed + index, rgb=rgb)
        images.append(to_net_input(to_training_tensor(drawn, "cpu")).half())
        factors.append(torch.from_numpy(known if rgb else np.pad(known, ((0, 0), (0, 1)))))
        colour.append(torch.full((n_per_kind,), rgb))
    return torch.cat(images), torch.cat(factors), torch.cat(colour)


def _loss(outputs: torch.Tensor, factors: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
    shape = (factors[:, 0] * (NUM_SHAPES - 1)).round().long()
    loss = F.cross_entropy(outputs[:, :NUM_SHAPES], shape)
    regressed = _unstretch(outputs[:, NUM_SHAPES : NUM_SHAPES + 3])
    targets = torch.stack([factors[:, 1], _to_range(factors[:, 3], "x"), _to_range(factors[:, 4], "y")], dim=1)
    loss = loss + REGRESSION_WEIGHT * F.mse_loss(regressed, targets)
    rotation = factors[:, 2] * (2 * math.pi / ROTATION_PERIOD)
    rotation_target = torch.stack([rotation.cos(), rotation.sin()], 1)
    loss = loss + F.mse_loss(outputs[:, NUM_SHAPES + 3 : NUM_SHAPES + 5], rotation_target)
    hue = factors[:, 5] * (2 * math.pi)
    hue_error = (outputs[:, NUM_SHAPES + 5 : NUM_SHAPES + 7] - torch.stack([hue.cos(), hue.sin()], 1)).square().sum(1)
    return loss + (hue_error * colour).sum() / colour.sum().clamp(min=1) / 2  # grey images: no hue to learn


def _noise_images(b: int, generator: torch.Generator) -> torch.Tensor:
    """(b, 3, 32, 32) in [-1, 1] that are no shape: pixel noise, smooth blobs and flat levels, grey or coloured."""
    n_pixels, n_blobs = b // 3, b // 3
    pixels = torch.rand(n_pixels, 1, INPUT_SIZE, INPUT_SIZE, generator=generator)
    blobs = F.interpolate(torch.rand(n_blobs, 1, 6, 6, generator=generator), size=INPUT_SIZE, mode="bilinear")
    flat = torch.rand(b - n_pixels - n_blobs, 1, 1, 1, generator=generator).expand(-1, 1, INPUT_SIZE, INPUT_SIZE)
    tint = torch.rand(b, 3, 1, 1, generator=generator).where(torch.rand(b, 1, 1, 1, generator=generator) < 0.5,
                                                              torch.ones(1))
    return torch.cat([pixels, blobs, flat]) * tint * 2 - 1


def _augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Gaussian pixel noise of a random strength (0 to 0.15) on half the images: a GAN's samples are never clean."""
    strength = torch.rand(len(x), 1, 1, 1, generator=generator) * 0.15
    strength = strength * (torch.rand(len(x), 1, 1, 1, generator=generator) < 0.5)
    return (x + strength * torch.randn(x.shape, generator=generator)).clamp(-1, 1)


def train_factor_net(n_per_kind: int = 2_500, epochs: int = 4, seed: int = 0, device: torch.device | str = "cpu",
                     batch_size: int = 128, lr: float = 3e-3, log=print) -> FactorNet:
    """Train a FactorNet on drawn_set(n_per_kind, TRAIN_SEED) (10 kinds: 5 sizes, grey and colour); return it in eval
    mode. Seeded: weight init and batches from `seed`; leaves the global RNG state untouched."""
    images, factors, colour = drawn_set(n_per_kind, TRAIN_SEED)
    log(f"drew {len(images):,} shapes")
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = FactorNet().to(device)
    steps_per_epoch = len(images) // batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    model.train()
    start = time.perf_counter()
    for epoch in range(epochs):
        permutation = torch.randperm(len(images), generator=generator)
        for step in range(steps_per_epoch):
            index = permutation[step * batch_size : (step + 1) * batch_size]
            noise = _noise_images(batch_size // 4, generator)
            x = torch.cat([_augment(images[index].float(), generator), noise]).to(device)
            outputs = model(x)
            loss = _loss(outputs[:batch_size], factors[index].to(device), colour[index].to(device))
            # Outlier exposure: noise gets uniform shape probabilities, so a no-shape reads with low confidence.
            loss = loss - OUTLIER_WEIGHT * F.log_softmax(outputs[batch_size:, :NUM_SHAPES], dim=1).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        log(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.4f} ({time.perf_counter() - start:.0f} s)")
    return model.eval().requires_grad_(False)


def held_out_errors(sizes: tuple[int, ...] = (28, 32, 64), n: int = 1_000, seed: int = HELD_OUT_SEED,
                    model: FactorNet | None = None) -> dict[tuple[int, bool], dict[str, float]]:
    """Per (size, rgb): the bundled (or the given) net's shape accuracy and mean absolute errors on n shapes drawn
    with `seed` (never drawn in training): scale, x, y in draw_shapes' units, rotation in turns (circular, modulo
    a quarter turn), hue in turns (circular; colour only)."""
    results = {}
    for size in sizes:
        for rgb in (False, True):
            drawn, known = draw_shapes(n, size=size, seed=seed, rgb=rgb)
            images = to_training_tensor(drawn, "cpu")
            if model is None:
                read = predict_factors(images)
            else:
                with torch.inference_mode():
                    read = decode(model(to_net_input(images)))
            truth = torch.from_numpy(known).double()
            errors = {
                "shape_accuracy": (read["shape"] == (truth[:, 0] * 2).round().long()).double().mean().item(),
                "scale": (read["scale"] - truth[:, 1]).abs().mean().item(),
                "x": (read["x"] - truth[:, 3]).abs().mean().item(),
                "y": (read["y"] - truth[:, 4]).abs().mean().item(),
                "rotation": _circular_error(read["rotation"], truth[:, 2], ROTATION_PERIOD),
            }
            if rgb:
                errors["hue"] = _circular_error(read["hue"], truth[:, 5], 1.0)
            results[(size, rgb)] = errors
    return results


def _circular_error(predicted: torch.Tensor, truth: torch.Tensor, period: float) -> float:
    turns = ((predicted.double() - truth) / period) % 1
    return (torch.minimum(turns, 1 - turns) * period).mean().item()


def _print_errors(results: dict[tuple[int, bool], dict[str, float]]) -> None:
    for (size, rgb), errors in results.items():
        print(f"  {size}x{size} {'colour' if rgb else 'grey  '}: " +
              ", ".join(f"{name} {value:.4f}" for name, value in errors.items()))


def _main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate or retrain the bundled shapes factor network.")
    parser.add_argument("--retrain", action="store_true",
                        help=f"train on drawn shapes and write {FACTOR_NET_PATH.name}")
    parser.add_argument("--epochs", type=int, default=4, help="training epochs (default 4)")
    parser.add_argument("--per-kind", type=int, default=2_500,
                        help="shapes per size and colour mode (5 sizes x 2 modes; default 2,500: 25,000 in all)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--device", default="cpu", help="torch device to train on (default cpu)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.retrain:
        start = time.perf_counter()
        model = train_factor_net(args.per_kind, args.epochs, args.seed, args.device).cpu()
        print(f"trained in {time.perf_counter() - start:.0f} s")
        save_factor_net(model)
        print(f"wrote {FACTOR_NET_PATH} ({FACTOR_NET_PATH.stat().st_size / 1024:.0f} KiB)")
        _load_factor_net.cache_clear()
    print(f"bundled factor net on 1,000 held-out shapes (seed {HELD_OUT_SEED}) per size and colour mode "
          "(mean absolute errors; rotation modulo a quarter turn):")
    _print_errors(held_out_errors())


if __name__ == "__main__":
    _main()
