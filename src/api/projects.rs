//! Projects under `/api/v1/workspaces/{slug}/projects/` (Plane's §5.4), plus what its official
//! clients call that the community server lacks: `projects-lite/`, `…/features/` and joining a
//! public project.

use poem::{http::StatusCode, web::Data};
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    Tag,
    error::ApiError,
    input::PlaneBody,
    pagination::{Page, PageRequest},
    project_input::{ProjectFields, read_project},
    project_views::{
        ProjectFeatures, ProjectLiteView, ProjectSummary, ProjectView, Viewer, project_lite,
    },
    shape::{self, Lite, Shape, Shaped},
    users::Deleted,
    workspaces::user_of,
};
use crate::{
    api::authn::CallerSlot,
    app::AppState,
    db::{
        self,
        project_members::ProjectMember,
        projects::{Features, NewProject, Project, ProjectOrder, Visibility},
    },
    domain::{
        access::{self, Action, Role},
        projects::{self as rules, InProject},
        workspaces,
    },
};

#[derive(ApiResponse)]
pub enum CreatedProject {
    #[oai(status = 201)]
    Created(Shaped<ProjectView>),
}

#[derive(ApiResponse)]
pub enum JoinedProject {
    #[oai(status = 201)]
    Joined(Shaped<super::project_members::ProjectMemberRow>),
}

/// `order_by`: `sort_order` (default), `name`, `identifier`, `created_at`, `updated_at`, each
/// optionally with `-`.
fn parse_order(order_by: Option<&str>) -> Result<ProjectOrder, ApiError> {
    match order_by.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(ProjectOrder::DEFAULT),
        Some(text) => ProjectOrder::parse(text)
            .ok_or_else(|| ApiError::parse_error("Invalid order_by parameter.")),
    }
}

/// The project as the caller sees it.
async fn view_of(
    state: &AppState,
    joined: &InProject,
    user_id: Uuid,
) -> Result<ProjectView, ApiError> {
    let total = db::project_members::count_active(state.db(), joined.project.id).await?;
    let membership = db::project_members::active(state.db(), joined.project.id, user_id)
        .await?
        .map(|m| (m.role, m.sort_order));
    Ok(ProjectView::new(
        &joined.project,
        Viewer {
            total_members: total,
            membership,
            in_list: false,
        },
    ))
}

const EXPANDABLE: &[(&str, Lite)] = &[
    ("workspace", Lite::Workspace),
    ("project_lead", Lite::User),
    ("default_assignee", Lite::User),
    ("created_by", Lite::User),
    ("updated_by", Lite::User),
    // Not `default_state`: Plane's expansion map leaves it an id, which clients' models expect.
];

async fn shaped(state: &AppState, shape: &Shape, view: &ProjectView) -> Result<Value, ApiError> {
    let mut items = [shape.render(view)];
    shape::expand(state.db(), shape, &mut items, EXPANDABLE).await?;
    let [item] = items;
    Ok(item)
}

/// The project `project_id` of workspace `slug` as the caller may `action` it (the rule book
/// decides), and the caller's id: where every project-scoped handler starts.
pub(super) async fn enter(
    state: &AppState,
    caller: &CallerSlot,
    slug: &str,
    project_id: Uuid,
    action: Action,
) -> Result<(InProject, Uuid), ApiError> {
    let user = user_of(caller)?;
    let joined = rules::enter(state.db(), slug, project_id, user.id, action).await?;
    Ok((joined, user.id))
}

pub struct ProjectsApi;

