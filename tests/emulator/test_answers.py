"""The answers kept per SDK invocation: what a retry gets again, and what is forgotten."""

from __future__ import annotations

from tools.emulator.answers import AnswerBook

OK = "200 OK"
HEADERS = [("Content-Type", "text/xml")]


def test_a_success_is_lost_if_retried_and_replayable_a_refusal_is_neither() -> None:
    book = AnswerBook()
    book.keep("created", 1, 0.0, "201 Created", HEADERS, b"{}")
    book.keep("throttled", 2, 0.0, "400 Bad Request", HEADERS, b"<Code>Throttling</Code>")
    book.keep("failed", 3, 0.0, "503 Service Unavailable", HEADERS, b"")
    created, throttled, failed = book.get("created"), book.get("throttled"), book.get("failed")
    assert created is not None and created.replayable and created.code == 201 and created.headers == tuple(HEADERS)
    # SDKs retry throttling and 5xx on purpose: those retries must execute again.
    assert throttled is not None and not throttled.lost_if_retried and not throttled.replayable
    assert failed is not None and not failed.lost_if_retried


def test_a_body_too_large_to_keep_is_still_known_as_answered_but_not_replayed() -> None:
    book = AnswerBook(max_body_bytes=10)
    answer = book.keep("big", 1, 0.0, OK, HEADERS, b"x" * 11)
    assert answer.lost_if_retried and not answer.replayable and book.bytes_kept == 0


def test_the_latest_attempt_replaces_the_earlier_one() -> None:
    book = AnswerBook()
    book.keep("i", 1, 0.0, "500 Internal Server Error", HEADERS, b"oops")
    book.keep("i", 7, 1.0, OK, HEADERS, b"fine")
    answer = book.get("i")
    assert answer is not None and answer.seq == 7 and answer.body == b"fine"
    assert len(book) == 1 and book.bytes_kept == 4


def test_old_answers_go_after_the_window_and_the_oldest_go_first_over_the_budget() -> None:
    book = AnswerBook(budget_bytes=10, window_seconds=60)
    book.keep("a", 1, 0.0, OK, HEADERS, b"aaaa")
    book.keep("b", 2, 1.0, OK, HEADERS, b"bbbb")
    book.keep("c", 3, 2.0, OK, HEADERS, b"cccc")  # 12 bytes > 10: "a" goes
    assert book.get("a") is None and book.get("b") is not None and book.bytes_kept == 8
    book.keep("d", 4, 62.5, OK, HEADERS, b"")  # "b" (t=1) and "c" (t=2) are older than 60 s
    assert [key for key in "abcd" if book.get(key) is not None] == ["d"] and book.bytes_kept == 0
