"""`UrlRejected`: why an address cannot have a discussion, shared by `urlnorm` and `hosts`."""

from typing import Literal

MAX_URL_LENGTH = 2048

Reason = Literal[
    "empty", "too_long", "bad_scheme", "credentials", "no_host", "bad_host", "bad_port", "malformed"
]

_MESSAGES: dict[Reason, str] = {
    "empty": "Enter the address of a page to discuss.",
    "too_long": f"Addresses longer than {MAX_URL_LENGTH} characters can't be discussed.",
    "bad_scheme": "Only http and https addresses can be discussed.",
    "credentials": "Addresses with a user name or password can't be discussed.",
    "no_host": "The address has no site name.",
    "bad_host": "The site name in the address is not valid.",
    "bad_port": "The port number in the address is not valid.",
    "malformed": "The address could not be understood.",
}


class UrlRejected(ValueError):
    """An address that cannot have a discussion; `reason` is a stable slug for clients."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(_MESSAGES[reason])
        self.reason: Reason = reason
