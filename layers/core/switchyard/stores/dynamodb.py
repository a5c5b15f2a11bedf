"""DynamoDB stores: API keys, the confidence matrix, the request log, feedback, the cache, usage.

Each store takes a table name and a boto3 DynamoDB *client* (``stores.clients``, built once
per process by the API's container), and turns botocore failures into ``StoreError`` so
callers can degrade.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from switchyard.errors import BudgetExceededError, StoreError
from switchyard.tenancy import ApiKeyRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger(__name__)
T = TypeVar("T")
_ser = TypeSerializer()
_de = TypeDeserializer()


def to_ddb(item: Mapping[str, Any]) -> dict[str, Any]:
    from decimal import Decimal

    def conv(v: Any) -> Any:
        if isinstance(v, float):
            return Decimal(repr(v))
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items() if x is not None}
        if isinstance(v, list | tuple):
            return [conv(x) for x in v]
        return v

    return {k: _ser.serialize(conv(v)) for k, v in item.items() if v is not None}


def from_ddb(item: Mapping[str, Any]) -> dict[str, Any]:
    from decimal import Decimal

    def conv(v: Any) -> Any:
        if isinstance(v, Decimal):
            return int(v) if v == v.to_integral_value() else float(v)
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list | set):
            return [conv(x) for x in v]
        return v

    return {k: conv(_de.deserialize(v)) for k, v in item.items()}


def _call[T](what: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except (ClientError, BotoCoreError) as exc:
        raise StoreError(f"DynamoDB {what} failed: {exc}") from exc


class KeyStore:
    """API keys by the SHA-256 of the key (the key itself is never stored)."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        resp = _call(
            "get key",
            lambda: self.client.get_item(
                TableName=self.table, Key={"key_hash": {"S": key_hash}}, ConsistentRead=False
            ),
        )
        item = resp.get("Item")
        return ApiKeyRecord.model_validate(from_ddb(item)) if item else None

    def put(self, record: ApiKeyRecord) -> None:
        _call(
            "put key",
            lambda: self.client.put_item(
                TableName=self.table,
                Item=to_ddb(record.model_dump()),
                ConditionExpression="attribute_not_exists(key_hash)",
            ),
        )


class MatrixStore:
    """The shared confidence matrix as one item, replaced whole (readers never see half a
    write), and each untrusted tenant's own votes as one ``tenant#<id>`` item."""

    NAME = "default"
    TENANT = "tenant#"

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    def get(self) -> dict[str, Any] | None:
        resp = _call(
            "get matrix", lambda: self.client.get_item(TableName=self.table, Key={"name": {"S": self.NAME}})
        )
        item = resp.get("Item")
        return from_ddb(item) if item else None

    def put(
        self, cells: Mapping[str, Any], version: str, updated_at: str, previous: str | None = None
    ) -> None:
        """Write a new matrix; with ``previous``, only if the stored version is still that one."""
        kwargs: dict[str, Any] = {}
        if previous is not None:
            kwargs = {
                "ConditionExpression": "attribute_not_exists(#n) OR version = :prev",
                "ExpressionAttributeNames": {"#n": "name"},
                "ExpressionAttributeValues": {":prev": {"S": previous}},
            }
        item = {"name": self.NAME, "version": version, "updated_at": updated_at, "cells": dict(cells)}
        _call("put matrix", lambda: self.client.put_item(TableName=self.table, Item=to_ddb(item), **kwargs))

    def get_tenant(self, tenant_id: str) -> dict[str, Any] | None:
        """One tenant's own votes (``cells``: {model: {task: {total, n}}}), or None."""
        resp = _call(
            "get tenant matrix",
            lambda: self.client.get_item(TableName=self.table, Key={"name": {"S": self.TENANT + tenant_id}}),
        )
        item = resp.get("Item")
        return from_ddb(item) if item else None

    def put_tenant(self, tenant_id: str, cells: Mapping[str, Any], version: str, updated_at: str) -> None:
        item = {
            "name": self.TENANT + tenant_id,
            "version": version,
            "updated_at": updated_at,
            "cells": dict(cells),
        }
        _call("put tenant matrix", lambda: self.client.put_item(TableName=self.table, Item=to_ddb(item)))


class RequestLog:
    """One item per request: partition = tenant, sort = request id (time-ordered)."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    def put(self, item: Mapping[str, Any]) -> None:
        _call("put request log", lambda: self.client.put_item(TableName=self.table, Item=to_ddb(item)))

    def add_rater(self, tenant_id: str, request_id: str, limit: int) -> bool:
        """Count one more rater of a logged request, if fewer than ``limit`` rated it so far
        (atomic); False when the request already has ``limit`` raters."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"tenant_id": {"S": tenant_id}, "request_id": {"S": request_id}},
                UpdateExpression="ADD raters :one",
                ConditionExpression="attribute_exists(request_id) AND (attribute_not_exists(raters) OR raters < :limit)",
                ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": str(limit)}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise StoreError(f"DynamoDB count rater failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"DynamoDB count rater failed: {exc}") from exc
        return True

    def get(self, tenant_id: str, request_id: str) -> dict[str, Any] | None:
        resp = _call(
            "get request log",
            lambda: self.client.get_item(
                TableName=self.table,
                Key={"tenant_id": {"S": tenant_id}, "request_id": {"S": request_id}},
            ),
        )
        item = resp.get("Item")
        return from_ddb(item) if item else None


