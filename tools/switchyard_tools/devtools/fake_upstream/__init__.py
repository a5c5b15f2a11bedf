"""A real HTTP server on loopback that speaks the OpenAI chat-completions, Anthropic Messages
and Bedrock Converse wire formats, for tests and benchmarks. Per upstream model it can be
told to fail with a status code, answer slowly, hang up, answer malformed JSON, drop a
stream after a number of chunks (see :class:`~.faults.Faults`).

    with FakeUpstream() as up:            # http://127.0.0.1:<port>/v1
        up.fail["gpt-4o-mini"] = 500

- :mod:`.server`: the server, its request handler (dispatch by path) and recording,
- :mod:`.faults`: the per-model fault configuration and its application,
- :mod:`.openai`, :mod:`.anthropic`, :mod:`.bedrock`: one module per wire format.
"""

from .anthropic import anthropic_events, anthropic_message
from .bedrock import bedrock_events, bedrock_message, eventstream_message
from .faults import Faults
from .openai import completion, stream_chunks
from .server import FakeUpstream

__all__ = [
    "FakeUpstream",
    "Faults",
    "anthropic_events",
    "anthropic_message",
    "bedrock_events",
    "bedrock_message",
    "completion",
    "eventstream_message",
    "stream_chunks",
]
