"""Adapters that let other tools hold an Assistant (LangChain today)."""
