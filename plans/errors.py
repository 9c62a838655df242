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
│   ├── LineRateLimited         429: over the rate limit or the monthly quota
│   ├── LineServerError         5xx from LINE
│   └── LineUnavailable         no answer: timeout or connection refused
├── ContentError                a photo or file someone sent cannot be kept
│   └── FileTooLarge            over the size a report attachment may have
├── StorageError                the database or Redis failed
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
    def __init__(self, message: str, *, status: int | None = None, body: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.headers: dict[str, str] = {}


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
    @property
    def quota_exhausted(self) -> bool:
        """429 for the monthly message quota (waiting will not help) rather than the rate."""
        return "monthly limit" in str(self).lower()


class LineServerError(LineApiError):
    pass


class LineUnavailable(LineApiError):
    pass


class ContentError(KaonaError):
    """A photo or file someone sent cannot be fetched or stored."""


class FileTooLarge(ContentError):
    """Over the size a report attachment may have."""


class StorageError(KaonaError):
    pass


class PlanError(KaonaError):
    pass


class ExportLinkInvalid(KaonaError):
    """A signed export link that does not open: forged, expired, or for projects its
    holder may no longer see. The web edge answers 403."""
