"""The demo's data: the bundled UCI Adult file, its encoding and the split."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from biaswatch.demo.dataset import FEATURES, FEMALE, SEX, load_adult, split_rows
from biaswatch.errors import DataError

LINE = (
    "52, Self-emp-inc, 287927, HS-grad, 9, Married-civ-spouse, Exec-managerial, Wife, White,"
    " Female, 15024, 0, 40, United-States, >50K"
)


def test_the_bundled_file_is_adult_data() -> None:
    data = load_adult()
    assert data.features.shape == (32_561, len(FEATURES))
    # UCI's figures: 24.1 % earn more than 50K, a third are women.
    assert round(float(data.labels.mean()), 3) == 0.241
    assert round(float(np.mean(data.features[:, SEX] == FEMALE)), 3) == 0.331
    assert data.features[-1].tolist() == [52, 9, 15024, 0, 40, 0, 1, 1]
    assert data.labels[-1] == 1


def test_plain_and_gzipped_files_read_alike(tmp_path: Path) -> None:
    plain = tmp_path / "adult.data"
    plain.write_text(f"{LINE}\n\n")
    zipped = tmp_path / "adult.data.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, zipped):
        data = load_adult(path)
        assert data.features.tolist() == [[52, 9, 15024, 0, 40, 0, 1, 1]]
        assert data.labels.tolist() == [1]


def test_a_malformed_line_says_where(tmp_path: Path) -> None:
    path = tmp_path / "adult.data"
    path.write_text(f"{LINE}\n39, State-gov, 77516\n")
    with pytest.raises(DataError) as raised:
        load_adult(path)
    assert (raised.value.path, raised.value.line) == (str(path), 2)


def test_the_split_is_disjoint_and_fixed_by_the_seed() -> None:
    split = split_rows(100, train=50, reference=30, seed=7)
    parts = [split.train, split.reference, split.traffic]
    assert [len(p) for p in parts] == [50, 30, 20]
    assert sorted(np.concatenate(parts).tolist()) == list(range(100))
    again = split_rows(100, train=50, reference=30, seed=7)
    assert again.traffic.tolist() == split.traffic.tolist()
    with pytest.raises(DataError):
        split_rows(100, train=50, reference=50, seed=7)
