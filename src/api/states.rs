//! A project's states (Plane's §5.6): five groups plus the hidden triage state, one default.

use poem::web::Data;
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    Tag,
    authn::CallerSlot,
    error::ApiError,
    input::{Input, PlaneBody, Text},
    json::Timestamp,
    pagination::{Page, PageRequest},
    projects::enter,
    shape::{self, Lite, Shape, Shaped},
    users::Deleted,
};
use crate::{
    app::AppState,
    db::{
        self,
        entities::state as entity,
        states::{GROUPS, SaveStateError, State},
    },
    domain::{
        access::Action,
        problem::Problem,
        project_data::{self as rules, Clash, external_pair},
        projects::{self, InProject},
    },
};

/// A state, as Plane's `StateSerializer` writes it.
#[derive(Debug, Clone, Object)]
pub struct StateView {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    pub name: String,
    pub description: String,
    pub color: String,
    pub slug: String,
    pub sequence: f64,
    /// backlog, unstarted, started, completed, cancelled (or triage).
    pub group: String,
    pub is_triage: bool,
    pub default: bool,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub project: Uuid,
    pub workspace: Uuid,
}

impl StateView {
    fn new(s: &State) -> StateView {
        StateView {
            id: s.id,
            created_at: s.created_at.into(),
            updated_at: s.updated_at.into(),
            deleted_at: s.deleted_at.map(Into::into),
            name: s.name.clone(),
            description: s.description.clone(),
            color: s.color.clone(),
            slug: s.slug.clone(),
            sequence: s.sequence,
            group: s.group.clone(),
            is_triage: s.is_triage,
            default: s.default,
            external_source: s.external_source.clone(),
            external_id: s.external_id.clone(),
            created_by: s.created_by,
            updated_by: s.updated_by,
            project: s.project_id,
            workspace: s.workspace_id,
        }
    }
}

/// A new state: `name` and `color` are required; `group` defaults to backlog.
#[derive(Debug, Object)]
pub struct StateInput {
    pub name: Option<String>,
    pub color: Option<String>,
    pub description: Option<String>,
    pub sequence: Option<f64>,
    pub group: Option<String>,
    /// Makes this the project's only default state.
    pub default: Option<bool>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
}

const EXPANDABLE: &[(&str, Lite)] = &[
    ("project", Lite::Project),
    ("workspace", Lite::Workspace),
    ("created_by", Lite::User),
    ("updated_by", Lite::User),
];

/// The fields of a state body that were present and valid.
struct StateFields {
    name: Option<String>,
    color: Option<String>,
    description: Option<String>,
    sequence: Option<f64>,
    group: Option<&'static str>,
    default: Option<bool>,
    external_source: Option<Option<String>>,
    external_id: Option<Option<String>>,
}

fn read(input: &mut Input) -> StateFields {
    let group = match input.raw("group").and_then(Value::as_str) {
        Some("triage") => {
            input.fail("non_field_errors", "Cannot create triage state");
            None
        }
        _ => input.choice("group", &GROUPS),
    };
    StateFields {
        name: input.text("name", Text::max(255)),
        color: input.text("color", Text::max(255)),
        // `blank=True` without `null=True` in Plane's model: DRF refuses `null`.
        description: input.text("description", Text::blank_ok(100_000)),
        sequence: input.number("sequence"),
        group,
        default: input.boolean("default"),
        external_source: input.nullable_text("external_source", Text::blank_ok(255)),
        external_id: input.nullable_text("external_id", Text::blank_ok(255)),
    }
}

/// The answer to a failed save. A name or reference taken by a concurrent request is first
/// looked up again by the caller (Plane's 409 names the row); this is the answer when that row
/// went again meanwhile.
fn save_problem(e: SaveStateError) -> ApiError {
    match e {
        SaveStateError::NameTaken => rules::clash("State", Clash::Name).into(),
        SaveStateError::ExternalTaken => rules::clash("State", Clash::ExternalReference).into(),
        SaveStateError::Gone => ApiError::not_found(),
        SaveStateError::Archived => projects::archived().into(),
        SaveStateError::Db(e) => e.into(),
    }
}

