"""The graph `langgraph.json` names, for LangGraph's server (`langgraph dev`) and Studio.

The server imports this file and calls `make_graph` for every run (and to draw the graph, or read
a thread's state), passing the run's config; it then gives the graph its own checkpointer. The
store's services are built once per process, on the first call, from the settings (`Settings`:
`THREADLINE_*` or `.env`; the store is `THREADLINE_STORE_DIR`, else the demo store), exactly as
`threadline serve` assembles them: the database migrated, the knowledge ingested if it changed,
the sandbox shop started for a store that has one.
"""

from __future__ import annotations

import asyncio
import atexit
import threading

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from agent.server_graph import ServerInput, ServerOutput, ServerState, build_server
from api.main import prepare_database
from api.settings import DEMO_STORE_DIR, Settings
from api.store_runtime import StoreRuntime, start_store
from inbox.db import make_engine

ServerGraph = CompiledStateGraph[ServerState, None, ServerInput, ServerOutput]


class ServedStore:
    """The store's runtime and the compiled graph, built on first use by one thread only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._graph: ServerGraph | None = None
        self._runtime: StoreRuntime | None = None

    def graph(self) -> ServerGraph:
        with self._lock:
            if self._graph is None:
                self._graph = self._build()
            return self._graph

    @property
    def built(self) -> ServerGraph | None:
        """The graph, if it was built already."""
        return self._graph

    @property
    def runtime(self) -> StoreRuntime | None:
        """The store's runtime (services, sandbox), once the graph was built."""
        return self._runtime

    def _build(self) -> ServerGraph:
        settings = Settings()
        store_dir = settings.store_dir or DEMO_STORE_DIR
        engine = make_engine(settings.resolved_database_url, **settings.engine_options)
        prepare_database(engine, settings)
        self._runtime = start_store(settings, engine, store_dir)
        self._runtime.closers.insert(0, engine.dispose)  # closed last
        atexit.register(self.close)
        return build_server(self._runtime.services, self._runtime.resolver.locks).compile(
            name="threadline"
        )

    def close(self) -> None:
        """Stop the sandbox shop and the recovery sweep, and close the database."""
        with self._lock:
            runtime, self._runtime, self._graph = self._runtime, None, None
        if runtime is not None:
            runtime.close()


served = ServedStore()


async def make_graph(config: RunnableConfig) -> ServerGraph:
    """The graph factory (the run's `config` is not needed: one graph serves every run, and a
    run's data comes as its input). The first call builds the services off the event loop: it
    loads models and may ingest the knowledge."""
    graph = served.built
    if graph is None:
        graph = await asyncio.to_thread(served.graph)
    return graph
