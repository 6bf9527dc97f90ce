"""The keys that encrypt extension secrets at rest (``cryptography``'s Fernet, ``smsgate[extensions]``).

Keys come, first found, from ``keys=``, ``$SMSGATE_EXTENSIONS_KEY`` (comma-separated),
``$SMSGATE_EXTENSIONS_KEY_FILE`` (one key a line), or the key file beside the database
(``extensions.sqlite3.key``, created with mode 0600 on first use). The first key encrypts; every
key decrypts, so a new key goes first and the old ones stay until
:meth:`~smsgate.extensions.ExtensionStore.rotate_keys` has re-encrypted everything.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import ConfigError

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet

__all__ = ["ENV_KEY", "ENV_KEY_FILE", "Keys", "generate_key"]

ENV_KEY = "SMSGATE_EXTENSIONS_KEY"
ENV_KEY_FILE = "SMSGATE_EXTENSIONS_KEY_FILE"


def _fernet() -> type[Fernet]:
    try:
        from cryptography.fernet import Fernet
    except ImportError:  # pragma: no cover - depends on the environment
        needs = "encrypting extension secrets needs cryptography: pip install 'smsgate[extensions]'"
        raise ConfigError(needs) from None
    return Fernet


def generate_key() -> str:
    """A new random Fernet key (URL-safe base64 text), to put first in the key list."""
    return _fernet().generate_key().decode()


class Keys:
    """Encrypts with the first key, decrypts with any (a ``MultiFernet``); never shows a key."""

    def __init__(self, keys: Sequence[str | bytes], source: str) -> None:
        from cryptography.fernet import MultiFernet

        fernet = _fernet()
        if not keys:
            raise ConfigError(f"{source}: no key")
        try:
            self._box: MultiFernet = MultiFernet([fernet(k.strip()) for k in keys])
        except (ValueError, TypeError):
            raise ConfigError(f"{source}: not Fernet keys (32 url-safe base64-encoded bytes each)") from None
        self.source = source

    def __repr__(self) -> str:
        return f"<Keys from {self.source}>"

    @classmethod
    def find(cls, database: str, environ: Mapping[str, str] | None = None) -> Keys:
        """The keys for ``database`` (a path or ``:memory:``), from the first source that has them."""
        env = os.environ if environ is None else environ
        if env.get(ENV_KEY):
            return cls(env[ENV_KEY].split(","), f"${ENV_KEY}")
        if env.get(ENV_KEY_FILE):
            return cls._from_file(Path(env[ENV_KEY_FILE]), create=False)
        if database == ":memory:" or database.startswith("file::memory:"):
            return cls([generate_key()], "a key for this process only")
        return cls._from_file(Path(f"{database}.key"), create=True)

    @classmethod
    def _from_file(cls, path: Path, *, create: bool) -> Keys:
        try:
            if create and not path.exists():
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as out:
                    out.write(generate_key() + "\n")
            lines = path.read_text(encoding="ascii").split()
        except FileExistsError:  # another process created it first: read theirs
            lines = path.read_text(encoding="ascii").split()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the extension key file ({type(exc).__name__})") from None
        return cls(lines, str(path))

    def encrypt(self, text: str) -> str:
        token: bytes = self._box.encrypt(text.encode())
        return token.decode()

    def decrypt(self, token: str, where: str) -> str:
        return self._open(self._box.decrypt, token, where)

    def rotate(self, token: str, where: str) -> str:
        """``token`` re-encrypted with the first key."""
        return self._open(self._box.rotate, token, where)

    def _open(self, step: Callable[[bytes], bytes], token: str, where: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return step(token.encode()).decode()
        except (InvalidToken, UnicodeEncodeError):
            raise ConfigError(f"{where}: cannot be decrypted with the keys from {self.source}") from None
