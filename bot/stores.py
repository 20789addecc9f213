"""The vector store kinds, in one registry: the kind a setting or a manifest names → its backend.

A backend (`store.StoreBackend`) is what an index version does with one kind of store: where
the settings want it, create, open, the files it keeps in the version folder, publish a new
version and drop old ones. `FaissBackend` lives with `FaissStore` in `store.py`, `MilvusBackend`
with `MilvusStore` in `milvus_store.py` (which imports pymilvus only when a Milvus store is made,
so registering it costs nothing). The index asks the backend and never compares kinds itself;
adding a kind is one module with its store and backend, one line below, and one value of
`config.VectorStoreKind`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .milvus_store import MilvusBackend
from .store import FaissBackend, StoreBackend

if TYPE_CHECKING:
    from .config import Settings

BACKENDS: dict[str, StoreBackend] = {backend.kind: backend for backend in (FaissBackend(), MilvusBackend())}
#: the store of a manifest written before manifests recorded one: FAISS, exact search
UNRECORDED: dict[str, Any] = {"kind": "faiss", "type": "flat"}


def configured(settings: Settings) -> StoreBackend:
    """The backend of the store the settings name."""
    try:
        return BACKENDS[settings.vector_store]
    except KeyError:
        raise ConfigError(f"vector_store={settings.vector_store!r} is not a vector store: set BOT_VECTOR_STORE to one"
                          f" of {', '.join(sorted(BACKENDS))}") from None


def find(described: dict[str, Any]) -> StoreBackend | None:
    """The backend of the store a manifest describes (None: a kind this version does not know)."""
    kind = described.get("kind")
    return BACKENDS.get(kind) if isinstance(kind, str) else None  # an edited manifest may hold anything


def of(described: dict[str, Any]) -> StoreBackend:
    """`find`, refusing an unknown kind."""
    if (backend := find(described)) is None:
        raise ValueError(f"unknown vector store {described.get('kind')!r}")
    return backend


def wanted(settings: Settings) -> dict[str, Any]:
    """Where the settings want the vectors: what a build compares with an index's `location`."""
    return configured(settings).wanted(settings)


def location(described: dict[str, Any]) -> dict[str, Any]:
    """The `wanted` form of a manifest's store (an unknown kind: just that kind, wanted by no settings)."""
    backend = find(described)
    return backend.location(described) if backend else {"kind": described.get("kind")}
