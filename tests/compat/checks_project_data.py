"""States, labels and estimates of a project through plane-sdk."""

from __future__ import annotations

from plane import PlaneClient
from plane.models.estimates import (
    CreateEstimate,
    CreateEstimatePoint,
    Estimate,
    EstimatePoint,
    UpdateEstimate,
    UpdateEstimatePoint,
)
from plane.models.labels import CreateLabel, Label, PaginatedLabelResponse, UpdateLabel
from plane.models.projects import CreateProject, UpdateProject
from plane.models.states import CreateState, PaginatedStateResponse, State, UpdateState

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
# Plane's states for a new project (Triage exists but v1 never shows it).
DEFAULT_STATES = [
    ("Backlog", "#60646C", "backlog", True),
    ("Todo", "#60646C", "unstarted", False),
    ("In Progress", "#F59E0B", "started", False),
    ("Done", "#46A758", "completed", False),
    ("Cancelled", "#9AA4BC", "cancelled", False),
]


def states(cfg: Config, owner: PlaneClient, member: PlaneClient, project_id: str) -> None:
    slug, api = cfg.slug, owner.states
    with check("states.list: a new project's five states, as State, in sequence order"):
        page = api.list(slug, project_id)
        is_a(page, PaginatedStateResponse, "list")
        equal(page.total_count, 5, "total_count")
        for s in page.results:
            is_a(s, State, "state")
            fields_present(s, f"State {s.name}")
            equal((s.project, s.is_triage), (project_id, False), f"{s.name} project, is_triage")
            uuid(s.workspace, "workspace")
        equal(
            [(s.name, s.color, s.group, s.default) for s in page.results],
            DEFAULT_STATES,
            "name, color, group, default",
        )
        sequences = [s.sequence for s in page.results]
        equal(sequences, sorted(sequences), "ascending sequence")
        backlog = page.results[0]
    with check("states.create: a State (name, color, group, description, sequence)"):
        review = api.create(
            slug,
            project_id,
            CreateState(
                name="Review",
                color="#AABBCC",
                group="started",
                description="Waiting for review",
                sequence=36000,
                external_source="sdk",
                external_id="review-1",
            ),
        )
        answered(200, "states.create (Plane answers 200, not 201)")
        is_a(review, State, "create")
        fields_present(review, "State (create)")
        uuid(review.id, "id")
        equal(
            (review.name, review.color, review.group, review.description, review.sequence),
            ("Review", "#AABBCC", "started", "Waiting for review", 36000.0),
            "fields",
        )
        equal(
            (review.default, review.is_triage, review.project),
            (False, False, project_id),
            "default, is_triage, project",
        )
        equal((review.external_source, review.external_id), ("sdk", "review-1"), "external ref")
        datetime(review.created_at, "created_at")
    with check("states.create without group: backlog, sequence after the last"):
        parked = api.create(slug, project_id, CreateState(name="Parked", color="#123456"))
        equal(parked.group, "backlog", "group")
        expect(parked.sequence > 55000, f"sequence {parked.sequence}")
    with check("states.list: per_page=3 over seven states, following next_cursor"):
        listed = all_pages(
            lambda cursor: api.list(slug, project_id, {"per_page": 3, "cursor": cursor}),
            per_page=3,
            total=7,
            what="states",
        )
        equal(
            [s.name for s in listed],
            ["Backlog", "Todo", "In Progress", "Review", "Done", "Cancelled", "Parked"],
            "order",
        )
    with check("states.list: a cursor past the end gives an empty page"):
        page = api.list(slug, project_id, {"per_page": 3, "cursor": "3:5:0"})
        equal((page.count, page.results, page.total_count), (0, [], 7), "count, results, total")
        equal((page.next_page_results, page.prev_page_results), (False, True), "flags")
        equal((page.next_cursor, page.prev_cursor), ("3:6:0", "3:4:1"), "cursors")
    with check("states.list with bad paging parameters: HttpError 400 with Plane's detail"):
        for params, detail in [
            ({"per_page": "many"}, "Invalid per_page parameter."),
            ({"per_page": 1001}, "Invalid per_page value. Cannot exceed 1000."),
            ({"cursor": "nonsense"}, "Invalid cursor parameter."),
        ]:
            e = http_error(400, lambda p=params: api.list(slug, project_id, p))
            equal(e.response, {"detail": detail}, f"body for {params}")
    with check("states.retrieve: the same State"):
        got = api.retrieve(slug, project_id, review.id)
        equal(got.model_dump(), review.model_dump(), "retrieved vs created")
    with check("states.update: name, color, sequence"):
        updated = api.update(
            slug,
            project_id,
            review.id,
            UpdateState(name="In Review", color="#000000", sequence=40000),
        )
        is_a(updated, State, "update")
        equal(
            (updated.id, updated.name, updated.color, updated.sequence, updated.group),
            (review.id, "In Review", "#000000", 40000.0, "started"),
            "fields",
        )
        equal(api.retrieve(slug, project_id, review.id).name, "In Review", "read back")
    with check("states.create with a taken name: HttpError 409 with the existing id"):
        e = http_error(
            409,
            lambda: api.create(slug, project_id, CreateState(name="In Review", color="#111111")),
        )
        equal(e.response.get("id"), review.id, "id")
        e = http_error(
            409,
            lambda: api.create(
                slug,
                project_id,
                CreateState(
                    name="Other", color="#111111", external_source="sdk", external_id="review-1"
                ),
            ),
        )
        equal(e.response.get("id"), review.id, "id (external ref)")
    with check("states.create with bad input: HttpError 400 (triage group, missing color)"):
        e = http_error(
            400,
            lambda: api.create(
                slug, project_id, CreateState(name="Tri", color="#111111", group="triage")
            ),
        )
        equal(e.response, {"non_field_errors": ["Cannot create triage state"]}, "body")
        e = http_error(
            400, lambda: api._post(f"{slug}/projects/{project_id}/states", {"name": "x"})
        )
        equal(e.response, {"color": ["This field is required."]}, "body")
    with check("states: unknown ids: HttpError 404"):
        http_error(404, lambda: api.retrieve(slug, project_id, UNKNOWN))
        http_error(404, lambda: api.update(slug, project_id, UNKNOWN, UpdateState(name="x")))
    with check("states.list of an unknown project: HttpError 403 (not a member of it)"):
        http_error(403, lambda: api.list(slug, UNKNOWN))
    with check("states.delete of the default state: HttpError 400"):
        e = http_error(400, lambda: api.delete(slug, project_id, backlog.id))
        equal(e.response, {"error": "Default state cannot be deleted"}, "body")
    with check("states by a workspace member outside the project: HttpError 403"):
        http_error(
            403,
            lambda: member.states.create(
                slug, project_id, CreateState(name="Mine", color="#222222")
            ),
        )
    with check("states.delete: None (204), then HttpError 404"):
        equal(api.delete(slug, project_id, parked.id), None, "delete")
        answered(204, "states.delete")
        http_error(404, lambda: api.retrieve(slug, project_id, parked.id))
        equal(api.list(slug, project_id).total_count, 6, "total_count")


