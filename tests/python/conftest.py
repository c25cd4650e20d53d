"""Starts `trailwatch serve` on a free loopback port for the Python tests."""
import json
import os
import subprocess
import pathlib
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "events" / "cloudtrail" / "invictus-ir"


def trailwatch_bin():
    explicit = os.environ.get("TRAILWATCH_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", str(REPO / "target"))
    return str(pathlib.Path(target) / "debug" / "trailwatch")


# How long a query may take to end, in wall time: the whole suite runs on two loaded cores in CI,
# where a statement with subqueries over the store has taken more than 20 s.
QUERY_WAIT_SECONDS = 180


def until_ended(state_of, ended):
    """Calls `state_of()` until `ended(state)`, for at most QUERY_WAIT_SECONDS of wall time;
    returns the last state (the caller asserts what it must be)."""
    deadline = time.monotonic() + QUERY_WAIT_SECONDS
    while True:
        state = state_of()
        if ended(state) or time.monotonic() > deadline:
            return state
        time.sleep(0.02)


@pytest.fixture(scope="session")
def service():
    proc = subprocess.Popen(
        [trailwatch_bin(), "serve", "--addr", "127.0.0.1:0", "--data", str(DATA),
         "--queued-ms", "30", "--running-ms", "60", "--lookup-rate", "0"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        yield info
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def invictus_events():
    events = []
    for f in sorted((DATA / "CloudTrail").glob("*.json")):
        events.extend(json.loads(f.read_text())["Records"])
    return events


@pytest.fixture()
def aws_env(service, monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret",
                 "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(k, v)
    return service
