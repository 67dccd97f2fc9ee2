"""A small, polite client for the police.uk API (https://data.police.uk/docs/).

Every request waits for the token bucket. What can be retried is retried with exponential
back-off: 429 (after the ``Retry-After`` it asks for), 5xx, connection errors and answers that are
not whole JSON (a body cut short). A 503 from a polygon query is not an outage but the API's
"more than 10,000 crimes" answer, so it is raised as :class:`TooManyRecords` for the caller to
split the polygon. Anything else, or too many failures in a row, raises :class:`PoliceUkError`
naming the URL.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from saferhood.policeapi.limiter import TokenBucket
from saferhood.policeapi.records import CRIMES, PATHS, WHAT

# YYYY-MM (this package imports nothing of Saferhood's, so not core.months).
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
USER_AGENT = "Saferhood (community safety partnership; monthly police.uk refresh)"


class PoliceUkError(Exception):
    """police.uk did not give a usable answer; the message names the URL and what happened."""


class TooManyRecords(Exception):
    """A polygon query answered 503: police.uk's answer to more than 10,000 crimes."""


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass
class PoliceUkClient:
    base_url: str
    limiter: TokenBucket
    attempts: int = 5  # tries per request before giving up
    backoff: float = 1.0  # seconds before the first retry, doubling each time
    max_wait: float = 300.0  # the longest single wait (back-off or Retry-After) we accept
    timeout: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    requests: int = field(default=0, init=False)  # every request sent, retries included
    retries: int = field(default=0, init=False)

    def last_updated(self) -> str:
        """The newest month police.uk publishes (``crime-last-updated``; the day is irrelevant)."""
        answer = self._request("crime-last-updated")
        date = answer.get("date") if isinstance(answer, dict) else None
        month = date[:7] if isinstance(date, str) else ""
        if not MONTH_RE.match(month):
            raise PoliceUkError(
                f"{self._url('crime-last-updated')}: expected {{'date': 'YYYY-MM-DD'}}, found {answer!r:.80}"
            )
        return month

    def street_dates(self) -> list[str]:
        """Every month police.uk has street-level crime for (``crimes-street-dates``), oldest first."""
        answer = self._request("crimes-street-dates")
        months = [d.get("date") for d in answer if isinstance(d, dict)] if isinstance(answer, list) else []
        if not months or not all(isinstance(m, str) and MONTH_RE.match(m) for m in months):
            raise PoliceUkError(
                f"{self._url('crimes-street-dates')}: expected a list of {{'date': 'YYYY-MM'}}, "
                f"found {answer!r:.80}"
            )
        return sorted(set(months))

    def street_crimes(self, poly: str, month: str) -> list:
        """Every street-level crime and ASB record in a polygon in a month (see :meth:`in_polygon`)."""
        return self.in_polygon(CRIMES, poly, month)

    def in_polygon(self, kind: str, poly: str, month: str) -> list:
        """Every record of a kind (``records.KINDS``: crimes, stops, outcomes) in a polygon in a month.

        POSTed, as police.uk recommends for long polygons (a GET over 4,094 characters is refused).
        Raises :class:`TooManyRecords` on 503.
        """
        path = PATHS[kind]
        answer = self._request(path, {"poly": poly, "date": month}, split_on_503=True)
        if not isinstance(answer, list):
            raise PoliceUkError(
                f"{self._url(path)} (date={month}): expected a JSON array of {WHAT[kind]}, "
                f"found {type(answer).__name__}"
            )
        return answer

    def _url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path}"

    def _request(self, path: str, form: dict[str, str] | None = None, *, split_on_503: bool = False):
        url = self._url(path)
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        what = f"{url} (date={form['date']})" if form and "date" in form else url
        last = ""
        for attempt in range(1, self.attempts + 1):
            self.limiter.acquire()
            self.requests += 1
            wait = self.backoff * 2 ** (attempt - 1)
            request = urllib.request.Request(
                url, data=body, headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code == 503 and split_on_503:
                    raise TooManyRecords(what) from None
                if exc.code != 429 and exc.code < 500:  # our request is wrong: asking again will not help
                    raise PoliceUkError(f"{what}: police.uk answered HTTP {exc.code} {exc.reason}") from None
                last = f"HTTP {exc.code} {exc.reason}"
                if exc.code == 429:
                    asked = retry_after_seconds(exc.headers.get("Retry-After"))
                    if asked is not None and asked > self.max_wait:
                        raise PoliceUkError(
                            f"{what}: police.uk asked us to wait {asked:.0f} s (HTTP 429), longer than "
                            f"{self.max_wait:.0f} s; try again later"
                        ) from None
                    wait = max(wait, asked or 0.0)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                # Refused or dropped connections, timeouts, and bodies cut short (IncompleteRead).
                last = f"a connection error ({getattr(exc, 'reason', None) or exc!r})"
            else:
                try:
                    return json.loads(raw)
                except ValueError as exc:  # cut short, or not JSON at all
                    last = f"an answer that is not whole JSON ({exc})"
            if attempt < self.attempts:
                self.retries += 1
                self.sleep(min(wait, self.max_wait))
        raise PoliceUkError(
            f"{what}: no usable answer from police.uk after {self.attempts} attempts; the last was {last}"
        )