def labels(cfg: Config, owner: PlaneClient, member: PlaneClient, project_id: str) -> None:
    slug, api = cfg.slug, owner.labels
    with check("labels.list: empty for a new project"):
        page = api.list(slug, project_id)
        is_a(page, PaginatedLabelResponse, "list")
        equal((page.total_count, page.results), (0, []), "empty")
    with check("labels.create: a Label"):
        area = api.create(
            slug,
            project_id,
            CreateLabel(name="Area", color="#FF0000", description="Where it hurts"),
        )
        answered(201, "labels.create")
        is_a(area, Label, "create")
        fields_present(area, "Label (create)")
        uuid(area.id, "id")
        equal(
            (area.name, area.color, area.description, area.parent, area.project),
            ("Area", "#FF0000", "Where it hurts", None, project_id),
            "fields",
        )
        is_a(area.sort_order, float, "sort_order")
    with check("labels.create with a parent"):
        backend = api.create(
            slug,
            project_id,
            CreateLabel(name="Backend", color="#00FF00", parent=area.id, sort_order=1000.0),
        )
        equal((backend.parent, backend.sort_order), (area.id, 1000.0), "parent, sort_order")
        frontend = api.create(slug, project_id, CreateLabel(name="Frontend", parent=area.id))
        equal(frontend.parent, area.id, "parent")
    with check("labels.list: three Labels, per_page=2 followed by next_cursor"):
        listed = all_pages(
            lambda cursor: api.list(slug, project_id, {"per_page": 2, "cursor": cursor}),
            per_page=2,
            total=3,
            what="labels",
        )
        for label in listed:
            fields_present(label, f"Label {label.name}")
        equal(sorted(label.name for label in listed), ["Area", "Backend", "Frontend"], "names")
    with check("labels.retrieve: the same Label"):
        got = api.retrieve(slug, project_id, backend.id)
        equal(got.model_dump(), backend.model_dump(), "retrieved vs created")
    with check("labels.update: name, color, parent cleared"):
        updated = api.update(
            slug, project_id, backend.id, UpdateLabel(name="Back end", color="#0000FF")
        )
        equal(
            (updated.id, updated.name, updated.color, updated.parent),
            (backend.id, "Back end", "#0000FF", area.id),
            "fields",
        )
        cleared = Label.model_validate(
            api._patch(f"{slug}/projects/{project_id}/labels/{backend.id}", {"parent": None})
        )
        equal(cleared.parent, None, "parent after null")
    with check("labels.create with a taken name: HttpError 409 with the existing id"):
        e = http_error(409, lambda: api.create(slug, project_id, CreateLabel(name="Area")))
        equal(e.response.get("id"), area.id, "id")
    with check("labels.create with bad input: HttpError 400"):
        e = http_error(
            400, lambda: api._post(f"{slug}/projects/{project_id}/labels", {"color": "#FFF"})
        )
        equal(e.response, {"name": ["This field is required."]}, "body")
        e = http_error(
            400, lambda: api.create(slug, project_id, CreateLabel(name="Orphan", parent=UNKNOWN))
        )
        expect("parent" in e.response, f"body: {e.response}")
    with check("labels: unknown ids: HttpError 404"):
        http_error(404, lambda: api.retrieve(slug, project_id, UNKNOWN))
        http_error(404, lambda: api.delete(slug, project_id, UNKNOWN))
    with check("labels by a workspace member outside the project: HttpError 403"):
        http_error(
            403, lambda: member.labels.update(slug, project_id, area.id, UpdateLabel(name="Mine"))
        )
    with check("labels.delete: None (204), then HttpError 404"):
        equal(api.delete(slug, project_id, frontend.id), None, "delete")
        answered(204, "labels.delete")
        http_error(404, lambda: api.retrieve(slug, project_id, frontend.id))
        equal(api.list(slug, project_id).total_count, 2, "total_count")


