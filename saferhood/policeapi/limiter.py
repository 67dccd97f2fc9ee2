"""A token bucket: at most ``rate`` requests a second on average, ``burst`` at once.

police.uk allows 15 requests a second with a burst of 30 and answers 429 beyond that; keeping
under the limit ourselves is politer (and faster) than being told to wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"expected a rate above 0 and a burst of at least 1, found {rate} and {burst}")
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting until there is one; returns the seconds waited."""
        with self._lock:  # held while waiting, so callers queue in order
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            waited = 0.0
            if self._tokens < 1:
                waited = (1 - self._tokens) / self.rate
                self._sleep(waited)
                self._tokens = 1.0
                self._last = self._clock()
            self._tokens -= 1
            return waited
