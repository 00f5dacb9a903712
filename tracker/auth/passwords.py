"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import gzip
import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

from tracker.errors import DomainError

MIN_LENGTH = 12
# Far above any passphrase; stops megabyte "passwords" from being hashed on every attempt.
MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common-passwords.txt.gz"

# argon2-cffi's defaults are argon2id with parameters that meet OWASP ASVS (about 0.1 s a hash).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of a password, with a fresh salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; a missing hash costs the same time as a real one.

    Spending the argon2 time for unknown e-mails and password-less accounts keeps
    response times from telling an attacker which accounts exist.
    """
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    return _hasher.check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(24))


@cache
def common_passwords() -> frozenset[str]:
    """Django's list of 20,000 common passwords, lowercased (see data/NOTICE)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def check_policy(password: str, *, email: str, field: str = "password") -> None:
    """Refuse a password that is short, overlong, common, or the account's e-mail address."""
    if len(password) < MIN_LENGTH:
        raise DomainError(
            _("Use at least %(num)d characters; a few unrelated words make a good password.",
              num=MIN_LENGTH),
            field=field,
        )
    if len(password) > MAX_LENGTH:
        raise DomainError(_("Use at most %(num)d characters.", num=MAX_LENGTH), field=field)
    if password.strip().casefold() == email.strip().casefold():
        raise DomainError(_("The password must not be your e-mail address."), field=field)
    if password.strip().lower() in common_passwords():
        raise DomainError(
            _("This password is on a list of commonly used passwords; choose another one."),
            field=field,
        )
