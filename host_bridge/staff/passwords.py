"""Password hashing with argon2-cffi (Argon2id, its RFC 9106 defaults): the hash carries its
own parameters, so a hash made with older ones is noticed at sign-in and made again."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12  # CNIL's recommendation for a password alone (2022), the lockout on top
MAX_LENGTH = 128  # hashing a huge "password" is work an attacker would choose for us


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None):
        self.hasher = hasher or PasswordHasher()
        self._decoy: str | None = None  # made at the first sign-in, not when the bridge starts

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        if stored is None and self._decoy is None:
            self._decoy = self.hasher.hash("not a password of anyone's")
        try:
            # unknown logins are checked against the decoy: as long as a wrong password takes
            return self.hasher.verify(stored or self._decoy or "", password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True


def password_problem(password: object) -> str | None:
    """Why a new password is refused (None: it is fine). Never quotes the password."""
    if not isinstance(password, str):
        return "the password must be text"
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"the password needs {MIN_LENGTH} to {MAX_LENGTH} characters"
    if password.strip() != password:
        return "the password must not start or end with a space"
    return None
