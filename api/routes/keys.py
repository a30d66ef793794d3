"""API keys, for admins: create (the key is shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import col, select

from api.deps import AdminKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.schemas import KeyCreate, KeyCreated, KeyPublic, RecordId
from inbox.keys import create_key, revoke_key
from inbox.models import ApiKey

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=error_responses(*KEYED, 403))


def _public(key: ApiKey) -> KeyPublic:
    return KeyPublic(
        id=key.id,
        prefix=key.prefix,
        role=key.role,
        name=key.name,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


@router.post(
    "",
    response_model=KeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 413, 422),
)
def create(body: KeyCreate, session: SessionDep, _key: AdminKey) -> KeyCreated:
    plaintext, key = create_key(session, body.role, body.name)
    session.commit()
    return KeyCreated(**_public(key).model_dump(), key=plaintext)


@router.get("", response_model=list[KeyPublic])
def list_keys(session: SessionDep, _key: AdminKey) -> list[KeyPublic]:
    keys = session.exec(select(ApiKey).order_by(col(ApiKey.created_at))).all()
    return [_public(k) for k in keys]


@router.delete(
    "/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 409, 422),
)
def revoke(key_id: RecordId, session: SessionDep, key: AdminKey) -> None:
    if key_id == key.id:
        raise ApiError(409, "conflict", "a key cannot revoke itself")
    if not revoke_key(session, key_id):
        raise ApiError(404, "not_found", "no such live key")
    session.commit()
