"""``make bench`` (pages): server time of the dashboard's pages on the bundled demo data.

The database is built the way ``make run`` builds it (migrate, ``load_demo``); each page is then
requested through Django's test client, signed in, and timed in-process (server time, no network
or browser). The issue's target is ≤ 300 ms per page. Results: benchmarks/results/pages.json.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.results_file import write_result

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0
PAGES = {
    "Sandwell overview (default: latest twelve months, counts)": "/areas/E08000028/",
    "Sandwell, ASB only, compared with a year earlier": "/areas/E08000028/?type=asb&compare=year",
    "Tipton (town)": "/areas/tipton/",
    "Tipton Green (ward)": "/areas/E05001279/",
    "An LSOA in Tipton Green": "/areas/E01010204/",
    "Sandwell, June 2018 (records: hotspots, repeat locations)": "/areas/E08000028/?from=2018-06&to=2018-06",
    "Stafford 2022, ASB (records: hotspots over 11 months)": "/areas/E07000197/?from=2022-01&to=2022-11&type=asb",
    "Stafford 2022, all types (12,000 records)": "/areas/E07000197/?from=2022-01&to=2022-11",
}


def main(repeats: int = 15) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="saferhood-pages-"))
    os.environ["SAFERHOOD_PROFILE"] = "dev"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'saferhood.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "saferhood.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-password-2026")
    client = Client()
    client.force_login(user)
    pages = {}
    for name, url in PAGES.items():
        response = client.get(url)  # warm: first use of each query path
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        pages[name] = {
            "url": url,
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "bytes": len(response.content),
        }
    worst = max(p["p95_ms"] for p in pages.values())
    payload = {
        "what": "server time of each dashboard page on the bundled demo data (make run's database), "
        f"signed in, Django test client, {repeats} requests each after one warm-up",
        "pages": pages,
        "target": f"each page <= {TARGET_MS:.0f} ms server time (issue: pages answer in <= 300 ms on the demo data)",
        "worst_p95_ms": worst,
        "met": worst <= TARGET_MS,
    }
    write_result("pages", payload)


if __name__ == "__main__":
    main()
