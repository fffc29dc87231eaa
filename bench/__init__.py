"""The benchmark suite (`make bench`): the API side by side with a raw Starlette + asyncpg reference.

Never part of `make test`: it seeds its own database, starts servers on 127.0.0.1 only, drives them
with wrk and writes what it measured under bench/results/.
"""
