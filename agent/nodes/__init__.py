"""The graph's nodes, one module each; `agent/graph.py` wires them."""
