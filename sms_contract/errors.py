"""The two error families of sms-contract.

The API broke its documented contract (reported as a violation, exit code 1)::

    ContractViolation (AssertionError)

The user, the configuration or the harness got something wrong (one clear line, exit 2),
or the target could not be reached (exit 3)::

    SmsContractError (Exception)
    ├── UsageError            a bad flag, a missing or contradictory setting       exit 2
    │   └── UnsafeTargetError plain http:// to a non-loopback host, a recipient
    │                         outside the allow-list, a budget exhausted             exit 2
    ├── SpecError             the spec file is missing or invalid                  exit 2
    ├── CassetteError         a cassette is unreadable or of an unknown version    exit 2
    │   └── CassetteMiss      a replayed request matches no recording              exit 2
    │       └── RecordingEnded  a request past the end of its case's recording:
    │                             the runner reports that case not judged
    ├── TransportError        the target could not be reached (connect, timeout)  exit 3
    │   └── ResponseLost      the request was sent, the response never came       exit 3
    ├── AuthenticationError   the token endpoint refused the credentials           exit 2
    ├── ApiError              the API answered outside its documented forms and
    │                         retries did not help (5xx after the last retry)      exit 3
    └── HarnessError          sms-contract itself went wrong (a bug: please report) exit 3

No message of any of these ever contains a token, a client secret or a phone number:
callers build messages from redacted values only.
"""

from __future__ import annotations


class ContractViolation(AssertionError):
    """The target contradicted a documented claim."""


class SmsContractError(Exception):
    """Base of every error that is not the API breaking its contract."""

    exit_code: int = 2


class UsageError(SmsContractError):
    """A flag, a setting or an argument is wrong; the message says which and how to fix it."""


class UnsafeTargetError(UsageError):
    """A live-safety rule refused the request before anything was sent."""


class SpecError(SmsContractError):
    """The OpenAPI spec could not be loaded or is not valid."""


class CassetteError(SmsContractError):
    """A cassette could not be read or written."""


class CassetteMiss(CassetteError):
    """A replayed request matched no recorded interaction."""


class RecordingEnded(CassetteMiss):
    """A replayed request comes after every recorded interaction of its case was used (or its
    case recorded none): the recording run stopped before sending it (its budget, deadline or
    a signal), so the case cannot be judged from the recording."""


class TransportError(SmsContractError):
    """The target could not be reached: connection refused, DNS, TLS or timeout.

    ``permanent`` errors (a TLS failure, a host name that does not resolve) cannot pass by
    themselves, so they are never retried."""

    exit_code = 3

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ResponseLost(TransportError):
    """The request may have been processed, but no response arrived."""


class AuthenticationError(SmsContractError):
    """The token endpoint refused the configured credentials."""


class HarnessError(SmsContractError):
    """sms-contract itself reached a state it should not: a bug, not the user's doing."""

    exit_code = 3


class ApiError(SmsContractError):
    """The API answered with an undocumented form (for instance 5xx) after every retry."""

    exit_code = 3

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
