"""`make loadtest`: Locust (headless) against gunicorn with production settings on PostgreSQL.

- `prepare.py`  fills the load-test database (demo loader + `generate_households`) and writes the
                plan: which demo accounts log in and which households, names and cases each may open.
- `mix.py`      the clerk's mix as plain data (paths, weights, expected statuses); no Locust, no Django,
                so the test suite drives the very same steps through Django's test client
                (tests/test_loadtest.py).
- `locustfile.py` the Locust users (town, team, district) that play the mix with think time.
- `run.py`      the runner behind `make loadtest` (`python -m bench.loadtest`): database, gunicorn,
                Locust, the figures, and their entry in docs/benchmarks.md.
"""
