"""τ²-bench retail's database as a Threadline store directory.

```
dest/
  policy.yaml            # τ²'s retail rules in Threadline's policy keys (evals/tau/policy.yaml)
  knowledge/*.md         # the store's policy and FAQ, written for this store (evals/tau/knowledge)
  sandbox/store.json     # the business date and the shop
  sandbox/customers.json, orders.json, products.json   # Shopify Admin REST shape
```

The output depends only on the τ² files: the same input gives byte-identical files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from evals.tau import dataset, fixtures, orders

HERE = Path(__file__).resolve().parent
POLICY_FILE = HERE / "policy.yaml"
KNOWLEDGE_DIR = HERE / "knowledge"
SHOP = {
    "name": "Tau Retail",
    "email": "support@tau-retail.example",
    "currency": fixtures.CURRENCY,
    "timezone": "America/New_York",
    "myshopify_domain": "tau-retail.myshopify.com",
}


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_sandbox(sandbox: Path, data: dataset.TauRetail) -> None:
    """The shop's fixtures: `store.json` plus customers, products and orders in REST shape."""
    sandbox.mkdir(parents=True, exist_ok=True)
    _write_json(sandbox / "store.json", {"today": fixtures.TODAY.isoformat(), "shop": SHOP})
    _write_json(sandbox / "customers.json", {"customers": fixtures.customers(data)})
    _write_json(sandbox / "products.json", {"products": fixtures.products(data)})
    _write_json(sandbox / "orders.json", {"orders": orders.orders(data)})


def write_store(dest: Path, dataset_dir: Path | None = None) -> Path:
    """Write the τ² retail store directory at `dest` and return it (absolute).

    `dataset_dir` defaults to `dataset.dataset_dir()`; `FileNotFoundError` when the τ² files are
    not there. Files this function writes are replaced; anything else in `dest` is left alone,
    except `knowledge/`, which is replaced whole so no stale passage survives.
    """
    data = dataset.load(dataset_dir)
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    write_sandbox(dest / "sandbox", data)
    shutil.copyfile(POLICY_FILE, dest / "policy.yaml")
    knowledge = dest / "knowledge"
    if knowledge.exists():
        shutil.rmtree(knowledge)
    knowledge.mkdir()
    for source in sorted(KNOWLEDGE_DIR.glob("*.md")):
        shutil.copyfile(source, knowledge / source.name)
    return dest
