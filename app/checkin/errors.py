"""What the door can refuse, as exceptions the views turn into HTTP answers."""


class CheckinError(ValueError):
    """A request the door cannot act on; the message is for the user."""


class CheckinInputError(CheckinError):
    """Malformed input (HTTP 400)."""


class CheckinForbidden(CheckinError):
    """The actor is not staff of this event (HTTP 403)."""


class CheckinNotFound(CheckinError):
    """No such event (HTTP 404)."""


class NonceReplay(Exception):  # noqa: N818  (a signal, not a failure)
    """The staff member already used this nonce: the caller rolls back and answers `response`."""

    def __init__(self, response: dict) -> None:
        super().__init__("nonce already used")
        self.response = response
