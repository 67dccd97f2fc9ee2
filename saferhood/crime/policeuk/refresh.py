"""``refresh_police``: fetch the months police.uk has that we lack (or that it may have revised)
for the partnership's wards, and import each through the police.uk importer.

Which months: every month ``crimes-street-dates`` lists up to ``crime-last-updated`` (or those
asked for), except one that is

- **held by the street files**: every partnership local authority has its own force's street
  file for the month (coverage prefers those; the API holds the same crimes);
- **up to date**: its API records were fetched under the newest publication;
- **out of the revision window**: its API records were fetched under an older publication, or
  came from API files imported by hand (publication unknown), and the month is not one of the
  newest ``SAFERHOOD_POLICE_UK_REVISE_MONTHS``.

*Revised* means: police.uk has published since we fetched the month. The API says only which
month is newest, not what changed, and forces revise recent months with each publication, so a
month within the revision window that was fetched under an older publication (or imported by
hand, publication unknown) is fetched again and replaces what we hold, ward by ward. The publication a run was fetched under is in its file name
(``state.publication_of``), so the decision reads the database, not the fetch folder.

Each month fetched is fetched whole, of three kinds: street-level crimes and ASB
(``crimes-street``), stop and search (``stops-street``) and outcomes (``outcomes-at-location``),
polygon by polygon, and imported in one transaction (all three kinds or nothing). Stop and search
and outcomes follow the crimes' month rule: a month held by the street files is not fetched (the
archive that holds them holds its stop and search and outcomes files too); a month a refresh
stored stops or outcomes for but no crimes (none in the partnership) counts as fetched under
the publication its files name.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction

from saferhood.core.errors import ExplainedError, ImportFileError
from saferhood.core.months import is_month, month_index
from saferhood.crime.importers.store import RECORD_MODELS, ReplaceWithFewerError, check_replacement
from saferhood.crime.importers.summary import PoliceImportSummary
from saferhood.crime.models import ImportRun, ImportStatus, RecordKind, RunCoverage
from saferhood.crime.policeuk.forces import home_forces
from saferhood.crime.policeuk.polygons import NoBoundaryError, partnership_boundaries
from saferhood.policeapi.client import PoliceUkClient, PoliceUkError, TooManyRecords
from saferhood.policeapi.limiter import TokenBucket
from saferhood.policeapi.pieces import Piece, area_pieces, boundaries_digest
from saferhood.policeapi.records import CRIMES, KINDS, WHAT
from saferhood.policeapi.state import MonthFolder, piece_key, publication_of, write_atomically

Progress = Callable[[int, int | None, str], None]
FETCHED_KINDS = [RecordKind.API, RecordKind.STOP_AND_SEARCH, RecordKind.OUTCOMES]


class RefreshError(ExplainedError):
    """The refresh stopped: the message says where and why; ``summary`` what was done before."""

    def __init__(self, message: str, summary: RefreshSummary) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass
class MonthOutcome:
    month: str
    action: str  # "imported", "checked" (dry run), "no records", "skipped"
    reason: str
    pieces_fetched: int = 0
    pieces_reused: int = 0
    splits: int = 0
    records: int = 0
    duplicates: int = 0
    imported: PoliceImportSummary | None = None
    kinds: dict[str, int] = field(default_factory=dict)  # records of each kind
    removed: int = 0  # rows of areas police.uk no longer answers with any record of their kind


@dataclass
class RefreshSummary:
    base_url: str
    dry_run: bool = False
    latest: str | None = None
    months: list[MonthOutcome] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    error: str | None = None

    @property
    def fetched(self) -> list[MonthOutcome]:
        return [m for m in self.months if m.action != "skipped"]

    def render(self) -> str:
        head = "police.uk refresh" + (" — DRY RUN: nothing was stored" if self.dry_run else "")
        lines = [head, f"  police.uk: {self.base_url}; newest month published: {self.latest or 'unknown'}"]
        for m in self.months:
            line = f"  {m.month}  {m.action:<10} {m.reason}"
            if m.action != "skipped":
                line += (
                    f" — {m.pieces_fetched:,} polygon(s) fetched, {m.pieces_reused:,} already held, "
                    f"{m.splits:,} split; {m.records:,} records ({m.duplicates:,} repeats across polygons dropped)"
                )
                if m.kinds:
                    line += " — " + ", ".join(f"{WHAT[k]} {n:,}" for k, n in m.kinds.items())
                if m.removed:
                    line += f"; {m.removed:,} rows of areas police.uk no longer answers for removed"
            lines.append(line)
        if not self.fetched and not self.error:
            lines.append("Nothing to fetch: every month police.uk publishes is loaded and up to date.")
        lines.append(f"Requests to police.uk: {self.requests:,} ({self.retries:,} retried)")
        for m in self.months:
            if m.imported is not None:
                lines.append(f"{m.month}:")
                lines.append(m.imported.render())
        if self.error:
            lines.append(f"STOPPED: {self.error}")
        return "\n".join(lines)


def client_from_settings() -> PoliceUkClient:
    return PoliceUkClient(
        base_url=settings.SAFERHOOD_POLICE_UK_URL,
        limiter=TokenBucket(settings.SAFERHOOD_POLICE_UK_RATE, settings.SAFERHOOD_POLICE_UK_BURST),
        attempts=settings.SAFERHOOD_POLICE_UK_ATTEMPTS,
        backoff=settings.SAFERHOOD_POLICE_UK_BACKOFF,
        max_wait=settings.SAFERHOOD_POLICE_UK_MAX_WAIT,
        timeout=settings.SAFERHOOD_POLICE_UK_TIMEOUT,
    )


def refresh_police(
    *,
    months: list[str] | None = None,
    dry_run: bool = False,
    on_progress: Progress | None = None,
    replace_with_fewer: bool = False,
) -> RefreshSummary:
    """Fetch and import what police.uk has that we lack; see the module's docstring.

    Each month is fetched whole into the fetch folder, then imported in one transaction. The
    first month that cannot be fetched or imported stops the refresh with :class:`RefreshError`
    (months before it stay imported; nothing of it is stored). ``dry_run`` fetches (into the
    folder, so a real run need not fetch again) and checks, storing nothing in the database.
    """
    client = client_from_settings()
    summary = RefreshSummary(base_url=client.base_url, dry_run=dry_run)
    progress = on_progress or (lambda done, total, message: None)
    root = Path(settings.SAFERHOOD_FETCH_DIR)
    try:
        with only_refresh(root):
            try:
                _refresh(client, summary, months, dry_run, progress, replace_with_fewer)
            finally:
                summary.requests, summary.retries = client.requests, client.retries
                _log(summary)
    except (PoliceUkError, NoBoundaryError, ImportFileError, BlockingIOError) as exc:
        summary.error = str(exc)
        raise RefreshError(str(exc), summary) from exc
    return summary


@contextmanager
def only_refresh(root: Path) -> Iterator[None]:
    """Hold the fetch folder's lock: a second refresh (the schedule and the Jobs page at once)
    would write the same month's answers. The lock goes with the process, however it ends."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BlockingIOError(
                f"another police.uk refresh is running (it holds {root / '.lock'}); try again when it ends"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _refresh(client, summary, months, dry_run, progress, replace_with_fewer) -> None:
    for month in months or []:
        if not is_month(month):
            raise PoliceUkError(f"expected a month as YYYY-MM, found {month!r}")
    progress(0, None, "Asking police.uk what it publishes")
    summary.latest = latest = client.last_updated()
    available = [m for m in client.street_dates() if m <= latest]
    if not available:
        raise PoliceUkError(f"{client.base_url}/crimes-street-dates: police.uk lists no month up to {latest}")
    if months:
        missing = sorted(set(months) - set(available))
        if missing:
            raise PoliceUkError(
                f"police.uk publishes no street-level crime for {', '.join(missing)} "
                f"(it has {available[0]} to {available[-1]})"
            )
        available = sorted(set(months))
    lads = list(settings.SAFERHOOD_PARTNERSHIP_LADS)
    try:
        boundaries: dict[str, str] | None = partnership_boundaries(lads)
    except NoBoundaryError as exc:
        boundaries, no_boundary = None, exc  # only an error if there is something to fetch
    plan = []
    for month in available:
        reason, fetch = _decide(month, latest, lads, set(boundaries or ()))
        if fetch:
            plan.append((month, reason))
        else:
            summary.months.append(MonthOutcome(month, "skipped", reason))
    if not plan:
        progress(0, 0, "Nothing to fetch")
        return
    if boundaries is None:
        raise no_boundary
    digest = boundaries_digest(boundaries)
    roots = [piece for code, text in boundaries.items() for piece in area_pieces(code, text)]
    area_index = None
    for done, (month, reason) in enumerate(plan):
        outcome = MonthOutcome(month, "checked" if dry_run else "imported", reason)
        summary.months.append(outcome)
        folder = MonthFolder.open(Path(settings.SAFERHOOD_FETCH_DIR), month, latest, digest)
        if not folder.complete:
            order = _fetch_month(client, folder, roots, outcome, partial(progress, done, len(plan)))
            folder.assemble(order)
        else:
            outcome.pieces_reused = sum(1 for p in folder.pieces.values() if p.get("state") == "done")
        outcome.records, outcome.duplicates = folder.records, folder.duplicates
        outcome.kinds = {kind: folder.kinds.get(kind, {}).get("records", 0) for kind in KINDS}
        if not folder.records:
            outcome.action = "no records"
            continue
        progress(done, len(plan), f"{month}: importing {folder.records:,} records")
        if area_index is None:
            from saferhood.areas.placement import AreaIndex

            area_index = AreaIndex.load()
        from saferhood.crime.importers import import_police

        try:
            with transaction.atomic():  # the month's runs and the removal of its stale ones
                outcome.imported = import_police(
                    [folder.import_dir],
                    dry_run=dry_run,
                    progress=False,
                    area_index=area_index,
                    replace_with_fewer=replace_with_fewer,
                )
                if not dry_run:
                    outcome.removed = _remove_stale(
                        month, set(boundaries), outcome.imported, replace_with_fewer
                    )
        except ImportFileError as exc:
            outcome.action = "failed"
            outcome.imported = getattr(exc, "summary", None)
            if not isinstance(exc, ReplaceWithFewerError):
                # police.uk's answers were whole JSON but not records we can store: ask again
                # next time rather than keep failing on the answers held.
                folder.discard()
                exc.args = (
                    f"{exc.args[0]} The month's answers were discarded: the next run asks police.uk again.",
                )
            raise
    progress(len(plan), len(plan), "Done")