#[OpenApi(tag = "Tag::Projects")]
impl ProjectsApi {
    /// The projects the caller is a member of, and (for workspace admins and members) every
    /// public project of the workspace; archived ones included.
    #[oai(path = "/api/v1/workspaces/:slug/projects/", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        per_page: Query<Option<String>>,
        cursor: Query<Option<String>>,
        order_by: Query<Option<String>>,
        fields: Query<Option<String>>,
        expand: Query<Option<String>>,
    ) -> Result<Shaped<Page<ProjectView>>, ApiError> {
        let user = user_of(&caller)?;
        let joined = workspaces::enter(state.db(), &slug, user.id, Action::ListProjects).await?;
        let key = format!(
            "projects|{}|{}|{:?}|{:?}|{:?}|{:?}|{:?}",
            joined.workspace.id, user.id, per_page.0, cursor.0, order_by.0, fields.0, expand.0
        );
        shape::remembered(&state, key, || async {
            let page = PageRequest::parse(per_page.as_deref(), cursor.as_deref(), 1000)?;
            let order = parse_order(order_by.as_deref())?;
            let visibility = Visibility {
                user_id: user.id,
                include_public: access::lists_public_projects(joined.standing),
                include_archived: true,
            };
            let (rows, total, counts) = db::projects::listing(
                state.db(),
                joined.workspace.id,
                visibility,
                order,
                page.offset(),
                page.limit(),
            )
            .await?;
            let shape = Shape::new(fields.as_deref(), expand.as_deref());
            let views = rows
                .iter()
                .map(|(p, m): &(Project, Option<ProjectMember>)| {
                    ProjectView::new(
                        p,
                        Viewer {
                            total_members: counts.get(&p.id).copied().unwrap_or(0),
                            membership: m.as_ref().map(|m| (m.role, m.sort_order)),
                            in_list: true,
                        },
                    )
                });
            shape::page_of(state.db(), &shape, &page, views, total, EXPANDABLE).await
        })
        .await
    }

    /// Creates a project with Plane's six default states (Triage hidden); the caller (and the
    /// lead) become its admins. Workspace admins and members.
    #[oai(path = "/api/v1/workspaces/:slug/projects/", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        body: PlaneBody<super::project_input::ProjectCreate>,
    ) -> Result<CreatedProject, ApiError> {
        let user = user_of(&caller)?;
        let joined = workspaces::enter(state.db(), &slug, user.id, Action::CreateProject).await?;
        let mut input = body.input()?;
        input.require(&["name", "identifier"]);
        let fields = read_project(&mut input, false);
        input.finish()?;
        let ProjectFields {
            name,
            identifier,
            description,
            network,
            emoji,
            icon_prop,
            logo_props,
            cover_image,
            features,
            archive_in,
            close_in,
            timezone,
            project_lead,
            default_assignee,
            external_source,
            external_id,
            ..
        } = fields;
        let mut flags = Features::default();
        features.apply(&mut flags);
        let new = NewProject {
            workspace_id: joined.workspace.id,
            name: name.unwrap_or_default(),
            identifier: identifier.unwrap_or_default(),
            description: description.unwrap_or_default(),
            network: network.unwrap_or(2),
            emoji: emoji.flatten(),
            icon_prop: icon_prop.filter(|v| !v.is_null()),
            logo_props: logo_props
                .filter(|v| v.is_object())
                .unwrap_or_else(rules::random_logo),
            cover_image: cover_image.flatten(),
            features: flags,
            archive_in: archive_in.unwrap_or(0) as i32,
            close_in: close_in.unwrap_or(0) as i32,
            timezone: timezone
                .unwrap_or_else(|| crate::domain::timezones::inherited(&joined.workspace.timezone)),
            project_lead_id: project_lead.flatten(),
            default_assignee_id: default_assignee.flatten(),
            external_source: external_source.flatten(),
            external_id: external_id.flatten(),
        };
        let project = rules::create(state.db(), new, user.id).await?;
        let total = db::project_members::count_active(state.db(), project.id).await?;
        let view = ProjectView::new(
            &project,
            Viewer {
                total_members: total,
                membership: Some((Role::Admin.code(), 0.0)),
                in_list: false,
            },
        );
        Ok(CreatedProject::Created(Shaped::new(
            Shape::default().render(&view),
        )))
    }

    /// One project the caller can see.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/",
        method = "get"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        fields: Query<Option<String>>,
        expand: Query<Option<String>>,
    ) -> Result<Shaped<ProjectView>, ApiError> {
        let (joined, user_id) =
            enter(&state, &caller, &slug, project_id.0, Action::ViewProject).await?;
        let view = view_of(&state, &joined, user_id).await?;
        let shape = Shape::new(fields.as_deref(), expand.as_deref());
        Ok(Shaped::new(shaped(&state, &shape, &view).await?))
    }

    /// Changes a project (its admins, or workspace admins who are members). Archived projects
    /// cannot change.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/",
        method = "patch"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        body: PlaneBody<super::project_input::ProjectUpdate>,
    ) -> Result<Shaped<ProjectView>, ApiError> {
        let (joined, user_id) =
            enter(&state, &caller, &slug, project_id.0, Action::ManageProject).await?;
        rules::check_editable(&joined.project)?;
        let mut input = body.input()?;
        let fields = read_project(&mut input, true);
        input.finish()?;
        let project =
            super::project_input::apply_update(&state, &joined.project, fields, user_id).await?;
        let joined = InProject { project, ..joined };
        let view = view_of(&state, &joined, user_id).await?;
        Ok(Shaped::new(Shape::default().render(&view)))
    }

    /// Deletes the project with its members, states, labels and estimates (its admins).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/",
        method = "delete"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let (joined, user_id) =
            enter(&state, &caller, &slug, project_id.0, Action::ManageProject).await?;
        rules::delete(state.db(), &joined.project, user_id).await?;
        Ok(Deleted::Done)
    }

    /// Archives the project: it stays listed, read-only.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/archive/",
        method = "post"
    )]
    async fn archive(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let (joined, user_id) =
            enter(&state, &caller, &slug, project_id.0, Action::ManageProject).await?;
        rules::set_archived(state.db(), joined.project, true, user_id).await?;
        Ok(Deleted::Done)
    }

    /// Restores an archived project.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/archive/",
        method = "delete"
    )]
    async fn unarchive(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let (joined, user_id) =
            enter(&state, &caller, &slug, project_id.0, Action::ManageProject).await?;
        rules::set_archived(state.db(), joined.project, false, user_id).await?;
        Ok(Deleted::Done)
    }

    /// How many members, states, labels, … the project has. `fields=` picks the counts.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/summary/",
        method = "get"
    )]
    async fn summary(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        fields: Query<Option<String>>,
    ) -> Result<Shaped<ProjectSummary>, ApiError> {
        let (joined, _) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::ViewProjectSummary,
        )
        .await
        // Plane's summary view names what is missing.
        .map_err(|e| match e.status() {
            StatusCode::NOT_FOUND => ApiError::not_found_named("Project"),
            _ => e,
        })?;
        let shape = Shape::new(fields.as_deref(), None);
        let all = rules::summary_counts(state.db(), &joined.project).await?;
        // As Plane: `fields` naming no known count means every count.
        let any_named = all.iter().any(|(name, _)| shape.wants(name));
        let counts: Map<String, Value> = all
            .into_iter()
            .filter(|(name, _)| !any_named || shape.wants(name))
            .map(|(name, n)| (name.to_string(), Value::from(n)))
            .collect();
        let p = &joined.project;
        Ok(Shaped::new(
            json!({"id": p.id, "name": p.name, "identifier": p.identifier, "counts": counts}),
        ))
    }

    /// The project's features (cycles, modules, views, pages, intake, …).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/features/",
        method = "get"
    )]
    async fn features(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
    ) -> Result<Shaped<ProjectFeatures>, ApiError> {
        let (joined, _) = enter(&state, &caller, &slug, project_id.0, Action::ViewProject).await?;
        Ok(Shaped::new(
            Shape::default().render(&ProjectFeatures::of(&joined.project)),
        ))
    }

    /// Turns features on or off (project admins). Epics, workflows, parallel cycles and
    /// project updates do not exist here and stay off.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/features/",
        method = "patch"
    )]
    async fn update_features(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        body: PlaneBody<ProjectFeatures>,
    ) -> Result<Shaped<ProjectFeatures>, ApiError> {
        let (joined, user_id) =
            enter(&state, &caller, &slug, project_id.0, Action::ManageProject).await?;
        rules::check_editable(&joined.project)?;
        let mut input = body.input()?;
        let mut read = |key: &str| input.boolean(key);
        let switches = [
            read("cycles"),
            read("modules"),
            read("views"),
            read("pages"),
            read("intakes"),
            read("time_tracking"),
            read("work_item_types"),
        ];
        for missing in ["epics", "workflows", "parallel_cycles", "project_updates"] {
            if input.boolean(missing) == Some(true) {
                input.fail(missing, "This feature is not available on this instance.");
            }
        }
        input.finish()?;
        let [cycles, modules, views, pages, intakes, time_tracking, types] = switches;
        let saved =
            db::projects::save_checked(state.db(), joined.project, user_id, db::now(), |p| {
                use sea_orm::ActiveValue::Set;
                let set = |slot: &mut sea_orm::ActiveValue<bool>, value: Option<bool>| {
                    if let Some(v) = value {
                        *slot = Set(v);
                    }
                };
                set(&mut p.cycle_view, cycles);
                set(&mut p.module_view, modules);
                set(&mut p.issue_views_view, views);
                set(&mut p.page_view, pages);
                set(&mut p.intake_view, intakes);
                set(&mut p.is_time_tracking_enabled, time_tracking);
                set(&mut p.is_issue_type_enabled, types);
            })
            .await?;
        let project = match saved {
            db::projects::CheckedSave::Saved(project) => *project,
            // Deleted or archived between the check above and the write.
            db::projects::CheckedSave::Closed(closed) => return Err(rules::closed(closed).into()),
            _ => return Err(ApiError::not_found()),
        };
        Ok(Shaped::new(
            Shape::default().render(&ProjectFeatures::of(&project)),
        ))
    }

    /// Projects for pickers (the SDK's `projects-lite`): the trimmed shape, archived ones only
    /// with `include_archived=true`; `per_page` up to 1000.
    #[oai(path = "/api/v1/workspaces/:slug/projects-lite/", method = "get")]
    async fn lite(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        per_page: Query<Option<String>>,
        cursor: Query<Option<String>>,
        order_by: Query<Option<String>>,
        include_archived: Query<Option<bool>>,
    ) -> Result<Shaped<Page<ProjectLiteView>>, ApiError> {
        let user = user_of(&caller)?;
        let joined = workspaces::enter(state.db(), &slug, user.id, Action::ListProjects).await?;
        let page = PageRequest::parse(per_page.as_deref(), cursor.as_deref(), 1000)?;
        let order = parse_order(order_by.as_deref())?;
        let visibility = Visibility {
            user_id: user.id,
            include_public: access::lists_public_projects(joined.standing),
            include_archived: include_archived.unwrap_or(false),
        };
        let (rows, total) = db::projects::visible(
            state.db(),
            joined.workspace.id,
            visibility,
            order,
            page.offset(),
            page.limit(),
        )
        .await?;
        let results = rows.iter().map(|(p, _)| project_lite(p)).collect();
        Ok(Shaped::new(
            Shape::default().render(&page.envelope(results, total)),
        ))
    }

    /// Joins a public project (workspace admins and members; secret projects only workspace
    /// admins). The caller gets their workspace role.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/join/",
        method = "post"
    )]
    async fn join(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
    ) -> Result<JoinedProject, ApiError> {
        let (joined, user_id) =
            enter(&state, &caller, &slug, project_id.0, Action::JoinProject).await?;
        let member = rules::join(state.db(), &joined, user_id).await?;
        Ok(JoinedProject::Joined(Shaped::new(
            super::project_members::row_json(&member),
        )))
    }
}
