"""Scale-out, proven on this machine: a PostgreSQL primary and a streaming replica, one
Redis, two gunicorn nodes behind a (simulated) load balancer, two Celery workers on
separate queues and two beat processes, all on loopback (tests/scale_cluster.py).

One deployment for the module; the tests run in order and the beat check comes last, so
that two beat periods have passed by then. Everything is stopped and removed afterwards,
however the tests end.

``SCALE_OUT_BREAK`` (test-only; comma-separated ``pinning``, ``beat_lock``,
``beat_scheduler``, ``trusted_proxy``) starts the deployment without that mechanism, to
show that the test guarding it fails: the pin window at 0 s, celery-redbeat without its
lock, both beats on Celery's own file scheduler, no ``TRUSTED_PROXY_COUNT``. It only
breaks things; unset (as in ``make test``) everything passes. docs/scaling.md has each
run."""

import datetime
import email
import email.policy
import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.conftest import require_service
from tests.factories import PASSWORD
from tests.scale_cluster import Browser, Cluster, link_in, postgres_bindir, wait_for

# One worker runs the whole module under pytest-xdist: its clusters are module fixtures.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("scale_out")]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-results" / "scale-out"
FAN_OUT_TRACKERS = 1200
FAN_OUT_BATCH = 10  # NOTIFY_BATCH_SIZE: 120 batches, so a kill lands mid-fan-out

BREAKABLE = {"pinning", "beat_lock", "beat_scheduler", "trusted_proxy"}
BREAK = {name.strip() for name in os.environ.get("SCALE_OUT_BREAK", "").split(",")} - {""}
if BREAK - BREAKABLE:
    raise pytest.UsageError(
        f"SCALE_OUT_BREAK: unknown {sorted(BREAK - BREAKABLE)}; choose from {sorted(BREAKABLE)}"
    )

SEED = """
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.urls import reverse
from care2.users.models import User
from comments.models import Tracking
from tests.factories import StoryFactory, UserFactory
from tests.petitions.factories import PetitionFactory
member = UserFactory(email="member@scale.example", first_name="Mia", last_name="Member")
UserFactory(email="unpinned@scale.example", first_name="Ula", last_name="Unpinned")
tracker = UserFactory(email="tracker@scale.example", email_on_tracked_comments=True)
story = StoryFactory(published=True, title="Read on the other node")
Tracking.objects.create(member=tracker, story=story)
fan = StoryFactory(published=True, title="Tracked by a crowd")
crowd = User.objects.bulk_create([
    User(email=f"fan{i}@scale.example", first_name="Fan", last_name=f"No{i}",
         email_on_tracked_comments=True)
    for i in range(%(trackers)d)
])
Tracking.objects.bulk_create([Tracking(member=user, story=fan) for user in crowd])
petition = PetitionFactory()
print(json.dumps({
    "member": member.email,
    "member_url": reverse("users:profile", args=[member.pk]),
    "unpinned_member": "unpinned@scale.example",
    "tracker": tracker.pk,
    "story_url": story.get_absolute_url(),
    "comment_url": reverse("comments:add", args=[story.pk]),
    "fan_story": fan.pk,
    "fan_url": fan.get_absolute_url(),
    "fan_comment_url": reverse("comments:add", args=[fan.pk]),
    "petition_url": petition.get_absolute_url(),
    "sign_url": reverse("petitions:sign", args=[petition.pk]),
    "petition": petition.pk,
}))
"""