def _remove_stale(month: str, areas: set[str], imported: PoliceImportSummary, allow_fewer: bool) -> int:
    """Remove the month's runs of partnership areas that police.uk now answers with no record of
    their kind (a ward whose only stop and search was revised away): the month then holds what
    police.uk answers, not that plus what it used to. Refused like any replacement by far fewer
    rows (``store.check_replacement``), weighing each kind's month across the partnership's areas.
    Returns the rows removed."""
    new = {r.run_id for r in imported.runs}
    fetched = ImportRun.objects.current().filter(month=month, kind__in=FETCHED_KINDS, force__in=areas)
    stale = [run for run in fetched if run.pk not in new]
    for kind in {run.kind for run in stale}:
        held = sum(run.rows_stored for run in fetched if run.kind == kind)
        brought = sum(r.rows_stored for r in imported.runs if r.kind == kind)
        areas_named = ", ".join(sorted(run.force for run in stale if run.kind == kind))
        check_replacement(
            f"{kind} {month} of {areas_named}",
            kind,
            "partnership",
            month,
            brought,
            held,
            allow_fewer=allow_fewer,
        )
    for model in {RECORD_MODELS[run.kind] for run in stale}:
        model.objects.filter(run__in=[run.pk for run in stale]).delete()
    ImportRun.objects.filter(pk__in=[run.pk for run in stale]).delete()  # counts and coverage by CASCADE
    return sum(run.rows_stored for run in stale)


