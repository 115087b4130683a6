"""Tests for gan/data.py: embedded digits, training tensors, the index sampler. No network."""

import io

import numpy as np
import pytest
import torch

from gan.data import (
    FIXED_28,
    DatasetUnavailable,
    IndexSampler,
    load_images,
    to_training_tensor,
)

# ---------------------------------------------------------------------------------------------
# load_images


def test_embedded_digits_shape_dtype_range_and_balance():
    images, labels = load_images("mnist-embedded")
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (5000,) and labels.dtype == np.int64
    assert images.min() == 0 and images.max() == 255
    assert np.bincount(labels, minlength=10).tolist() == [500] * 10


def test_embedded_digits_are_shared_read_only():
    images, labels = load_images("mnist-embedded")
    with pytest.raises(ValueError):
        images[0, 0, 0] = 1
    with pytest.raises(ValueError):
        labels[0] = 1


def test_unknown_dataset_names_the_allowed_ones():
    with pytest.raises(ValueError, match="mnist-embedded"):
        load_images("cifar10")


@pytest.mark.parametrize("name", [n for n in FIXED_28 if n != "mnist-embedded"])
def test_missing_torchvision_dataset_is_unavailable_without_download(name, tmp_path):
    with pytest.raises(DatasetUnavailable) as info:
        load_images(name, data_dir=tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "download=True" in message and "--download" in message
    assert "mnist-embedded" in message
    assert list(tmp_path.iterdir()) == []  # nothing was fetched or created


# ---------------------------------------------------------------------------------------------
# to_training_tensor


def test_training_tensor_shape_range_and_device():
    images, _ = load_images("mnist-embedded")
    x = to_training_tensor(images[:100], torch.device("cpu"))
    assert x.shape == (100, 1, 28, 28) and x.dtype == torch.float32 and x.device.type == "cpu"
    assert x.min().item() == -1.0 and x.max().item() == 1.0
    # 0 -> -1 and 255 -> 1 exactly; the mapping is affine
    ramp = to_training_tensor(np.array([[[0, 255] * 14] * 28], dtype=np.uint8), "cpu")
    assert ramp[0, 0, 0, :2].tolist() == [-1.0, 1.0]


# ---------------------------------------------------------------------------------------------
# IndexSampler


def _sampler(seed, n=10, batch_size=3):
    return IndexSampler(n, batch_size, torch.Generator().manual_seed(seed), "cpu")


def _draw(sampler, count):
    return [sampler.next().tolist() for _ in range(count)]


def test_sampler_is_deterministic_for_a_seed():
    assert _draw(_sampler(7), 8) == _draw(_sampler(7), 8)
    assert _draw(_sampler(7), 8) != _draw(_sampler(8), 8)


def test_sampler_epochs_have_no_repeats_and_drop_the_last_partial_batch():
    sampler = _sampler(0, n=10, batch_size=3)
    assert sampler.batches_per_epoch == 3
    for expected_epoch in range(3):
        batches = [sampler.next() for _ in range(sampler.batches_per_epoch)]
        assert sampler.epoch == expected_epoch
        seen = torch.cat(batches)
        assert all(len(batch) == 3 and batch.dtype == torch.int64 for batch in batches)
        assert len(seen.unique()) == 9 and seen.min() >= 0 and seen.max() < 10


def test_sampler_epoch_counts_from_zero():
    sampler = _sampler(0, n=8, batch_size=4)
    assert sampler.epoch == 0
    epochs = []
    for _ in range(5):
        sampler.next()
        epochs.append(sampler.epoch)
    assert epochs == [0, 0, 1, 1, 2]


def test_sampler_state_round_trip_continues_the_same_order():
    original = _sampler(3)
    _draw(original, 4)  # stop mid-epoch (3 batches per epoch)
    buffer = io.BytesIO()
    torch.save(original.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)

    resumed = _sampler(999)  # a different seed: everything must come from the state
    resumed.load_state_dict(state)
    assert resumed.epoch == original.epoch
    assert _draw(resumed, 7) == _draw(original, 7)  # crosses two epoch boundaries


def test_sampler_rejects_bad_sizes():
    with pytest.raises(ValueError, match="batch_size"):
        _sampler(0, n=4, batch_size=5)
    with pytest.raises(ValueError, match="batch_size"):
        _sampler(0, n=10, batch_size=4).load_state_dict(_sampler(0, n=10, batch_size=3).state_dict())

