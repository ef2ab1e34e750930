//! A project's labels (Plane's §5.7), nested through `parent`.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
};
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
        entities::label as entity,
        labels::{Label, SaveLabelError},
    },
    domain::{
        access::Action,
        project_data::{self as rules, Clash, external_pair},
        projects::{self, InProject},
    },
};

/// A label, as Plane's `LabelSerializer` writes it.
#[derive(Debug, Clone, Object)]
pub struct LabelView {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    pub name: String,
    pub description: String,
    pub color: String,
    pub sort_order: f64,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub workspace: Uuid,
    pub project: Uuid,
    pub parent: Option<Uuid>,
}

impl LabelView {
    fn new(l: &Label) -> LabelView {
        LabelView {
            id: l.id,
            created_at: l.created_at.into(),
            updated_at: l.updated_at.into(),
            deleted_at: l.deleted_at.map(Into::into),
            name: l.name.clone(),
            description: l.description.clone(),
            color: l.color.clone(),
            sort_order: l.sort_order,
            external_source: l.external_source.clone(),
            external_id: l.external_id.clone(),
            created_by: l.created_by,
            updated_by: l.updated_by,
            workspace: l.workspace_id,
            project: l.project_id,
            parent: l.parent_id,
        }
    }
}

/// A label: `name` is required on creation.
#[derive(Debug, Object)]
pub struct LabelInput {
    pub name: Option<String>,
    pub color: Option<String>,
    pub description: Option<String>,
    /// A label of the same project.
    pub parent: Option<Uuid>,
    pub sort_order: Option<f64>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
}

#[derive(ApiResponse)]
pub enum CreatedLabel {
    #[oai(status = 201)]
    Created(Shaped<LabelView>),
}

const EXPANDABLE: &[(&str, Lite)] = &[
    ("project", Lite::Project),
    ("workspace", Lite::Workspace),
    ("parent", Lite::Label),
    ("created_by", Lite::User),
    ("updated_by", Lite::User),
];

struct LabelFields {
    name: Option<String>,
    color: Option<String>,
    description: Option<String>,
    parent: Option<Option<Uuid>>,
    sort_order: Option<f64>,
    external_source: Option<Option<String>>,
    external_id: Option<Option<String>>,
}

fn read(input: &mut Input) -> LabelFields {
    LabelFields {
        name: input.text("name", Text::max(255)),
        // `blank=True` without `null=True` in Plane's model: DRF refuses `null`.
        color: input.text("color", Text::blank_ok(255)),
        description: input.text("description", Text::blank_ok(100_000)),
        parent: input.reference("parent"),
        sort_order: input.number("sort_order"),
        external_source: input.nullable_text("external_source", Text::blank_ok(255)),
        external_id: input.nullable_text("external_id", Text::blank_ok(255)),
    }
}

/// The answer to a failed save. A name or reference taken by a concurrent request is first
/// looked up again by the caller (Plane's 409 names the row); this is the answer when that row
/// went again meanwhile.
fn save_problem(e: SaveLabelError) -> ApiError {
    match e {
        SaveLabelError::NameTaken => rules::clash("Label", Clash::Name).into(),
        SaveLabelError::ExternalTaken => rules::clash("Label", Clash::ExternalReference).into(),
        SaveLabelError::ProjectGone => ApiError::not_found(),
        SaveLabelError::Archived => projects::archived().into(),
        SaveLabelError::Parent { fit, parent_id } => rules::parent_problem(fit, parent_id).into(),
        SaveLabelError::Db(e) => e.into(),
    }
}

