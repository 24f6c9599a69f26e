"""The answers kept per SDK invocation: what a retry gets again, and what is forgotten."""

from __future__ import annotations

from drkit_lab.emulator.answers import AnswerBook, request_digest

OK = "200 OK"
HEADERS = [("Content-Type", "text/xml")]
REQUEST = request_digest("POST", "/", "", b"Action=CreateTopic&Name=t")


def test_only_a_success_is_lost_if_retried_and_only_for_the_same_request() -> None:
    book = AnswerBook()
    book.keep("created", 1, 0.0, REQUEST, "201 Created", HEADERS, b"{}")
    book.keep("redirected", 2, 0.0, REQUEST, "307 Temporary Redirect", HEADERS, b"")
    book.keep("throttled", 3, 0.0, REQUEST, "400 Bad Request", HEADERS, b"<Code>Throttling</Code>")
    book.keep("failed", 4, 0.0, REQUEST, "503 Service Unavailable", HEADERS, b"")
    created = book.get("created")
    assert created is not None and created.replays(REQUEST) and created.code == 201 and created.headers == tuple(HEADERS)
    assert not created.replays(request_digest("POST", "/", "", b"Action=CreateTopic&Name=other"))  # an invocation id reused
    # SDKs follow redirects and retry throttling and 5xx on purpose: those retries must execute again.
    for name in ("redirected", "throttled", "failed"):
        answer = book.get(name)
        assert answer is not None and not answer.lost_if_retried and not answer.replays(REQUEST)


def test_a_request_digest_tells_every_part_apart() -> None:
    parts = [("POST", "/", "", b"a"), ("PUT", "/", "", b"a"), ("POST", "/x", "", b"a"), ("POST", "/", "q=1", b"a"), ("POST", "/", "", b"b")]
    assert len({request_digest(*p) for p in parts}) == len(parts)
    assert request_digest("POST", "/a", "", b"") != request_digest("POST", "/", "a", b"")  # no ambiguity at the joins


def test_an_answer_without_a_body_is_still_known_as_answered_but_not_replayed() -> None:
    book = AnswerBook(max_body_bytes=10)
    too_large = book.keep("big", 1, 0.0, REQUEST, OK, HEADERS, b"x" * 11)
    not_kept = book.keep("other client", 2, 0.0, REQUEST, OK, HEADERS, None)
    for answer in (too_large, not_kept):
        assert answer.lost_if_retried and not answer.replays(REQUEST)
    assert book.bytes_kept == 0


def test_the_latest_attempt_replaces_the_earlier_one() -> None:
    book = AnswerBook()
    book.keep("i", 1, 0.0, REQUEST, "500 Internal Server Error", HEADERS, b"oops")
    book.keep("i", 7, 1.0, REQUEST, OK, HEADERS, b"fine")
    answer = book.get("i")
    assert answer is not None and answer.seq == 7 and answer.body == b"fine"
    assert len(book) == 1 and book.bytes_kept == 4


def test_over_the_budget_the_oldest_bodies_go_and_their_records_stay_until_the_window_ends() -> None:
    book = AnswerBook(budget_bytes=10, window_seconds=60)
    book.keep("a", 1, 0.0, REQUEST, OK, HEADERS, b"aaaa")
    book.keep("b", 2, 1.0, REQUEST, OK, HEADERS, b"bbbb")
    book.keep("c", 3, 2.0, REQUEST, OK, HEADERS, b"cccc")  # 12 bytes > 10: the body of "a" goes
    a = book.get("a")
    assert a is not None and a.body is None and a.lost_if_retried  # still recognised as a lost answer if retried
    assert book.bytes_kept == 8 and len(book) == 3
    book.keep("d", 4, 62.5, REQUEST, OK, HEADERS, b"")  # "a", "b" (t=1) and "c" (t=2) are older than 60 s
    assert [key for key in "abcd" if book.get(key) is not None] == ["d"] and book.bytes_kept == 0