@pytest.fixture(scope="module")
def deployment():
    bindir = postgres_bindir()
    require_service(
        bindir is not None, "the PostgreSQL server (initdb, pg_basebackup)",
        "apt-get install postgresql",
    )  # fmt: skip
    with Cluster(bindir) as cluster:
        cluster.start_databases(replica=True)
        cluster.start_redis()
        seed = json.loads(
            cluster.django(
                SEED % {"trackers": FAN_OUT_TRACKERS}, DATABASE_REPLICA_URLS=""
            ).splitlines()[-1]
        )
        wait_for(cluster.replica_caught_up, 60, "the replica to replay the seed")
        site = {
            # Behind one load balancer that appends the client's address.
            "TRUSTED_PROXY_COUNT": "1",
            "NOTIFY_BATCH_SIZE": str(FAN_OUT_BATCH),
            # A task a killed worker held goes back to the queue after 5 s.
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
            "CELERY_UNACKED_MUTEX_EXPIRE": "3",  # a killed worker may hold it
        }
        if "trusted_proxy" in BREAK:
            del site["TRUSTED_PROXY_COUNT"]
        if "pinning" in BREAK:
            site["DATABASE_PIN_SECONDS"] = "0"
        beat = {
            "lock": "beat_lock" not in BREAK,
            "scheduler": "celery.beat:PersistentScheduler" if "beat_scheduler" in BREAK else None,
        }
        cluster.site_env = site
        beat_started = time.time()
        cluster.beat("beat-1", **beat, **site)
        cluster.beat("beat-2", **beat, **site)
        cluster.worker("worker-notifications", "notifications", **site)
        cluster.worker("worker-email", "email,celery", **site)
        nodes = {"A": cluster.node("node-a", **site), "B": cluster.node("node-b", **site)}
        try:
            yield {"cluster": cluster, "seed": seed, "nodes": nodes, "beat_started": beat_started}
        finally:
            # Every process's log, kept for reading after the run.
            for process in cluster.processes.values():
                process.output()
            shutil.copytree(cluster.logs, ARTIFACTS, dirs_exist_ok=True)
            for server in (cluster.primary, cluster.replica):
                (ARTIFACTS / f"postgres-{server.dir.name}.log").write_text(server.log())


def _count(server, query, params=()):
    return server.sql(query, params)[0][0]


def _comment_id(cluster, body):
    return _count(cluster.primary, "SELECT id FROM comments_comment WHERE body = %s", [body])


def _mails(cluster):
    return [
        email.message_from_string(m, policy=email.policy.default) for m in cluster.mail_messages()
    ]


def _signed_in(node: str, address: str, client_ip: str) -> Browser:
    browser = Browser(client_ip)
    assert browser.get(node + "/accounts/login/")[0] == 200
    status, headers, body = browser.post(
        node + "/accounts/login/", {"login": address, "password": PASSWORD}
    )
    assert status == 302, body[:2000]
    return browser


@pytest.fixture(scope="module")
def member_browser(deployment):
    """The member, signed in through node A (a POST: pinned from here on for a while)."""
    return _signed_in(deployment["nodes"]["A"], deployment["seed"]["member"], "203.0.113.10")


def test_both_nodes_are_healthy_and_ready(deployment):
    reader = Browser("198.51.100.1")
    for base in deployment["nodes"].values():
        assert reader.get(base + "/healthz")[0] == 200
        assert reader.get(base + "/readyz")[0] == 200


