"""The graph's shape is pinned: a routing change shows up in review as a change to graph.mmd."""

from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver

from agent.graph import builder

SNAPSHOT = Path(__file__).with_name("graph.mmd")


def test_graph_matches_the_stored_snapshot() -> None:
    drawn = builder.compile(checkpointer=InMemorySaver()).get_graph().draw_mermaid()
    assert drawn.strip() == SNAPSHOT.read_text().strip()


def test_every_path_ends_by_recording_the_turn() -> None:
    graph = builder.compile().get_graph()
    edges = {(e.source, e.target) for e in graph.edges}
    assert ("escalate", "record") in edges and ("record", "__end__") in edges
    assert {t for s, t in edges if s == "route"} == {"retrieve", "act", "ask", "compose"}
    assert {t for s, t in edges if s == "gate"} == {"escalate", "record"}
