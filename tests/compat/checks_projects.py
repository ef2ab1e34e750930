"""Projects, their features, archiving and members through plane-sdk."""

from __future__ import annotations

from plane import PlaneClient
from plane.models.projects import (
    CreateProject,
    PaginatedProjectResponse,
    Project,
    ProjectFeature,
    ProjectLite,
    ProjectMember,
    UpdateProject,
)
from plane.models.query_params import (
    MemberListQueryParams,
    MemberQueryParams,
    PaginatedQueryParams,
    ProjectLiteListQueryParams,
)

from harness import (
    Config,
    all_pages,
    answered,
    check,
    datetime,
    equal,
    expect,
    fields_present,
    http_error,
    is_a,
    uuid,
)

UNKNOWN = "00000000-0000-4000-8000-000000000000"
# Identifiers of the projects the suite creates: enough for three pages of two.
PAGED = ["BET", "GAM", "DEL", "EPS"]


def projects(cfg: Config, owner: PlaneClient, member: PlaneClient, ids: dict[str, str]) -> str:
    """Returns the id of a project (ALP) kept for the next sections."""
    slug, api = cfg.slug, owner.projects
    with check("projects.create: a Project, Plane's defaults, identifier upper-cased"):
        alpha = api.create(
            slug,
            CreateProject(
                name="SDK Alpha",
                identifier="alp",
                description="Made by plane-sdk",
                timezone="Europe/Paris",
                emoji="1f680",
            ),
        )
        answered(201, "projects.create")
        is_a(alpha, Project, "create")
        fields_present(alpha, "Project (create)", exclude=("sort_order",))
        uuid(alpha.id, "id")
        equal(
            (alpha.name, alpha.identifier, alpha.description),
            ("SDK Alpha", "ALP", "Made by plane-sdk"),
            "name, identifier, description",
        )
        equal(alpha.network, 2, "network (public)")
        equal(alpha.timezone, "Europe/Paris", "timezone")
        equal(
            (alpha.cycle_view, alpha.module_view, alpha.intake_view, alpha.page_view),
            (False, False, False, True),
            "feature flags",
        )
        equal((alpha.archive_in, alpha.close_in, alpha.archived_at), (0, 0, None), "archive")
        equal(
            (alpha.is_member, alpha.member_role, alpha.total_members),
            (True, 20, 1),
            "the creator's membership",
        )
        equal(
            (alpha.created_by, alpha.default_state, alpha.estimate),
            (ids["owner"], None, None),
            "created_by, default_state, estimate",
        )
        uuid(alpha.workspace, "workspace")
        datetime(alpha.created_at, "created_at")
        expect(isinstance(alpha.logo_props, dict), f"logo_props: {alpha.logo_props!r}")
    with check("projects.create: four more, for paging"):
        made = [api.create(slug, CreateProject(name=f"SDK {i}", identifier=i)) for i in PAGED]
        equal([p.identifier for p in made], PAGED, "identifiers")
        by_ident = {p.identifier: p for p in made}
    with check("projects.list: per_page=2 over three pages, following next_cursor"):
        listed = all_pages(
            lambda cursor: api.list(slug, PaginatedQueryParams(per_page=2, cursor=cursor)),
            per_page=2,
            total=5,
            what="projects",
        )
        for p in listed:
            is_a(p, Project, "list item")
            fields_present(p, f"Project {p.identifier} (list)")
            is_a(p.sort_order, float, "sort_order")
        equal(sorted(p.identifier for p in listed), sorted(["ALP", *PAGED]), "identifiers")
        equal(len({p.id for p in listed}), 5, "distinct ids")
    with check("projects.list: no parameters, one page of all five"):
        page = api.list(slug)
        is_a(page, PaginatedProjectResponse, "list")
        equal((page.count, page.total_count, page.next_page_results), (5, 5, False), "counts")
    with check("projects.list: fields= keeps only the named keys"):
        page = api.list(slug, PaginatedQueryParams(fields="id,name,identifier"))
        for p in page.results:
            equal(sorted(p.model_fields_set), ["id", "identifier", "name"], "fields")
    with check("projects.list: order_by name, -name, identifier"):

        def order(key: str) -> list[str]:
            return [
                p.identifier for p in api.list(slug, PaginatedQueryParams(order_by=key)).results
            ]

        names = {p.identifier: p.name for p in api.list(slug).results}
        by_name = sorted(names, key=lambda i: names[i])
        equal(order("name"), by_name, "order_by=name")
        equal(order("-name"), by_name[::-1], "order_by=-name")
        equal(order("identifier"), sorted(names), "order_by=identifier")
    with check("projects.list by a workspace member: the public projects, not a member of any"):
        seen = member.projects.list(slug)
        equal(seen.total_count, 5, "total_count")
        equal(
            {(p.is_member, p.member_role) for p in seen.results},
            {(False, None)},
            "is_member, member_role",
        )
    with check("projects.list_lite: ProjectLite, per_page=2 followed by next_cursor"):
        lite = all_pages(
            lambda cursor: api.list_lite(
                slug, ProjectLiteListQueryParams(per_page=2, cursor=cursor)
            ),
            per_page=2,
            total=5,
            what="projects-lite",
        )
        for p in lite:
            is_a(p, ProjectLite, "lite item")
            fields_present(p, f"ProjectLite {p.identifier}")
        equal(sorted(p.identifier for p in lite), sorted(["ALP", *PAGED]), "identifiers")
    with check("projects.retrieve: the same Project"):
        got = api.retrieve(slug, alpha.id)
        fields_present(got, "Project (retrieve)", exclude=("sort_order",))
        equal(
            got.model_dump(exclude={"sort_order"}),
            alpha.model_dump(exclude={"sort_order"}),
            "retrieved vs created",
        )
    with check("projects.update: name, description, flags, archive_in/close_in, timezone"):
        updated = api.update(
            slug,
            alpha.id,
            UpdateProject(
                name="SDK Alpha Renamed",
                description="changed",
                cycle_view=True,
                module_view=True,
                archive_in=3,
                close_in=2,
                timezone="Asia/Tokyo",
            ),
        )
        is_a(updated, Project, "update")
        equal(
            (updated.name, updated.description, updated.identifier),
            ("SDK Alpha Renamed", "changed", "ALP"),
            "name, description, identifier",
        )
        equal((updated.cycle_view, updated.module_view), (True, True), "cycle/module view")
        equal(
            (updated.archive_in, updated.close_in, updated.timezone),
            (3, 2, "Asia/Tokyo"),
            "archive_in, close_in, timezone",
        )
        equal(api.retrieve(slug, alpha.id).name, "SDK Alpha Renamed", "name read back")
    with check("projects.get_features: ProjectFeature mirrors the project's flags"):
        features = api.get_features(slug, alpha.id)
        is_a(features, ProjectFeature, "features")
        equal(
            (features.cycles, features.modules, features.intakes, features.pages),
            (True, True, False, True),
            "cycles, modules, intakes, pages",
        )
    with check("projects.update_features: PATCH some flags, the project follows"):
        changed = api.update_features(slug, alpha.id, ProjectFeature(modules=False, intakes=True))
        is_a(changed, ProjectFeature, "update_features")
        equal((changed.cycles, changed.modules, changed.intakes), (True, False, True), "flags")
        again = api.retrieve(slug, alpha.id)
        equal(
            (again.cycle_view, again.module_view, again.intake_view),
            (True, False, True),
            "project flags",
        )
    with check("projects.archive: None (204); archived_at set; lite list hides it"):
        equal(api.archive(slug, by_ident["EPS"].id), None, "archive")
        answered(204, "archive")
        archived = api.retrieve(slug, by_ident["EPS"].id)
        datetime(archived.archived_at, "archived_at")
        lite = api.list_lite(slug)
        expect("EPS" not in {p.identifier for p in lite.results}, "archived project listed")
        equal(lite.total_count, 4, "lite total_count without archived")
        lite = api.list_lite(slug, ProjectLiteListQueryParams(include_archived=True))
        equal(lite.total_count, 5, "lite total_count with include_archived")
        equal(api.list(slug).total_count, 5, "projects.list still lists archived projects")
    with check("projects.update of an archived project: HttpError 400"):
        http_error(400, lambda: api.update(slug, by_ident["EPS"].id, UpdateProject(name="nope")))
    with check("projects.unarchive: None (204); archived_at cleared"):
        equal(api.unarchive(slug, by_ident["EPS"].id), None, "unarchive")
        answered(204, "unarchive")
        equal(api.retrieve(slug, by_ident["EPS"].id).archived_at, None, "archived_at")
    with check("projects.delete: None (204); then HttpError 404; list has four"):
        equal(api.delete(slug, by_ident["EPS"].id), None, "delete")
        answered(204, "delete")
        http_error(404, lambda: api.retrieve(slug, by_ident["EPS"].id))
        equal(api.list(slug).total_count, 4, "total_count")
    with check("projects.update: default_assignee and project_lead (workspace members)"):
        updated = api.update(slug, by_ident["BET"].id, UpdateProject(default_assignee=ids["owner"]))
        equal(updated.default_assignee, ids["owner"], "default_assignee")
        e = http_error(
            400, lambda: api.update(slug, by_ident["BET"].id, UpdateProject(project_lead=UNKNOWN))
        )
        expect("project_lead" in e.response, f"body: {e.response}")
    with check("projects.create with project_lead: the lead becomes a project admin"):
        led = api.create(
            slug, CreateProject(name="SDK Led", identifier="LED", project_lead=ids["member"])
        )
        equal(led.project_lead, ids["member"], "project_lead")
        equal(led.total_members, 2, "total_members")
        seen = member.projects.retrieve(slug, led.id)
        equal((seen.is_member, seen.member_role), (True, 20), "the lead's membership")
        equal(api.delete(slug, led.id), None, "delete")
    with check("projects.create with the identifier of a deleted project: allowed again"):
        again = api.create(slug, CreateProject(name="SDK EPS again", identifier="EPS"))
        equal(again.identifier, "EPS", "identifier")
        api.delete(slug, again.id)
    project_errors(cfg, owner, member, alpha.id)
    return alpha.id