def test_a_member_sees_their_comment_on_the_other_node_at_once_while_the_replica_lags(
    deployment, member_browser
):
    cluster, seed, nodes = deployment["cluster"], deployment["seed"], deployment["nodes"]
    body = "Written on node A, read on node B while the replica lags"
    wait_for(cluster.replica_caught_up, 30, "the replica to catch up")
    # The replica stops replaying: from here on it lacks whatever is written.
    cluster.replica.sql("SELECT pg_wal_replay_pause()", database="postgres")
    try:
        assert member_browser.get(nodes["A"] + seed["story_url"])[0] == 200
        status, _, page = member_browser.post(
            nodes["A"] + seed["comment_url"],
            {"body": body, "submission_key": str(uuid.uuid4())},
        )
        assert status == 302, page[:2000]

        status, _, page = member_browser.get(nodes["B"] + seed["story_url"])
        assert status == 200
        assert body in page, "node B served the member's page without their own comment"
        # A page no cache holds: their profile lists the comment only if read on the
        # primary.
        status, _, page = member_browser.get(nodes["B"] + seed["member_url"])
        assert status == 200
        assert body in page, "node B served the member's profile without their new comment"
        # The pin cookie, which the browser sends to whichever node it reaches next.
        assert member_browser.cookie("multidb_pin_writes"), "no pin cookie after a write"

        # The lag is real: the replica has not got the comment, the primary has.
        assert _count(cluster.replica, "SELECT count(*) FROM comments_comment") == 0
        assert _count(cluster.primary, "SELECT count(*) FROM comments_comment") == 1
        # The workers read the primary: the story's tracker is told while the replica lags.
        comment = _comment_id(cluster, body)
        wait_for(
            lambda: _count(
                cluster.primary,
                "SELECT count(*) FROM users_message WHERE key = %s AND recipient_id = %s",
                [f"comment:{comment}", seed["tracker"]],
            ),
            60,
            "the tracker's inbox message",
        )
    finally:
        cluster.replica.sql("SELECT pg_wal_replay_resume()", database="postgres")
    wait_for(cluster.replica_caught_up, 30, "the replica to catch up after the pause")


def test_a_page_cached_right_after_a_write_is_not_stale_while_the_replica_lags(
    deployment, member_browser
):
    """Whoever misses the cache first after a write renders the page every later visitor
    gets: a reader or member who never wrote (no pin cookie, reads on the replica) must
    still get, and leave in the cache, a page with the write."""
    cluster, seed, nodes = deployment["cluster"], deployment["seed"], deployment["nodes"]
    body = "Cached on node B from the primary while the replica lags"
    other = _signed_in(nodes["B"], seed["unpinned_member"], "203.0.113.20")
    assert other.get(nodes["B"] + "/")[0] == 200  # shows (and so clears) the signed-in message
    other.drop_cookie("multidb_pin_writes")  # as when the pin window has passed
    wait_for(cluster.replica_caught_up, 30, "the replica to catch up")
    cluster.replica.sql("SELECT pg_wal_replay_pause()", database="postgres")
    try:
        assert member_browser.get(nodes["A"] + seed["story_url"])[0] == 200
        status, _, page = member_browser.post(
            nodes["A"] + seed["comment_url"],
            {"body": body, "submission_key": str(uuid.uuid4())},
        )
        assert status == 302, page[:2000]
        assert not _count(
            cluster.replica, "SELECT count(*) FROM comments_comment WHERE body = %s", [body]
        ), "the replica is not lagging"

        reader = Browser("198.51.100.30")
        status, headers, page = reader.get(nodes["B"] + seed["story_url"])
        assert status == 200 and headers.get("X-Reader-Cache") == "miss", headers
        assert body in page, (
            "the reader's page on node B, just put in the cache, lacks the comment:"
            " rendered from the lagging replica"
        )
        # What the cache now holds (or, had a task's write moved the generation meanwhile,
        # a new rendering).
        status, headers, page = Browser("198.51.100.31").get(nodes["B"] + seed["story_url"])
        assert status == 200
        assert body in page, f"the cached reader's page lacks the comment ({headers})"
        assert not other.cookie("multidb_pin_writes")
        status, headers, page = other.get(nodes["B"] + seed["story_url"])
        assert status == 200 and headers.get("X-Member-Cache") == "miss", headers
        assert body in page, (
            "a member's shared page on node B lacks the comment: rendered from the lagging replica"
        )
    finally:
        cluster.replica.sql("SELECT pg_wal_replay_resume()", database="postgres")
    wait_for(cluster.replica_caught_up, 30, "the replica to catch up after the pause")


