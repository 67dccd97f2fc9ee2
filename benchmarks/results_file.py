"""Where every benchmark writes its result: benchmarks/results/<name>.json, with the machine and time."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_result(name: str, payload: dict) -> None:
    """Stamp the payload with the machine and the time, write it, and print it."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload["machine"] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    payload["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload, indent=2))
