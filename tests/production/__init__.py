"""Production-path tests: gunicorn workers, outages, limits, query counts, log hygiene."""