def project_errors(cfg: Config, owner: PlaneClient, member: PlaneClient, alpha_id: str) -> None:
    slug, api = cfg.slug, owner.projects
    with check("projects.create with a taken identifier: HttpError 409"):
        e = http_error(409, lambda: api.create(slug, CreateProject(name="Other", identifier="ALP")))
        expect("identifier" in e.response or "name" in e.response, f"body: {e.response}")
    with check("projects.create with a taken name: HttpError 409"):
        http_error(409, lambda: api.create(slug, CreateProject(name="SDK BET", identifier="NEW")))
    with check("projects.create with bad input: HttpError 400 (special characters, length)"):
        e = http_error(400, lambda: api.create(slug, CreateProject(name="Fine", identifier="A-B")))
        equal(
            e.response,
            {"non_field_errors": ["Project identifier cannot contain special characters."]},
            "body",
        )
        e = http_error(
            400, lambda: api.create(slug, CreateProject(name="Fine", identifier="A" * 13))
        )
        equal(
            e.response,
            {"identifier": ["Ensure this field has no more than 12 characters."]},
            "body",
        )
        e = http_error(400, lambda: api.create(slug, CreateProject(name="", identifier="OK")))
        expect("name" in e.response, f"body: {e.response}")
    with check("projects.update with a bad value: HttpError 400"):
        e = http_error(400, lambda: api.update(slug, alpha_id, UpdateProject(archive_in=13)))
        expect("archive_in" in e.response, f"body: {e.response}")
    with check("projects.retrieve/get_features of an unknown id: HttpError 404"):
        http_error(404, lambda: api.retrieve(slug, UNKNOWN))
        http_error(404, lambda: api.get_features(slug, UNKNOWN))
    with check(
        "projects.update/delete of an unknown id: HttpError 403 (Plane checks the "
        "caller's project role first)"
    ):
        http_error(403, lambda: api.update(slug, UNKNOWN, UpdateProject(name="x")))
        http_error(403, lambda: api.delete(slug, UNKNOWN))
    with check("a workspace member (not in the project) sees it, but may not change it: 403"):
        seen = member.projects.retrieve(slug, alpha_id)
        equal((seen.is_member, seen.member_role), (False, None), "is_member, member_role")
        http_error(403, lambda: member.projects.update(slug, alpha_id, UpdateProject(name="mine")))
        http_error(403, lambda: member.projects.delete(slug, alpha_id))
        http_error(
            403,
            lambda: member.projects.update_features(slug, alpha_id, ProjectFeature(cycles=False)),
        )
    with check("a workspace member may create a project (and is its admin)"):
        own = member.projects.create(slug, CreateProject(name="Member project", identifier="MEM"))
        equal((own.is_member, own.member_role), (True, 20), "is_member, member_role")
        equal(member.projects.delete(slug, own.id), None, "delete")