class FeedbackStore:
    """Feedback items: key (tenant#request, rater), so a rater's new vote replaces the old one;
    index ``by_day`` (day, ts) lets the rescore job read what arrived since its last run.

    A vote is written with UpdateItem, so a replacement keeps ``counted_score``: the score the
    rescore job last counted for this (request, rater), which it takes back when it counts
    the new one (a changed vote is not counted twice)."""

    INDEX = "by_day"
    KEEP = ("tenant_request", "rater", "counted_score")

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    def put(self, item: Mapping[str, Any]) -> None:
        key = {"tenant_request": f"{item['tenant_id']}#{item['request_id']}", "rater": item["rater"]}
        fields = {k: v for k, v in item.items() if k not in self.KEEP}
        present = {k: v for k, v in fields.items() if v is not None}
        absent = [k for k, v in fields.items() if v is None]
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        by_name = {k: n for n, k in names.items()}
        expr = "SET " + ", ".join(f"{by_name[k]} = :v{i}" for i, k in enumerate(present))
        if absent:
            expr += " REMOVE " + ", ".join(by_name[k] for k in absent)
        values = to_ddb({f":v{i}": v for i, v in enumerate(present.values())})
        _call(
            "put feedback",
            lambda: self.client.update_item(
                TableName=self.table,
                Key=to_ddb(key),
                UpdateExpression=expr,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            ),
        )

    def exists(self, tenant_id: str, request_id: str, rater: str) -> bool:
        """Whether this rater already voted on this request."""
        resp = _call(
            "get feedback",
            lambda: self.client.get_item(
                TableName=self.table,
                Key=to_ddb({"tenant_request": f"{tenant_id}#{request_id}", "rater": rater}),
                ProjectionExpression="rater",
            ),
        )
        return "Item" in resp

    def mark_counted(self, tenant_request: str, rater: str, score: float) -> None:
        """Record the score a rescore run counted for this vote."""
        _call(
            "mark feedback",
            lambda: self.client.update_item(
                TableName=self.table,
                Key=to_ddb({"tenant_request": tenant_request, "rater": rater}),
                UpdateExpression="SET counted_score = :s",
                ExpressionAttributeValues=to_ddb({":s": score}),
            ),
        )

    def since(self, days: list[str], after_ts: str, until_ts: str) -> list[dict[str, Any]]:
        """Feedback with after_ts < ts <= until_ts, for the given days (YYYY-MM-DD)."""
        out: list[dict[str, Any]] = []
        for day in days:
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": self.INDEX,
                "KeyConditionExpression": "#d = :d AND #t BETWEEN :a AND :u",
                "ExpressionAttributeNames": {"#d": "day", "#t": "ts"},
                "ExpressionAttributeValues": {":d": {"S": day}, ":a": {"S": after_ts}, ":u": {"S": until_ts}},
            }
            while True:
                resp: Any = _call("query feedback", partial(self.client.query, **kwargs))
                out.extend(from_ddb(i) for i in resp.get("Items", []) if from_ddb(i).get("ts") != after_ts)
                if "LastEvaluatedKey" not in resp:
                    break
                kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return out


class StateStore:
    """Small named state items kept in the matrix table (e.g. the rescore job's last run)."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    def get(self, name: str) -> dict[str, Any] | None:
        resp = _call(
            "get state", lambda: self.client.get_item(TableName=self.table, Key={"name": {"S": name}})
        )
        item = resp.get("Item")
        return from_ddb(item) if item else None

    def put(self, name: str, values: Mapping[str, Any]) -> None:
        _call(
            "put state",
            lambda: self.client.put_item(TableName=self.table, Item=to_ddb({"name": name, **values})),
        )


class CacheStore:
    """Cached answers by key; expired entries are never served (DynamoDB's TTL sweep can lag
    by hours, so expiry is checked on read too)."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    def get_first(self, keys: list[str], now: float) -> tuple[str, dict[str, Any]] | None:
        """The first of ``keys`` (in order) with a live entry, read in one round trip."""
        request: dict[str, Any] = {
            self.table: {"Keys": [{"cache_key": {"S": k}} for k in dict.fromkeys(keys)]}
        }
        resp = _call("get cache", lambda: self.client.batch_get_item(RequestItems=request))
        found = {}
        for item in resp.get("Responses", {}).get(self.table, []):
            entry = from_ddb(item)
            if float(entry.get("expires_at", 0)) > now:
                found[str(entry["cache_key"])] = entry
        for k in keys:
            if k in found:
                return k, found[k]
        return None

    def put_many(self, entries: Mapping[str, Mapping[str, Any]]) -> None:
        """Several entries (one per key) in one BatchWriteItem round trip (at most 25).
        Items DynamoDB leaves unprocessed (throttling) are reported as a StoreError."""
        requests: list[Any] = [
            {"PutRequest": {"Item": to_ddb({"cache_key": k, **e})}} for k, e in entries.items()
        ]
        resp = _call(
            "put cache", lambda: self.client.batch_write_item(RequestItems={self.table: requests[:25]})
        )
        if resp.get("UnprocessedItems"):
            raise StoreError(
                f"DynamoDB put cache left {len(resp['UnprocessedItems'].get(self.table, []))} items"
            )


