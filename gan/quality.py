"""Sample quality, scored by a small digit classifier bundled in assets/digit_classifier.pt.

The headline number is a *classifier FID*: the Fréchet distance between Gaussians fitted to the
classifier's 64-d penultimate features of generated and of real digits. It is not the Inception
FID of papers (different network, different features), so compare it only with itself. Lower is
better; real held-out digits score close to 0.

Alongside it: how confident the classifier is, which digits it sees (a histogram over 0..9), how
many classes appear at all (mode collapse shows as few) and how many samples it recognises with
confidence >= 0.9; and, in the same feature space, KID (torchmetrics' KernelInceptionDistance with the
classifier as its feature extractor: unbiased at small n, so early live points mean something) and
precision / recall / density / coverage (the `prdc` package of Naeem et al., 2020), which tell fidelity
(precision, density: do the samples look like real digits?) from diversity (recall, coverage: does G draw
all the kinds of digits there are?). Nothing here loads the Inception weights or downloads anything.

Retrain the bundled classifier with ``python -m gan.quality --retrain``.
"""

import argparse
import contextlib
import functools
import io
import os
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gan.data import load_images, to_training_tensor
from gan.models.common import NoiseGenerator, fixed_samples

CLASSIFIER_PATH = Path(__file__).resolve().parent.parent / "assets" / "digit_classifier.pt"
NUM_CLASSES = 10
FEATURE_DIM = 64
COVERAGE_THRESHOLD = 0.02  # a class counts as covered when it holds at least this fraction of samples
RECOGNISABLE_CONFIDENCE = 0.9  # a sample is recognisable when its top softmax probability reaches this
HELD_OUT_EVERY = 5  # every 5th digit of each class is held out: 100 per class, 1,000 in all
OUTLIER_WEIGHT = 0.5  # weight of the noise-is-no-digit loss in training
SCORE_BATCH_SIZE = 500  # images per classifier call when scoring; bounds memory, results do not depend on it
KID_SUBSETS = 20  # random subsets of the reals KID averages over (torchmetrics' default 100 costs 5x the time)
KID_MAX_SUBSET = 1000  # at most this many samples per KID subset
PRDC_NEAREST_K = 5  # the k of the k-nearest-neighbour balls (Naeem et al.'s default)
PRDC_MAX_SAMPLES = 1000  # fakes (and as many reals) compared; the distance matrices grow with its square


class DigitClassifier(nn.Module):
    """Small CNN for MNIST digits: (B, 1, 28, 28) in [-1, 1] -> 64-d features -> 10 logits."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 32, 7, 7)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 64, 3, 3)
        )
        self.fc = nn.Linear(64 * 3 * 3, FEATURE_DIM)
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) -> (B, 64) penultimate features, the space the classifier FID is measured in."""
        return F.relu(self.embedding(x))

    def embedding(self, x: torch.Tensor) -> torch.Tensor:
        """The features before their ReLU, where KID and precision / recall are measured: the classifier maps
        noise to all-zero features, which after the ReLU sit inside the real digits' region and would count as
        perfect fidelity; before it, noise lies far from every digit."""
        return self.fc(self.conv(x).flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) -> (B, 10) logits."""
        return self.head(self.dropout(self.features(x)))


@dataclass(frozen=True)
class QualityScore:
    """Quality of a batch of generated digits, as judged by the bundled classifier."""

    fid: float
    """Classifier FID against the 5,000 embedded real digits; lower is better, 0 is a perfect match."""
    confidence: float
    """Mean top softmax probability over the samples, in [0.1, 1]."""
    class_histogram: tuple[float, ...]
    """Fraction of the samples confidently recognised as each digit 0..9 (top probability >= RECOGNISABLE_CONFIDENCE);
    the 10 values sum to `recognisable`: the rest look like no digit, and noise blobs are counted as none."""
    classes_covered: int
    """Number of digits holding at least COVERAGE_THRESHOLD of the samples, confidently; mode collapse shows as few."""
    recognisable: float
    """Fraction of samples classified with confidence >= RECOGNISABLE_CONFIDENCE."""
    kid: float | None = None
    """Kernel distance (KID) to the real digits' features, x 1000; lower is better, ~0 for real digits."""
    precision: float | None = None
    """Fidelity: the share of samples that fall inside the region of real digits (k-NN balls around them)."""
    recall: float | None = None
    """Diversity: the share of real digits that fall inside the region of the samples; mode collapse lowers it."""
    density: float | None = None
    """Fidelity, robust to outliers: how many real digits' balls hold each sample, / k (~1 for real digits)."""
    coverage: float | None = None
    """Diversity, robust to outliers: the share of real digits with a sample inside their ball."""


