"""Frames from RTSP streams, one per sample, through PyAV (FFmpeg's libraries).

Each sample opens the stream, decodes the first picture and closes it: with samples
seconds apart a held-open stream only buffers stale frames, so reuse would not pay.
The picture comes back as decoded BGR pixels, ready for the detector: encoding it to
JPEG (21 ms of CPU for 1080p) only to decode it again (3.6 ms) is left to the rare
sample whose frame becomes evidence. Blocking; callers run it in a thread.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

import av
import numpy as np
from av.error import FFmpegError
from numpy.typing import NDArray

from integrations.camera_http import FrameError

_CREDENTIALS = re.compile(r"(rtsps?://)[^/@\s]+@")


def with_credentials(url: str, username: str, password: str) -> str:
    """The URL with user:password for FFmpeg (never stored or logged in this form)."""
    if not username:
        return url
    parts = urlsplit(url)
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{parts.netloc}"
    return urlunsplit(parts._replace(netloc=netloc))


def grab_frame(
    url: str,
    *,
    username: str = "",
    password: str = "",
    timeout_s: float = 5.0,
    max_frames: int = 100,
) -> NDArray[np.uint8]:
    """One decoded frame of the stream as BGR pixels (height × width × 3), or FrameError."""
    options = {
        "rtsp_transport": "tcp",
        "timeout": str(int(timeout_s * 1_000_000)),
        # One picture is all a sample needs: do not spend seconds probing the stream.
        "analyzeduration": "500000",
        "probesize": "1000000",
    }
    try:
        with av.open(
            with_credentials(url, username, password), options=options, timeout=timeout_s
        ) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for count, frame in enumerate(container.decode(stream)):
                if count >= max_frames:
                    break
                return frame.to_ndarray(format="bgr24").astype(np.uint8, copy=False)
    except (FFmpegError, OSError, IndexError) as exc:
        # FFmpeg's messages quote the URL it was given, credentials included.
        raise FrameError("rtsp", _CREDENTIALS.sub(r"\1***@", str(exc))[:200]) from exc
    raise FrameError("rtsp", "no picture in the stream")
