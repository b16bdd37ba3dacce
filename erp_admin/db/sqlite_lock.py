"""SQLite's writer queue: an inter-process lock file taken just before BEGIN IMMEDIATE, released right after COMMIT.

SQLite's busy handler sleeps with a growing back-off and is not woken when
the lock is freed; a `flock` on `<database>-writelock` is, so writers queue
in the kernel instead (why and how: docs/architecture.md, "SQLite's writer
queue"). LockingConnection is the sqlite3 connection factory whose commit(),
rollback() and close() release the lock on every path.
"""
from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

LOCK_SUFFIX = "-writelock"
WAIT_SUFFIX = "-writelock-queue"


class WriteLockTimeout(Exception):
    """The write lock stayed taken for the whole busy timeout."""


def lock_path_for(database: str, uri: bool = False) -> str | None:
    """The lock file beside a database file, or None for an in-memory (or otherwise file-less) database."""
    if uri or database.startswith("file:"):
        parts = urlsplit(database)
        if parts.scheme != "file" or "memory" in parse_qs(parts.query).get("mode", []):
            return None
        database = parts.path
    if not database or database == ":memory:":
        return None
    return database + LOCK_SUFFIX


class WriteLock:
    """An exclusive flock on the lock file, waited for up to a timeout; waiters hold a shared lock on a queue file."""

    def __init__(self, path: str, timeout: float):
        self.path = path
        self.timeout = timeout
        self._files: tuple[int, int] | None = None
        self._reset()

    def _reset(self) -> None:
        self.held = False
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._pending = False  # a helper thread is blocked in flock for this lock
        self._wanted = False  # someone waits for the helper's result
        self._closed = False
        self._helper: threading.Thread | None = None  # started at the first wait, one per connection

    def _fds(self) -> tuple[int, int]:
        if self._pid != os.getpid():
            # A forked child: the inherited descriptions (and their lock) are the parent's.
            self._files = None
            self._reset()
        if self._files is None:
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
            queue_path = self.path[: -len(LOCK_SUFFIX)] + WAIT_SUFFIX
            self._files = (os.open(self.path, flags, 0o644), os.open(queue_path, flags, 0o644))
        return self._files

    def acquire(self, timeout: float | None = None) -> None:
        """Take the lock, waiting at most timeout seconds (default: the busy timeout); raise WriteLockTimeout."""
        if self.held:
            return
        lock_fd, queue_fd = self._fds()
        with self._cond:
            if not self._pending and not _others_waiting(queue_fd) and _try_lock(lock_fd, fcntl.LOCK_EX):
                self.held = True
                return
            # Wait in the kernel (no polling, no CPU taken from the writer in front of us): the
            # helper thread blocks in flock, which the kernel wakes the moment the lock is free,
            # and hands the lock over. A blocked flock cannot time out, so the helper does it.
            self._wanted = True
            if not self._pending:
                self._pending = True
                if self._helper is None:
                    self._helper = threading.Thread(target=self._helper_loop, args=(lock_fd, queue_fd),
                                                    name="sqlite-write-lock", daemon=True)
                    self._helper.start()
                self._cond.notify_all()
            wait = self.timeout if timeout is None else timeout
            if not self._cond.wait_for(lambda: self.held, timeout=wait):
                self._wanted = False
                raise WriteLockTimeout(f"{self.path} stayed locked for {wait:g} s")

    def _helper_loop(self, lock_fd: int, queue_fd: int) -> None:
        """Each time a wait is pending: block in flock until the lock is ours, then hand it over (or drop it)."""
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closed)
                if self._closed and not self._pending:
                    self._close_files()
                    return
            try:
                # Waiters hold the queue file shared: newcomers queue behind them instead of barging in.
                fcntl.flock(queue_fd, fcntl.LOCK_SH)
                try:
                    fcntl.flock(lock_fd, fcntl.LOCK_EX)
                finally:
                    fcntl.flock(queue_fd, fcntl.LOCK_UN)
            except OSError:  # pragma: no cover  (the descriptors stay open while the helper runs)
                log.exception("waiting for the SQLite write lock %s failed", self.path)
                with self._cond:
                    self._pending = self._wanted = False
                    self._cond.notify_all()
                continue
            with self._cond:
                self._pending = False
                if self._wanted and not self._closed:
                    self._wanted = False
                    self.held = True
                    self._cond.notify_all()
                else:  # the waiter gave up meanwhile, or the connection closed
                    fcntl.flock(lock_fd, fcntl.LOCK_UN)

    def release(self) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self._files[0], fcntl.LOCK_UN)

    def close(self) -> None:
        if self._pid != os.getpid():
            return  # the parent's descriptors: the parent closes them
        with self._cond:
            self.release()
            self._closed = True
            if self._helper is None:
                self._close_files()
            else:  # the helper may be blocked in flock on the descriptors: it closes them when done
                self._cond.notify_all()

    def _close_files(self) -> None:
        if self._files is not None:
            for fd in self._files:
                os.close(fd)
            self._files = None


def _others_waiting(queue_fd: int) -> bool:
    # Waiters hold the queue file shared: an exclusive try fails while any of them waits.
    if not _try_lock(queue_fd, fcntl.LOCK_EX):
        return True
    fcntl.flock(queue_fd, fcntl.LOCK_UN)
    return False


def _try_lock(fd: int, mode: int) -> bool:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class LockingConnection(sqlite3.Connection):
    """A sqlite3 connection with a WriteLock (write_lock is None for an in-memory database)."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        timeout = kwargs.get("timeout", args[0] if args else 5.0)
        path = lock_path_for(os.fsdecode(database), bool(kwargs.get("uri")))
        self.write_lock = WriteLock(path, timeout) if path else None

    def _release_when_done(self) -> None:
        # Only once SQLite's transaction is over: a failed COMMIT keeps it (and its lock) open.
        if self.write_lock is None:
            return
        try:
            busy = self.in_transaction
        except sqlite3.ProgrammingError:  # closed: SQLite's lock went with it
            busy = False
        if not busy:
            self.write_lock.release()

    def commit(self):
        try:
            return super().commit()
        finally:
            self._release_when_done()

    def rollback(self):
        try:
            return super().rollback()
        finally:
            self._release_when_done()

    def close(self):
        try:
            return super().close()
        finally:
            if self.write_lock is not None:
                self.write_lock.close()
