"""Frames between the supervisor and its processes: a JSON header (control only) and a binary body (pickles
in, Arrow IPC label columns out). Layout: u32 header length, header (UTF-8 JSON), u64 body length, body; big
endian, as Java's DataInputStream reads it."""

import json
import struct

MAX_HEADER = 16 << 20


class Closed(Exception):
    """The other side closed the stream."""


def _read_exact(read, n):
    chunks = []
    while n > 0:
        b = read(n)
        if not b:
            raise Closed()
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_frame(read):
    (hlen,) = struct.unpack(">I", _read_exact(read, 4))
    if hlen > MAX_HEADER:
        raise ValueError(f"frame header of {hlen} bytes")
    header = json.loads(_read_exact(read, hlen))
    (blen,) = struct.unpack(">Q", _read_exact(read, 8))
    body = _read_exact(read, blen) if blen else b""
    return header, body


def write_frame(write, header, body=b""):
    h = json.dumps(header, separators=(",", ":")).encode()
    write(struct.pack(">I", len(h)) + h + struct.pack(">Q", len(body)))
    if body:
        write(body)
