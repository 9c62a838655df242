"""The one error hierarchy of Kaona.

Every error the project raises on purpose is a ``KaonaError``. Edges translate
them: the webhook into an HTTP status, handlers into a polite Thai message, the
CLI into an exit code with the message. It lives in the domain package, the
floor every other package stands on, so that each of them can raise and catch
these without importing another layer.

KaonaError
├── ConfigError                 a setting is missing or malformed (names the variable)
├── WebhookError                a webhook request LINE (or someone) sent is unusable
│   ├── InvalidSignature        X-Line-Signature missing or wrong            -> 400
│   ├── PayloadTooLarge         body over the limit                          -> 413
│   └── MalformedPayload        not JSON, or events the SDK rejects          -> 400
├── LineApiError                the LINE Messaging API refused or failed a call
│   ├── LineBadRequest          400: the request broke one of LINE's rules
│   │   └── InvalidReplyToken   400 "Invalid reply token": used or expired
│   ├── LineAuthError           401/403: token wrong, or feature not allowed
│   ├── LineNotFound            404: no such user/group (or not a friend/member)
│   ├── LineConflict            409: the retry key was already accepted
│   ├── LineRateLimited         429: over the rate limit (waiting helps)
│   │   └── LineQuotaExhausted  429: the monthly message quota is used up (waiting does not)
│   ├── LineServerError         5xx from LINE
│   ├── LineUnavailable         no answer: a timeout (the call may have been taken)
│   │   └── LineUnreachable     no connection made: certainly nothing was sent
│   └── LineRequestInvalid      a request the SDK refused to build (never sent)
├── ContentError                a photo or file someone sent cannot be kept
│   └── FileTooLarge            over the size a report attachment may have
├── StorageError                the database or Redis failed
│   └── LostLease               an event's claim ran out and another worker took it
├── PlanError                   a plan file or plan data cannot be used
└── ExportLinkInvalid           a download link is forged, expired or no longer allowed -> 403
"""

from __future__ import annotations


class KaonaError(Exception):
    """Base of every error Kaona raises on purpose."""


class ConfigError(KaonaError):
    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class WebhookError(KaonaError):
    status_code = 400


class InvalidSignature(WebhookError):
    status_code = 400


class PayloadTooLarge(WebhookError):
    status_code = 413


class MalformedPayload(WebhookError):
    status_code = 400


class LineApiError(KaonaError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})

    @property
    def retry_after(self) -> float | None:
        """Seconds LINE asked us to wait (``Retry-After``), at most 30; None if it did not say."""
        value = {k.lower(): v for k, v in self.headers.items()}.get("retry-after")
        try:
            return min(float(value), 30.0) if value is not None else None
        except ValueError:
            return None


class LineBadRequest(LineApiError):
    pass


class InvalidReplyToken(LineBadRequest):
    pass


class LineAuthError(LineApiError):
    pass


class LineNotFound(LineApiError):
    pass


class LineConflict(LineApiError):
    pass


class LineRateLimited(LineApiError):
    """Over LINE's request rate: try again later (``Retry-After`` when LINE sends one)."""


class LineQuotaExhausted(LineRateLimited):
    """The monthly message quota is used up: final until the month turns."""


class LineServerError(LineApiError):
    pass


class LineUnavailable(LineApiError):
    """No answer from LINE: the request may or may not have been taken."""


class LineUnreachable(LineUnavailable):
    """No connection could be made (refused, or the connect timed out): nothing was sent."""


class LineRequestInvalid(LineApiError):
    """The SDK refused to build the request (its ``ValidationError``): nothing was sent."""


class ContentError(KaonaError):
    """A photo or file someone sent cannot be fetched or stored."""


class FileTooLarge(ContentError):
    """Over the size a report attachment may have."""


class StorageError(KaonaError):
    pass


class LostLease(StorageError):
    """The claim ran out and another worker took the event: this one must roll back."""


class PlanError(KaonaError):
    pass


class ExportLinkInvalid(KaonaError):
    """A signed export link that does not open: forged, expired, or for projects its
    holder may no longer see. The web edge answers 403."""
