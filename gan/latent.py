"""Walking a generator's latent space: lerp / slerp, interpolation strips, GANSpace directions, nearest real digit.

Conditional generators (the CGAN: G(z, y)) are walked through their label embedding too: G.embed.weight[a] ->
G.embed.weight[b] by lerp, rendered with G.forward_embedded, so a fixed z morphs from digit a into digit b.

Everything here is pure and seeded: no UI, no global RNG. The Latent Explorer page and `python -m benchmarks.engine
--latency` call the same functions.

GANSpace (Härkönen et al., 2020, "GANSpace: Discovering Interpretable GAN Controls"): sample many z, record an
early layer's activations y = f(z), run PCA on y, and regress z on the PCA coordinates. Each regression row is a
direction in z that moves the early features along one principal component; the first few tend to control
coarse properties (stroke width, slant, which digit).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gan.checkpoint import CheckpointError, generator_from_checkpoint, load_checkpoint
from gan.config import NOISE_ARCHS, Config
from gan.data import DIGIT_DATASETS, load_dataset, load_images, to_training_tensor
from gan.models import NoiseGenerator
from gan.models.cgan import CGANGenerator

PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "assets" / "pretrained"
BUNDLED = {  # display name -> file under assets/pretrained/ (built by `make pretrained`)
    "MLP GAN (seed 001)": "mlp.pt",
    "DCGAN (GANs in Action, ch. 4)": "dcgan.pt",
    "Conditional GAN (CGAN, GANs in Action, ch. 8)": "cgan.pt",
}
MODES = ("slerp", "lerp")
SLERP_PARALLEL_EPS = 1e-4  # sin(angle) below this: the endpoints are (anti)parallel and slerp falls back to lerp


def bundled_generators() -> dict[str, Path]:
    """The pretrained generators shipped in assets/pretrained/: display name -> checkpoint path."""
    return {name: PRETRAINED_DIR / file for name, file in BUNDLED.items()}


HISTORY_ROWS_SHOWN = 20_000  # a loaded generator's history only draws curves: thinned to this many rows


def load_generator(source, device: torch.device | str = "cpu",
                   vet: Callable[[Config], object] | None = None) -> tuple[nn.Module, dict]:
    """A checkpoint (path or binary file object) -> (generator in eval mode, the checkpoint's state).

    Raises CheckpointError, with a message for a user, for anything that is not a GAN Arena checkpoint holding
    a generator that draws from noise (unconditional, or conditional on a digit). `vet(config)` is called before
    the generator is built, to refuse one that would cost too much (a server's limit, gan.cost): it raises.
    """
    state = load_checkpoint(source, map_location="cpu", max_history_rows=HISTORY_ROWS_SHOWN)
    if not isinstance(state.get("generator"), dict):
        name = getattr(source, "name", None) or str(source)
        raise CheckpointError(f"{name} is a GAN Arena checkpoint without generator weights")
    if state["config"].arch not in NOISE_ARCHS:  # before `vet`: the cost of a translator's nets is not a G's
        raise CheckpointError(f"this is a {state['config'].arch} checkpoint: its generators translate images instead "
                              "of drawing from noise, so it cannot be sampled, explored or raced")
    if vet is not None:
        vet(state["config"])
    G = generator_from_checkpoint(state, device).requires_grad_(False)
    if is_conditional(G):
        _conditional(G)  # refuses a G told the digit that cannot morph between digits
    return G, state


def is_conditional(G: NoiseGenerator) -> bool:
    """Whether G draws a digit it is told (inputs (z, y)) rather than from z alone."""
    return len(G.sample_inputs(1, torch.Generator())) == 2  # leaves the global RNG be


def _conditional(G: NoiseGenerator) -> CGANGenerator:
    """A G told the digit, as the conditional generator whose label embedding the explorer morphs."""
    if not isinstance(G, CGANGenerator):
        raise CheckpointError(f"{type(G).__name__} takes (z, y) but cannot be given a label embedding to morph")
    return G


def label_embeddings(G: NoiseGenerator, digit_a: int, digit_b: int, t: torch.Tensor | float) -> torch.Tensor:
    """lerp from digit_a's label embedding to digit_b's: t (T,) or a float -> (T, D) (or (D,)), on the CPU."""
    weight = _conditional(G).embed.weight.detach().float().cpu()  # (10, D)
    return lerp(weight[digit_a], weight[digit_b], t)


# ------------------------------------------------------------------------------------------ interpolation
def latent(G: NoiseGenerator, seed: int) -> torch.Tensor:
    """The z (latent_dim,) that `seed` names: z ~ N(0, I) from torch.Generator().manual_seed(seed), on the CPU."""
    return torch.randn(G.latent_dim, generator=torch.Generator().manual_seed(seed))


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Straight line: z0 (D,), z1 (D,), t (T,) or a float -> (T, D) (or (D,) for a float t)."""
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device)
    return z0 + t.unsqueeze(-1) * (z1 - z0)  # a float t broadcasts as (1,) * (D,) -> (D,)


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Spherical interpolation along the great circle from z0 to z1: (D,), (D,), t (T,) or a float -> (T, D).

    With |z0| = |z1| every point keeps that norm. Falls back to lerp for (anti)parallel endpoints, where the
    great circle is undefined (and lerp and slerp agree in the parallel case anyway).
    """
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device)
    if t.ndim == 0:
        return slerp(z0, z1, t.unsqueeze(0))[0]
    cos = torch.dot(z0, z1) / (z0.norm() * z1.norm()).clamp_min(torch.finfo(z0.dtype).tiny)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    sin = torch.sin(omega)
    if sin < SLERP_PARALLEL_EPS:
        return lerp(z0, z1, t)
    w0 = (torch.sin((1 - t) * omega) / sin).unsqueeze(-1)
    w1 = (torch.sin(t * omega) / sin).unsqueeze(-1)
    return w0 * z0 + w1 * z1  # (T, 1) * (D,) -> (T, D)


def interpolate_latents(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor | float, mode: str) -> torch.Tensor:
    """lerp or slerp by name."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
    return (slerp if mode == "slerp" else lerp)(z0, z1, t)


@torch.inference_mode()
def generate(G: NoiseGenerator, z: torch.Tensor, label_embedding: torch.Tensor | None = None) -> torch.Tensor:
    """z (B, D) -> images (B, 1, 28, 28) float32 in [-1, 1] on the CPU, in one forward pass in eval mode.

    A conditional G needs `label_embedding` ((B, D), or (D,) for all): G.forward_embedded(z, label_embedding).
    """
    G.eval()
    device = next(G.parameters()).device
    if label_embedding is None:
        if is_conditional(G):
            raise ValueError("label_embedding is required for a conditional generator")
        return G(z.to(device)).float().cpu()
    return _conditional(G).forward_embedded(z.to(device), label_embedding.to(device)).float().cpu()


@torch.inference_mode()
def label_morph(G: NoiseGenerator, z: torch.Tensor, digit_a: int, digit_b: int, ts: torch.Tensor) -> torch.Tensor:
    """A conditional G's morph from digit_a to digit_b: images (T, 1, 28, 28), one forward pass.

    z (D,) stays fixed (or (T, D), one per frame); the label embedding moves by lerp, t = 0 is G(z, digit_a) and
    t = 1 is G(z, digit_b).
    """
    ts = torch.as_tensor(ts, dtype=torch.float32).reshape(-1)
    z = z.expand(len(ts), -1) if z.ndim == 1 else z  # (T, D)
    return generate(G, z, label_embeddings(G, digit_a, digit_b, ts))


@torch.inference_mode()
def interpolate(G: NoiseGenerator, z0: torch.Tensor, z1: torch.Tensor, steps: int, mode: str = "slerp",
                offset: torch.Tensor | None = None, digits: tuple[int, int] | None = None) -> torch.Tensor:
    """The walk from z0 to z1 in `steps` frames (t = 0 .. 1): images (steps, 1, 28, 28) in [-1, 1].

    `offset` (D,) is added to every frame (an edit along directions). `digits` (a, b), for a conditional G: the
    label embedding walks from a's to b's alongside z.
    """
    if steps < 2:
        raise ValueError(f"steps must be >= 2 (got {steps})")
    return _render(G, z0, z1, torch.linspace(0, 1, steps), mode, offset, digits)[1]


def _render(G: NoiseGenerator, z0: torch.Tensor, z1: torch.Tensor, ts: torch.Tensor, mode: str,
            offset: torch.Tensor | None, digits: tuple[int, int] | None) -> tuple[torch.Tensor, torch.Tensor]:
    """(z (T, D), images (T, 1, 28, 28)) at each t, in one forward pass."""
    z = interpolate_latents(z0, z1, ts, mode)
    if offset is not None:
        z = z + offset
    if digits is None and is_conditional(G):
        digits = (0, 0)  # a conditional G asked for no digits draws zeros (as `python -m benchmarks.engine --latency` does)
    if digits is None:
        return z, generate(G, z)
    return z, label_morph(G, z, *digits, ts)


@dataclass(frozen=True)
class Frame:
    """One slider move's worth of images: the image at t and the whole strip, from one forward pass."""

    z: torch.Tensor
    """(D,) the latent at t, offset included."""
    image: torch.Tensor
    """(1, 1, 28, 28) in [-1, 1]: G(z)."""
    strip: torch.Tensor
    """(steps, 1, 28, 28) in [-1, 1]: the walk from A to B, offset included."""


def explore(G: NoiseGenerator, z0: torch.Tensor, z1: torch.Tensor, t: float, steps: int, mode: str = "slerp",
            offset: torch.Tensor | None = None, digits: tuple[int, int] | None = None) -> Frame:
    """The image at t and the strip of `steps` frames in one batched forward pass (what a slider move renders).

    `digits` (a, b) for a conditional G: the label embedding moves from a's to b's with t (z0 == z1: a pure
    digit morph at a fixed z).
    """
    ts = torch.cat([torch.tensor([float(t)]), torch.linspace(0, 1, steps)])  # (1 + steps,)
    z, images = _render(G, z0, z1, ts, mode, offset, digits)
    return Frame(z=z[0], image=images[:1], strip=images[1:])


# ------------------------------------------------------------------------------------------ GANSpace directions
@dataclass(frozen=True)
class LatentDirections:
    """Principal directions of a generator's early features, mapped back to z (GANSpace)."""

    directions: torch.Tensor
    """(k, D) unit vectors in z, ordered by the variance of the principal component they move."""
    stds: torch.Tensor
    """(k,) standard deviation of each principal coordinate over random z (in the layer's units)."""
    steps: torch.Tensor
    """(k,) length in z of a one-standard-deviation move of each principal coordinate (stds x regression norm);
    a slider in standard deviations s moves z by s x steps[i] along directions[i]. 1 for a linear layer."""
    explained: torch.Tensor
    """(k,) fraction of the layer's total variance that each component explains."""
    layer: str
    """Name of the hooked module."""

    def offset(self, amounts: torch.Tensor | list[float]) -> torch.Tensor:
        """Slider values (k,) in standard deviations -> the z offset (D,) they add up to."""
        amounts = torch.as_tensor(amounts, dtype=self.directions.dtype)
        return (amounts * self.steps) @ self.directions


def early_layer(G: NoiseGenerator) -> tuple[str, nn.Module]:
    """The layer GANSpace hooks: the DCGAN's `project` Linear, else the generator's first Linear (the MLP's)."""
    named = dict(G.named_modules())
    if isinstance(named.get("project"), nn.Linear):
        return "project", named["project"]
    for name, module in named.items():
        if isinstance(module, nn.Linear):
            return name, module
    raise ValueError(f"{type(G).__name__} has no Linear layer to take principal directions from")


@torch.inference_mode()
def principal_directions(G: NoiseGenerator, k: int = 5, n: int = 5000, seed: int = 0,
                         digit: int | None = None) -> LatentDirections:
    """GANSpace: PCA of the early layer's activations over `n` random z, regressed back onto z.

    For a conditional G the early layer sees z * embed(digit), so the directions hold for `digit` (default 0).
    y = layer(z) (n, M) is centred; randomised PCA (torch.pca_lowrank, seeded) gives the top-k components V
    (M, k) and coordinates x = y V (n, k); least squares x U ≈ z (U (k, D)) maps a unit move of each coordinate
    to a move in z. The directions are U's rows, normalised.
    """
    if not 1 <= k <= G.latent_dim:
        raise ValueError(f"k must be in 1..latent_dim={G.latent_dim} (got {k})")
    conditional = is_conditional(G)
    G.eval()
    name, layer = early_layer(G)
    device = next(G.parameters()).device
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed))
    scale = _conditional(G).embed.weight[digit or 0].detach().float() if conditional else None  # (D,) on G's device
    captured: list[torch.Tensor] = []
    handle = layer.register_forward_hook(lambda module, args, out: captured.append(out.detach().float()))
    try:
        for chunk in z.split(1000):
            chunk = chunk.to(device)
            layer(chunk if scale is None else chunk * scale)  # only the hooked layer runs: the first z meets
    finally:
        handle.remove()
    y = torch.cat(captured).flatten(1).cpu()  # (n, M)
    y -= y.mean(dim=0)  # in place: y is n x 12,544 floats for the DCGAN
    total_variance = y.square().sum() / (n - 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # pca_lowrank draws its random projection from the global RNG
        _, s, v = torch.pca_lowrank(y, q=min(k + 10, *y.shape), center=False, niter=4)
    v = v[:, :k]  # (M, k)
    x = y @ v  # (n, k) principal coordinates
    del y
    z_centred = z - z.mean(dim=0)
    u = torch.linalg.lstsq(x, z_centred).solution  # (k, D): z ≈ x U
    norms = u.norm(dim=1)
    stds = s[:k] / (n - 1) ** 0.5
    return LatentDirections(directions=u / norms.unsqueeze(1), stds=stds, steps=stds * norms,
                            explained=stds.square() / total_variance, layer=name)


# ------------------------------------------------------------------------------------------ nearest real digit
@dataclass(frozen=True)
class RealDigits:
    """The embedded training digits, flattened for nearest-neighbour search in pixel space."""

    images: torch.Tensor
    """(N, C, S, S) float32 in [-1, 1]; the digits' (N, 1, 28, 28)."""
    labels: torch.Tensor | None
    """(N,) int64 (the digit, the shape); None for the user's own images."""
    flat: torch.Tensor
    """(N, C x S x S) the images flattened."""
    sq_norms: torch.Tensor
    """(N,) |x|^2 of each image, for |a - x|^2 = |a|^2 - 2 a.x + |x|^2."""


@functools.lru_cache(maxsize=1)
def real_digits() -> RealDigits:
    """The 5,000 embedded digits, loaded once per process (shared: do not modify)."""
    images, labels = load_images("mnist-embedded")
    return _real_set(images, labels)


@functools.lru_cache(maxsize=4)
def training_images(dataset: str, image_size: int = 28, image_folder: str = "") -> RealDigits:
    """A run's training images for the nearest-image search: the embedded digits for the digit datasets (full MNIST
    may not be on this machine), the drawn shapes, or the run's own copy of the user's images (labels: None)."""
    if dataset in DIGIT_DATASETS:
        return real_digits()
    images, labels = load_dataset(dataset, image_size, image_folder)
    return _real_set(images, labels)


def training_images_of(config: Config) -> RealDigits:
    """training_images of the run `config` describes."""
    return training_images(config.dataset, config.image_size, config.image_folder)


def _real_set(images: np.ndarray, labels: np.ndarray | None) -> RealDigits:
    x = to_training_tensor(images, "cpu")
    flat = x.flatten(1)
    return RealDigits(images=x, labels=None if labels is None else torch.from_numpy(np.array(labels)), flat=flat,
                      sq_norms=flat.square().sum(1))


def nearest_real(images: torch.Tensor, reals: RealDigits | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest training digit of each image by L2 distance in pixel space ([-1, 1] scale).

    images (B, 1, 28, 28) -> (indices int64 (B,), distances float32 (B,)), one matrix product for the batch.
    """
    reals = reals or real_digits()
    a = images.detach().float().cpu().flatten(1)  # (B, 784)
    # |a|^2 - 2ab + |b|^2 ranks all N digits in one product, but cancellation leaves it ~1e-4 off (0.01 after the
    # square root, so a digit would sit 0.01 from itself). Re-rank the few best candidates by direct differences.
    sq = a.square().sum(1, keepdim=True) - 2 * a @ reals.flat.T + reals.sq_norms  # (B, N)
    candidates = sq.topk(min(_RERANKED, sq.shape[1]), dim=1, largest=False).indices  # (B, k)
    exact = (a[:, None, :] - reals.flat[candidates]).norm(dim=2)  # (B, k)
    distance, best = exact.min(dim=1)
    return candidates.gather(1, best[:, None]).squeeze(1), distance


_RERANKED = 8  # candidates re-ranked exactly: far more than the rounding error of the fast ranking can reorder


def raw_offset(latent_dim: int, offsets: dict[int, float]) -> torch.Tensor:
    """{dimension: value} -> a z offset (latent_dim,) that moves only those dimensions."""
    offset = torch.zeros(latent_dim)
    for d, value in offsets.items():
        offset[d] = value
    return offset
