"""The eval harness: suites of multi-turn, multi-channel conversations played through the real
app against a store's sandbox shop, checked turn by turn and on the shop's state afterwards.

`suite` loads and validates a suite file, `runner` plays it, `checks` says what each reply or end
state missed, `metrics` turns results into the numbers ops teams and the review gate read,
`reports` writes Markdown, JSON and JUnit XML, and `compare` diffs two JSON reports.
"""
