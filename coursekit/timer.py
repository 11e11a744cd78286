"""A wall-clock timer for "how long did that take" cells."""

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Elapsed:
    """Seconds measured by `timer`; `seconds` is filled in when the block ends."""

    seconds: float = 0.0


@contextmanager
def timer(label: str = "elapsed", quiet: bool = False) -> Iterator[Elapsed]:
    """Time a `with` block and print `label: 1.23 s` at its end (unless quiet)."""
    elapsed = Elapsed()
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.seconds = time.perf_counter() - start
        if not quiet:
            print(f"{label}: {elapsed.seconds:.2f} s")
