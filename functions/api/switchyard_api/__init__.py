"""Switchyard's API Lambda: an OpenAI-compatible FastAPI app served through Mangum."""
