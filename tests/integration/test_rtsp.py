"""RTSP frames through PyAV: decoding, errors, credentials."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import av
import pytest
from PIL import Image

from integrations.camera_http import FrameError
from integrations.camera_rtsp import grab_frame, with_credentials

IMAGE = Path(__file__).parents[2] / ".." / "shared" / "testdata" / "images" / "road_traffic_cn.jpg"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_one_frame_from_a_stream(tmp_path: Path) -> None:
    """The decoding path of an RTSP sample, on a clip written here. A live RTSP server is
    not available on these machines: Debian's ffmpeg only *receives* with
    ``-rtsp_flags listen``."""
    clip = tmp_path / "clip.mp4"
    with Image.open(IMAGE) as still, av.open(str(clip), "w") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width, stream.height = still.size
        stream.pix_fmt = "yuv420p"
        for _ in range(5):
            out.mux(stream.encode(av.VideoFrame.from_image(still.convert("RGB"))))
        out.mux(stream.encode())
    frame = grab_frame(str(clip), timeout_s=5)
    with Image.open(io.BytesIO(frame)) as image, Image.open(IMAGE) as original:
        assert image.format == "JPEG"
        assert image.size == original.size


def test_an_unreachable_stream_is_a_frame_error() -> None:
    with pytest.raises(FrameError):
        grab_frame(f"rtsp://127.0.0.1:{_free_port()}/none", timeout_s=1)


def test_credentials_are_put_into_the_url_quoted() -> None:
    assert with_credentials("rtsp://10.0.0.6:554/s1", "ad min", "p@ss") == (
        "rtsp://ad%20min:p%40ss@10.0.0.6:554/s1"
    )
