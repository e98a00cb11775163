"""A run: planning it (``planning``, pure), the target it runs against (``targets``), the safety
rails (``safety``), sending and judging (``runner``), recording a run and running a recorded
one again (``recording``), and ``session``: the one function every front door (the CLI's
commands, the pytest plugin) calls to turn its inputs into a run."""
