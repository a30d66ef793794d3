"""Finding and reading τ²-bench's retail files (`db.json`, `tasks.json`, `split_tasks.json`).

The data is not part of the project: it is looked for under `THREADLINE_SHARED_DIR` (the folder
holding `datasets/`), else next to the checkout. Without it every entry point raises
`FileNotFoundError` naming where it looked, so callers can skip or report cleanly.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RELATIVE_DIR = Path("datasets/taubench-retail/tau2-bench")
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "shared" / RELATIVE_DIR
SHARED_DIR_VARIABLE = "THREADLINE_SHARED_DIR"
REQUIRED_FILES = ("db.json", "tasks.json", "split_tasks.json")

Json = dict[str, Any]


def dataset_dir(explicit: Path | None = None) -> Path:
    """The τ² retail directory: `explicit`, else under `$THREADLINE_SHARED_DIR`, else the default.

    Raises `FileNotFoundError` when a required file is missing there.
    """
    if explicit is not None:
        root = Path(explicit)
    elif shared := os.environ.get(SHARED_DIR_VARIABLE):
        root = Path(shared) / RELATIVE_DIR
    else:
        root = DEFAULT_DIR
    missing = [name for name in REQUIRED_FILES if not (root / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"τ²-bench retail data not found in {root} (missing {', '.join(missing)}); "
            f"set {SHARED_DIR_VARIABLE} to the folder that holds {RELATIVE_DIR}"
        )
    return root


@dataclass(frozen=True)
class TauRetail:
    """τ²'s retail database and tasks, as the files have them."""

    users: dict[str, Json]
    orders: dict[str, Json]
    products: dict[str, Json]
    tasks: dict[str, Json]
    splits: dict[str, list[str]]

    def user_of_order(self, order_id: str) -> Json:
        return self.users[self.orders[order_id]["user_id"]]


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load(explicit: Path | None = None) -> TauRetail:
    """Read the retail database and tasks (about 0.1 s)."""
    root = dataset_dir(explicit)
    db = _read(root / "db.json")
    tasks = {str(task["id"]): task for task in _read(root / "tasks.json")}
    splits = {name: [str(i) for i in ids] for name, ids in _read(root / "split_tasks.json").items()}
    return TauRetail(db["users"], db["orders"], db["products"], tasks, splits)
