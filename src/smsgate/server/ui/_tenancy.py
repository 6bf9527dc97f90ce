"""Which tenant a page shows: the session's own; a session of the operator's tenant may pick any.

The operator's tenant is named by ``$SMSGATE_UI_OPERATOR`` (or ``install(app, operator=…)``); unset,
no key spans tenants. Any other session asking for another tenant is refused (403) before a thing
is read. The tenants to pick from are those that have API keys.
"""

from __future__ import annotations

from starlette.requests import Request

from .._keys import ApiKey
from ._render import Refused, page, service_of
from ._session import Session

__all__ = ["all_keys", "is_operator", "shown_tenant", "tenants"]


def is_operator(request: Request, session: Session) -> bool:
    operator: str | None = request.app.state.ui_operator
    return operator is not None and session.tenant == operator


def shown_tenant(request: Request, session: Session, asked: str) -> str:
    """The tenant to show: ``asked`` when the session may see it, its own when nothing is asked."""
    asked = asked.strip()
    if not asked or asked == session.tenant:
        return session.tenant
    if not is_operator(request, session):
        problem = {"problem": "tenant: this key sees only its own tenant's data"}
        raise Refused(page(request, "error.html", session, problem, 403))
    return asked


async def all_keys(request: Request) -> list[ApiKey]:
    """Every API key, newest first."""
    store = service_of(request).store
    count = int(await store.aget("apikeys:count") or 0)
    ids = [i for i in await store.aget_many([f"apikeys:{n}" for n in range(count, 0, -1)]) if i]
    records = await store.aget_many([f"apikey:{i}" for i in ids])
    return [ApiKey.from_json(r) for r in records if r]


async def tenants(request: Request, session: Session) -> list[str]:
    """The tenants the session may pick: every tenant with a key for the operator, else its own."""
    if not is_operator(request, session):
        return [session.tenant]
    return sorted({k.tenant for k in await all_keys(request)} | {session.tenant})