async fn find(state: &AppState, joined: &InProject, id: Uuid) -> Result<Label, ApiError> {
    if joined.project.archived_at.is_some() {
        return Err(ApiError::not_found());
    }
    db::labels::get(state.db(), joined.project.id, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

pub struct LabelsApi;

#[OpenApi(tag = "Tag::ProjectData")]
impl LabelsApi {
    /// The project's labels, newest first.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/labels/",
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
    ) -> Result<Shaped<Page<LabelView>>, ApiError> {
        let (joined, _) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::ReadProjectData,
        )
        .await?;
        let key = format!(
            "labels|{}|{:?}|{:?}|{:?}|{:?}",
            joined.project.id, per_page.0, cursor.0, fields.0, expand.0
        );
        shape::remembered(&state, key, || async {
            let page = PageRequest::parse(per_page.as_deref(), cursor.as_deref(), 1000)?;
            let (rows, total) = if joined.project.archived_at.is_some() {
                (Vec::new(), 0)
            } else {
                db::labels::page(state.db(), joined.project.id, page.offset(), page.limit()).await?
            };
            let shape = Shape::new(fields.as_deref(), expand.as_deref());
            let views = rows.iter().map(LabelView::new);
            shape::page_of(state.db(), &shape, &page, views, total, EXPANDABLE).await
        })
        .await
    }

    /// Adds a label (project admins and members).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/labels/",
        method = "post"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        body: PlaneBody<LabelInput>,
    ) -> Result<CreatedLabel, ApiError> {
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
        input.require(&["name"]);
        let f = read(&mut input);
        input.finish()?;
        let name = f.name.unwrap_or_default();
        let external_source = f.external_source.flatten();
        let external_id = f.external_id.flatten();
        let project_id = joined.project.id;
        rules::check_label(
            state.db(),
            project_id,
            None,
            Some(&name),
            external_pair(external_source.as_deref(), external_id.as_deref()),
        )
        .await?;
        // The parent is checked by the write itself, under the project's lock.
        let parent = f.parent.flatten();
        // After the last label, as Plane's Label.save. Plane also overrides a sort order the
        // client sends; a client placing its label on purpose is honoured here (as for states).
        let sort_order = match f.sort_order {
            Some(v) => v,
            None => db::labels::max_sort_order(state.db(), project_id)
                .await?
                .map_or(65535.0, |max| max + 10000.0),
        };
        let taken = name.clone();
        let taken_external = (external_source.clone(), external_id.clone());
        let now = db::now();
        use sea_orm::ActiveValue::Set;
        let row = entity::ActiveModel {
            id: Set(Uuid::now_v7()),
            workspace_id: Set(joined.project.workspace_id),
            project_id: Set(project_id),
            parent_id: Set(parent),
            name: Set(name),
            description: Set(f.description.unwrap_or_default()),
            color: Set(f.color.unwrap_or_default()),
            sort_order: Set(sort_order),
            external_source: Set(external_source),
            external_id: Set(external_id),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            created_by: Set(Some(user_id)),
            updated_by: Set(None),
        };
        let created = match db::labels::create(state.db(), project_id, row).await {
            // Another request took this name or reference since the check: answer as if the
            // check had seen it (with the existing label's id).
            Err(e @ (SaveLabelError::NameTaken | SaveLabelError::ExternalTaken)) => {
                let (source, id) = &taken_external;
                let external = external_pair(source.as_deref(), id.as_deref());
                rules::check_label(state.db(), project_id, None, Some(&taken), external).await?;
                return Err(save_problem(e));
            }
            other => other.map_err(save_problem)?,
        };
        Ok(CreatedLabel::Created(Shaped::new(
            Shape::default().render(&LabelView::new(&created)),
        )))
    }

    /// One label.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/labels/:label_id/",
        method = "get"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        label_id: Path<Uuid>,
    ) -> Result<Shaped<LabelView>, ApiError> {
        let (joined, _) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::ReadProjectData,
        )
        .await?;
        let row = find(&state, &joined, label_id.0).await?;
        Ok(Shaped::new(Shape::default().render(&LabelView::new(&row))))
    }

    /// Changes a label (project admins and members).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/labels/:label_id/",
        method = "patch"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        label_id: Path<Uuid>,
        body: PlaneBody<LabelInput>,
    ) -> Result<Shaped<LabelView>, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        let row = find(&state, &joined, label_id.0).await?;
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
        rules::check_label(
            state.db(),
            row.project_id,
            Some(row.id),
            f.name.as_deref(),
            external,
        )
        .await?;
        let (before_id, before_project) = (row.id, row.project_id);
        let asked_name = f.name.clone();
        let updated = db::labels::save(state.db(), row, user_id, db::now(), |l| {
            use sea_orm::ActiveValue::Set;
            if let Some(v) = f.name {
                l.name = Set(v);
            }
            if let Some(v) = f.color {
                l.color = Set(v);
            }
            if let Some(v) = f.description {
                l.description = Set(v);
            }
            if let Some(v) = f.parent {
                l.parent_id = Set(v);
            }
            if let Some(v) = f.sort_order {
                l.sort_order = Set(v);
            }
            if let Some(v) = f.external_source {
                l.external_source = Set(v);
            }
            if let Some(v) = f.external_id {
                l.external_id = Set(v);
            }
        })
        .await;
        let updated = match updated {
            // Taken by a concurrent request since the check: answer as the check would have.
            Err(e @ (SaveLabelError::NameTaken | SaveLabelError::ExternalTaken)) => {
                let name = asked_name.as_deref();
                let label_id = Some(before_id);
                rules::check_label(state.db(), before_project, label_id, name, external).await?;
                return Err(save_problem(e));
            }
            other => other.map_err(save_problem)?,
        };
        Ok(Shaped::new(
            Shape::default().render(&LabelView::new(&updated)),
        ))
    }

    /// Deletes a label and the labels nested under it (as Plane's cascade).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/labels/:label_id/",
        method = "delete"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        label_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        let row = find(&state, &joined, label_id.0).await?;
        db::labels::soft_delete(state.db(), row, user_id, db::now())
            .await?
            .map_err(projects::closed)?;
        Ok(Deleted::Done)
    }
}