def test_a_reader_signs_on_node_b_and_confirms_through_node_a(deployment):
    cluster, seed, nodes = deployment["cluster"], deployment["seed"], deployment["nodes"]
    reader = Browser("198.51.100.20")
    address = "reader@scale.example"
    assert reader.get(nodes["B"] + seed["petition_url"])[0] == 200
    status, headers, page = reader.post(
        nodes["B"] + seed["sign_url"],
        {"first_name": "Rita", "last_name": "Reader", "email": address, "country": "GB",
         "show_name": "on"},
    )  # fmt: skip
    assert status == 302, page[:2000]

    def confirmation():
        return next((m for m in _mails(cluster) if address in str(m["To"])), None)

    message = wait_for(confirmation, 60, "the confirmation e-mail")
    path = link_in(message.get_body(("plain",)).get_content(), "petitions/confirm/")
    assert reader.get(nodes["A"] + path)[0] == 200
    status, _, page = reader.post(nodes["A"] + path, {})
    assert status == 302, page[:2000]

    status, ip = cluster.primary.sql(
        "SELECT status, host(ip) FROM petitions_signature WHERE email = %s", [address]
    )[0]
    assert status == "confirmed"
    # The client's address came through the trusted proxy, not the balancer's own.
    assert ip == "198.51.100.20", (
        f"the signature holds {ip}, not the client's address from X-Forwarded-For"
    )
    assert len([m for m in _mails(cluster) if address in str(m["To"])]) == 1


def test_a_worker_killed_mid_fan_out_delivers_every_message_and_email_once(
    deployment, member_browser
):
    cluster, seed, nodes = deployment["cluster"], deployment["seed"], deployment["nodes"]
    body = "A comment for a crowd of trackers"
    assert member_browser.get(nodes["B"] + seed["fan_url"])[0] == 200
    status, _, page = member_browser.post(
        nodes["B"] + seed["fan_comment_url"], {"body": body, "submission_key": str(uuid.uuid4())}
    )
    assert status == 302, page[:2000]
    key = f"comment:{_comment_id(cluster, body)}"
    trackers = cluster.primary.sql(
        "SELECT u.email, u.email_on_tracked_comments FROM comments_tracking t "
        "JOIN users_user u ON u.id = t.member_id WHERE t.story_id = %s AND u.email <> %s",
        [seed["fan_story"], seed["member"]],
    )
    recipients = {address for address, _ in trackers}  # an inbox message each
    emailed = {address for address, wants in trackers if wants}  # and these an e-mail
    assert len(recipients) >= FAN_OUT_TRACKERS

    def delivered():
        return _count(cluster.primary, "SELECT count(*) FROM users_message WHERE key = %s", [key])

    broker = redis.Redis.from_url(cluster.redis_url)

    def held() -> int:
        """Fan-out batches a worker took and has not acknowledged (kombu's unacked hash)."""
        return sum(b"comment_notify_batch_task" in raw for raw in broker.hvals("unacked"))

    # Killed while it holds a batch: the message is in the unacked hash, from which the
    # broker gives it to another worker after the visibility timeout. (kombu's Redis
    # transport takes a message off the queue, then records it as unacked: a worker
    # killed between the two steps loses that message, the transport's own limit, so
    # the kill waits until a batch is recorded as held.)
    wait_for(lambda: delivered() > 0 and held() > 0, 60, "a batch held", interval=0.005)
    cluster.processes["worker-notifications"].kill()
    at_kill = delivered()
    assert 0 < at_kill < len(recipients), f"not mid-fan-out: {at_kill} of {len(recipients)}"
    # Another worker takes the queue (and, after the visibility timeout, the batch the
    # dead one held).
    cluster.worker("worker-notifications-2", "notifications", **cluster.site_env)
    try:
        wait_for(lambda: delivered() >= len(recipients), 90, "every inbox message")
    except TimeoutError as error:
        state = {
            "delivered": delivered(),
            "of": len(recipients),
            "held": held(),
            "queued": broker.llen("notifications"),
            "mutex": broker.get("unacked_mutex"),
        }
        raise AssertionError(f"{error}: {state}") from None

    rows = cluster.primary.sql(
        "SELECT recipient_id, count(*) FROM users_message WHERE key = %s GROUP BY 1", [key]
    )
    assert len(rows) == len(recipients) and {n for _, n in rows} == {1}

    def sent():
        return [
            (str(m["To"]), str(m["Message-ID"]))
            for m in _mails(cluster)
            if "Tracked by a crowd" in str(m["Subject"])
        ]

    wait_for(lambda: {to for to, _ in sent()} >= emailed, 60, "every e-mail")
    ids: dict[str, set[str]] = {}
    for to, message_id in sent():
        ids.setdefault(to, set()).add(message_id)
    assert set(ids) == emailed, "an e-mail missing, or one to someone who did not ask"
    # One e-mail each. The kill can land after the batch in hand gave its e-mails to the
    # mailer and before its commit: its retry sends those again, as the same messages
    # (one Message-ID per notice and member), and no more than that one batch.
    assert all(len(found) == 1 for found in ids.values()), "a different e-mail sent twice"
    assert len(sent()) - len(emailed) <= FAN_OUT_BATCH


