"""Password hashers.

Argon2id with parameters from settings (see docs/passwords.md), and the old portal's
unsalted MD5 and SHA-1 hex digests, which Django no longer ships. Legacy hashes are only
ever verified: a successful login re-hashes the password with argon2.
"""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, mask_hash


class KabinetArgon2Hasher(Argon2PasswordHasher):
    """Argon2id whose cost comes from settings, so that a change upgrades hashes on login."""

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return settings.ARGON2_MEMORY_KIB

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return settings.ARGON2_PARALLELISM


class _LegacyDigestHasher(BasePasswordHasher):
    digest = staticmethod(hashlib.md5)

    def salt(self) -> str:
        return ""

    def encode(self, password: str, salt: str) -> str:
        return f"{self.algorithm}${self.digest(password.encode()).hexdigest()}"

    def decode(self, encoded: str) -> dict:
        algorithm, hexdigest = encoded.split("$", 1)
        return {"algorithm": algorithm, "hash": hexdigest.lower(), "salt": ""}

    def verify(self, password: str, encoded: str) -> bool:
        expected = self.decode(encoded)["hash"]
        actual = self.digest(password.encode()).hexdigest()
        return hmac.compare_digest(actual, expected)

    def safe_summary(self, encoded: str) -> dict:
        return {"algorithm": self.algorithm, "hash": mask_hash(self.decode(encoded)["hash"])}

    def must_update(self, encoded: str) -> bool:
        return True

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass


class LegacyMD5Hasher(_LegacyDigestHasher):
    algorithm = "legacy_md5"
    digest = staticmethod(hashlib.md5)


class LegacySHA1Hasher(_LegacyDigestHasher):
    algorithm = "legacy_sha1"
    digest = staticmethod(hashlib.sha1)


class LegacyBcryptHasher(BasePasswordHasher):
    """The old portal's PHP `password_hash()` bcrypt ($2y$/$2a$/$2b$), stored as
    «legacy_bcrypt$<hash>». Like PHP, it reads only the first 72 bytes of the password
    (the bcrypt library refuses longer ones rather than truncating)."""

    algorithm = "legacy_bcrypt"
    library = "bcrypt"

    def salt(self) -> str:
        return ""

    def encode(self, password: str, salt: str) -> str:
        raise NotImplementedError("legacy hashes are only verified, never made")

    def decode(self, encoded: str) -> dict:
        algorithm, data = encoded.split("$", 1)
        return {"algorithm": algorithm, "hash": data, "salt": data[7:29], "work_factor": int(data[4:6])}

    def verify(self, password: str, encoded: str) -> bool:
        bcrypt = self._load_library()
        data = self.decode(encoded)["hash"]
        # $2y$ (PHP) and $2a$ are the same algorithm as $2b$ for any password PHP accepted.
        normalised = "$2b$" + data[4:]
        try:
            return bcrypt.checkpw(password.encode()[:72], normalised.encode("ascii"))
        except ValueError:
            return False

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {"algorithm": self.algorithm, "work factor": decoded["work_factor"], "hash": mask_hash(decoded["hash"])}

    def must_update(self, encoded: str) -> bool:
        return True

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass
