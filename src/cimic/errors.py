"""Errors of cimic: one base class, each message says what to do next."""


class CimicError(Exception):
    """Base class of every error cimic raises on purpose."""


class CorpusError(CimicError):
    """The corpus directory is missing or holds nothing readable."""


class IndexMissingError(CimicError):
    """No published index where one was expected."""


class IndexMismatchError(CimicError):
    """The index was built by another model, chunker or format version."""


class IndexCorruptError(CimicError):
    """An index file is missing, truncated or fails its checksum."""


class QueryError(CimicError):
    """The question cannot be searched (empty, too long)."""


class ModelError(CimicError):
    """The embedding model cannot be loaded."""
