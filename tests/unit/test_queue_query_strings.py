"""The queue's filters as a query string, kept per process (handling.queue.QueueFilters):
the same text as computed afresh, for every filter and change, never another filter's."""

from __future__ import annotations

from pengaduan.handling import queue


def test_kept_query_strings_follow_each_filter_and_change() -> None:
    queue._QUERY_STRINGS.clear()
    jalan = queue.QueueFilters(view="all", q="jalan rusak", page=3)
    sampah = queue.QueueFilters(view="all", q="sampah & got", page=3)
    for _ in range(2):  # the second time from what is kept
        assert jalan.query_string() == "view=all&q=jalan+rusak&page=3"
        assert jalan.query_string(page=4) == "view=all&q=jalan+rusak&page=4"
        assert jalan.query_string(page=1) == "view=all&q=jalan+rusak"
        # Any change but the page starts again at page 1.
        assert jalan.query_string(status="any") == "view=all&status=any&q=jalan+rusak"
        assert sampah.query_string(page=4) == "view=all&q=sampah+%26+got&page=4"
    assert len(queue._QUERY_STRINGS) == 5
    # Unhashable changes are computed afresh.
    assert queue.QueueFilters().query_string(q=["a"]) == "view=unit&q=%5B%27a%27%5D"
