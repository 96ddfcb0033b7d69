"""The ask tool over MCP (Gradio's MCP server, /gradio_api/mcp)."""

from __future__ import annotations

import json


def results_as_json() -> None:
    """Gradio's MCP server hands a tool's dict result to clients as its Python repr; give them JSON.

    The ask tool then returns the same shape as /ask and `cimic ask --json`
    (schema/answer.schema.json).
    """
    from gradio.mcp import GradioMCPServer

    original = GradioMCPServer.postprocess_output_data
    if getattr(original, "_cimic_json", False):
        return

    def postprocess(self, data, root_url):
        data = [
            json.dumps(d, ensure_ascii=False) if isinstance(d, dict | list) else d for d in data
        ]
        return original(self, data, root_url)

    postprocess._cimic_json = True
    GradioMCPServer.postprocess_output_data = postprocess
