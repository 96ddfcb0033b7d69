"""LangChain retriever over an Assistant: cited passages as LangChain Documents."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from ..types import Passage


def passage_metadata(p: Passage) -> dict[str, Any]:
    """The citation fields of a passage, as LangChain Document metadata."""
    return {
        "doc": p.doc,
        "title": p.title,
        "source": p.source,
        "section": p.section,
        "page": p.page,
        "start": p.start,
        "end": p.end,
        "score": p.score,
        "nato_agreed": p.nato_agreed,
        "highlights": [list(h) for h in p.highlights],
    }


class CimicRetriever(BaseRetriever):
    """Retrieves verbatim, cited passages; an abstained answer returns no documents.

    ``CimicRetriever(assistant=Assistant.open("corpus", "index"), k=5).invoke("What is CMI?")``
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any = Field(description="a cimic.Assistant")
    k: int = Field(default=5, ge=1, le=50, description="number of passages to return")

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        """Ask the assistant; `k` may be overridden per call."""
        answer = self.assistant.ask(
            query, history=kwargs.get("history") or [], k=int(kwargs.get("k", self.k))
        )
        if answer.abstained:
            return []
        return [
            Document(page_content=p.text, metadata=passage_metadata(p)) for p in answer.passages
        ]
