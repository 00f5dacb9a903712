"""Passwords: argon2id hashes, rehashing, the policy, and equal effort for unknown accounts."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from tests.auth_support import TEST_PASSWORD, login_with_password, make_user
from tracker.auth import passwords
from tracker.auth.passwords import (
    check_policy,
    common_passwords,
    hash_password,
    needs_rehash,
    verify_password,
)
from tracker.errors import DomainError
from tracker.extensions import db


def test_hashes_are_argon2id_with_a_fresh_salt_each_time():
    first, second = hash_password("same password twice"), hash_password("same password twice")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "same password twice")
    assert not verify_password(first, "Same password twice")


def test_a_missing_or_broken_hash_never_verifies():
    assert not verify_password(None, "anything at all")
    assert not verify_password("not a hash", "not a hash")


@pytest.mark.parametrize(("password", "message"), [
    ("short pass", "Use at least 12 characters"),
    ("x" * 257, "Use at most 256 characters"),
    ("Lead@Example.org", "must not be your e-mail address"),
    ("q1w2e3r4t5y6", "list of commonly used passwords"),
    ("QWERTY123456", "list of commonly used passwords"),
    ("Password1234", "list of commonly used passwords"),
])
def test_policy_refuses_short_long_common_and_email_passwords(app, password, message):
    with pytest.raises(DomainError) as refused:
        check_policy(password, email="lead@example.org")
    assert message in refused.value.message
    assert refused.value.field == "password"


def test_policy_accepts_a_long_uncommon_password(app):
    check_policy("XRF analyser visits Chelyabinsk", email="lead@example.org")
    check_policy("x" * 256, email="lead@example.org")


def test_the_common_password_list_is_djangos_with_its_notice():
    words = common_passwords()
    assert len(words) > 19_000
    assert "password" in words and "1q2w3e4r5t6y" in words
    notice = (passwords.COMMON_PASSWORDS_FILE.parent / "NOTICE").read_text()
    assert "Django" in notice and "Redistribution and use" in notice


def test_login_rehashes_a_hash_made_with_weaker_parameters(client):
    user = make_user(email="lead@example.org")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(TEST_PASSWORD)
    user.password_hash = weak
    db.session.commit()
    assert needs_rehash(weak)
    assert login_with_password(client, "lead@example.org").status_code == 302
    db.session.refresh(user)
    assert user.password_hash != weak and not needs_rehash(user.password_hash)
    assert verify_password(user.password_hash, TEST_PASSWORD)


class SpyHasher:
    """Passes every call to the real hasher and notes which hashes were verified."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.verified: list[str] = []

    def verify(self, hash_: str, password: str) -> bool:
        self.verified.append(hash_)
        return self.real.verify(hash_, password)

    def __getattr__(self, name: str):
        return getattr(self.real, name)


@pytest.mark.parametrize("email", ["nobody@example.org", "invited@example.org"])
def test_unknown_and_passwordless_accounts_cost_a_full_argon2_verification(
        client, monkeypatch, email):
    make_user(email="invited@example.org", password=None)
    spy = SpyHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", spy)
    response = login_with_password(client, email, "some guess at a password")
    assert response.status_code == 422
    assert len(spy.verified) == 1
    assert spy.verified[0].startswith("$argon2id$")  # the dummy hash, at today's parameters
