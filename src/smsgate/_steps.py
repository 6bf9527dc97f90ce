"""The steps between the send flow and the gateways that carry them out.

The flow (``_flow``) and the engine (``_engine``) are generators: they yield a step and receive its
answer, so they never wait themselves. Each step is its own class, so a reader (and mypy) can
find every producer and consumer of one by name, as with h11's events or tenacity's actions:

* :class:`RunJobs` → ``list[Done]``: make these requests, concurrently, one :class:`Done` per job
  in order (a job waits its ``delay`` first, a provider rate limit's answer; ``before(job)`` may
  answer it instead of sending; as each finishes, the store operation ``after(job, done)`` returns
  is run, so its record is written at once);
* :class:`Sleep` → ``None``: wait before retrying;
* :class:`StoreOp` → what the store answered: ``Gateway`` calls ``op.call()``, ``AsyncGateway``
  awaits ``op.acall()`` (the same store method and its ``a``-prefixed twin, bound to their arguments).
  A ``quiet`` operation records what already happened (a request left): its failure is logged,
  handed to ``on_failure`` and answered as the exception, never raised, since failing the send
  then would hide what was delivered and invite a resend.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ._errors import SmsError
from ._models import Outgoing, RecipientResult
from ._phone import PhoneNumber
from .providers.base import Provider

# The steps are read-only by convention, not frozen: a frozen dataclass sets each field through
# ``object.__setattr__``, which made building a step cost more than carrying it out (a send with a
# send log makes three).

__all__ = ["Call", "Done", "Job", "RunJobs", "Sleep", "Step", "StoreOp"]

T = TypeVar("T")


@dataclass(slots=True)
class Job:
    """One request to make: this provider, this message, these recipients, try number ``number``."""

    provider: Provider
    message: Outgoing
    recipients: tuple[PhoneNumber, ...]
    number: int = 1
    message_id: str = ""
    delay: float = 0.0  # seconds to wait before sending (a provider rate limit's token)


@dataclass(slots=True)
class Done:
    """What became of a job: rows per recipient, or one error for the whole request."""

    outcome: list[RecipientResult] | SmsError
    started_at: float = 0.0
    elapsed: float = 0.0
    raw: Any = None


@dataclass(slots=True)
class RunJobs:
    """Send these jobs; answered with one :class:`Done` per job, in order."""

    jobs: list[Job]
    after: Callable[[Job, Done], StoreOp[Any] | None] | None = None  # run as each job finishes
    before: Callable[[Job], Done | None] | None = None  # an answer instead of sending (the send halted)


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds``; answered with ``None``."""

    seconds: float


@dataclass(slots=True)
class StoreOp(Generic[T]):
    """One store operation, as its sync method and its async twin bound to the same arguments:
    ``StoreOp(partial(store.admit, …), partial(store.aadmit, …))``."""

    call: Callable[[], T]
    acall: Callable[[], Awaitable[T]]
    quiet: bool = False  # logged and answered with the exception when it fails, never raised
    on_failure: Callable[[Exception], None] | None = None  # told of a quiet operation's failure


Step = RunJobs | Sleep | StoreOp[Any]


@dataclass(slots=True)
class Call:
    """A store operation named by its method, for the campaign flows (``smsgate.campaigns``): sync
    drivers call ``target.<name>(*args)``, async ones await ``target.a<name>(*args)``. The send path
    uses :class:`StoreOp`, which mypy and grep can follow."""

    target: Any
    name: str
    args: tuple[Any, ...] = ()
