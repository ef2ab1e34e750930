"""The compatibility suite's plumbing: configuration from the environment, SDK clients that
remember their last HTTP exchange (for failure reports), and checks that print one line each
and stop the run at the first failure with the response body.

Nothing here changes the SDK: clients are plain ``plane.PlaneClient`` objects; a requests
response hook only observes what the SDK sent and received.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from plane import PlaneClient
from plane.api.base_resource import BaseResource
from plane.errors import HttpError
from pydantic import BaseModel, ValidationError

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Config:
    base_url: str
    api_key: str
    email: str
    slug: str
    member_api_key: str
    member_email: str


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        print(f"error: {name} is not set", file=sys.stderr)
        sys.exit(2)
    return value


def config() -> Config:
    return Config(
        base_url=env("PLANE_BASE_URL"),
        api_key=env("PLANE_API_KEY"),
        email=env("PLANE_EMAIL"),
        slug=env("WORKSPACE_SLUG"),
        member_api_key=env("PLANE_MEMBER_API_KEY"),
        member_email=env("PLANE_MEMBER_EMAIL"),
    )


def check_pins() -> None:
    """The installed packages must be the pinned ones (a stale virtualenv is not our SDK)."""
    wrong = []
    for line in (HERE / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, pinned = line.partition("==")
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "missing"
        if installed != pinned:
            wrong.append(f"{name}: pinned {pinned}, installed {installed}")
    if wrong:
        print(
            "error: the virtualenv does not match tests/compat/requirements.txt "
            "(tests/run.sh refreshes it):\n  " + "\n  ".join(wrong),
            file=sys.stderr,
        )
        sys.exit(2)
    print(
        f"plane-sdk {importlib.metadata.version('plane-sdk')}, "
        f"pydantic {importlib.metadata.version('pydantic')}"
    )


# ---------------------------------------------------------------------------------------------
# Clients


class Exchange:
    """The last request and response seen by any client of the run."""

    last: requests.Response | None = None

    @classmethod
    def hook(cls, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        cls.last = response

    @classmethod
    def describe(cls) -> str:
        r = cls.last
        if r is None:
            return "(no HTTP exchange yet)"
        req = r.request
        body = req.body.decode() if isinstance(req.body, bytes) else req.body
        return (
            f"last exchange: {req.method} {req.url}\n"
            f"  request body: {body}\n"
            f"  -> {r.status_code} {r.reason}, Content-Type: {r.headers.get('content-type')}\n"
            f"  response body: {r.text}"
        )


def client(base_url: str, api_key: str) -> PlaneClient:
    """A plain SDK client whose resources report each response to ``Exchange``."""
    sdk = PlaneClient(base_url=base_url, api_key=api_key)
    for resource in vars(sdk).values():
        if isinstance(resource, BaseResource):
            resource.session.hooks["response"].append(Exchange.hook)
    return sdk


# ---------------------------------------------------------------------------------------------
# Checks


class CheckFailed(Exception):
    pass


class Run:
    passed = 0


@contextlib.contextmanager
def check(name: str) -> Iterator[None]:
    """One named check: prints ``ok N - name``, or the failure and the last exchange, then exits."""
    try:
        yield
    except HttpError as e:
        fail(name, f"HTTP {e.status_code} from the server: {e!r}")
    except ValidationError as e:
        fail(name, f"the SDK's model rejected the response:\n{e}")
    except CheckFailed as e:
        fail(name, str(e))
    except Exception:  # noqa: BLE001 - anything else is a failure too, with its traceback
        fail(name, traceback.format_exc())
    Run.passed += 1
    print(f"ok {Run.passed} - {name}", flush=True)


def fail(name: str, why: str) -> None:
    print(f"FAIL - {name}\n  {why}\n  {Exchange.describe()}", flush=True)
    print(f"passed: {Run.passed} checks before the failure", flush=True)
    sys.exit(1)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def equal(actual: Any, expected: Any, what: str) -> None:
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def is_a(value: Any, cls: type, what: str) -> None:
    if not isinstance(value, cls):
        raise CheckFailed(
            f"{what}: expected a {cls.__name__}, got {type(value).__name__}: {value!r}"
        )


def fields_present(model: BaseModel, what: str, exclude: tuple[str, ...] = ()) -> None:
    """Every field the SDK's model declares came in the response (``extra="allow"`` models
    accept a response that lacks optional fields; Plane's server sends them all)."""
    missing = [
        f for f in type(model).model_fields if f not in model.model_fields_set and f not in exclude
    ]
    if missing:
        raise CheckFailed(f"{what}: fields missing from the response: {missing}")


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def uuid(value: Any, what: str) -> None:
    if not (isinstance(value, str) and UUID.match(value)):
        raise CheckFailed(f"{what}: expected a UUID string, got {value!r}")


