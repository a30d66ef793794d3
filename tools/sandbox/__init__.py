"""The sandbox Shopify store: the Admin GraphQL API subset the tools use, over fixture data."""

from tools.sandbox.faults import Fault
from tools.sandbox.fixtures import FixtureError, SandboxData, load_fixtures
from tools.sandbox.server import CostBucket, SandboxServer

__all__ = ["CostBucket", "Fault", "FixtureError", "SandboxData", "SandboxServer", "load_fixtures"]
