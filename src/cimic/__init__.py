"""cimic: offline retrieval assistant answering with verbatim, cited passages."""

from .assistant import Assistant
from .errors import (
    CimicError,
    CorpusError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    ModelError,
    QueryError,
)
from .types import Answer, Chunk, Document, Passage

__all__ = [
    "Answer",
    "Assistant",
    "Chunk",
    "CimicError",
    "CorpusError",
    "Document",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexMissingError",
    "ModelError",
    "Passage",
    "QueryError",
]
