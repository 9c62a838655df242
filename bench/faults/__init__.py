"""Fault scripts: the production processes (the Procfile's) on a private PostgreSQL and
Redis, the local LINE stand-in, a load that behaves as LINE and people do, and
something going wrong in the middle; every event and message is counted at both ends.

    .venv/bin/python -m bench.faults kill9|pg-restart|redis-restart|line-faults|scale-out|all [--smoke]
"""