async fn find(state: &AppState, joined: &InProject, id: Uuid) -> Result<State, ApiError> {
    if joined.project.archived_at.is_some() {
        return Err(ApiError::not_found());
    }
    db::states::get(state.db(), joined.project.id, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

pub struct StatesApi;

#[OpenApi(tag = "Tag::ProjectData")]
impl StatesApi {
    /// The project's states by sequence (triage hidden; none for an archived project).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/states/",
        method = "get"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        per_page: Query<Option<String>>,
        cursor: Query<Option<String>>,
        fields: Query<Option<String>>,
        expand: Query<Option<String>>,
    ) -> Result<Shaped<Page<StateView>>, ApiError> {
        let (joined, _) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::ReadProjectData,
        )
        .await?;
        let key = format!(
            "states|{}|{:?}|{:?}|{:?}|{:?}",
            joined.project.id, per_page.0, cursor.0, fields.0, expand.0
        );
        shape::remembered(&state, key, || async {
            let page = PageRequest::parse(per_page.as_deref(), cursor.as_deref(), 1000)?;
            let (rows, total) = if joined.project.archived_at.is_some() {
                (Vec::new(), 0)
            } else {
                db::states::page(state.db(), joined.project.id, page.offset(), page.limit()).await?
            };
            let shape = Shape::new(fields.as_deref(), expand.as_deref());
            let views = rows.iter().map(StateView::new);
            shape::page_of(state.db(), &shape, &page, views, total, EXPANDABLE).await
        })
        .await
    }

    /// Adds a state (project admins and members). Answers 200, as Plane does.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/states/",
        method = "post"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        body: PlaneBody<StateInput>,
    ) -> Result<Shaped<StateView>, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        projects::check_editable(&joined.project)?;
        let mut input = body.input()?;
        input.require(&["name", "color"]);
        let f = read(&mut input);
        input.finish()?;
        let name = f.name.unwrap_or_default();
        let external_source = f.external_source.flatten();
        let external_id = f.external_id.flatten();
        rules::check_new_state(
            state.db(),
            joined.project.id,
            &name,
            external_pair(external_source.as_deref(), external_id.as_deref()),
        )
        .await?;
        // After the last visible state, as Plane's State.save. Plane also overrides a sequence
        // the client sends; a client placing its state on purpose is honoured here.
        let sequence = match f.sequence {
            Some(s) => s,
            None => db::states::max_sequence(state.db(), joined.project.id)
                .await?
                .map_or(65535.0, |max| max + 15000.0),
        };
        let default = f.default.unwrap_or(false);
        let taken = name.clone();
        let taken_external = (external_source.clone(), external_id.clone());
        let now = db::now();
        use sea_orm::ActiveValue::Set;
        let row = entity::ActiveModel {
            id: Set(Uuid::now_v7()),
            workspace_id: Set(joined.project.workspace_id),
            project_id: Set(joined.project.id),
            slug: Set(rules::slugify(&name)),
            name: Set(name),
            description: Set(f.description.unwrap_or_default()),
            color: Set(f.color.unwrap_or_default()),
            sequence: Set(sequence),
            group: Set(f.group.unwrap_or("backlog").to_string()),
            is_triage: Set(false),
            default: Set(default),
            external_source: Set(external_source),
            external_id: Set(external_id),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            created_by: Set(Some(user_id)),
            updated_by: Set(None),
        };
        let created = match db::states::create(state.db(), row, joined.project.id, default).await {
            // Another request took this name or reference since the check: answer as if the
            // check had seen it (Plane's 409 names the existing state's id).
            Err(e @ (SaveStateError::NameTaken | SaveStateError::ExternalTaken)) => {
                let (source, id) = &taken_external;
                let external = external_pair(source.as_deref(), id.as_deref());
                rules::check_new_state(state.db(), joined.project.id, &taken, external).await?;
                return Err(save_problem(e));
            }
            other => other.map_err(save_problem)?,
        };
        Ok(Shaped::new(
            Shape::default().render(&StateView::new(&created)),
        ))
    }

    /// One state.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/states/:state_id/",
        method = "get"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        state_id: Path<Uuid>,
        fields: Query<Option<String>>,
        expand: Query<Option<String>>,
    ) -> Result<Shaped<StateView>, ApiError> {
        let (joined, _) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::ReadProjectData,
        )
        .await?;
        let row = find(&state, &joined, state_id.0).await?;
        let shape = Shape::new(fields.as_deref(), expand.as_deref());
        let mut items = [shape.render(&StateView::new(&row))];
        shape::expand(state.db(), &shape, &mut items, EXPANDABLE).await?;
        let [item] = items;
        Ok(Shaped::new(item))
    }

    /// Changes a state (project admins and members). `default: true` makes it the only default.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/states/:state_id/",
        method = "patch"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        state_id: Path<Uuid>,
        body: PlaneBody<StateInput>,
    ) -> Result<Shaped<StateView>, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        let row = find(&state, &joined, state_id.0).await?;
        let mut input = body.input()?;
        let f = read(&mut input);
        input.finish()?;
        let source = f
            .external_source
            .clone()
            .unwrap_or(row.external_source.clone());
        let id = f.external_id.clone().unwrap_or(row.external_id.clone());
        let external = if f.external_source.is_some() || f.external_id.is_some() {
            external_pair(source.as_deref(), id.as_deref())
        } else {
            None
        };
        rules::check_state_change(state.db(), &row, f.name.as_deref(), external).await?;
        let before = row.clone();
        let asked_name = f.name.clone();
        if f.default == Some(false) && row.default {
            return Err(Problem::Refused(
                "The project needs a default state; make another state the default instead".into(),
            )
            .into());
        }
        let updated = db::states::save(state.db(), row, user_id, db::now(), |s| {
            use sea_orm::ActiveValue::Set;
            if let Some(v) = f.name {
                s.slug = Set(rules::slugify(&v));
                s.name = Set(v);
            }
            if let Some(v) = f.color {
                s.color = Set(v);
            }
            if let Some(v) = f.description {
                s.description = Set(v);
            }
            if let Some(v) = f.sequence {
                s.sequence = Set(v);
            }
            if let Some(v) = f.group {
                s.group = Set(v.to_string());
            }
            if f.default == Some(true) {
                s.default = Set(true);
            }
            if let Some(v) = f.external_source {
                s.external_source = Set(v);
            }
            if let Some(v) = f.external_id {
                s.external_id = Set(v);
            }
        })
        .await;
        let updated = match updated {
            // Taken by a concurrent request since the check: answer as the check would have.
            Err(e @ (SaveStateError::NameTaken | SaveStateError::ExternalTaken)) => {
                let name = asked_name.as_deref();
                rules::check_state_change(state.db(), &before, name, external).await?;
                return Err(save_problem(e));
            }
            other => other.map_err(save_problem)?,
        };
        Ok(Shaped::new(
            Shape::default().render(&StateView::new(&updated)),
        ))
    }

    /// Deletes a state that is neither the project's default nor in use (project admins and
    /// members).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/states/:state_id/",
        method = "delete"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        state_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        let row = find(&state, &joined, state_id.0).await?;
        rules::delete_state(state.db(), &row, user_id).await?;
        Ok(Deleted::Done)
    }
}
