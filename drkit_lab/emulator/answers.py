"""The answer the emulator gave each SDK invocation, so that the Go SDK's retry of an answered attempt gets it again.

Why: the Terraform AWS provider (aws-sdk-go-v2 on Go's net/http) can lose an answer the emulator
gave. This was seen here with ``tcpdump`` and the provider's debug log on reads. The #12 create
(``409 Function already exist``) fits the same sequence.

* net/http flushes the headers first (smithy-go's body wrapper is not a "known in-memory reader")
  and writes the body straight to the socket. It then checks the body for extra bytes
  (``transferWriter.writeBody``: ``doBodyCopy(io.Discard, body)``).
* smithy-go closes the request body as soon as ``http.Client.Do`` returns (smithy-go #226,
  ``ClientHandler.Handle``). Once closed, its ``safeWriteToReadCloser.WriteTo`` returns ``io.EOF``,
  and ``io.CopyBuffer`` passes that on as an error.
* Suppose the emulator answers before a CPU-starved provider's writer goroutine reaches that
  check. The check fails, and net/http's ``writeLoop`` closes the connection. Whatever part of the
  answer the client had not yet read is lost.
* The SDK reads "use of closed network connection" after a 200. aws-sdk-go-v2 has retried
  ``net.ErrClosed`` for every operation since aws/aws-sdk-go-v2#2949; the same symptom against AWS
  is #1825 and #2935. It sends the same invocation again as attempt 2.
* The maintainers' note on #2949 holds that closing the body early has no effect on such
  requests. The ``WriteTo`` path above is what that note misses. This rests on reading the code and
  on ``tests/emulator/go_lost_answer``, which forces the stall and imitates smithy-go's body with
  Go's own net/http.

Against AWS the writer must stall for longer than a network round trip. On this machine the
emulator answers in 1-5 ms while the providers, moto and PostgreSQL share two cores.

What the emulator does about it:

* A retry from aws-sdk-go-v2 of an attempt the emulator answered with 2xx, for the same request,
  gets that answer again instead of a second execution.
* This is the emulator's one deliberate leniency, and it is scoped to the client whose loss is
  understood.
* Any other client's retry executes again, as AWS executes it. boto3 and botocore read the whole
  answer before they release the connection, so their retries follow a timeout, not this race.
* A new invocation executes. A second create of an existing name still gets "already exists".
* Answers other than 2xx are never replayed, because SDKs retry throttling, 5xx and redirects on
  purpose.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, replace

GO_SDK_AGENT = "aws-sdk-go-v2/"  # the User-Agent token of the client whose lost answers are replayed
MAX_BODY_BYTES = 1 << 20  # a larger answer is remembered (and flagged when lost) but not kept for replay
BUDGET_BYTES = 64 << 20  # bodies kept at most; over it the oldest bodies go (their records stay)
WINDOW_SECONDS = 900.0  # the provider retries up to 25 attempts with backoff capped at 20 s: minutes, not hours


def request_digest(method: str, path: str, query: str, body: bytes) -> str:
    """What identifies a request: a retry sends the same one again."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Answer:
    """What one attempt of an SDK invocation was answered: its journal entry, status line, headers and body."""

    seq: int
    time: float
    request: str  # request_digest of the attempt answered
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None  # None: not kept (too large, over the budget, or a client whose retries execute again)

    @property
    def code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    @property
    def lost_if_retried(self) -> bool:
        """An SDK retries a success only when it never received it."""
        return 200 <= self.code < 300

    def replays(self, request: str) -> bool:
        """Whether a retry of ``request`` gets this answer again (the caller decides which clients qualify)."""
        return self.lost_if_retried and self.body is not None and self.request == request


class AnswerBook:
    """The last answer of each invocation for a time window; bodies within a byte budget (not thread-safe)."""

    def __init__(self, budget_bytes: int = BUDGET_BYTES, window_seconds: float = WINDOW_SECONDS, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self.window_seconds = window_seconds
        self.max_body_bytes = max_body_bytes
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._with_body: OrderedDict[str, None] = OrderedDict()  # invocations whose answer keeps a body, oldest first
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._answers)

    @property
    def bytes_kept(self) -> int:
        return self._bytes

    def get(self, invocation: str) -> Answer | None:
        return self._answers.get(invocation)

    def keep(self, invocation: str, seq: int, time: float, request: str, status: str, headers: list[tuple[str, str]], body: bytes | None) -> Answer:
        kept = body if body is not None and len(body) <= self.max_body_bytes else None
        self._forget_body(invocation)
        self._answers.pop(invocation, None)
        answer = Answer(seq=seq, time=time, request=request, status=status, headers=tuple(headers), body=kept)
        self._answers[invocation] = answer
        if kept is not None:
            self._with_body[invocation] = None
            self._bytes += len(kept)
        self._evict(now=time)
        return answer

    def _forget_body(self, invocation: str) -> None:
        """Drop an answer's body and keep its record: a retry is still recognised as a lost answer."""
        if invocation not in self._with_body:
            return
        del self._with_body[invocation]
        answer = self._answers[invocation]
        self._bytes -= len(answer.body or b"")
        self._answers[invocation] = replace(answer, body=None)

    def _evict(self, now: float) -> None:
        while self._answers:
            invocation, oldest = next(iter(self._answers.items()))
            if oldest.time >= now - self.window_seconds:
                break
            self._forget_body(invocation)
            del self._answers[invocation]
        while self._bytes > self.budget_bytes and self._with_body:
            self._forget_body(next(iter(self._with_body)))
