"""The browser tests install Debian's Chromium and a CJK font themselves, once, as root."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import browser


@pytest.fixture
def missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setattr(browser, "CJK_FONT", tmp_path / "wqy-zenhei.ttc")
    monkeypatch.setattr(browser.shutil, "which", lambda _: "/usr/bin/apt-get")
    calls: list[list[str]] = []
    return calls


def _fake_run(calls: list[list[str]], fail_first_install: bool) -> Any:
    def run(cmd: list[str], **_: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(cmd)
        failing = fail_first_install and cmd[1] == "install" and len(calls) == 1
        return subprocess.CompletedProcess(cmd, 100 if failing else 0)

    return run


def test_as_root_it_installs_both_packages(
    monkeypatch: pytest.MonkeyPatch, missing: list[list[str]]
) -> None:
    monkeypatch.setattr(browser.os, "geteuid", lambda: 0)
    monkeypatch.setattr(browser.subprocess, "run", _fake_run(missing, fail_first_install=False))
    browser.ensure_chromium()
    assert missing == [
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "fonts-wqy-zenhei"]
    ]


def test_without_package_lists_it_updates_them_first(
    monkeypatch: pytest.MonkeyPatch, missing: list[list[str]]
) -> None:
    monkeypatch.setattr(browser.os, "geteuid", lambda: 0)
    monkeypatch.setattr(browser.subprocess, "run", _fake_run(missing, fail_first_install=True))
    browser.ensure_chromium()
    assert [c[1] for c in missing] == ["install", "update", "install"]


def test_not_root_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, missing: list[list[str]]
) -> None:
    monkeypatch.setattr(browser.os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium fonts-wqy-zenhei"):
        browser.ensure_chromium()


def test_present_it_installs_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "chromium").touch()
    (tmp_path / "font.ttc").touch()
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setattr(browser, "CJK_FONT", tmp_path / "font.ttc")
    monkeypatch.setattr(browser.subprocess, "run", lambda *a, **k: pytest.fail("ran apt-get"))
    assert browser.ensure_chromium() == tmp_path / "chromium"
