"""Write an OLE compound file ([MS-CFB] version 3), the container of ``vbaProject.bin``.

The add-in build has to change two streams of the VBA project that
LibreOffice exports (see :mod:`xlcbec.addin_build.vba_project`); the new streams
differ in size from the old ones, which in-place editors such as ``olefile``
cannot handle, so the whole container is written anew.  Reading is left to
``olefile``; the tests read this module's output back with it.

Layout of the file written (512-byte sectors, 64-byte mini sectors):
header | FAT sectors | directory sectors | mini FAT sectors | mini stream | large streams.
Streams shorter than 4096 bytes live in the mini stream, as the format requires.
Output is deterministic: all timestamps are zero and entries are ordered by name.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

SECTOR_SIZE = 512
MINI_SECTOR_SIZE = 64
MINI_STREAM_CUTOFF = 4096
_ENTRY_SIZE = 128
_IDS_PER_SECTOR = SECTOR_SIZE // 4
_HEADER_DIFAT_SLOTS = 109

FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_TYPE_STORAGE, _TYPE_STREAM, _TYPE_ROOT = 1, 2, 5
_RED, _BLACK = 0, 1
_FORBIDDEN_NAME_CHARACTERS = "/\\:!"


class CompoundFileError(ValueError):
    """The streams given cannot be stored in a version-3 compound file."""


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = _BLACK
    start: int = ENDOFCHAIN


def _sort_key(name: str) -> tuple[int, str]:
    # [MS-CFB] 2.6.4: shorter names sort first, equal lengths compare upper-cased.
    return (len(name.encode("utf-16-le")), name.upper())


def _check_name(name: str) -> None:
    if not name or len(name) > 31 or any(c in _FORBIDDEN_NAME_CHARACTERS for c in name):
        raise CompoundFileError(
            f"compound-file entry names have 1 to 31 characters and none of {_FORBIDDEN_NAME_CHARACTERS!r}; found {name!r}"
        )


def _build_tree(streams: Mapping[str, bytes]) -> _Entry:
    root = _Entry("Root Entry", _TYPE_ROOT)
    for path, data in streams.items():
        parts = path.split("/")
        for part in parts:
            _check_name(part)
        node = root
        for part in parts[:-1]:
            existing = node.children.get(part)
            if existing is None:
                # Storages have no sectors: start and size are zero ([MS-CFB] 2.6.3).
                existing = node.children[part] = _Entry(part, _TYPE_STORAGE, start=0)
            elif existing.kind != _TYPE_STORAGE:
                raise CompoundFileError(f"'{part}' is both a stream and a storage in {path!r}")
            node = existing
        if parts[-1] in node.children:
            raise CompoundFileError(f"duplicate compound-file entry {path!r}")
        node.children[parts[-1]] = _Entry(parts[-1], _TYPE_STREAM, data=bytes(data))
    return root


def _flatten(root: _Entry) -> list[_Entry]:
    entries = [root]
    pending = [root]
    while pending:
        node = pending.pop(0)
        for name in sorted(node.children, key=_sort_key):
            child = node.children[name]
            child.sid = len(entries)
            entries.append(child)
            pending.append(child)
    return entries


def _link_siblings(node: _Entry) -> None:
    """Arrange ``node``'s children as a red-black tree (median split).

    Splitting at the median puts every empty subtree on the last two levels,
    so colouring the deepest level red and the rest black gives each path the
    same number of black nodes, and no red node has a red parent.
    """
    ordered = [node.children[n] for n in sorted(node.children, key=_sort_key)]
    depth_of: dict[int, int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        entry = ordered[mid]
        depth_of[entry.sid] = depth
        entry.left = build(lo, mid, depth + 1)
        entry.right = build(mid + 1, hi, depth + 1)
        return entry.sid

    node.child = build(0, len(ordered), 0)
    if ordered:
        deepest = max(depth_of.values())
        perfect = len(ordered) == 2 ** (deepest + 1) - 1
        for entry in ordered:
            entry.color = _RED if depth_of[entry.sid] == deepest and not perfect and deepest > 0 else _BLACK
    for entry in ordered:
        if entry.kind == _TYPE_STORAGE:
            _link_siblings(entry)


def _chain(fat: list[int], start: int, count: int) -> None:
    for i in range(count):
        fat[start + i] = start + i + 1 if i + 1 < count else ENDOFCHAIN


def _directory_entry(entry: _Entry, size: int) -> bytes:
    encoded = entry.name.encode("utf-16-le") + b"\x00\x00"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded,
        len(encoded),
        entry.kind,
        entry.color,
        entry.left,
        entry.right,
        entry.child,
        b"\x00" * 16,
        0,
        0,
        0,
        entry.start,
        size,
    )


def _unused_entry() -> bytes:
    return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\x00" * 16, 0, 0, 0, 0, 0)


def write_compound_file(streams: Mapping[str, bytes]) -> bytes:
    """The bytes of a compound file holding ``streams``.

    Keys are paths with ``/`` between storage and stream names (``"VBA/dir"``);
    storages are created as the paths need them.
    """
    root = _build_tree(streams)
    entries = _flatten(root)
    _link_siblings(root)
    stream_entries = [e for e in entries if e.kind == _TYPE_STREAM]
    small = [e for e in stream_entries if 0 < len(e.data) < MINI_STREAM_CUTOFF]
    large = [e for e in stream_entries if len(e.data) >= MINI_STREAM_CUTOFF]

    # Mini stream: each small stream occupies whole 64-byte mini sectors.
    mini_fat: list[int] = []
    mini_stream = bytearray()
    for entry in small:
        count = math.ceil(len(entry.data) / MINI_SECTOR_SIZE)
        entry.start = len(mini_fat)
        mini_fat.extend([0] * count)
        _chain(mini_fat, entry.start, count)
        mini_stream += entry.data.ljust(count * MINI_SECTOR_SIZE, b"\x00")

    directory_sectors = math.ceil(len(entries) * _ENTRY_SIZE / SECTOR_SIZE)
    mini_fat_sectors = math.ceil(len(mini_fat) * 4 / SECTOR_SIZE)
    mini_stream_sectors = math.ceil(len(mini_stream) / SECTOR_SIZE)
    large_sectors = [math.ceil(len(e.data) / SECTOR_SIZE) for e in large]
    payload_sectors = directory_sectors + mini_fat_sectors + mini_stream_sectors + sum(large_sectors)
    fat_sectors = 1
    while fat_sectors * _IDS_PER_SECTOR < fat_sectors + payload_sectors:
        fat_sectors += 1
    if fat_sectors > _HEADER_DIFAT_SLOTS:
        raise CompoundFileError("the streams are too large for a compound file without DIFAT sectors (about 6.8 MB)")

    fat = [FREESECT] * (fat_sectors * _IDS_PER_SECTOR)
    for i in range(fat_sectors):
        fat[i] = FATSECT
    next_sector = fat_sectors
    directory_start = next_sector
    _chain(fat, directory_start, directory_sectors)
    next_sector += directory_sectors
    mini_fat_start = next_sector if mini_fat_sectors else ENDOFCHAIN
    _chain(fat, next_sector, mini_fat_sectors)
    next_sector += mini_fat_sectors
    root.start = next_sector if mini_stream_sectors else ENDOFCHAIN
    _chain(fat, next_sector, mini_stream_sectors)
    next_sector += mini_stream_sectors
    for entry, count in zip(large, large_sectors):
        entry.start = next_sector
        _chain(fat, next_sector, count)
        next_sector += count

    difat = list(range(fat_sectors)) + [FREESECT] * (_HEADER_DIFAT_SLOTS - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        _SIGNATURE,
        b"\x00" * 16,
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # little-endian byte order mark
        9,  # sector shift: 2**9 = 512
        6,  # mini sector shift: 2**6 = 64
        b"\x00" * 6,
        0,  # number of directory sectors: must be 0 in version 3
        fat_sectors,
        directory_start,
        0,  # transaction signature
        MINI_STREAM_CUTOFF,
        mini_fat_start,
        mini_fat_sectors,
        ENDOFCHAIN,  # first DIFAT sector: none
        0,
        *difat,
    )

    directory = bytearray()
    for entry in entries:
        size = len(mini_stream) if entry is root else len(entry.data)
        if entry.kind == _TYPE_STREAM and not entry.data:
            entry.start = ENDOFCHAIN
        directory += _directory_entry(entry, size)
    while len(directory) % SECTOR_SIZE:
        directory += _unused_entry()

    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes += struct.pack("<I", FREESECT) * ((mini_fat_sectors * SECTOR_SIZE - len(mini_fat_bytes)) // 4)

    body = bytearray(header)
    body += struct.pack(f"<{len(fat)}I", *fat)
    body += directory
    body += mini_fat_bytes
    body += mini_stream.ljust(mini_stream_sectors * SECTOR_SIZE, b"\x00")
    for entry, count in zip(large, large_sectors):
        body += entry.data.ljust(count * SECTOR_SIZE, b"\x00")
    return bytes(body)
