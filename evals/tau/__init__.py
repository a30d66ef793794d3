"""τ²-bench retail as a Threadline peer benchmark.

`convert.write_store` turns τ²'s retail database into a store directory (sandbox fixtures in
Shopify REST shape, `policy.yaml`, knowledge), and `suite.build_suite` turns its test tasks into
an eval suite of hand-written customer conversations with expectations on the shop's end state.
The τ² files themselves stay outside the project (`dataset.dataset_dir`).
"""
