"""Cache keys and cacheability rules."""

from __future__ import annotations

from typing import Any

from switchyard.cache.policy import exact_key, readable, writable

USER = [{"role": "user", "content": "What is the capital of Peru?"}]


def key(**kw: Any) -> str:
    req: dict[str, Any] = {"messages": USER}
    req.update(kw)
    return exact_key("t1", "auto|", req)


def test_key_depends_on_what_changes_the_answer() -> None:
    base = key()
    assert key(messages=[{"role": "user", "content": "  What is the capital of Peru?\n"}]) == base
    assert key(messages=[{"role": "system", "content": "Answer in French."}, *USER]) != base
    assert (
        key(messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, *USER])
        != base
    )
    assert key(temperature=0.2) != base
    assert key(tools=[{"type": "function", "function": {"name": "f"}}]) != base
    assert key(response_format={"type": "json_object"}) != base
    assert exact_key("t2", "auto|", {"messages": USER}) != base
    assert exact_key("t1", "router:cost|", {"messages": USER}) != base
    assert key(user="someone") == base  # not part of the answer


def test_read_rules() -> None:
    assert readable({}, None, 1.0)
    assert not readable({}, "no-cache", 1.0)
    assert not readable({}, "max-age=0, no-store", 1.0)
    assert not readable({"temperature": 1.5}, None, 1.0)
    assert not readable({}, None, 0.5)  # unset temperature counts as the providers' default, 1.0
    assert readable({"temperature": 0}, None, 0.5)


def answer(finish: str = "stop", **message: Any) -> dict[str, Any]:
    return {
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": "Lima", **message},
            }
        ]
    }


def test_write_rules() -> None:
    assert writable({}, answer(), None, 1.0)
    assert not writable({}, answer("length"), None, 1.0)
    assert not writable({}, answer(tool_calls=[{"id": "1"}]), None, 1.0)
    assert not writable({}, answer(content=""), None, 1.0)
    assert not writable({}, {"choices": [answer()["choices"][0]] * 2}, None, 1.0)
    assert not writable({}, {"error": {"message": "x"}}, None, 1.0)
    assert not writable({}, answer(), "no-store", 1.0)
    assert writable({}, answer(), "no-cache", 1.0)  # no-cache skips the read, still refreshes the entry
    assert not writable({"temperature": 2}, answer(), None, 1.0)
