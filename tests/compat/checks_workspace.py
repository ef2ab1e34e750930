"""Users, workspace members and invitations through plane-sdk."""

from __future__ import annotations

from typing import Any

from plane import PlaneClient
from plane.models.query_params import MemberListQueryParams, MemberQueryParams
from plane.models.users import UserLite
from plane.models.workspaces import WorkspaceMember

from harness import (
    Config,
    all_pages,
    answered,
    check,
    client,
    datetime,
    equal,
    expect,
    fields_present,
    http_error,
    is_a,
    uuid,
)


def users(cfg: Config, owner: PlaneClient, member: PlaneClient) -> dict[str, str]:
    """Returns the user ids by role."""
    with check("users.get_me: the owner, as UserLite with every field"):
        me = owner.users.get_me()
        is_a(me, UserLite, "get_me")
        fields_present(me, "UserLite")
        uuid(me.id, "id")
        equal(me.email, cfg.email, "email")
        expect(bool(me.display_name), f"display_name is empty: {me!r}")
    with check("users.get_me: the member's token gives the member"):
        them = member.users.get_me()
        equal(them.email, cfg.member_email, "email")
        expect(them.id != me.id, "two users with one id")
    with check("an unknown API key: HttpError 403 through the SDK"):
        stranger = client(cfg.base_url, "plane_api_" + "0" * 32)
        e = http_error(403, stranger.users.get_me)
        expect("detail" in e.response or "error" in e.response, f"body: {e.response}")
    return {"owner": me.id, "member": them.id}


def members(cfg: Config, owner: PlaneClient, member: PlaneClient, ids: dict[str, str]) -> None:
    slug = cfg.slug
    with check("workspaces.get_members: a bare list of WorkspaceMember, roles and flags"):
        listed = owner.workspaces.get_members(slug)
        equal(len(listed), 2, "members")
        by_email = {m.email: m for m in listed}
        for m in listed:
            is_a(m, WorkspaceMember, "member")
            fields_present(m, f"WorkspaceMember {m.email}")
            equal(m.is_active, True, f"{m.email} is_active")
            equal(m.is_bot, False, f"{m.email} is_bot")
        owner_row, member_row = by_email[cfg.email], by_email[cfg.member_email]
        equal(
            (owner_row.id, owner_row.role, owner_row.role_slug),
            (ids["owner"], 20, "admin"),
            "the owner's row",
        )
        equal(
            (member_row.id, member_row.role, member_row.role_slug),
            (ids["member"], 15, "member"),
            "the member's row",
        )
    with check("workspaces.get_members: filters (email, role_slug, is_active, is_bot)"):

        def emails(**filters: Any) -> list[str]:
            found = owner.workspaces.get_members(slug, MemberQueryParams(**filters))
            return sorted(m.email for m in found)

        equal(emails(email=cfg.member_email.split("@")[0].upper()), [cfg.member_email], "email=")
        equal(emails(role_slug="admin"), [cfg.email], "role_slug=admin")
        equal(emails(is_active=True), sorted([cfg.email, cfg.member_email]), "is_active=true")
        equal(emails(is_active=False), [], "is_active=false")
        equal(emails(is_bot=True), [], "is_bot=true")
    with check("workspaces.get_members: a member may list the members too"):
        equal(len(member.workspaces.get_members(slug)), 2, "members seen by the member")
    with check("workspaces.get_members_lite: envelope, per_page=1 followed by next_cursor"):
        rows = all_pages(
            lambda cursor: owner.workspaces.get_members_lite(
                slug, MemberListQueryParams(per_page=1, cursor=cursor)
            ),
            per_page=1,
            total=2,
            what="members-lite",
        )
        for m in rows:
            is_a(m, WorkspaceMember, "members-lite row")
        equal(sorted(m.email for m in rows), sorted([cfg.email, cfg.member_email]), "emails")
    with check("workspaces.get_members_lite: filters apply before paging"):
        page = owner.workspaces.get_members_lite(slug, MemberListQueryParams(role_slug="member"))
        equal([m.email for m in page.results], [cfg.member_email], "role_slug=member")
        equal(page.total_count, 1, "total_count")
    with check("an unknown workspace: HttpError 403 from get_members (as Plane's permission)"):
        http_error(403, lambda: owner.workspaces.get_members("no-such-workspace"))


