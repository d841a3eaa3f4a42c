"""RTSP frames through PyAV: decoding, errors, credentials."""

from __future__ import annotations

import socket
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from integrations.camera_http import FrameError
from integrations.camera_rtsp import grab_frame, with_credentials
from tests.fakes.rtsp import FakeRtspCamera, serve

IMAGE = Path(__file__).parents[2] / ".." / "shared" / "testdata" / "images" / "road_traffic_cn.jpg"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_one_frame_from_a_stream(tmp_path: Path) -> None:
    """The decoding path, on a clip written here (the live path: the tests below)."""
    clip = tmp_path / "clip.mp4"
    with Image.open(IMAGE) as still, av.open(str(clip), "w") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width, stream.height = still.size
        stream.pix_fmt = "yuv420p"
        for _ in range(5):
            out.mux(stream.encode(av.VideoFrame.from_image(still.convert("RGB"))))
        out.mux(stream.encode())
    pixels = grab_frame(str(clip), timeout_s=5)
    with Image.open(IMAGE) as original:
        assert (pixels.shape, pixels.dtype) == ((original.height, original.width, 3), np.uint8)


def test_an_unreachable_stream_is_a_frame_error() -> None:
    with pytest.raises(FrameError):
        grab_frame(f"rtsp://127.0.0.1:{_free_port()}/none", timeout_s=1)


def test_credentials_are_put_into_the_url_quoted() -> None:
    assert with_credentials("rtsp://10.0.0.6:554/s1", "ad min", "p@ss") == (
        "rtsp://ad%20min:p%40ss@10.0.0.6:554/s1"
    )


def test_a_frame_from_a_live_camera_with_credentials() -> None:
    """Against a camera that speaks RTSP with Basic auth and RTP/JPEG over TCP."""
    with Image.open(IMAGE) as still:
        camera = FakeRtspCamera(still, username="viewer", password="s3cret")
        expected = np.asarray(still.convert("RGB").resize((640, 352)), dtype=np.int16)
    with serve(camera) as url:
        pixels = grab_frame(url, username="viewer", password="s3cret", timeout_s=5)
        assert pixels.shape == (352, 640, 3)
        got = pixels[:, :, ::-1].astype(np.int16)  # BGR as it comes, RGB as expected
        assert np.abs(got - expected).mean() < 8, "the picture the camera sent"
        assert camera.requests[-1] == "TEARDOWN", "the stream is closed after one picture"

        with pytest.raises(FrameError) as refused:
            grab_frame(url, username="viewer", password="wrong", timeout_s=3)
        assert "401" in refused.value.args[0] and "wrong" not in refused.value.args[0]
