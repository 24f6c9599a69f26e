"""The answer the emulator gave each SDK invocation, so that a retry of an answered attempt gets it again.

Why: a client can lose an answer the emulator gave. This was seen and reproduced here:

* net/http writes the request body straight to the socket. Headers are flushed first because
  smithy-go's body wrapper is not a "known in-memory reader". It then runs a last
  extra-bytes check on the body (``transferWriter.writeBody``: ``doBodyCopy(io.Discard, body)``).
* smithy-go closes the request body as soon as ``http.Client.Do`` returns (smithy-go #226,
  ``ClientHandler.Handle``). Its ``safeWriteToReadCloser.WriteTo`` then returns ``io.EOF``.
* Suppose the emulator answers before a CPU-starved client's writer goroutine reaches that check.
  The check then reads a closed body and fails with ``io.EOF``. net/http's ``writeLoop`` closes the
  connection on any write error, while the response body is still unread.
* The SDK reads "use of closed network connection" after a 200. aws-sdk-go-v2 has retried
  ``net.ErrClosed`` since aws/aws-sdk-go-v2#2949 (the 200-then-closed reports are #1825 and #2935).
  It sends the same invocation again as attempt 2.
* A create retried that way meets the resource its first attempt made: "409 Function already
  exist", the #12 failure.

Against AWS the same race needs the writer to stall for longer than a network round trip. On
this machine the emulator answers in 1-5 ms while the providers, moto and PostgreSQL share 2
cores. So a retry of an attempt the emulator answered is, by construction, a lost answer, and the
emulator delivers that answer again instead of executing the request twice.

What this does not do: a *new* invocation, for example a second create of an existing name,
still executes and gets AWS's "already exists". Answers of 400 and above are never replayed:
SDKs retry throttling and other transient 4xx/5xx answers on purpose, and those must execute
again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

MAX_BODY_BYTES = 1 << 20  # a larger answer is remembered (and flagged when lost) but not kept for replay
BUDGET_BYTES = 64 << 20  # bodies kept at most; the oldest answers go first
WINDOW_SECONDS = 900.0  # the provider retries up to 25 attempts with backoff capped at 20 s: minutes, not hours


@dataclass(frozen=True)
class Answer:
    """What one attempt of an SDK invocation was answered: the journal entry, the status line, headers and body."""

    seq: int
    time: float
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None  # None: too large to keep

    @property
    def code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    @property
    def lost_if_retried(self) -> bool:
        """An SDK retries a success (or a redirect) only when it never received it."""
        return self.code < 400

    @property
    def replayable(self) -> bool:
        return self.lost_if_retried and self.body is not None


class AnswerBook:
    """The last answer of each invocation, bounded by age and by the bytes of the bodies kept (not thread-safe)."""

    def __init__(self, budget_bytes: int = BUDGET_BYTES, window_seconds: float = WINDOW_SECONDS, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self.window_seconds = window_seconds
        self.max_body_bytes = max_body_bytes
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._answers)

    @property
    def bytes_kept(self) -> int:
        return self._bytes

    def get(self, invocation: str) -> Answer | None:
        return self._answers.get(invocation)

    def keep(self, invocation: str, seq: int, time: float, status: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        kept = body if len(body) <= self.max_body_bytes else None
        answer = Answer(seq=seq, time=time, status=status, headers=tuple(headers), body=kept)
        previous = self._answers.pop(invocation, None)
        if previous is not None and previous.body is not None:
            self._bytes -= len(previous.body)
        self._answers[invocation] = answer
        self._bytes += len(kept) if kept is not None else 0
        self._evict(now=time)
        return answer

    def _evict(self, now: float) -> None:
        while self._answers:
            invocation, oldest = next(iter(self._answers.items()))
            if oldest.time >= now - self.window_seconds and self._bytes <= self.budget_bytes:
                return
            del self._answers[invocation]
            self._bytes -= len(oldest.body) if oldest.body is not None else 0
