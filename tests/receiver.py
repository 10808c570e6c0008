"""A real HTTP receiver for outgoing webhooks, on its own thread: it records every request and answers with
the statuses it was told, in order (then 200). "hang" holds the answer until the receiver closes (a timeout
for the sender). Works for async tests (in-process cores) and for a server in another process alike."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answer: int | str  # the status it was answered with ("hang": none)

    @property
    def delivery(self) -> str:
        return self.headers["x-handoff-delivery"]

    def json(self) -> Any:
        import json

        return json.loads(self.body)


class Receiver:
    def __init__(self, answers: Iterable[int | str] = ()) -> None:
        self.requests: list[Received] = []
        self._answers = list(answers)
        self._changed = threading.Condition()
        self._released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._changed:
                    answer = receiver._answers.pop(0) if receiver._answers else 200
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, answer)
                    )
                    receiver._changed.notify_all()
                if answer == "hang":
                    receiver._released.wait()
                    return
                assert isinstance(answer, int)
                self.send_response(answer)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answer {answer}".encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def answer(self, *answers: int | str) -> None:
        """Answer the next requests so (then 200 again)."""
        with self._changed:
            self._answers.extend(answers)

    def answer_ok(self) -> None:
        """Forget the answers still queued: 200 from now on."""
        with self._changed:
            self._answers.clear()

    def wait_for(
        self, count: int, *, event: str | None = None, answer: int | None = None, timeout: float = 20.0
    ) -> list[Received]:
        """The requests received (of `event`, answered `answer`, if given), once there are `count` of them."""

        def matching() -> list[Received]:
            return [
                r
                for r in self.requests
                if (event is None or r.headers.get("x-handoff-event") == event)
                and (answer is None or r.answer == answer)
            ]

        with self._changed:
            if not self._changed.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                raise AssertionError(f"{len(matching())} requests of {event or 'any event'}, not {count}")
            return matching()

    def close(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
