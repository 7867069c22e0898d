"""The twin and its web workers talk through Redis (no broker of our own).

Keys, one set per twin (``porttwin:{twin}:…``, ``twin`` = the port package's directory name
unless ``PORTTWIN_TWIN`` names it; several ports = several twins on one Redis):

``image``        the latest twin image (``twin.image``), pickled; replaced whole each round
``seq``          its counter: a worker reads the image again only when this moved
``events``       pub/sub channel: the counter, published with each image (for listeners)
``commands``     a Redis Stream of commands to the twin (acknowledge, silence), read by the
                 twin's consumer group ``twin``; trimmed to the last 10,000
``reply:{id}``   a list the twin pushes its answer to a command onto (expires after 60 s)

A web worker reads ``seq`` at most every ``poll_s`` (0.1 s) and the image only when it moved,
so every request of one moment in one worker shares one unpickled image; ``latest`` never
waits on the twin. A command waits for its answer up to ``reply_s`` (5 s): the twin applies
it at once on its command thread, stores it and answers; no answer is an error the screen
shows ("not stored"). A command older than ``reply_s`` when the twin reads it (the twin was
down) is answered "expired" and not applied — the screen already said it was not done.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid

from . import image as twin_image

log = logging.getLogger(__name__)

GROUP = "twin"
STREAM_MAXLEN = 10_000


class CommandError(RuntimeError):
    """A command the twin refused, or did not answer in time."""


def twin_key(port, env=os.environ) -> str:
    return env.get("PORTTWIN_TWIN") or port.path.name


class RedisBus:
    def __init__(self, url: str, twin: str, poll_s: float = 0.1, reply_s: float = 5.0,
                 client=None):
        import redis
        # short timeouts: a web request never waits long on a Redis that is away
        self.redis = client or redis.Redis.from_url(url, socket_timeout=2,
                                                    socket_connect_timeout=2,
                                                    health_check_interval=30)
        self.twin = twin
        self.prefix = f"porttwin:{twin}:"
        self.poll_s, self.reply_s = poll_s, reply_s
        self._image = None
        self._seq = None
        self._checked = -1e18
        self._lock = threading.Lock()
        self.rejected_images = 0
        self._failing = False

    def key(self, name: str) -> str:
        return self.prefix + name

    # ---- the twin's side -----------------------------------------------------------------
    def publish(self, image) -> int:
        """Store the image and its counter in one transaction, then tell listeners."""
        data = twin_image.dumps(image)
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self.key("image"), data)
        pipe.set(self.key("seq"), image.seq)
        pipe.publish(self.key("events"), image.seq)
        pipe.execute()
        return len(data)

    def serve_commands(self, handle, stop: threading.Event, consumer: str = "twin-1") -> None:
        """Read commands until ``stop``; ``handle(command) -> dict`` applies one (its answer
        is pushed to the command's reply list). Commands the twin had read but not answered
        before a restart are read again first (the stream's pending list)."""
        stream = self.key("commands")
        backlog, group, failing = True, False, False
        while not stop.is_set():
            try:         # Redis away, a reply not written: said, retried; the reader goes on
                if not group:                   # (again after an error: Redis restarted empty)
                    self._create_group(stream)
                    group = True
                got = self.redis.xreadgroup(GROUP, consumer, {stream: "0" if backlog else ">"},
                                            count=50, block=None if backlog else 1000)
                entries = got[0][1] if got else []
                if backlog and not entries:
                    backlog = False
                for entry_id, fields in entries:
                    self._answer(entry_id, fields, handle)
                    self.redis.xack(stream, GROUP, entry_id)
                if failing:
                    log.info("reading commands again")
                    failing = False
            except Exception:
                if not failing:                 # said once, not every second
                    log.exception("reading or answering commands failed; retrying each 1 s")
                    failing = True
                backlog, group = True, False    # what was read and not answered: again
                stop.wait(1.0)

    def _create_group(self, stream: str) -> None:
        try:
            self.redis.xgroup_create(stream, GROUP, id="$", mkstream=True)
        except Exception as exc:                       # BUSYGROUP: it exists
            if "BUSYGROUP" not in str(exc):
                raise

    def _answer(self, entry_id, fields, handle) -> None:
        reply = None
        try:
            command = json.loads(fields[b"command"])
            if not isinstance(command, dict) or not isinstance(command.get("reply"), str):
                raise ValueError("not a command")
            reply = command["reply"]
            age = time.time() - float(command.get("sent", 0))
            if not (-60 <= age <= self.reply_s):
                answer = {"ok": False, "error": "expired"}
            else:
                answer = handle(command)
        except Exception as exc:                # a bad command is answered, never fatal
            log.warning("command %s refused: %s", entry_id, exc)
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        if reply:
            key = self.key(f"reply:{reply}")
            pipe = self.redis.pipeline()
            pipe.rpush(key, json.dumps(answer))
            pipe.expire(key, 60)
            pipe.execute()

    # ---- a web worker's side -------------------------------------------------------------
    def latest(self, wait_s: float = 0.0):
        """The newest image (read again only when its counter moved); with ``wait_s``, wait
        that long for a first one. Raises LookupError when there is none."""
        deadline = time.monotonic() + wait_s
        while True:
            with self._lock:
                now = time.monotonic()
                if now - self._checked >= self.poll_s or self._image is None:
                    self._checked = now
                    try:
                        self._refresh()
                        self._failing = False
                    except Exception:
                        if self._image is None:
                            raise
                        if not self._failing:   # said once; /readyz shows the image's age
                            log.exception("reading the twin image failed; showing the last")
                        self._failing = True
                        self._checked = now + 1.0       # not every request while it is away
                if self._image is not None:
                    return self._image
            if time.monotonic() >= deadline:
                raise LookupError(f"no twin image in Redis under {self.prefix}image: is "
                                  f"`python app.py twin` running for this port?")
            time.sleep(0.2)

    def _refresh(self) -> None:
        seq = self.redis.get(self.key("seq"))
        if seq is None or seq == self._seq:
            return
        data = self.redis.get(self.key("image"))
        if data is None:
            return
        try:
            image = twin_image.loads(data)
        except Exception:
            self.rejected_images += 1
            log.exception("a twin image that cannot be read was refused")
            self._seq = seq
            return
        self._image, self._seq = image, seq

    def call(self, command: dict) -> dict:
        """Send a command to the twin and wait for its answer (CommandError if refused or
        not answered within ``reply_s``)."""
        reply = uuid.uuid4().hex
        body = dict(command, reply=reply, sent=time.time())
        self.redis.xadd(self.key("commands"), {"command": json.dumps(body)},
                        maxlen=STREAM_MAXLEN, approximate=True)
        deadline, got = time.monotonic() + self.reply_s, None
        while got is None and time.monotonic() < deadline:   # in slices under the socket's
            got = self.redis.blpop([self.key(f"reply:{reply}")], timeout=1)   # timeout
        if got is None:
            raise CommandError(f"the twin did not answer {command.get('op')} in "
                               f"{self.reply_s:.0f} s")
        answer = json.loads(got[1])
        if not answer.get("ok"):
            raise CommandError(f"the twin refused {command.get('op')}: {answer.get('error')}")
        return answer
