"""The notifier tells a watched ticket « near » once and « called » at each call, then forgets it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from host_bridge.domain import commands as c
from host_bridge.notifications.notifier import Notifier, TooManyWatched
from host_bridge.notifications.settings import NotifySettings
from queue_setup import FakeChannel, example_queue, issue


@pytest.fixture
def queue(tmp_path, clock):
    service = example_queue(tmp_path / "queue.db", clock)
    service.execute(c.OpenCounter(3), "agent")  # passeports-cni, etat-civil
    yield service
    service.store.close()


@pytest.fixture
def notifier(queue):
    notifier = Notifier(queue, NotifySettings(ahead=2, minutes=0))
    notifier.listen()  # rounds run by hand: check() reads what the commits touched
    channel = FakeChannel()
    notifier.add_channel("fake", channel)
    notifier.channel = channel
    ended: list[str] = []
    notifier.on_ended(ended.append)
    notifier.ended = ended
    return notifier


def test_near_is_sent_once_when_the_line_reaches_the_setting(queue, notifier):
    tickets = [issue(queue) for _ in range(5)]  # P001..P005
    notifier.watch(tickets[4]["id"], "fake")
    notifier.check()
    assert notifier.channel.notices == []  # 4 ahead, 2 is the setting
    queue.execute(c.CallNext(3), "agent")  # P001 called: 3 ahead
    notifier.check()
    assert notifier.channel.notices == []
    queue.execute(c.CallNext(3), "agent")  # P002 called (P001 served): 2 ahead
    notifier.check()
    notifier.check(everything=True)  # a second look sends nothing new
    [near] = notifier.channel.notices
    assert (near.kind, near.label, near.ahead, near.counter) == ("near", "P005", 2, None)
    assert near.text == "C'est bientôt à vous : P005, 2 personnes avant vous"
    queue.execute(c.CallNext(3), "agent")  # 1 ahead: still only the one « near »
    notifier.check(everything=True)
    assert len(notifier.channel.notices) == 1


def test_near_counts_the_estimated_wait_too(queue, tmp_path):
    notifier = Notifier(queue, NotifySettings(ahead=0, minutes=240))
    channel = FakeChannel()
    notifier.add_channel("fake", channel)
    tickets = [issue(queue) for _ in range(4)]
    notifier.watch(tickets[3]["id"], "fake")
    notifier.check()
    [near] = channel.notices
    assert near.kind == "near" and near.minutes is not None and near.minutes <= 240


def test_called_is_sent_at_the_call_and_each_recall_with_the_counter(queue, notifier, clock):
    ticket = issue(queue)
    notifier.watch(ticket["id"], "fake")
    notifier.check()
    assert [n.kind for n in notifier.channel.notices] == ["near"]  # nobody ahead
    queue.execute(c.CallNext(3), "agent")
    notifier.check()
    clock.advance(60)  # past the recall's minimum delay
    queue.execute(c.Recall(3), "agent")
    notifier.check()
    notifier.check(everything=True)
    assert [n.text for n in notifier.channel.notices[1:]] == [
        "P001 : présentez-vous au guichet 3", "P001 : rappel, présentez-vous au guichet 3"]
    assert notifier.channel.notices[1].counter == 3


def test_a_served_ticket_is_forgotten_and_its_channels_told(queue, notifier):
    ticket = issue(queue)
    notifier.watch(ticket["id"], "fake")
    queue.execute(c.CallNext(3), "agent")
    queue.execute(c.Finish(3), "agent")
    notifier.check()
    assert notifier.ended == [ticket["id"]] and len(notifier) == 0
    assert [n.kind for n in notifier.channel.notices] == []  # it was served before any look


def test_a_cancelled_ticket_and_an_unknown_one_are_forgotten(queue, notifier):
    ticket = issue(queue)
    notifier.watch(ticket["id"], "fake")
    notifier.watch("no-such-ticket-id", "fake")
    queue.execute(c.CancelTicket(ticket["id"]), "public")
    notifier.check()
    assert sorted(notifier.ended) == sorted([ticket["id"], "no-such-ticket-id"])


def test_an_absent_ticket_is_kept_while_it_may_come_back_then_forgotten(queue, notifier, clock):
    ticket = issue(queue)
    notifier.watch(ticket["id"], "fake")
    queue.execute(c.CallNext(3), "agent")
    notifier.check()
    queue.execute(c.MarkAbsent(3), "agent")
    notifier.check()
    assert notifier.watching(ticket["id"]) == {"fake"}  # the counter may still undo it
    queue.execute(c.UndoAbsent(3), "agent")
    clock.advance(5)
    queue.execute(c.CallNext(3), "agent")  # called again: told again
    notifier.check()
    assert [n.kind for n in notifier.channel.notices] == ["called", "called"]
    queue.execute(c.MarkAbsent(3), "agent")
    clock.advance(queue.site.rules.undo_absent_seconds + 3600)  # every window closed
    notifier.check(everything=True)
    assert notifier.ended == [ticket["id"]]


def test_je_suis_la_keeps_an_absent_ticket_watched_and_its_next_call_is_told(tmp_path, clock):
    queue = example_queue(tmp_path / "comeback.db", clock, comeback_minutes=10, comeback_after=0)
    try:
        queue.execute(c.OpenCounter(3), "agent")
        notifier = Notifier(queue, NotifySettings(ahead=0, minutes=0))
        notifier.listen()
        channel, ended = FakeChannel(), []
        notifier.add_channel("fake", channel)
        notifier.on_ended(ended.append)
        ticket = issue(queue)
        notifier.watch(ticket["id"], "fake")
        queue.execute(c.CallNext(3), "agent")
        queue.execute(c.MarkAbsent(3), "agent")
        clock.advance(queue.site.rules.undo_absent_seconds + 60)  # the undo is over, not « Je suis là »
        notifier.check(everything=True)
        assert notifier.watching(ticket["id"]) == {"fake"} and ended == []
        queue.execute(c.ComeBack(ticket["id"]), "public")
        notifier.check()  # back in line, first: « near » (it was never told)
        clock.advance(5)
        queue.execute(c.CallNext(3), "agent")
        notifier.check()
        assert [n.kind for n in channel.notices] == ["near", "called"]
        clock.advance(3600)
        queue.execute(c.MarkAbsent(3), "agent")  # absent again: no second « Je suis là »
        clock.advance(queue.site.rules.undo_absent_seconds + 1)
        notifier.check(everything=True)
        assert ended == [ticket["id"]]
    finally:
        queue.store.close()


def test_the_day_change_forgets_every_ticket(queue, notifier, clock):
    ticket = issue(queue)
    notifier.watch(ticket["id"], "fake")
    clock.advance(timedelta(days=1).total_seconds())
    notifier.check(everything=True)
    assert notifier.ended == [ticket["id"]]


def test_watching_is_bounded_and_unknown_channels_refused(queue):
    notifier = Notifier(queue, max_watched=2)
    notifier.add_channel("fake", FakeChannel())
    notifier.watch("a" * 16, "fake")
    notifier.watch("b" * 16, "fake")
    notifier.watch("a" * 16, "fake")  # the same ticket again takes no room
    with pytest.raises(TooManyWatched):
        notifier.watch("c" * 16, "fake")
    with pytest.raises(ValueError, match="unknown channel"):
        notifier.watch("a" * 16, "sms")
    notifier.unwatch("a" * 16, "fake")
    notifier.watch("c" * 16, "fake")
    assert len(notifier) == 2


def test_a_failing_channel_does_not_stop_the_others(queue):
    class Broken:
        def send(self, notice):
            raise OSError("down")
    notifier = Notifier(queue)
    good = FakeChannel()
    notifier.add_channel("broken", Broken())
    notifier.add_channel("good", good)
    ticket = issue(queue)
    notifier.watch(ticket["id"], "broken")
    notifier.watch(ticket["id"], "good")
    notifier.check()
    assert [n.kind for n in good.notices] == ["near"]


def test_the_thread_sends_after_a_command_without_the_command_waiting(queue):
    notifier = Notifier(queue, NotifySettings(ahead=0, minutes=0), tick_seconds=600)
    channel = FakeChannel()
    notifier.add_channel("fake", channel)
    first, second = issue(queue), issue(queue)
    notifier.start()
    try:
        notifier.watch(second["id"], "fake")
        queue.execute(c.CallNext(3), "agent")  # `second` is next now
        [near] = channel.wait(1)
        assert near.label == second["label"]
        queue.execute(c.CallNext(3), "agent")
        assert channel.wait(2)[1].text == f"{second['label']} : présentez-vous au guichet 3"
    finally:
        notifier.stop()


@pytest.mark.parametrize("table, message", [
    ({"ahead": -1}, "ahead: expected a whole number from 0 to 50"),
    ({"minutes": "10"}, "minutes: expected a whole number"),
    ({"ahead": True}, "ahead: expected"),
    ({"soon": 3}, "unknown key 'soon'"),
    ({"push": "yes"}, "push: expected true or false"),
    ({"contact": "accueil@mairie.fr"}, "contact: expected mailto:"),
])
def test_settings_refuse_bad_values_with_a_clear_message(table, message):
    with pytest.raises(ValueError, match=message):
        NotifySettings.parse(table)


def test_settings_default_and_parse():
    assert NotifySettings.parse(None) == NotifySettings(3, 10)
    assert NotifySettings.parse({"ahead": 5, "minutes": 0}) == NotifySettings(5, 0)
    parsed = NotifySettings.parse({"push": False, "contact": "mailto:accueil@mairie.example"})
    assert (parsed.push, parsed.contact) == (False, "mailto:accueil@mairie.example")
    assert NotifySettings.parse({"ahead": 2, "sms": {"provider": "brevo"}}) == NotifySettings(2)
