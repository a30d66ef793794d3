"""The `tau-retail` eval suite: τ²-bench retail's test tasks as customer conversations.

One case per task of a split, `tau-<task id>`. The customer's messages are hand-written
(`turns.yaml`); the expectations come from τ²'s expected actions (`expectations`) plus the few
hand decisions in `annotations.yaml`. Each customer writes from the email on their account:
by email (the channel proves the sender) or, for every third task, in chat with the helpdesk
vouching for the email. The store is the directory `convert.write_store` wrote.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from evals.tau import dataset
from evals.tau.expectations import READS, case_expect, expectation

HERE = Path(__file__).resolve().parent
TURNS_FILE = HERE / "turns.yaml"
ANNOTATIONS_FILE = HERE / "annotations.yaml"
SUITE_NAME = "tau-retail"
CHAT_EVERY = 3
"""Tasks whose id is a multiple of this talk in chat; the others write email."""


@cache
def _yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): value for key, value in loaded.items()}


def hand_turns() -> dict[str, list[str]]:
    """Task id -> the customer's messages, in order (`turns.yaml`)."""
    return {task: [str(text) for text in texts] for task, texts in _yaml(TURNS_FILE).items()}


def hand_annotations() -> dict[str, dict[str, Any]]:
    """Task id -> hand decisions beyond τ²'s expected actions (`annotations.yaml`)."""
    return _yaml(ANNOTATIONS_FILE)


def channel_of(task_id: str) -> str:
    return "chat" if int(task_id) % CHAT_EVERY == 0 else "email"


def _user_of(data: dataset.TauRetail, task: dataset.Json) -> dataset.Json:
    """The τ² user the task is about: named by an action, or owning an order an action names."""
    for action in task["evaluation_criteria"].get("actions") or []:
        arguments = action.get("arguments") or {}
        if arguments.get("user_id") in data.users:
            return data.users[arguments["user_id"]]
        if arguments.get("order_id") in data.orders:
            return data.user_of_order(arguments["order_id"])
        if email := arguments.get("email"):
            found = [u for u in data.users.values() if u["email"] == email]
            if found:
                return found[0]
    raise ValueError(f"τ² task {task['id']}: no action names its user")


def _customer(user: dataset.Json, channel: str) -> dict[str, Any]:
    name = f"{user['name']['first_name']} {user['name']['last_name']}"
    customer: dict[str, Any] = {"email": user["email"], "name": name}
    if channel == "chat":
        customer["verified"] = ["email"]
    return customer


def _turns(task_id: str, texts: list[str], channel: str, facts: dict[Any, Any]) -> list[Any]:
    turns: list[dict[str, Any]] = [{"channel": channel, "text": text} for text in texts]
    for number, strings in sorted(facts.items()):
        index = int(number) - 1
        if not 0 <= index < len(turns):
            raise ValueError(f"annotations.yaml: task {task_id}: no turn {number}")
        turns[index]["expect"] = {"contains": [str(s) for s in strings]}
    return turns


def _auth_tag(task: dataset.Json) -> list[str]:
    """How τ²'s agent was to identify the user (our customers are proven by their channel)."""
    names = {a["name"] for a in task["evaluation_criteria"].get("actions") or []}
    if "find_user_id_by_name_zip" in names:
        return ["auth:name_zip"]
    return ["auth:email"] if "find_user_id_by_email" in names else []


def _describe(task_id: str, actions: list[dataset.Json]) -> str:
    writes = [
        f"{a['name']}({(a.get('arguments') or {}).get('order_id') or ''})".replace("()", "")
        for a in actions
        if a["name"] not in READS
    ]
    return f"τ²-bench retail task {task_id}; expected writes: {', '.join(writes) or 'none'}"


def build_case(data: dataset.TauRetail, task_id: str, texts: list[str]) -> dict[str, Any]:
    """The suite case of one τ² task with its hand-written `texts`."""
    task = data.tasks[task_id]
    notes = hand_annotations().get(task_id) or {}
    actions = list(task["evaluation_criteria"].get("actions") or [])
    expected = expectation(actions, notes.get("needs") or [])
    channel = channel_of(task_id)
    intents = expected.intents or ["order_details"]
    case: dict[str, Any] = {
        "id": f"tau-{task_id}",
        "description": _describe(task_id, actions),
        "tags": [
            "tau:unsupported" if expected.needs else "tau:supported",
            *(f"intent:{name}" for name in intents),
            f"channel:{channel}",
            *_auth_tag(task),
        ],
    }
    if expected.needs:
        case["needs"] = list(expected.needs)
    case["customer"] = _customer(_user_of(data, task), channel)
    case["turns"] = _turns(task_id, texts, channel, notes.get("facts") or {})
    case["expect"] = case_expect(expected)
    return case


def build_suite(
    store_dir: Path, dataset_dir: Path | None = None, split: str = "test"
) -> dict[str, Any]:
    """The suite (a dict valid against `evals/harness/suite.schema.json`) for one τ² split.

    `store_dir` is the directory `convert.write_store` wrote. Raises `FileNotFoundError` without
    the τ² data, and `ValueError` for an unknown split or a task without hand-written turns.
    """
    data = dataset.load(dataset_dir)
    if split not in data.splits:
        raise ValueError(f"unknown τ² split {split!r} (known: {', '.join(sorted(data.splits))})")
    task_ids = data.splits[split]
    turns = hand_turns()
    unwritten = [task_id for task_id in task_ids if task_id not in turns]
    if unwritten:
        raise ValueError(
            f"no hand-written turns for τ² {split} task(s) {', '.join(unwritten)} "
            f"(evals/tau/turns.yaml)"
        )
    return {
        "suite": SUITE_NAME,
        "description": (
            f"τ²-bench retail, {split} split ({len(task_ids)} tasks): hand-written customer "
            "messages on τ²'s database as a Shopify store; expectations from τ²'s expected actions."
        ),
        "store": str(Path(store_dir).resolve()),
        "cases": [build_case(data, task_id, turns[task_id]) for task_id in task_ids],
    }
