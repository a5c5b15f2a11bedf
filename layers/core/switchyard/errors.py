"""The Switchyard error tree.

SwitchyardError
├── ConfigError          settings, catalog or model files are missing or invalid
├── ModelError           the bundled classifier cannot be loaded or run
├── InputError           a request the router cannot accept (400)
│   ├── ModelNotFoundError    the model field names no catalog model (404)
│   ├── ModelNotAllowedError  the API key may not use the model it names (403)
│   └── RequestTooLargeError  the body is over the size limit (413)
├── AuthError            missing or unknown API key (401)
├── BudgetExceededError  the tenant's spend reached its hard cap (429)
├── StoreError           DynamoDB (or another store) failed
├── ProviderError        an upstream model provider failed
│   └── NoProviderError  no provider is configured for any eligible model
└── NoRouteError         no model in the pool is eligible for the request
"""

from __future__ import annotations


class SwitchyardError(Exception):
    """Base of every error the router raises on purpose."""


class ConfigError(SwitchyardError):
    pass


class ModelError(SwitchyardError):
    pass


class InputError(SwitchyardError):
    """A client mistake; ``code`` and ``param`` become the OpenAI error's fields. The HTTP
    status follows the subclass (the API maps it in one place), never the code string."""

    default_code = "invalid_request"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.code = code or self.default_code


class ModelNotFoundError(InputError):
    default_code = "model_not_found"


class ModelNotAllowedError(InputError):
    default_code = "model_not_allowed"


class RequestTooLargeError(InputError):
    default_code = "request_too_large"


class AuthError(SwitchyardError):
    pass


class BudgetExceededError(SwitchyardError):
    pass


class StoreError(SwitchyardError):
    pass


class ProviderError(SwitchyardError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        model: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.model = model
        self.retry_after = retry_after


class NoProviderError(ProviderError):
    pass


class NoRouteError(SwitchyardError):
    pass
