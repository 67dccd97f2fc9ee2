"""A seeded corpus of damaged police.uk files, made from small slices of the bundled ones.

Each class of damage is a generator ``(rng, bases) -> [(label, file name, bytes)]``; the corpus
test imports every one against a database holding the undamaged slices. Same seed, same corpus.
"""

from __future__ import annotations

import io
import json
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
POLICE = ROOT / "demo/police-uk"
STREET = POLICE / "police-uk-street-2022-staffs-warks-btp"
SLICE_ROWS = 300

Mutation = tuple[str, str, bytes]  # label, file name, content


def _slice(path: Path, rows: int = SLICE_ROWS) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[: rows + 1])


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def bases() -> dict[str, bytes]:
    """The undamaged files, by the name they are imported under."""
    csvs = {
        "2022-01-staffordshire-street.csv": _slice(STREET / "2022-01/2022-01-staffordshire-street.csv"),
        "2019-03-west-midlands-outcomes.csv": _slice(
            POLICE / "police-uk-outcomes-west-midlands-2019-2020/2019-03/2019-03-west-midlands-outcomes.csv"
        ),
        "2019-12-durham-stop-and-search.csv": _slice(
            POLICE / "police-uk-stop-and-search-2019-12-to-2020-02/2019-12/2019-12-durham-stop-and-search.csv"
        ),
    }
    api = POLICE / "police-uk-api-sandwell-wards-2018-06"
    jsons = {
        name: (api / name).read_bytes()
        for name in (
            "output_month_2017_01_area_E05001271_0.json",
            "output_month_2017_01_area_E05001275_0.json",
        )
    }
    archive = _zip(
        {
            "2022-02/2022-02-btp-street.csv": _slice(STREET / "2022-02/2022-02-btp-street.csv", 150),
            "2022-02/2022-02-staffordshire-street.csv": _slice(
                STREET / "2022-02/2022-02-staffordshire-street.csv", 150
            ),
        }
    )
    return {**csvs, **jsons, "archive.zip": archive}