def _task_runs(cluster) -> dict[str, list[datetime.datetime]]:
    runs: dict[str, list[datetime.datetime]] = {}
    for name, process in cluster.processes.items():
        if not name.startswith("worker-"):
            continue
        for line in process.output().splitlines():
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            if record.get("logger") == "care2.task" and "task" in record:
                when = datetime.datetime.strptime(record["time"], "%Y-%m-%dT%H:%M:%S%z")
                runs.setdefault(record["task"], []).append(when)
    return runs


def test_two_beats_run_each_periodic_task_once_per_period(deployment):
    cluster = deployment["cluster"]
    schedule = settings.CELERY_BEAT_SCHEDULE
    shortest = min(entry["schedule"] for entry in schedule.values())
    sweep = next(e["task"] for e in schedule.values() if e["schedule"] == shortest)
    # Two periods of the shortest task (redbeat runs a new entry one period after the
    # schedule is first loaded).
    wait_for(
        lambda: len(_task_runs(cluster).get(sweep, [])) >= 2,
        deployment["beat_started"] + 3 * shortest + 60 - time.time(),
        f"two runs of {sweep}",
        interval=1,
    )
    elapsed = time.time() - deployment["beat_started"]
    runs = _task_runs(cluster)
    for entry in schedule.values():
        times = sorted(runs.get(entry["task"], []))
        # Once per period: no more runs than periods so far, never two in one period (a
        # second beat sending as well would run each task twice within the second).
        assert len(times) <= elapsed // entry["schedule"] + 1, (
            f"{entry['task']} ran {len(times)} times in {elapsed:.0f} s:"
            f" {[t.isoformat() for t in times]}"
        )
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        assert all(gap >= entry["schedule"] / 2 for gap in gaps), (
            f"{entry['task']} ran twice within one period (every {entry['schedule']} s),"
            f" as when two beats send: {[t.isoformat() for t in times]}"
        )
    assert len(runs[sweep]) >= 2
    # Only one beat sent anything; the other waited for the lock.
    senders = [
        name
        for name in ("beat-1", "beat-2")
        if "Sending due task" in cluster.processes[name].output()
    ]
    assert len(senders) == 1, f"beats that sent periodic tasks: {senders}"
    # Because one of them holds celery-redbeat's lock in Redis and the other waits for it
    # (two beats sending in turn, or at once only now and then, would pass the checks
    # above in one run and fail the next).
    holders = [
        name
        for name in ("beat-1", "beat-2")
        if "beat: Acquired lock" in cluster.processes[name].output()
    ]
    assert holders == senders, (
        f"beats that acquired the beat lock: {holders or 'none (the lock is off)'};"
        f" beats that sent: {senders}"
    )
