"""Training images: the embedded MNIST digits, torchvision datasets, shapes with known factors, the user's own images.

Every loader returns plain numpy arrays, images uint8 (N, H, W) in 0..255 (grey) or (N, H, W, 3) (colour) and
labels int64 (N,) or None where the images have none.
Training keeps the whole set on the device as one tensor (`to_training_tensor`) and draws batches
of indices with `IndexSampler`, so no DataLoader or worker processes are involved.

Nothing is downloaded unless the caller asks (``download=True``, the CLI's ``--download``).
"""

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

DATASETS = ("mnist-embedded", "mnist", "fashion-mnist", "shapes", "shapes-rgb", "images", "images-rgb")
DIGIT_DATASETS = ("mnist-embedded", "mnist")  # what the digit classifier's scores mean something on
FIXED_28 = ("mnist-embedded", "mnist", "fashion-mnist")  # 28x28 grey, labelled: every architecture trains on them
SHAPES = ("shapes", "shapes-rgb")  # drawn on the fly with known factors (gan.shapes), labelled by their shape
OWN_IMAGES = ("images", "images-rgb")  # read from `image_folder`: a folder, a zip, or a run's saved images.npz
SHAPES_DRAWN = 5_000  # the shapes' training set: as many as the embedded digits, drawn with seed 0 (the same set
# for every run, as a dataset is)

EMBEDDED_PATH = Path(__file__).resolve().parent.parent / "assets" / "mnist_5k.npz"


class DatasetUnavailable(RuntimeError):
    """A dataset's files are missing (and no download was asked for) or its download failed.

    The message names what is missing and why; the embedded digits ("mnist-embedded") always work offline.
    """


