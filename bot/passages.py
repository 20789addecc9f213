"""The passages of an index version, read on demand instead of held in RAM.

`passages.jsonl` holds one passage per line; `offsets.npy` the byte offset where each line
starts (and the file's length last). `PassageTable` maps the file into memory and parses a
passage only when it is asked for, so opening an index of a million passages costs two file
opens, and a query parses the few dozen candidates it scores (a small cache keeps the ones
that popular questions hit again).
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import overload

import numpy as np

from .schema import Passage

TEXTS = "passages.jsonl"
OFFSETS = "offsets.npy"


def write(folder: Path, passages: Iterable[Passage]) -> int:
    """Write `passages.jsonl` and `offsets.npy` into `folder`; returns the number written."""
    offsets = [0]
    with (folder / TEXTS).open("wb") as f:
        for p in passages:
            offsets.append(offsets[-1] + f.write((json.dumps(p.to_json(), ensure_ascii=False) + "\n").encode()))
    np.save(folder / OFFSETS, np.asarray(offsets, dtype=np.int64))
    return len(offsets) - 1


class PassageTable(Sequence[Passage]):
    """Read-only, random access to the passages of one version folder."""

    def __init__(self, folder: Path, *, cache: int = 4096) -> None:
        self.offsets = np.load(folder / OFFSETS, mmap_mode="r")
        with (folder / TEXTS).open("rb") as f:
            size = f.seek(0, 2)
            if len(self.offsets) == 0 or int(self.offsets[-1]) != size:
                raise ValueError(f"{folder / OFFSETS} does not describe {folder / TEXTS}")
            self._data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self._parse = lru_cache(maxsize=cache)(self._read)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _read(self, i: int) -> Passage:
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        return Passage.from_json(json.loads(self._data[start:end]))

    @overload
    def __getitem__(self, i: int) -> Passage: ...

    @overload
    def __getitem__(self, i: slice) -> list[Passage]: ...

    def __getitem__(self, i: int | slice) -> Passage | list[Passage]:
        if isinstance(i, slice):
            return [self._parse(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"passage {i} out of range (0 … {n - 1})")
        return self._parse(i % n)

    def __iter__(self) -> Iterator[Passage]:
        for i in range(len(self)):  # uncached: a full scan must not evict what queries use
            yield self._read(i)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(other) == len(self) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def get(self, ids: Sequence[int]) -> list[Passage]:
        return [self[i] for i in ids]
