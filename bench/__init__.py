"""`make bench`: Flasky under gunicorn, measured with wrk beside a bare
Flask floor (bench/floor.py). See docs/benchmarks.md."""