# ---------------------------------------------------------------------------------------------
# Loading the bundled classifier and the real-data statistics


def load_classifier(device: torch.device | str = "cpu") -> DigitClassifier:
    """Return the bundled classifier in eval mode on `device`, cached per device (shared: do not modify)."""
    return _load_classifier(str(torch.device(device)))


@functools.lru_cache(maxsize=None)
def _load_classifier(device: str) -> DigitClassifier:
    if not CLASSIFIER_PATH.exists():
        raise FileNotFoundError(f"{CLASSIFIER_PATH} is missing; rebuild it with: python -m gan.quality --retrain")
    state = torch.load(CLASSIFIER_PATH, map_location=device, weights_only=True)
    model = DigitClassifier().to(device)
    model.load_state_dict({key: value.float() for key, value in state.items()})  # stored as fp16
    return model.eval().requires_grad_(False)


def real_feature_stats(device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Return (mu (64,), sigma (64, 64)), float64 on CPU, of the features of all 5,000 embedded digits.

    Features are computed on `device` (the device the samples will be scored on) and cached per device.
    """
    return _real_feature_stats(str(torch.device(device)))


@functools.lru_cache(maxsize=None)
def _real_feature_stats(device: str) -> tuple[torch.Tensor, torch.Tensor]:
    return _mean_and_covariance(_real_features(device))


def _real_features(device: str) -> torch.Tensor:
    """The classifier features (5000, 64), float64 on the CPU, of the embedded digits (in class order)."""
    return _real_embeddings(device).clamp(min=0)


@functools.lru_cache(maxsize=None)
def _real_embeddings(device: str) -> torch.Tensor:
    """The classifier's pre-ReLU features (5000, 64), float64 on the CPU, of the embedded digits (in class order)."""
    images, _ = load_images("mnist-embedded")
    embeddings, _ = _embeddings_and_probabilities(to_training_tensor(images, device))
    return embeddings


# ---------------------------------------------------------------------------------------------
# Scoring


def classify(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Classify images (B, 1, 28, 28) in [-1, 1]; return (labels int64 (B,), confidences float32 (B,)) on CPU."""
    _check_images(images, min_count=1)
    _, probabilities = _embeddings_and_probabilities(images)
    confidences, labels = probabilities.max(dim=1)
    return labels, confidences


def score_samples(images: torch.Tensor) -> QualityScore:
    """Score generated images (B, 1, 28, 28) in [-1, 1], B >= 2, on the images' device."""
    _check_images(images, min_count=2)
    real_mu, real_sigma = real_feature_stats(images.device)
    embeddings, probabilities = _embeddings_and_probabilities(images)
    fake_mu, fake_sigma = _mean_and_covariance(embeddings.clamp(min=0))
    confidences, labels = probabilities.max(dim=1)
    # Only confident verdicts count as a digit: the argmax of a noise blob is no digit (it read "mostly 8s").
    sure = labels[confidences >= RECOGNISABLE_CONFIDENCE]
    histogram = torch.bincount(sure, minlength=NUM_CLASSES).double() / len(labels)
    real_embeddings = _real_embeddings(str(images.device))
    return QualityScore(
        fid=frechet_distance(fake_mu, fake_sigma, real_mu, real_sigma),
        confidence=confidences.mean().item(),
        class_histogram=tuple(histogram.tolist()),
        classes_covered=int((histogram >= COVERAGE_THRESHOLD).sum()),
        recognisable=(confidences >= RECOGNISABLE_CONFIDENCE).double().mean().item(),
        kid=kernel_distance(real_embeddings, embeddings),
        **fidelity_and_diversity(real_embeddings, embeddings),
    )


class _Features(nn.Module):
    """torchmetrics' custom feature extractor: the inputs already are the classifier's embeddings (computed once per
    scoring for FID, KID and PRDC alike), so it only rescales them by the real digits' root-mean-square entry. KID's
    kernel (x.y / d + 1)^3 expects entries of order 1, as Inception's features have; ours are ~10x larger."""

    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        return embeddings / self.scale


_KID_LOCK = threading.Lock()  # one cached metric per process holds the real features; scorings take turns


def kernel_distance(real_features: torch.Tensor, fake_features: torch.Tensor) -> float | None:
    """KID x 1000 between two feature sets (torchmetrics' KernelInceptionDistance, cubic polynomial kernel), over
    KID_SUBSETS subsets drawn with a fixed seed so that the same samples give the same number. None below 2."""
    n = min(len(fake_features), len(real_features), KID_MAX_SUBSET)
    if n < 2:
        return None
    with _KID_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)  # the subsets KID draws with torch.randperm
        metric = _kid_metric(real_features)
        metric.subset_size = n
        metric.reset()  # the fakes of the last call; the real features stay (reset_real_features=False)
        metric.update(fake_features.float(), real=False)
        mean, _std = metric.compute()
    return 1000 * mean.item()


_kid_cache: dict[int, object] = {}


def _kid_metric(real_features: torch.Tensor):
    key = id(real_features)  # the cached real features of one device (functools.lru_cache keeps them alive)
    if key not in _kid_cache:
        from torchmetrics.image.kid import KernelInceptionDistance  # lazy: torchmetrics takes ~1 s to import

        scale = real_features.square().mean().sqrt().item()
        with warnings.catch_warnings():  # "will save all extracted features": 5,000 x 64 numbers, on purpose
            warnings.simplefilter("ignore", UserWarning)
            metric = KernelInceptionDistance(feature=_Features(scale), subsets=KID_SUBSETS,
                                             subset_size=KID_MAX_SUBSET, reset_real_features=False)
        metric.update(real_features.float(), real=True)
        _kid_cache[key] = metric
    return _kid_cache[key]


def fidelity_and_diversity(real_features: torch.Tensor, fake_features: torch.Tensor) -> dict[str, float | None]:
    """Precision, recall, density and coverage (Naeem et al. 2020, their `prdc` package) of up to PRDC_MAX_SAMPLES
    fakes against as many reals spread evenly over the real set (so every digit is there). None for tiny samples."""
    n = min(len(fake_features), PRDC_MAX_SAMPLES)
    if n <= PRDC_NEAREST_K:
        return dict(precision=None, recall=None, density=None, coverage=None)
    from prdc import compute_prdc  # lazy: it imports scikit-learn

    real = real_features[np.linspace(0, len(real_features) - 1, n).round().astype(int)]
    with contextlib.redirect_stdout(io.StringIO()):  # it prints the sample counts
        scores = compute_prdc(real.float().numpy(), fake_features[:n].float().numpy(), nearest_k=PRDC_NEAREST_K)
    return {name: float(value) for name, value in scores.items()}


SCORE_SAMPLES = 500  # samples scored per live quality point: enough for a stable FID, ~50 ms on a CPU


@torch.inference_mode()
def score_generator(G: NoiseGenerator, n: int = SCORE_SAMPLES, seed: int = 0) -> QualityScore:
    """Score `n` eval-mode samples of G from a fixed noise batch (the same `seed` gives comparable points)."""
    return score_samples(fixed_samples(G, n, seed)[1])


@torch.inference_mode()
def conditional_accuracy(G: NoiseGenerator, n: int = SCORE_SAMPLES, seed: int = 0) -> float:
    """For a conditional G: the fraction of `n` samples the classifier reads as the digit G was asked for."""
    (_, labels), images = fixed_samples(G, n, seed)
    predicted, _ = classify(images)
    return (predicted == labels.cpu()).double().mean().item()


def recognised_classes(images: torch.Tensor, min_share: float = COVERAGE_THRESHOLD) -> int:
    """How many digits hold at least `min_share` of the samples *recognisably* (confidence >= 0.9).

    The bench's "recognisable digits of all ten classes" is `recognised_classes(samples) == 10`.
    """
    labels, confidences = classify(images)
    sure = labels[confidences >= RECOGNISABLE_CONFIDENCE]
    shares = torch.bincount(sure, minlength=NUM_CLASSES).double() / len(labels)
    return int((shares >= min_share).sum())


def frechet_distance(mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor) -> float:
    """Fréchet distance between Gaussians N(mu1, sigma1) and N(mu2, sigma2), in float64.

    d = |mu1 - mu2|^2 + tr(S1 + S2 - 2 sqrtm(S1 S2)). tr sqrtm(S1 S2) equals the sum of the square
    roots of the eigenvalues of the symmetric matrix sqrt(S1) S2 sqrt(S1), so two symmetric
    eigendecompositions replace scipy's general sqrtm. Tiny negative eigenvalues (rounding on
    rank-deficient covariances) are clamped to 0.
    """
    mu1, sigma1, mu2, sigma2 = (_float64_cpu(t) for t in (mu1, sigma1, mu2, sigma2))
    sqrt_sigma1 = _sqrt_psd(sigma1)
    middle = sqrt_sigma1 @ sigma2 @ sqrt_sigma1
    middle = (middle + middle.T) / 2  # symmetric in exact arithmetic; remove rounding asymmetry for eigvalsh
    trace_sqrt_product = torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()
    distance = (mu1 - mu2).square().sum() + sigma1.trace() + sigma2.trace() - 2 * trace_sqrt_product
    return max(distance.item(), 0.0)


def _float64_cpu(t: torch.Tensor | np.ndarray) -> torch.Tensor:
    return torch.as_tensor(t).to(device="cpu", dtype=torch.float64)


def _sqrt_psd(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix via its eigendecomposition."""
    eigenvalues, eigenvectors = torch.linalg.eigh(matrix)
    return eigenvectors @ torch.diag(eigenvalues.clamp(min=0).sqrt()) @ eigenvectors.T


def _check_images(images: torch.Tensor, min_count: int) -> None:
    if images.ndim != 4 or tuple(images.shape[1:]) != (1, 28, 28) or len(images) < min_count:
        raise ValueError(f"expected images of shape (B, 1, 28, 28) with B >= {min_count}, got {tuple(images.shape)}")


@torch.inference_mode()
def _embeddings_and_probabilities(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 1, 28, 28) on any device -> pre-ReLU features (B, 64) float64 and softmax probabilities (B, 10) float32,
    on CPU (the FID's features are the embeddings clamped at 0).

    Runs in fixed-size chunks, so memory stays bounded and results do not depend on B.
    """
    model = load_classifier(images.device)
    embeddings, probabilities = [], []
    for chunk in images.split(SCORE_BATCH_SIZE):
        e = model.embedding(chunk.float())  # (b, 64)
        embeddings.append(e.double().cpu())
        probabilities.append(model.head(F.relu(e)).softmax(dim=1).cpu())  # eval mode: forward == head(features)
    return torch.cat(embeddings), torch.cat(probabilities)


def _mean_and_covariance(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, D) -> mean (D,), covariance (D, D) with the unbiased B - 1 normalisation."""
    return features.mean(dim=0), torch.cov(features.T)


# ---------------------------------------------------------------------------------------------
# Training the bundled classifier


def held_out_mask(labels: np.ndarray) -> np.ndarray:
    """Boolean (N,) mask of held-out digits: every HELD_OUT_EVERY-th image of each class, in file order."""
    labels = np.asarray(labels)
    rank_in_class = np.zeros(len(labels), dtype=np.int64)
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        rank_in_class[members] = np.arange(len(members))
    return rank_in_class % HELD_OUT_EVERY == HELD_OUT_EVERY - 1


def train_classifier(
    images_uint8: np.ndarray, labels: np.ndarray, epochs: int, seed: int, device: torch.device | str
) -> tuple[DigitClassifier, float]:
    """Train a DigitClassifier on the non-held-out digits; return (model in eval mode, held-out accuracy).

    Light augmentation (random small rotation, scale and shift per image) makes up for the small
    training set. Seeded: uses its own generator and leaves the global RNG state untouched.
    """
    held_out = held_out_mask(labels)
    x = to_training_tensor(images_uint8, device)  # (N, 1, 28, 28) in [-1, 1]
    y = torch.tensor(labels, dtype=torch.int64, device=device)  # copies, so read-only arrays are fine
    x_train, y_train = x[~held_out], y[~held_out]
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # weight init and dropout draw from the global RNG
        model = DigitClassifier().to(device)
        _fit(model, x_train, y_train, epochs, generator)
    model.eval()
    with torch.inference_mode():
        accuracy = (model(x[held_out]).argmax(dim=1) == y[held_out]).float().mean().item()
    return model, accuracy


def _fit(
    model: DigitClassifier,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int,
    generator: torch.Generator,
    batch_size: int = 64,
    lr: float = 3e-3,
) -> None:
    steps_per_epoch = len(x) // batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    model.train()
    for _ in range(epochs):
        permutation = torch.randperm(len(x), generator=generator).to(x.device)
        for step in range(steps_per_epoch):
            index = permutation[step * batch_size : (step + 1) * batch_size]
            loss = F.cross_entropy(model(_augment(x[index], generator)), y[index])
            # Outlier exposure: push noise towards the uniform prediction, so noise is not "recognised".
            log_probs_noise = F.log_softmax(model(_noise_images(batch_size // 2, generator).to(x.device)), dim=1)
            loss = loss - OUTLIER_WEIGHT * log_probs_noise.mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()


def _noise_images(b: int, generator: torch.Generator) -> torch.Tensor:
    """(b, 1, 28, 28) in [-1, 1] that are no digit: pixel noise, smooth blobs and flat grey levels.

    They look like an untrained or collapsed generator's output (static, smudges, blank images).
    """
    n_pixels, n_blobs = b // 3, b // 3
    pixels = torch.rand(n_pixels, 1, 28, 28, generator=generator)
    blobs = F.interpolate(torch.rand(n_blobs, 1, 7, 7, generator=generator), size=28, mode="bilinear")
    flat = torch.rand(b - n_pixels - n_blobs, 1, 1, 1, generator=generator).expand(-1, 1, 28, 28)
    return torch.cat([pixels, blobs, flat]) * 2 - 1


def _augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random affine warp per image: rotation +-10 degrees, scale 0.9..1.1, shift +-2 pixels."""
    b = len(x)
    angle = (torch.rand(b, generator=generator) * 2 - 1) * torch.pi / 18
    scale = 0.9 + torch.rand(b, generator=generator) * 0.2
    shift = (torch.rand(b, 2, generator=generator) * 2 - 1) * (2 / 14)  # grid units: 1 = half the image
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)  # (B, 28, 28, 2)
    # The border of every digit is background (-1), so "border" padding fills with background.
    return F.grid_sample(x, grid, padding_mode="border", align_corners=False)


def save_classifier(model: DigitClassifier, path: Path = CLASSIFIER_PATH) -> None:
    """Save the state_dict in fp16 (half the size; scores barely move) atomically: temp file, then rename."""
    state = {key: value.detach().cpu().half() for key, value in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, suffix=".pt.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600
        os.replace(tmp_name, path)
    except BaseException:
        os.unlink(tmp_name)
        raise


def _main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate or retrain the bundled digit classifier.")
    parser.add_argument(
        "--retrain", action="store_true", help=f"train on the embedded digits and write {CLASSIFIER_PATH.name}"
    )
    parser.add_argument("--epochs", type=int, default=30, help="training epochs (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--device", default="cpu", help="torch device to train on (default cpu)")
    args = parser.parse_args()
    images, labels = load_images("mnist-embedded")
    if args.retrain:
        start = time.perf_counter()
        model, accuracy = train_classifier(images, labels, args.epochs, args.seed, args.device)
        print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.0f} s; held-out accuracy {accuracy:.4f}")
        save_classifier(model)
        print(f"wrote {CLASSIFIER_PATH} ({CLASSIFIER_PATH.stat().st_size / 1024:.0f} KiB)")
    held_out = held_out_mask(labels)
    predicted, _ = classify(to_training_tensor(images[held_out], "cpu"))
    accuracy = (predicted.numpy() == labels[held_out]).mean()
    print(f"bundled classifier: held-out accuracy {accuracy:.4f} on {held_out.sum()} digits")


if __name__ == "__main__":
    _main()