def load_images(name: str, data_dir: str | Path = "data", download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return (images uint8 (N, 28, 28), labels int64 (N,)) of the named dataset's training split.

    "mnist-embedded" is read from the bundled assets/mnist_5k.npz (5,000 digits, 500 per class)
    and returned as cached read-only arrays. "mnist" and "fashion-mnist" come from torchvision
    under `data_dir`; they are downloaded only when `download` is True.
    Raises ValueError for an unknown name and DatasetUnavailable when the files cannot be had.
    """
    if name not in FIXED_28:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(FIXED_28)}")
    if name == "mnist-embedded":
        return _load_embedded()
    return _load_torchvision(name, Path(data_dir), download)


@functools.lru_cache(maxsize=1)
def _load_embedded() -> tuple[np.ndarray, np.ndarray]:
    with np.load(EMBEDDED_PATH, allow_pickle=False) as f:
        images = f["images"].astype(np.uint8)  # (5000, 28, 28)
        labels = f["labels"].astype(np.int64)  # (5000,)
    # The arrays are shared by every caller through the cache, so nobody may write to them.
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _load_torchvision(name: str, data_dir: Path, download: bool) -> tuple[np.ndarray, np.ndarray]:
    from torchvision import datasets  # lazy: importing torchvision costs about a second

    dataset_class = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[name]
    try:
        dataset = dataset_class(root=data_dir, train=True, download=download)
    except (OSError, RuntimeError) as err:  # URLError is an OSError; torchvision wraps failures in RuntimeError
        raise DatasetUnavailable(_unavailable_message(name, data_dir, download, err)) from err
    return dataset.data.numpy().astype(np.uint8), dataset.targets.numpy().astype(np.int64)


def _unavailable_message(name: str, data_dir: Path, download: bool, err: Exception) -> str:
    # torchvision's download errors span several lines (one per mirror); keep the last, most specific one.
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    reason = lines[-1] if lines else type(err).__name__
    offline = "The embedded digits ('mnist-embedded') are available offline."
    if download:
        return f"Downloading {name} into '{data_dir}' failed: {reason}. {offline}"
    return (
        f"{name} training data is not available in '{data_dir}' ({reason}). Nothing is downloaded "
        f"unless you ask: pass download=True (CLI: --download). {offline}"
    )


@dataclass(frozen=True)
class DataWords:
    """How the pages speak of a dataset's images and of the network that scores them."""

    noun: str
    """One image: 'digit', 'shape', 'image'."""
    kinds: tuple[str, ...]
    """The classes its scoring network reads ('0'..'9', the shapes); () where none does."""
    scorer: str | None
    """'classifier', 'factor network'; None where no score means anything (the pages show none)."""

    @property
    def plural(self) -> str:
        return self.noun + "s"


def words_for(dataset: str) -> DataWords:
    if dataset in DIGIT_DATASETS:
        return DataWords("digit", tuple(str(d) for d in range(10)), "classifier")
    if dataset in SHAPES:
        from gan.shapes import SHAPES as KINDS

        return DataWords("shape", KINDS, "factor network")
    return DataWords("image", (), None)


def n_classes_of(dataset: str) -> int:
    """How many labels the images carry: 10 digits (or kinds of clothing), 3 shapes; 0 for your own images."""
    return 10 if dataset in FIXED_28 else 3 if dataset in SHAPES else 0


def channels_of(dataset: str) -> int:
    """3 for the colour datasets, 1 for the grey ones."""
    return 3 if dataset.endswith("-rgb") else 1


def load_dataset(name: str, image_size: int = 28, image_folder: str | Path = "", data_dir: str | Path = "data",
                 download: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """(images uint8 (N, S, S) or (N, S, S, 3), labels int64 (N,) or None) of any dataset, at `image_size`.

    The digits are 28x28 (load_images); shapes are drawn at the size asked for, labelled by their shape; the user's
    own images (no labels) come from `image_folder`: a saved images.npz, a folder or a zip (gan.image_sets).
    """
    if name in FIXED_28:
        return load_images(name, data_dir, download)
    if name in SHAPES:
        return _drawn_shapes(image_size, name == "shapes-rgb")
    if name in OWN_IMAGES:
        return read_own_images(image_folder, image_size, rgb=name == "images-rgb"), None
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


@functools.lru_cache(maxsize=2)
def _drawn_shapes(size: int, rgb: bool) -> tuple[np.ndarray, np.ndarray]:
    from gan.shapes import SHAPES, draw_shapes

    images, factors = draw_shapes(SHAPES_DRAWN, size=size, seed=0, rgb=rgb)
    labels = np.rint(factors[:, 0] * (len(SHAPES) - 1)).astype(np.int64)
    images.flags.writeable = False  # shared by every caller through the cache
    return images, labels


def read_own_images(source: str | Path, size: int, rgb: bool) -> np.ndarray:
    """The user's images at `size`: a run's images.npz as saved (its size and colour must match), or a folder or a
    zip read and checked by gan.image_sets. Raises DatasetUnavailable with the reason."""
    from gan.image_sets import ImageSetRejected, read_image_folder, read_image_set

    path = Path(source) if str(source) else None
    if path is None or not path.exists():
        raise DatasetUnavailable(f"your own images: {source or 'no folder given'} does not exist (give a folder of "
                                 "images, a zip, or upload them on the Train page)")
    try:
        if path.suffix == ".npz":
            return _saved_images(path, size, rgb)
        if path.suffix == ".zip":
            return read_image_set([(path.name, path.read_bytes())], size=size, rgb=rgb).images
        return read_image_folder(path, size=size, rgb=rgb).images
    except ImageSetRejected as err:
        raise DatasetUnavailable(f"your own images: {err}") from None


def _saved_images(path: Path, size: int, rgb: bool) -> np.ndarray:
    with np.load(path, allow_pickle=False) as f:
        images = f["images"]
    expected = (size, size, 3) if rgb else (size, size)
    if images.dtype != np.uint8 or images.shape[1:] != expected:
        raise DatasetUnavailable(f"{path.name} holds images of {images.shape[1:]} ({images.dtype}); this run trains "
                                 f"on {'x'.join(map(str, expected))} uint8")
    return images


def to_training_tensor(images: np.ndarray, device: torch.device | str) -> torch.Tensor:
    """Convert uint8 images (N, H, W) or (N, H, W, 3) to one float32 tensor (N, C, H, W) in [-1, 1] on `device`."""
    x = torch.tensor(images, dtype=torch.uint8, device=device)  # copies, so read-only arrays are fine
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2).contiguous()
    return x.float() / 127.5 - 1.0


def split_fraction(labels: np.ndarray | None, n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, held-out indices) of n images: `fraction` of each class (at least one image of each) when
    labels are known, of all n otherwise, picked by `seed`; the held-out rest is what D never trains on. The
    fraction 1 keeps everything in its order and holds nothing out."""
    if fraction >= 1:
        return np.arange(n), np.arange(0)
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if labels is not None else [np.arange(n)]
    train, held_out = [], []
    for group in groups:
        shuffled = rng.permutation(group)
        keep = max(1, round(len(group) * fraction))
        train.append(shuffled[:keep])
        held_out.append(shuffled[keep:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held_out))


class IndexSampler:
    """Draws batches of indices into a training tensor, one random permutation per epoch.

    The last incomplete batch of each epoch is dropped, so every batch has `batch_size` indices
    and an epoch is `batches_per_epoch = n // batch_size` batches. The order depends only on the
    generator's seed. `state_dict()` saves the generator state too, so give the sampler its own
    generator: a resumed run then continues with exactly the same batches.
    """

    def __init__(self, n: int, batch_size: int, generator: torch.Generator, device: torch.device | str):
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be in 1..n={n}, got {batch_size}")
        self.n = n
        self.batch_size = batch_size
        self.generator = generator
        self.device = torch.device(device)
        self._epoch = 0
        self._position = 0  # index into the permutation of the next batch's first element
        self._permutation: torch.Tensor | None = None  # (n,) int64 on self.device; None until the first batch

    @property
    def batches_per_epoch(self) -> int:
        """Full batches per epoch; the remainder `n % batch_size` of each permutation is dropped."""
        return self.n // self.batch_size

    @property
    def epoch(self) -> int:
        """0-based index of the epoch the last returned batch belongs to (0 before the first batch)."""
        return self._epoch

    def next(self) -> torch.Tensor:
        """Return the next batch of indices, int64 (batch_size,) on the sampler's device."""
        if self._permutation is None:
            self._permutation = self._new_permutation()
        elif self._position + self.batch_size > self.n:
            self._permutation = self._new_permutation()
            self._epoch += 1
            self._position = 0
        batch = self._permutation[self._position : self._position + self.batch_size]
        self._position += self.batch_size
        return batch

    def _new_permutation(self) -> torch.Tensor:
        # Drawn where the generator lives (randperm requires it), then moved once per epoch.
        permutation = torch.randperm(self.n, generator=self.generator, device=self.generator.device)
        return permutation.to(self.device)

    def state_dict(self) -> dict:
        """Return plain values and CPU tensors, loadable with torch.load(weights_only=True)."""
        return {
            "n": self.n,
            "batch_size": self.batch_size,
            "epoch": self._epoch,
            "position": self._position,
            "permutation": None if self._permutation is None else self._permutation.cpu(),
            "generator_state": self.generator.get_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a state from `state_dict()`; n and batch_size must match this sampler's."""
        for key in ("n", "batch_size"):
            if state[key] != getattr(self, key):
                raise ValueError(f"{key} mismatch: state has {state[key]}, sampler has {getattr(self, key)}")
        self._epoch = int(state["epoch"])
        self._position = int(state["position"])
        permutation = state["permutation"]
        self._permutation = None if permutation is None else permutation.to(self.device)
        self.generator.set_state(state["generator_state"].cpu())  # map_location may have moved it