def _decide(month: str, latest: str, lads: list[str], areas: set[str]) -> tuple[str, bool]:
    """Why the month is (or is not) fetched, and whether it is (``areas``: the codes a refresh
    imports the partnership's records under)."""
    rows = list(
        RunCoverage.objects.filter(
            lad_code__in=lads,
            month=month,
            run__status=ImportStatus.COMPLETE,
            run__kind__in=[RecordKind.STREET, RecordKind.API],
        ).values_list("lad_code", "run__kind", "run__force", "run__file_name")
    )
    forces = home_forces(lads)
    street = {lad for lad, kind, force, _ in rows if kind == RecordKind.STREET and force == forces.get(lad)}
    api = {lad for lad, kind, _, _ in rows if kind == RecordKind.API}
    if street >= set(lads):
        return "held by the police.uk street files", False
    # API runs of stop and search and outcomes are keyed on the area they were fetched for.
    others = list(
        ImportRun.objects.current()
        .filter(month=month, kind__in=[RecordKind.STOP_AND_SEARCH, RecordKind.OUTCOMES], force__in=areas)
        .values_list("file_name", flat=True)
    )
    if not (street | api) >= set(lads) and not others:
        folder = MonthFolder(Path(settings.SAFERHOOD_FETCH_DIR), month, latest, "")
        stored = folder.read_manifest() or {}
        if stored.get("complete") and stored.get("publication") == latest and not stored.get("records"):
            return f"police.uk has no records in the partnership's wards (publication {latest})", False
        return "not loaded", True
    fetched_under = [publication_of(name) for _, kind, _, name in rows if kind == RecordKind.API]
    fetched_under += [publication_of(name) for name in others]
    by_hand = any(p is None for p in fetched_under)
    oldest = None if by_hand else min(fetched_under)  # type: ignore[type-var]
    if oldest is not None and oldest >= latest:
        return f"up to date (fetched under publication {oldest})", False
    held = "loaded from API files imported by hand" if by_hand else f"fetched under publication {oldest}"
    window = settings.SAFERHOOD_POLICE_UK_REVISE_MONTHS
    if month_index(month) <= month_index(latest) - window:
        return f"{held}; older than the {window}-month revision window", False
    if by_hand:
        return f"{held} (publication unknown); within the {window}-month revision window", True
    return f"police.uk has published {latest} since this month was fetched ({oldest}): forces revise", True