def estimates(cfg: Config, owner: PlaneClient, member: PlaneClient) -> None:
    slug, api = cfg.slug, owner.estimates
    with check("projects.create: a project for the estimate"):
        pid = owner.projects.create(slug, CreateProject(name="SDK Estimates", identifier="EST")).id
    with check("estimates.retrieve before one exists: HttpError 404"):
        http_error(404, lambda: api.retrieve(slug, pid))
    with check("estimates.create: an Estimate"):
        estimate = api.create(
            slug, pid, CreateEstimate(name="Story points", type="points", description="Fibonacci")
        )
        answered(201, "estimates.create")
        is_a(estimate, Estimate, "create")
        fields_present(estimate, "Estimate (create)")
        uuid(estimate.id, "id")
        equal(
            (
                estimate.name,
                estimate.type,
                estimate.description,
                estimate.last_used,
                estimate.project,
            ),
            ("Story points", "points", "Fibonacci", True, pid),
            "fields",
        )
    with check("estimates.create a second one: HttpError 409 with the existing id"):
        e = http_error(409, lambda: api.create(slug, pid, CreateEstimate(name="Again")))
        equal(e.response.get("id"), estimate.id, "id")
    with check("estimates.retrieve: the same Estimate"):
        got = api.retrieve(slug, pid)
        equal(got.model_dump(), estimate.model_dump(), "retrieved vs created")
    with check("estimates.update: name and description"):
        updated = api.update(slug, pid, UpdateEstimate(name="Points", description="Powers of two"))
        is_a(updated, Estimate, "update")
        equal(
            (updated.id, updated.name, updated.description, updated.type),
            (estimate.id, "Points", "Powers of two", "points"),
            "fields",
        )
    with check("estimates.create_points: a list of EstimatePoint"):
        points = api.create_points(
            slug,
            pid,
            estimate.id,
            [
                CreateEstimatePoint(key=1, value="1"),
                CreateEstimatePoint(key=2, value="2", description="small"),
                CreateEstimatePoint(key=3, value="4"),
            ],
        )
        answered(201, "estimates.create_points")
        equal(len(points), 3, "points")
        for p in points:
            is_a(p, EstimatePoint, "point")
            fields_present(p, f"EstimatePoint {p.value}")
            uuid(p.id, "id")
            equal((p.estimate, p.project), (estimate.id, pid), "estimate, project")
        equal([(p.key, p.value) for p in points], [(1, "1"), (2, "2"), (3, "4")], "keys, values")
    with check("estimates.list_points: the three"):
        listed = api.list_points(slug, pid, estimate.id)
        equal(
            sorted((p.key, p.value, p.description) for p in listed),
            [(1, "1", ""), (2, "2", "small"), (3, "4", "")],
            "points",
        )
    with check("estimates.update_point: value and description"):
        changed = api.update_point(
            slug, pid, estimate.id, points[2].id, UpdateEstimatePoint(value="8", description="big")
        )
        is_a(changed, EstimatePoint, "update_point")
        equal(
            (changed.id, changed.key, changed.value, changed.description),
            (points[2].id, 3, "8", "big"),
            "fields",
        )
    with check("estimates.create_points with bad input: HttpError 400"):
        http_error(
            400,
            lambda: api._post(f"{slug}/projects/{pid}/estimates/{estimate.id}/estimate-points", []),
        )
        http_error(
            400,
            lambda: api._post(
                f"{slug}/projects/{pid}/estimates/{estimate.id}/estimate-points", [{"key": 4}]
            ),
        )
    with check("estimates: unknown ids: HttpError 404"):
        http_error(404, lambda: api.list_points(slug, pid, UNKNOWN))
        http_error(
            404,
            lambda: api.update_point(
                slug, pid, estimate.id, UNKNOWN, UpdateEstimatePoint(value="x")
            ),
        )
    with check("estimates by a workspace member outside the project: HttpError 403"):
        http_error(403, lambda: member.estimates.update(slug, pid, UpdateEstimate(name="Mine")))
    with check("estimates.link_to_project: projects.update(estimate=...) sets it"):
        linked = api.link_to_project(slug, pid, estimate.id)
        equal(linked.estimate, estimate.id, "project.estimate")
        e = http_error(
            400, lambda: owner.projects.update(slug, pid, UpdateProject(estimate=UNKNOWN))
        )
        equal(
            e.response,
            {"non_field_errors": ["Estimate should be a estimate in the project"]},
            "body",
        )
    with check("estimates.delete_point: None (204); two left"):
        equal(api.delete_point(slug, pid, estimate.id, points[0].id), None, "delete_point")
        equal(sorted(p.key for p in api.list_points(slug, pid, estimate.id)), [2, 3], "keys left")
    with check("estimates.delete: None (204); then HttpError 404"):
        equal(api.delete(slug, pid), None, "delete")
        answered(204, "estimates.delete")
        http_error(404, lambda: api.retrieve(slug, pid))
        equal(owner.projects.retrieve(slug, pid).estimate, None, "project.estimate after delete")
    with check("projects.delete: the estimate's project"):
        equal(owner.projects.delete(slug, pid), None, "delete")