INVITE_KEYS = ["id", "email", "role", "created_at", "updated_at", "responded_at", "accepted"]


def invitations(cfg: Config, owner: PlaneClient, member: PlaneClient) -> None:
    """Invitations have no resource in the v1 SDK: the SDK's own transport (its BaseResource
    `_get/_post/_patch/_delete`) sends them, with its headers, slashes and JSON handling."""
    ws, slug = owner.workspaces, cfg.slug
    with check("invitations POST: 201, Plane's seven fields, e-mail lower-cased"):
        invite = ws._post(f"{slug}/invitations", {"email": "Invitee@Example.com", "role": 15})
        answered(201, "invitation POST")
        is_a(invite, dict, "invitation")
        equal(sorted(invite), sorted(INVITE_KEYS), "keys")
        uuid(invite["id"], "id")
        equal(invite["email"], "invitee@example.com", "email")
        equal(invite["role"], 15, "role")
        equal((invite["accepted"], invite["responded_at"]), (False, None), "accepted, responded_at")
        datetime(invite["created_at"], "created_at")
        datetime(invite["updated_at"], "updated_at")
    with check("invitations POST without a role: guest (5)"):
        guest = ws._post(f"{slug}/invitations", {"email": "guest@example.com"})
        equal(guest["role"], 5, "default role")
    with check("invitations GET: a bare list with both"):
        listed = ws._get(f"{slug}/invitations")
        is_a(listed, list, "list")
        equal(
            sorted(i["email"] for i in listed),
            ["guest@example.com", "invitee@example.com"],
            "emails",
        )
        for item in listed:
            equal(sorted(item), sorted(INVITE_KEYS), "keys")
    with check("invitations GET one"):
        one = ws._get(f"{slug}/invitations/{invite['id']}")
        equal(one, invite, "the invitation read back")
    with check("invitations PATCH role"):
        patched = ws._patch(f"{slug}/invitations/{invite['id']}", {"role": 20})
        equal((patched["id"], patched["role"]), (invite["id"], 20), "id, role")
        equal(sorted(patched), sorted(INVITE_KEYS), "keys")
    with check("invitations POST the same e-mail again: HttpError 400"):
        e = http_error(
            400, lambda: ws._post(f"{slug}/invitations", {"email": "invitee@example.com"})
        )
        equal(e.response, {"non_field_errors": ["Email already invited"]}, "body")
    with check("invitations POST a bad e-mail or role: HttpError 400 per field"):
        e = http_error(400, lambda: ws._post(f"{slug}/invitations", {"email": "nope"}))
        expect("email" in e.response, f"body: {e.response}")
        e = http_error(
            400, lambda: ws._post(f"{slug}/invitations", {"email": "x@example.com", "role": 10})
        )
        equal(e.response, {"role": ['"10" is not a valid choice.']}, "body")
    with check("invitations PATCH email: HttpError 400 EMAIL_CANNOT_BE_UPDATED"):
        e = http_error(
            400,
            lambda: ws._patch(f"{slug}/invitations/{invite['id']}", {"email": "other@example.com"}),
        )
        equal(e.response.get("code"), "EMAIL_CANNOT_BE_UPDATED", "code")
    with check("invitations by a workspace member (not admin): HttpError 403"):
        mws = member.workspaces
        http_error(403, lambda: mws._post(f"{slug}/invitations", {"email": "z@example.com"}))
        http_error(403, lambda: mws._get(f"{slug}/invitations"))
        http_error(403, lambda: mws._delete(f"{slug}/invitations/{invite['id']}"))
    with check("invitations DELETE: None (204), then HttpError 404"):
        equal(ws._delete(f"{slug}/invitations/{guest['id']}"), None, "delete")
        answered(204, "invitation DELETE")
        http_error(404, lambda: ws._get(f"{slug}/invitations/{guest['id']}"))
        equal([i["id"] for i in ws._get(f"{slug}/invitations")], [invite["id"]], "left")
    with check("invitations GET an unknown id: HttpError 404"):
        http_error(404, lambda: ws._get(f"{slug}/invitations/00000000-0000-4000-8000-000000000000"))
