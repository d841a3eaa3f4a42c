"""A fake RTSP camera: RTSP 1.0 (RFC 2326) with Basic auth, streaming one JPEG picture as
RTP/JPEG (RFC 2435, payload type 26) interleaved on the RTSP connection (TCP), as IP
cameras do. FFmpeg (through PyAV) plays it like a real one.

Debian's ffmpeg cannot serve RTSP (``-rtsp_flags listen`` only *receives* a stream), so
this stands in for the camera, speaking the documented protocols and nothing more.
"""

from __future__ import annotations

import base64
import io
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image

MAX_PAYLOAD = 1400


class JpegParts:
    """What RFC 2435 carries of a baseline 4:2:0 JPEG: size, quantisation tables, scan."""

    def __init__(self, jpeg: bytes) -> None:
        tables: dict[int, bytes] = {}
        i, width, height, scan = 2, 0, 0, b""
        while i < len(jpeg):
            assert jpeg[i] == 0xFF, "not at a marker"
            marker = jpeg[i + 1]
            length = struct.unpack(">H", jpeg[i + 2 : i + 4])[0]
            segment = jpeg[i + 4 : i + 2 + length]
            if marker == 0xDB:  # DQT: one or more 8-bit tables
                j = 0
                while j < len(segment):
                    tables[segment[j] & 0x0F] = segment[j + 1 : j + 65]
                    j += 65
            elif marker == 0xC0:  # SOF0
                height, width = struct.unpack(">HH", segment[1:5])
            elif marker == 0xDA:  # SOS: the entropy-coded scan runs to EOI
                scan = jpeg[i + 2 + length : jpeg.rindex(b"\xff\xd9")]
                break
            i += 2 + length
        self.width, self.height = width, height
        self.tables = tables[0] + tables[1]
        self.scan = scan


def rtp_packets(parts: JpegParts, seq: int, timestamp: int, ssrc: int = 0x0FF5173) -> list[bytes]:
    """One picture as RTP/JPEG packets (type 1: 4:2:0; Q 255: tables in band)."""
    packets, offset = [], 0
    while offset < len(parts.scan) or offset == 0:
        chunk = parts.scan[offset : offset + MAX_PAYLOAD]
        last = offset + len(chunk) >= len(parts.scan)
        header = struct.pack(
            ">BBHII",
            0x80,
            (0x80 if last else 0) | 26,
            (seq + len(packets)) & 0xFFFF,
            timestamp,
            ssrc,
        )
        jpeg_header = struct.pack(
            ">B3sBBBB", 0, offset.to_bytes(3, "big"), 1, 255, parts.width // 8, parts.height // 8
        )
        quant = struct.pack(">BBH", 0, 0, len(parts.tables)) + parts.tables if offset == 0 else b""
        packets.append(header + jpeg_header + quant + chunk)
        offset += len(chunk)
    return packets


class FakeRtspCamera:
    def __init__(self, picture: Image.Image, username: str = "", password: str = "") -> None:
        out = io.BytesIO()
        picture.convert("RGB").resize((640, 352)).save(out, "JPEG", quality=85, subsampling=2)
        self.parts = JpegParts(out.getvalue())
        self.username, self.password = username, password
        self.requests: list[str] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._closed = threading.Event()

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/stream1"

    def serve(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        self.server.close()

    def _session(self, conn: socket.socket) -> None:
        lock, playing = threading.Lock(), threading.Event()
        reader = conn.makefile("rb")
        try:
            while True:
                request = self._read_request(reader)
                if request is None:
                    return
                method, url, headers = request
                self.requests.append(method)
                reply = self._reply(method, url, headers)
                with lock:
                    conn.sendall(reply)
                if method == "PLAY" and reply.startswith(b"RTSP/1.0 200"):
                    playing.set()
                    threading.Thread(
                        target=self._stream, args=(conn, lock, playing), daemon=True
                    ).start()
                if method == "TEARDOWN":
                    return
        except OSError:
            return
        finally:
            playing.clear()
            conn.close()

    @staticmethod
    def _read_request(reader: io.BufferedReader) -> tuple[str, str, dict[str, str]] | None:
        line = reader.readline()
        while line in (b"\r\n", b"\n"):
            line = reader.readline()
        if not line:
            return None
        method, url, _ = line.decode().split(" ", 2)
        headers: dict[str, str] = {}
        while (header := reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        if length := int(headers.get("content-length", "0")):
            reader.read(length)
        return method, url, headers

    def _reply(self, method: str, url: str, headers: dict[str, str]) -> bytes:
        cseq = headers.get("cseq", "0")
        if self.username and method != "OPTIONS":
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            if headers.get("authorization") != f"Basic {expected}":
                return _response(
                    cseq, "401 Unauthorized", {"WWW-Authenticate": 'Basic realm="camera"'}
                )
        if method == "OPTIONS":
            return _response(cseq, "200 OK", {"Public": "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN"})
        if method == "DESCRIBE":
            sdp = (
                b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Offsite fake camera\r\n"
                b"c=IN IP4 0.0.0.0\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\na=control:track1\r\n"
            )
            base = url.rstrip("/") + "/"
            return _response(
                cseq, "200 OK", {"Content-Type": "application/sdp", "Content-Base": base}, sdp
            )
        if method == "SETUP":
            if "interleaved" not in headers.get("transport", ""):
                return _response(cseq, "461 Unsupported Transport", {})
            return _response(
                cseq,
                "200 OK",
                {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1", "Session": "4F1A2B3C"},
            )
        if method in ("PLAY", "TEARDOWN", "GET_PARAMETER"):
            return _response(cseq, "200 OK", {"Session": "4F1A2B3C"})
        return _response(cseq, "405 Method Not Allowed", {})

    def _stream(self, conn: socket.socket, lock: threading.Lock, playing: threading.Event) -> None:
        seq, timestamp = 1, 0
        while playing.is_set() and not self._closed.is_set():
            packets = rtp_packets(self.parts, seq, timestamp)
            try:
                with lock:
                    for packet in packets:
                        conn.sendall(b"$\x00" + struct.pack(">H", len(packet)) + packet)
            except OSError:
                return
            seq, timestamp = seq + len(packets), timestamp + 9000  # 10 pictures a second
            self._closed.wait(0.1)


def _response(cseq: str, status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"RTSP/1.0 {status}", f"CSeq: {cseq}", *(f"{k}: {v}" for k, v in headers.items())]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@contextmanager
def serve(camera: FakeRtspCamera) -> Iterator[str]:
    thread = threading.Thread(target=camera.serve, daemon=True)
    thread.start()
    try:
        yield camera.url
    finally:
        camera.close()