def _fetch_month(
    client: PoliceUkClient,
    folder: MonthFolder,
    roots: list[Piece],
    outcome: MonthOutcome,
    progress: Callable[[str], None],
) -> dict[str, list[tuple[str, str]]]:
    """Every piece's answer of every kind into the folder, splitting a piece police.uk finds
    too big (for that kind: a ward can hold too many crimes and few stops).

    Depth first, so a polygon that stays too big however it is cut fails after a handful of
    requests, not thousands. Returns, per kind, (area, piece key) of every piece held, in order.
    """
    max_splits = settings.SAFERHOOD_POLICE_UK_MAX_SPLITS
    min_metres = settings.SAFERHOOD_POLICE_UK_MIN_SPLIT_METRES
    orders: dict[str, list[tuple[str, str]]] = {}
    for kind in KINDS:
        order = orders[kind] = []
        stack = list(reversed(roots))
        while stack:
            piece = stack.pop()
            key = piece_key(kind, piece.key)
            if folder.is_split(key):
                stack.extend(reversed(piece.split()))
                continue
            if folder.holds(key):
                outcome.pieces_reused += 1
                order.append((piece.area, key))
                continue
            try:
                records = client.in_polygon(kind, piece.poly(), folder.month)
            except TooManyRecords as exc:
                if piece.depth >= max_splits or piece.size_metres() / 2 < min_metres:
                    raise PoliceUkError(
                        f"{exc}: police.uk answered 503 (more than 10,000 records, or unavailable) for polygon "
                        f"{piece.key} of {piece.area} even after splitting it {piece.depth} time(s) "
                        f"(to {piece.size_metres():,.0f} m across); nothing of {folder.month} was imported"
                    ) from None
                folder.mark_split(key)
                outcome.splits += 1
                stack.extend(reversed(piece.split()))
                continue
            folder.store_piece(key, records)
            outcome.pieces_fetched += 1
            order.append((piece.area, key))
            label = "" if kind == CRIMES else f"{WHAT[kind]} "
            progress(f"{folder.month}: {label}{piece.key} ({len(records):,} records)")
    return orders


def _log(summary: RefreshSummary) -> None:
    """One line per refresh in the fetch folder: what was asked, fetched and imported."""
    if not summary.months and summary.error is None and summary.latest is None:
        return
    line = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "police_uk": summary.base_url,
        "latest": summary.latest,
        "dry_run": summary.dry_run,
        "requests": summary.requests,
        "months": {
            m.month: {
                "action": m.action,
                "reason": m.reason,
                "records": m.records,
                "kinds": m.kinds,
                "stored": m.imported.rows_stored if m.imported else 0,
            }
            for m in summary.months
        },
        "error": summary.error,
    }
    path = Path(settings.SAFERHOOD_FETCH_DIR) / "refresh-log.jsonl"
    previous = path.read_bytes() if path.is_file() else b""
    write_atomically(path, previous + json.dumps(line).encode() + b"\n")
