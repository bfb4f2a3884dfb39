"""No account oracles: forms answer alike whether or not an address has an account."""

import statistics
import time

import pytest

from app.extensions import db
from tests.factories import make_user


# Production-like hashing cost here (the suite's cheap default would be lost in the noise).
@pytest.mark.config(PASSWORD_HASH_METHOD="scrypt:16384:8:1")
def test_login_costs_the_same_for_known_and_unknown_addresses(client):
    make_user(email="dana@example.com")
    db.session.commit()

    def seconds(email: str) -> float:
        start = time.perf_counter()
        response = client.post("/auth/login", data={"email": email, "password": "wrong-one"})
        assert response.status_code == 401
        return time.perf_counter() - start

    # Interleaved, so a burst of load on the machine falls on both alike.
    times: dict[str, list[float]] = {"dana@example.com": [], "nobody@example.com": []}
    for _ in range(20):
        for email, seen in times.items():
            seen.append(seconds(email))
    known, unknown = (statistics.median(seen) for seen in times.values())
    assert abs(known - unknown) <= 0.25 * max(known, unknown), (known, unknown)
    # The work is the real scrypt hash, not nothing for both.
    assert unknown > 0.005
