"""The embedded broker (service/broker.py): consumers get whole messages, in order, and survive a bad file."""
from __future__ import annotations

import logging
from queue import Empty

import pytest
from kombu import Connection

from service import broker
from service.config import Settings
from service.tasking import make_celery


@pytest.fixture
def channels(tmp_path):
    """A producer's and a consumer's channel on one message folder, as the web process and worker have."""
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    with Connection("filesystem://", transport=broker.TRANSPORT, transport_options=options) as producer, \
            Connection("filesystem://", transport=broker.TRANSPORT, transport_options=options) as consumer:
        yield producer.channel(), consumer.channel()


def test_a_consumer_looking_while_a_message_is_written_finds_nothing_half_written(channels, monkeypatch):
    # kombu's own transport creates the file before writing it: a consumer looking in between took the
    # empty file, failed to decode it and stopped the worker, and `claimdesk serve` with it.
    producer, consumer = channels
    serialise = broker.dumps
    meanwhile = []

    def a_consumer_looks(payload):
        try:
            meanwhile.append(consumer._get("claimdesk"))
        except Empty:
            meanwhile.append("nothing yet")
        return serialise(payload)

    monkeypatch.setattr(broker, "dumps", a_consumer_looks)
    producer._put("claimdesk", {"article": 1})
    assert meanwhile == ["nothing yet"]
    assert consumer._get("claimdesk") == {"article": 1}


def test_messages_come_out_whole_and_in_the_order_they_went_in(channels, tmp_path):
    producer, consumer = channels
    for n in range(5):
        producer._put("claimdesk", {"article": n})
    assert [consumer._get("claimdesk")["article"] for _ in range(5)] == [0, 1, 2, 3, 4]
    with pytest.raises(Empty):
        consumer._get("claimdesk")
    assert list(tmp_path.iterdir()) == []  # no draft left behind


def test_an_unreadable_message_file_is_dropped_with_a_log_line_and_the_next_one_delivered(
        channels, tmp_path, caplog):
    producer, consumer = channels
    (tmp_path / f"{0:020d}_written-by-something-else.claimdesk.msg").write_text("")
    producer._put("claimdesk", {"article": 7})
    with caplog.at_level(logging.ERROR, logger="service.broker"):
        assert consumer._get("claimdesk") == {"article": 7}
    assert "dropped an unreadable message from the claimdesk queue" in caplog.text


def test_the_embedded_default_uses_it_and_redis_does_not(tmp_path):
    embedded = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path)})
    embedded.prepare_instance()
    with make_celery(embedded).connection_for_write() as connection:
        assert isinstance(connection.transport, broker.Transport)
    redis = Settings.from_env({"CLAIMDESK_INSTANCE_PATH": str(tmp_path),
                               "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14"})
    with make_celery(redis).connection_for_write() as connection:
        assert connection.transport_cls == "redis"


def test_a_message_that_cannot_be_written_is_a_channel_error_and_leaves_no_draft(channels, tmp_path,
                                                                                 monkeypatch):
    from kombu.exceptions import ChannelError

    producer, _ = channels

    def disk_full(_draft, _final):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(broker.os, "replace", disk_full)
    with pytest.raises(ChannelError):
        producer._put("claimdesk", {"article": 1})
    assert list(tmp_path.iterdir()) == []