def _csvs(b: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return [(n, d) for n, d in b.items() if n.endswith(".csv")]


def _pick_csv(rng: random.Random, b: dict[str, bytes]) -> tuple[str, bytes]:
    return rng.choice(_csvs(b))


def _eol(data: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in data else b"\n"


def _rows(data: bytes) -> tuple[list[list[bytes]], bytes]:
    eol = _eol(data)
    return [line.split(b",") for line in data[: -len(eol)].split(eol)], eol


def _join(rows: list[list[bytes]], eol: bytes) -> bytes:
    return eol.join(b",".join(r) for r in rows) + eol


# --- CSV damage ----------------------------------------------------------------------------------


def truncated_anywhere(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    for i in range(45):
        name, data = _pick_csv(rng, b)
        cut = rng.randrange(0, len(data)) if i else len(data) - 5
        out.append((f"{name}[:{cut}]", name, data[:cut]))
    return out


def truncated_at_line_end(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    for i in range(45):
        name, data = _pick_csv(rng, b)
        ends = [j + 1 for j, c in enumerate(data) if c == 0x0A]
        cut = ends[0] if i < 3 else (ends[-2] if i < 6 else rng.choice(ends))  # header only, one row short
        out.append((f"{name}[:{cut}]", name, data[:cut]))
    return out


def columns(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    for i in range(45):
        name, data = _pick_csv(rng, b)
        rows, eol = _rows(data)
        n = len(rows[0])
        j, k = rng.sample(range(n), 2)
        what = ["delete", "duplicate", "swap", "swap-data", "delete-data", "extra"][i % 6]
        start = 1 if what.endswith("-data") else 0
        for r in rows[start:]:
            if len(r) != n:
                continue
            if what.startswith("delete"):
                del r[j]
            elif what == "duplicate":
                r.insert(j, r[j])
            elif what.startswith("swap"):
                r[j], r[k] = r[k], r[j]
            else:
                r.append(b"extra")
        out.append((f"{name} {what} {j},{k}", name, _join(rows, eol)))
    return out


def header(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    others = [d.split(b"\n", 1)[0] + b"\n" for _, d in _csvs(b)]
    for i in range(40):
        name, data = _pick_csv(rng, b)
        head, rest = data.split(b"\n", 1)
        fields = head.rstrip(b"\r").split(b",")
        j = rng.randrange(len(fields))
        what = ["rename", "upper", "spaces", "missing", "bom", "other-kind", "repeated", "blank"][i % 8]
        if what == "rename":
            fields[j] = fields[j][:-1] or b"x"
            new = b",".join(fields) + b"\r\n" + rest
        elif what == "upper":
            fields[j] = fields[j].upper()
            new = b",".join(fields) + b"\r\n" + rest
        elif what == "spaces":
            fields[j] = b"  " + fields[j] + b" "
            new = b",".join(fields) + b"\r\n" + rest
        elif what == "missing":
            new = rest
        elif what == "bom":
            new = b"\xef\xbb\xbf" + data
        elif what == "other-kind":
            new = rng.choice([o for o in others if o.split(b",")[0] != head.split(b",")[0]]) + rest
        elif what == "repeated":
            lines = rest.split(b"\n")
            lines.insert(rng.randrange(len(lines)), head)
            new = head + b"\n" + b"\n".join(lines)
        else:
            new = b"\r\n" + data
        out.append((f"{name} header {what} {j}", name, new))
    return out


def encoding(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    for i in range(40):
        name, data = _pick_csv(rng, b)
        pos = rng.randrange(len(data) // 2, len(data) - 2)
        what = ["utf-16", "latin-1", "bad-byte", "cut-sequence", "double-bom", "cp1252-quote"][i % 6]
        if what == "utf-16":
            new = data.decode().encode("utf-16")
        elif what == "latin-1":
            new = data.replace(b"On or near ", "Caf\xe9 ".encode("latin-1"), rng.randrange(1, 50))
        elif what == "bad-byte":
            new = data[:pos] + bytes([rng.randrange(0x80, 0x100)]) + data[pos:]
        elif what == "cut-sequence":
            new = data[:pos] + "é".encode()[:1] + data[pos:]
        elif what == "double-bom":
            new = b"\xef\xbb\xbf\xef\xbb\xbf" + data
        else:
            new = data[:pos] + b"\x93" + data[pos:]
        out.append((f"{name} {what} @{pos}", name, new))
    return out


def nul_bytes(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    for i in range(30):
        name, data = _pick_csv(rng, b)
        pos = rng.randrange(len(data))
        new = data[:pos] + b"\x00" + data[pos + (i % 2) :]  # inserted or replacing a byte
        out.append((f"{name} NUL @{pos}", name, new))
    return out


def line_ends(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    for i in range(40):
        name, data = _pick_csv(rng, b)
        lf = data.replace(b"\r\n", b"\n")
        pos = rng.randrange(len(lf))
        what = ["cr-only", "lf", "crlf", "lone-cr", "lf-cr", "mixed"][i % 6]
        if what == "cr-only":
            new = lf.replace(b"\n", b"\r")
        elif what == "lf":
            new = lf
        elif what == "crlf":
            new = lf.replace(b"\n", b"\r\n")
        elif what == "lone-cr":
            new = data[:pos] + b"\r" + data[pos:]
        elif what == "lf-cr":
            new = lf.replace(b"\n", b"\n\r")
        else:
            lines = lf.split(b"\n")
            new = b"".join(line + rng.choice([b"\n", b"\r\n", b"\r"]) for line in lines[:-1])
        out.append((f"{name} {what} @{pos}", name, new))
    return out


def quotes(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    for i in range(45):
        name, data = _pick_csv(rng, b)
        rows, eol = _rows(data)
        r = rng.randrange(1, len(rows))
        j = rng.randrange(len(rows[r]))
        what = ["stray", "open-field", "quoted", "newline-inside", "last-line-open", "doubled", "close-only"][
            i % 7
        ]
        if what == "stray":
            pos = rng.randrange(len(data))
            out.append((f"{name} stray quote @{pos}", name, data[:pos] + b'"' + data[pos:]))
            continue
        if what == "open-field":
            rows[r][j] = b'"' + rows[r][j]
        elif what == "quoted":
            rows[r][j] = b'"' + rows[r][j] + b'"'
        elif what == "newline-inside":
            rows[r][j] = b'"' + rows[r][j] + b"\n" + rows[r][j] + b'"'
        elif what == "last-line-open":
            rows[-1][j] = b'"' + rows[-1][j]
        elif what == "doubled":
            rows[r][j] = b'""' + rows[r][j]
        else:
            rows[r][j] = rows[r][j] + b'"'
        out.append((f"{name} {what} row {r} field {j}", name, _join(rows, eol)))
    return out


NUMBERS = [b"1e400", b"-1e400", b"nan", b"inf", b"9" * 400, b"1e-400", b"0x1p3", b"52.5e0", b" 52.5",
           b"+52.5", b"-0", b"1_000", b"NaN", b"", b"52,5", b"2" * 40]  # fmt: skip
COORDINATE_COLUMNS = {b"Longitude", b"Latitude"}


def numbers(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    for _ in range(40):
        name, data = _pick_csv(rng, b)
        rows, eol = _rows(data)
        r = rng.randrange(1, len(rows))
        j = rng.choice([k for k, h in enumerate(rows[0]) if h in COORDINATE_COLUMNS])
        value = rng.choice(NUMBERS)
        rows[r][j] = value
        out.append((f"{name} row {r} {rows[0][j].decode()}={value[:20]!r}", name, _join(rows, eol)))
    return out


def rows(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    for i in range(40):
        name, data = _pick_csv(rng, b)
        lines, eol = _rows(data)
        r = rng.randrange(1, len(lines))
        what = [
            "duplicate",
            "delete",
            "swap",
            "blank",
            "extra-field",
            "short",
            "other-month",
            "many-deleted",
        ][i % 8]
        if what == "duplicate":
            lines.insert(r, list(lines[r]))
        elif what == "delete":
            del lines[r]
        elif what == "swap":
            s = rng.randrange(1, len(lines))
            lines[r], lines[s] = lines[s], lines[r]
        elif what == "blank":
            lines.insert(r, [b""])
        elif what == "extra-field":
            lines[r] = [*lines[r], b"x"]
        elif what == "short":
            lines[r] = lines[r][:-2]
        elif what == "other-month":
            lines[r] = [v.replace(b"2022-01", b"2022-02").replace(b"2019-", b"2018-") for v in lines[r]]
        else:
            keep = rng.randrange(1, len(lines) // 2)
            lines = [lines[0], *rng.sample(lines[1:], keep)]
        out.append((f"{name} {what} row {r}", name, _join(lines, eol)))
    return out


def empty(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    for name, data in _csvs(b):
        head = data.split(b"\n", 1)[0]
        for label, new in [
            ("empty", b""),
            ("newline", b"\n"),
            ("crlf", b"\r\n"),
            ("space", b" "),
            ("bom", b"\xef\xbb\xbf"),
            ("header-no-eol", head.rstrip(b"\r")),
            ("header", head + b"\n"),
            ("header-blank-lines", head + b"\n\n\n"),
        ]:
            out.append((f"{name} {label}", name, new))
    return out


# --- API JSON damage -----------------------------------------------------------------------------


def _json_bases(b: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return [(n, d) for n, d in b.items() if n.endswith(".json")]


def api_json(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    out = []
    edits: list[tuple[str, Callable[[dict], object]]] = [
        ("id-2**70", lambda r: r.update(id=2**70)),
        ("id-negative", lambda r: r.update(id=-1)),
        ("id-zero", lambda r: r.update(id=0)),
        ("id-float", lambda r: r.update(id=1.5)),
        ("id-text", lambda r: r.update(id="65881274")),
        ("id-bool", lambda r: r.update(id=True)),
        ("id-missing", lambda r: r.pop("id")),
        ("category-unknown", lambda r: r.update(category="jaywalking")),
        ("category-list", lambda r: r.update(category=["burglary"])),
        ("category-dict", lambda r: r.update(category={"a": 1})),
        ("month-bad", lambda r: r.update(month="2018-13")),
        ("month-list", lambda r: r.update(month=["2018-06"])),
        ("location-list", lambda r: r.update(location=[1, 2])),
        ("location-text", lambda r: r.update(location="here")),
        ("latitude-nan", lambda r: r["location"].update(latitude="nan")),
        ("latitude-huge", lambda r: r["location"].update(latitude=10**400)),
        ("latitude-list", lambda r: r["location"].update(latitude=[52])),
        ("longitude-missing", lambda r: r["location"].pop("longitude")),
        ("street-list", lambda r: r["location"].update(street=["x"])),
        ("street-name-nul", lambda r: r["location"].update(street={"name": "On\x00Road"})),
        ("context-nul", lambda r: r.update(context="\x00")),
        ("context-dict", lambda r: r.update(context={"a": [1]})),
        ("outcome-list", lambda r: r.update(outcome_status=["x"])),
        ("outcome-nul", lambda r: r.update(outcome_status={"category": "Under\x00investigation"})),
        ("persistent-long", lambda r: r.update(persistent_id="f" * 65)),
        ("persistent-nul", lambda r: r.update(persistent_id="\x00")),
        ("persistent-int", lambda r: r.update(persistent_id=12)),
        ("record-null", lambda r: r.clear()),
    ]
    for i in range(70):
        name, data = rng.choice(_json_bases(b))
        records = json.loads(data)
        what = i % (len(edits) + 12)
        if what < len(edits):
            label, edit = edits[what]
            n = rng.randrange(len(records))
            if label == "record-null":
                records[n] = None
            else:
                edit(records[n])
            out.append((f"{name} {label} record {n}", name, json.dumps(records).encode()))
            continue
        what -= len(edits)
        pos = rng.randrange(1, len(data))
        label, new = [
            ("truncated", data[:pos]),
            ("deep", b"[" * 100_000 + b"]" * 100_000),
            ("deep-objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
            ("empty-array", b"[]"),
            ("object", b'{"crimes": []}'),
            ("null", b"null"),
            ("duplicated", json.dumps(records + records[:5]).encode()),
            ("huge-number-text", b"[" + b"9" * 5000 + b"]"),
            ("latin-1", data.replace(b"On or near", "Caf\xe9".encode("latin-1"), 1)),
            ("nul-raw", data[:pos] + b"\x00" + data[pos:]),
            ("empty", b""),
            ("few", json.dumps(records[:3]).encode()),
        ][what]
        out.append((f"{name} {label} @{pos}", name, new))
    return out


# --- zip damage ----------------------------------------------------------------------------------


def _set_flag(data: bytes, value: int, local_offset: int, central_offset: int, fmt: str = "<H") -> bytes:
    buf = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", local_offset), (b"PK\x01\x02", central_offset)):
        at = buf.find(sig)
        while at >= 0:
            (old,) = struct.unpack_from(fmt, buf, at + offset)
            struct.pack_into(fmt, buf, at + offset, value(old) if callable(value) else value)
            at = buf.find(sig, at + 4)
    return bytes(buf)


def zips(rng: random.Random, b: dict[str, bytes]) -> list[Mutation]:
    archive = b["archive.zip"]
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    names = sorted(members)
    out = []
    for i in range(45):
        what = i % 11
        if what == 0:  # a flipped byte in a member's data: bad CRC or a broken deflate stream
            stored = _zip(members, zipfile.ZIP_STORED if i % 2 else zipfile.ZIP_DEFLATED)
            pos = rng.randrange(60, len(stored) // 2)
            new = stored[:pos] + bytes([stored[pos] ^ 0x10]) + stored[pos + 1 :]
            label = f"flipped byte @{pos}"
        elif what == 1:
            new, label = _set_flag(archive, lambda f: f | 0x1, 6, 8), "encrypted flag"
        elif what == 2:
            new, label = _set_flag(archive, 99, 8, 10), "unknown compression"
        elif what == 3:
            pos = rng.randrange(len(archive))
            new, label = archive[:pos], f"archive cut @{pos}"
        elif what == 4:  # the second member damaged by a CSV mutation, the first intact
            damaged = dict(members)
            data = members[names[1]]
            damaged[names[1]] = data[: rng.randrange(len(data))]
            new, label = _zip(damaged), "second member cut"
        elif what == 5:
            damaged = dict(members)
            damaged[names[1]] = members[names[1]].split(b"\n", 1)[0] + b"\n"
            new, label = _zip(damaged), "second member header only"
        elif what == 6:
            damaged = dict(members)
            damaged[names[1]] = members[names[1]].replace(b"Burglary", b"Jaywalking", 1)
            new, label = _zip(damaged), "second member bad crime type"
        elif what == 7:
            new, label = _zip({names[0]: members[names[0]]}), "one member only"
        elif what == 8:
            new, label = (
                _zip({**members, "2022-02/2022-02-warwickshire-street.csv": b""}),
                "empty extra member",
            )
        elif what == 9:
            new, label = _zip({}), "no members"
        else:
            pos = rng.randrange(len(archive) - 40, len(archive))
            new = archive[:pos] + bytes([archive[pos] ^ 0xFF]) + archive[pos + 1 :]
            label = f"central directory byte @{pos}"
        out.append((f"archive.zip {label}", "archive.zip", new))
    return out


CLASSES: dict[str, Callable[[random.Random, dict[str, bytes]], list[Mutation]]] = {
    "truncated-anywhere": truncated_anywhere,
    "truncated-at-line-end": truncated_at_line_end,
    "columns": columns,
    "header": header,
    "encoding": encoding,
    "nul-bytes": nul_bytes,
    "line-ends": line_ends,
    "quotes": quotes,
    "numbers": numbers,
    "rows": rows,
    "empty": empty,
    "api-json": api_json,
    "zip": zips,
}


def corpus(kind: str, b: dict[str, bytes]) -> list[Mutation]:
    """The mutations of one class, the same every run (seeded by the class name)."""
    return CLASSES[kind](random.Random(zlib.crc32(kind.encode())), b)
