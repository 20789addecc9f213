"""Errors the library raises. Every message says what happened and how to fix it.

    BotError
    ├── ConfigError        a setting or a safety-texts file is unusable
    ├── CorpusError        the corpus folder is missing or holds no readable document
    ├── ModelError         the embedding model is missing or its weights do not match the pin
    ├── IndexFolderError        base of the index problems below
    │   ├── IndexMissingError   no index has been built in that folder
    │   ├── IndexMismatchError  built with other settings, model or format: rebuild
    │   └── IndexCorruptError   files missing, truncated or edited: rebuild
    ├── IndexLockedError   another build holds the lock on that index folder
    └── VectorStoreError   the vector store (a Milvus server, say) cannot be reached or refused a request
        └── live.StoreDownError  it failed during serving and has not answered since (the app's 503)

The library raises; the CLI and the app turn these into messages and exit codes.
"""

from __future__ import annotations

REBUILD = "run `python -m bot index` to rebuild it"


class BotError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(BotError):
    pass


class CorpusError(BotError):
    pass


class ModelError(BotError):
    pass


class IndexFolderError(BotError):
    pass


class IndexMissingError(IndexFolderError):
    pass


class IndexMismatchError(IndexFolderError):
    pass


class IndexCorruptError(IndexFolderError):
    pass


class IndexLockedError(BotError):
    pass


class VectorStoreError(BotError):
    pass
