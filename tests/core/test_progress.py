"""The one progress object: reports, throttling, scoping, cancel."""

from __future__ import annotations

import time

import pytest

from readinglist.core.progress import Cancelled, Progress


def test_reports_are_throttled_but_stage_changes_and_ends_get_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    sent: list[tuple[str, int, int]] = []
    progress = Progress(lambda *a: sent.append(a), min_interval=0.05)
    progress.report("a", 0, 10)  # first report of a stage: sent
    progress.report("a", 1, 10)  # too soon: dropped
    clock[0] += 0.06
    progress.report("a", 2, 10)  # interval passed: sent
    progress.report("a", 3, 10)  # too soon: dropped
    progress.report("b", 0, 5)  # new stage: sent
    progress.report("b", 5, 5)  # stage finished: sent
    assert sent == [("a", 0, 10), ("a", 2, 10), ("b", 0, 5), ("b", 5, 5)]
    # The object itself always knows the latest figures, sent or not.
    progress.report("b", 4, 5)
    assert (progress.stage, progress.done, progress.total) == ("b", 4, 5)


def test_cancel_is_shared_with_scoped_children() -> None:
    parent = Progress()
    child = parent.scoped("file.bib (1/2)")
    child.check()  # not cancelled: no exception
    parent.cancel()
    assert child.cancelled()
    with pytest.raises(Cancelled):
        child.check()


def test_scoped_reports_reach_the_parent_with_a_prefix() -> None:
    sent: list[tuple[str, int, int]] = []
    parent = Progress(lambda *a: sent.append(a))
    parent.scoped("page.txt (2/3)").report("index", 500, 1000)
    assert sent == [("page.txt (2/3): index", 500, 1000)]
    assert parent.describe() == "page.txt (2/3): indexing 500/1,000"


def test_describe_without_total_or_prefix() -> None:
    progress = Progress()
    progress.report("database")
    assert progress.describe() == "saving"
    progress.report("custom stage", 3, 0)
    assert progress.describe() == "custom stage 3"
