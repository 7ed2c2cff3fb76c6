"""Two-factor sign-in for the benchmarks' sessions: platform admins always answer a challenge.

`complete` answers `signIn`'s challenge as an authenticator app would (RFC 6238: HMAC-SHA1, six
digits, 30-second steps), enrolling first when the server asks for it; `execute` is the caller's
GraphQL function, `(query, variables, what) -> data`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

SIGN_IN_FIELDS = "tokens { accessToken } institutionId challenge { token step enrolment { secret } }"

COMPLETE_SIGN_IN = """mutation CompleteSignIn($challenge: String!, $code: String!) {
  completeSignIn(input: {challenge: $challenge, code: $code}) { tokens { accessToken } userErrors { field message code } }
}"""


def code(secret_b32: str, steps_ahead: int = 0) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int(time.time()) // 30 + steps_ahead
    mac = hmac.new(key, struct.pack(">q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{binary % 1_000_000:06d}"


class Authenticator:
    """Remembers the secret an account enrolled, for its later sign-ins."""

    def __init__(self) -> None:
        self.secret: str | None = None

    def complete(self, signed_in: dict, execute, what: str) -> str:
        """The access token from a `signIn` payload, answering its challenge if it has one."""
        tokens = signed_in.get("tokens")
        if tokens:
            return tokens["accessToken"]
        challenge = signed_in.get("challenge") or {}
        if not challenge:
            raise RuntimeError(f"{what}: neither tokens nor a challenge in {signed_in}")
        if challenge.get("step") == "ENROL":
            self.secret = challenge["enrolment"]["secret"]
        if self.secret is None:
            raise RuntimeError(f"{what}: a code is asked for, but this run never enrolled the account")
        # The next step's code if this step's was spent by an earlier sign-in.
        for ahead in (0, 1):
            data = execute(COMPLETE_SIGN_IN, {"challenge": challenge["token"], "code": code(self.secret, ahead)},
                           f"{what}: completeSignIn")
            p = data["completeSignIn"]
            if p.get("tokens"):
                return p["tokens"]["accessToken"]
        raise RuntimeError(f"{what}: completeSignIn refused the authenticator's codes: {p.get('userErrors')}")