class UsageStore:
    """Per-tenant usage counters and budget: partition = tenant, sort = ``day#<date>#<model>``
    (counters added atomically with UpdateItem ADD) or ``budget`` (the tenant's limits)."""

    BUDGET = "budget"

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    def add(self, tenant_id: str, day: str, model: str, counters: Mapping[str, float]) -> None:
        names = {f"#c{i}": k for i, k in enumerate(counters)}
        values = {f":v{i}": v for i, v in enumerate(counters.values())}
        update = "ADD " + ", ".join(f"#c{i} :v{i}" for i in range(len(counters)))
        _call(
            "update usage",
            lambda: self.client.update_item(
                TableName=self.table,
                Key={"tenant_id": {"S": tenant_id}, "period": {"S": f"day#{day}#{model}"}},
                UpdateExpression=update,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_ddb(values),
            ),
        )

    def days(self, tenant_id: str, first: str, last: str) -> list[dict[str, Any]]:
        """Counter items for first <= day <= last (YYYY-MM-DD), of this tenant only."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "tenant_id = :t AND #p BETWEEN :a AND :b",
            "ExpressionAttributeNames": {"#p": "period"},
            "ExpressionAttributeValues": {
                ":t": {"S": tenant_id},
                ":a": {"S": f"day#{first}"},
                ":b": {"S": f"day#{last}#\uffff"},
            },
        }
        out: list[dict[str, Any]] = []
        while True:
            resp: Any = _call("query usage", partial(self.client.query, **kwargs))
            for raw in resp.get("Items", []):
                item = from_ddb(raw)
                _, day, model = str(item.pop("period")).split("#", 2)
                out.append({**item, "day": day, "model": model})
            if "LastEvaluatedKey" not in resp:
                return out
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def reserve(self, tenant_id: str, month: str, amount: float, cap: float, seed: float) -> float:
        """Add ``amount`` to the month's committed spend (``spend#<YYYY-MM>``: settled costs plus
        reservations in flight) only if it stays within ``cap``, atomically across every
        container; the new total. ``seed`` starts a month's item (the spend the usage counters
        already hold). BudgetExceededError when it does not fit."""
        if amount > cap or seed + amount > cap:
            raise BudgetExceededError(f"the estimated cost ${amount:.6f} does not fit under the hard cap")
        try:
            resp = self.client.update_item(
                TableName=self.table,
                Key={"tenant_id": {"S": tenant_id}, "period": {"S": f"spend#{month}"}},
                UpdateExpression="SET committed_usd = if_not_exists(committed_usd, :seed) + :a",
                ConditionExpression="attribute_not_exists(committed_usd) OR committed_usd <= :room",
                ExpressionAttributeValues=to_ddb({":seed": seed, ":a": amount, ":room": cap - amount}),
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise BudgetExceededError("the hard cap is reached (spent plus reserved)") from exc
            raise StoreError(f"DynamoDB reserve spend failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"DynamoDB reserve spend failed: {exc}") from exc
        return float(from_ddb(resp.get("Attributes", {})).get("committed_usd", 0.0))

    def settle(self, tenant_id: str, month: str, delta: float) -> None:
        """Replace a reservation by the real cost: add ``real - reserved`` (often negative)."""
        _call(
            "settle spend",
            lambda: self.client.update_item(
                TableName=self.table,
                Key={"tenant_id": {"S": tenant_id}, "period": {"S": f"spend#{month}"}},
                UpdateExpression="ADD committed_usd :d",
                ExpressionAttributeValues=to_ddb({":d": delta}),
            ),
        )

    def get_budget(self, tenant_id: str) -> dict[str, Any] | None:
        resp = _call(
            "get budget",
            lambda: self.client.get_item(
                TableName=self.table,
                Key={"tenant_id": {"S": tenant_id}, "period": {"S": self.BUDGET}},
            ),
        )
        item = resp.get("Item")
        return from_ddb(item) if item else None

    def put_budget(self, tenant_id: str, values: Mapping[str, Any]) -> None:
        item = to_ddb({"tenant_id": tenant_id, "period": self.BUDGET, **values})
        _call("put budget", lambda: self.client.put_item(TableName=self.table, Item=item))