def datetime(value: Any, what: str) -> None:
    if not (isinstance(value, str) and DATETIME.match(value)):
        raise CheckFailed(f"{what}: expected an ISO-8601 datetime, got {value!r}")


def answered(status: int, what: str) -> None:
    """The last response had ``status`` and was JSON (the SDK returns bodies, not statuses)."""
    r = Exchange.last
    expect(r is not None, f"{what}: no response seen")
    equal(r.status_code, status, f"{what}: HTTP status")
    if status != 204:
        expect(
            "application/json" in r.headers.get("content-type", ""),
            f"{what}: Content-Type {r.headers.get('content-type')!r}",
        )
    else:
        equal(r.content, b"", f"{what}: a 204 body")


def http_error(status: int, call: Callable[[], Any]) -> HttpError:
    """Runs ``call``, which must raise the SDK's ``HttpError`` with ``status``."""
    try:
        result = call()
    except HttpError as e:
        if e.status_code != status:
            raise CheckFailed(
                f"expected HTTP {status}, got {e.status_code}: {json.dumps(e.response)}"
            ) from None
        # The SDK builds its message from `detail`/`error`/field errors: a server error body
        # must give it something to say.
        expect(
            str(e) != f"HTTP {status}: " and e.response not in (None, ""),
            f"HTTP {status} without a body the SDK can report: {e!r}",
        )
        return e
    raise CheckFailed(f"expected HTTP {status}, but the call succeeded: {result!r}")


def envelope(page: BaseModel, per_page: int, page_index: int, total: int, what: str) -> None:
    """Plane's pagination envelope, field by field (the SDK only checks the types)."""
    fields_present(page, what)
    equal(page.total_count, total, f"{what} total_count")
    equal(page.total_results, total, f"{what} total_results")
    equal(page.total_pages, math.ceil(total / per_page), f"{what} total_pages")
    expected_count = max(0, min(per_page, total - page_index * per_page))
    equal(page.count, expected_count, f"{what} count")
    equal(len(page.results), expected_count, f"{what} len(results)")
    equal(page.next_cursor, f"{per_page}:{page_index + 1}:0", f"{what} next_cursor")
    equal(page.prev_cursor, f"{per_page}:{page_index - 1}:1", f"{what} prev_cursor")
    equal(page.next_page_results, (page_index + 1) * per_page < total, f"{what} next_page_results")
    equal(page.prev_page_results, page_index > 0, f"{what} prev_page_results")
    equal(page.extra_stats, None, f"{what} extra_stats")
    equal(page.grouped_by, None, f"{what} grouped_by")


def all_pages(
    fetch: Callable[[str | None], BaseModel], per_page: int, total: int, what: str
) -> list[Any]:
    """Follows ``next_cursor`` while ``next_page_results``, as Plane's clients do, checking
    every envelope; returns all results."""
    results: list[Any] = []
    cursor = None
    for index in range(total // per_page + 2):
        page = fetch(cursor)
        envelope(page, per_page, index, total, f"{what} page {index}")
        results.extend(page.results)
        if not page.next_page_results:
            break
        cursor = page.next_cursor
    else:
        raise CheckFailed(f"{what}: next_page_results never turned false")
    equal(len(results), total, f"{what}: items over all pages")
    return results