def project_members(
    cfg: Config, owner: PlaneClient, member: PlaneClient, ids: dict[str, str], project_id: str
) -> None:
    """Adding and changing project members has no v1 SDK call: the SDK's transport sends them;
    the lists go through `projects.get_members` / `get_members_lite`."""
    slug, api = cfg.slug, owner.projects
    base = f"{slug}/projects/{project_id}"
    with check("projects.get_members: a bare list of ProjectMember, the creator as admin"):
        listed = api.get_members(slug, project_id)
        equal(len(listed), 1, "members")
        only = listed[0]
        is_a(only, ProjectMember, "member")
        fields_present(only, "ProjectMember")
        equal(
            (only.id, only.role, only.role_slug, only.is_active, only.is_bot),
            (ids["owner"], 20, "admin", True, False),
            "the creator's row",
        )
    with check("project members POST: 201 {id, member, role}"):
        added = api._post(f"{base}/members", {"member": ids["member"], "role": 15})
        answered(201, "project members POST")
        equal(sorted(added), ["id", "member", "role"], "keys")
        uuid(added["id"], "id")
        equal((added["member"], added["role"]), (ids["member"], 15), "member, role")
    with check("projects.get_members: both, with filters"):
        listed = api.get_members(slug, project_id)
        equal(
            sorted((m.email, m.role) for m in listed),
            sorted([(cfg.email, 20), (cfg.member_email, 15)]),
            "members",
        )
        found = api.get_members(slug, project_id, MemberQueryParams(role_slug="member"))
        equal([m.id for m in found], [ids["member"]], "role_slug=member")
        found = api.get_members(slug, project_id, {"is_active": True})
        equal(len(found), 2, "is_active=True (a raw mapping, lower-cased by the SDK)")
    with check("projects.get_members_lite: envelope, per_page=1 followed by next_cursor"):
        rows = all_pages(
            lambda cursor: api.get_members_lite(
                slug, project_id, MemberListQueryParams(per_page=1, cursor=cursor)
            ),
            per_page=1,
            total=2,
            what="project-members-lite",
        )
        for m in rows:
            is_a(m, ProjectMember, "lite row")
        equal(sorted(m.id for m in rows), sorted(ids.values()), "ids")
    with check("project members GET one: a ProjectMember of that user"):
        one = ProjectMember.model_validate(api._get(f"{base}/members/{added['id']}"))
        equal((one.id, one.email), (ids["member"], cfg.member_email), "id, email")
    with check("the added member now sees is_member and member_role"):
        seen = member.projects.retrieve(slug, project_id)
        equal((seen.is_member, seen.member_role), (True, 15), "is_member, member_role")
    with check("project members PATCH role: {id, member, role}"):
        patched = api._patch(f"{base}/members/{added['id']}", {"role": 5})
        equal(patched, {"id": added["id"], "member": ids["member"], "role": 5}, "body")
        roles = {m.id: m.role for m in api.get_members(slug, project_id)}
        equal(roles[ids["member"]], 5, "role listed")
    with check("project members: bad role, unknown user, second add: HttpError 400"):
        e = http_error(400, lambda: api._patch(f"{base}/members/{added['id']}", {"role": 10}))
        expect("role" in e.response, f"body: {e.response}")
        e = http_error(400, lambda: api._post(f"{base}/members", {"member": UNKNOWN, "role": 15}))
        expect("member" in e.response, f"body: {e.response}")
        http_error(400, lambda: api._post(f"{base}/members", {"member": ids["member"], "role": 5}))
    with check("project members by a non-admin of the project: HttpError 403"):
        http_error(
            403,
            lambda: member.projects._post(f"{base}/members", {"member": ids["owner"], "role": 5}),
        )
        http_error(
            403, lambda: member.projects._patch(f"{base}/members/{added['id']}", {"role": 15})
        )
    with check("project members GET an unknown id: HttpError 404"):
        http_error(404, lambda: api._get(f"{base}/members/{UNKNOWN}"))
    with check("project members DELETE: None (204); the row stays, inactive"):
        equal(api._delete(f"{base}/members/{added['id']}"), None, "delete")
        answered(204, "project members DELETE")
        rows = {m.id: m for m in api.get_members(slug, project_id)}
        if ids["member"] in rows:
            equal(rows[ids["member"]].is_active, False, "is_active after removal")
        seen = member.projects.retrieve(slug, project_id)
        equal((seen.is_member, seen.member_role), (False, None), "is_member after removal")
    with check("a removed member may be added back"):
        again = api._post(f"{base}/members", {"member": ids["member"], "role": 15})
        equal((again["member"], again["role"]), (ids["member"], 15), "member, role")
        active = api.get_members(slug, project_id, MemberQueryParams(is_active=True))
        equal(len(active), 2, "active members")
