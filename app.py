"""The CIMIC assistant server: chat UI, REST (/api/v1), OpenAI-compatible (/v1), MCP; one port.

A thin entry point: the serving code is the cimic.serve package. `python app.py --help`.
"""

from cimic.serve import main

if __name__ == "__main__":
    main()
