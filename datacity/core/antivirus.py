"""A small client for ClamAV's daemon (clamd): a file streamed to it with the INSTREAM command, in chunks, never read
whole into memory, and its verdict. Used by datacity.core.uploads on every upload when CLAMAV_URL is set.

Written here rather than taken from PyPI: `clamd` (2014) and `pyclamd` (2017) are unmaintained; `clamav-client`,
their maintained fork, is GPL-2.0-only (this project is AGPL-3.0-or-later), sends 1 KiB chunks (two million writes
for a 2 GiB file) and reports a broken pipe, not clamd's "size limit exceeded" reply, when clamd stops reading.
"""

from __future__ import annotations

import hashlib
import select
import socket
import struct
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlsplit

CHUNK_BYTES = 256 * 1024  # well under clamd's smallest useful StreamMaxLength; few writes for a 2 GiB file
REPLY_MAX_BYTES = 4096
_INSTREAM = b"zINSTREAM\0"
_END = struct.pack("!L", 0)


class ScanFailed(Exception):
    """The file could not be checked: clamd unreachable, too slow, or answering something unexpected."""


class TooLargeToScan(ScanFailed):
    """clamd stopped reading: the file is over its StreamMaxLength."""


@dataclass(frozen=True)
class Verdict:
    signature: str  # the name of what clamd found; "" for a clean file
    sha256: str  # of the bytes sent, computed on the way
    size: int

    @property
    def infected(self) -> bool:
        return bool(self.signature)


def _connect(url: str, timeout: float) -> socket.socket:
    parts = urlsplit(url)
    try:
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(parts.path)
            except BaseException:
                sock.close()
                raise
            return sock
        if parts.scheme == "tcp" and parts.hostname:
            return socket.create_connection((parts.hostname, parts.port or 3310), timeout=timeout)
    except OSError as error:
        raise ScanFailed(f"cannot reach clamd at {url}: {error}") from error
    raise ScanFailed(f"CLAMAV_URL must be tcp://host:port or unix:///path, not {url!r}")


def _read_reply(sock: socket.socket) -> str:
    """clamd's one-line reply, ended by NUL (z-commands) or by the connection closing."""
    reply = b""
    while b"\0" not in reply and len(reply) < REPLY_MAX_BYTES:
        data = sock.recv(REPLY_MAX_BYTES)
        if not data:
            break
        reply += data
    return reply.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def _verdict(reply: str) -> str:
    """The signature found ("" when clean), or ScanFailed for any other reply."""
    if reply == "stream: OK":
        return ""
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        signature = reply.removeprefix("stream: ").removesuffix(" FOUND").strip()
        if signature:
            return signature
    if "size limit exceeded" in reply.lower():
        raise TooLargeToScan(reply)
    raise ScanFailed(f"unexpected reply from clamd: {reply[:200]!r}")


def scan(stream: IO[bytes], *, url: str, timeout: float, reply_timeout: float) -> Verdict:
    """Stream `stream` (from its start) to clamd at `url`. `timeout` bounds the connection and every write (a
    stalled daemon); `reply_timeout` the wait for the verdict once the last byte is sent (clamd scans then)."""
    digest, size = hashlib.sha256(), 0
    stream.seek(0)
    sock = _connect(url, timeout)
    try:
        try:
            sock.sendall(_INSTREAM)
            while chunk := stream.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                # clamd only speaks before the end when it refuses the stream (over StreamMaxLength): stop there.
                if select.select([sock], [], [], 0)[0]:
                    raise ScanFailed(_verdict(_read_reply(sock)) or "clamd answered before the end of the file")
            sock.sendall(_END)
            sock.settimeout(reply_timeout)
            return Verdict(signature=_verdict(_read_reply(sock)), sha256=digest.hexdigest(), size=size)
        except TimeoutError as error:
            raise ScanFailed(f"clamd at {url} did not answer in time") from error
        except OSError as error:
            # clamd closes the connection after refusing an oversized stream; its reply may still be readable.
            reply = ""
            try:
                sock.settimeout(1)
                reply = _read_reply(sock)
            except OSError:
                pass
            if "size limit exceeded" in reply.lower():
                raise TooLargeToScan(reply) from error
            raise ScanFailed(f"connection to clamd at {url} failed: {error}") from error
    finally:
        sock.close()
        stream.seek(0)
