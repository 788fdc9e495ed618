"""The embedded default's broker: kombu's filesystem transport, handing consumers whole messages only.

kombu writes a message file in place: it creates the file, then writes it. A worker listing the folder in
between takes the file while it is still empty, fails to decode it and stops, and `claimdesk serve`
stops with it. Here a message is written under a name no consumer takes, then renamed into place, which
is atomic within a folder. A file that still does not decode (written by something else) is logged and
dropped instead of stopping the worker; the article it was for stays `queued` for the sweeper.
"""
from __future__ import annotations

import contextlib
import logging
import os
import uuid
from time import monotonic_ns

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

log = logging.getLogger(__name__)

# What Celery's broker_transport setting names to use this transport for a filesystem:// URL.
TRANSPORT = "service.broker:Transport"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs) -> None:
        # Time first, so consumers (which sort the names) take messages in the order they were sent: in
        # nanoseconds, zero-padded, where kombu's milliseconds leave messages sent within one in any order.
        name = f"{monotonic_ns():020d}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        draft = f"{final}.part"  # consumers take only names ending in ".{queue}.msg"
        try:
            with open(draft, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(draft, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(draft)  # a disk that filled up mid-write leaves no draft behind
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        while True:  # ends with a message, or with Empty once the folder holds none for this queue
            try:
                return super()._get(queue)
            except ValueError as exc:  # the file (already taken out of the folder) is not JSON
                log.error("dropped an unreadable message from the %s queue: %s", queue, exc)


class Transport(filesystem.Transport):
    Channel = Channel
