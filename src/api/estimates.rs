//! A project's estimate scale and its points (Plane's `estimate.py` views, which Plane leaves
//! unrouted; the paths are the ones its SDK calls): `…/projects/{pid}/estimates/` and
//! `…/estimates/{eid}/estimate-points/`.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Tag,
    authn::CallerSlot,
    error::ApiError,
    input::{Input, PlaneBody, Text},
    json::Timestamp,
    projects::enter,
    shape::{Shape, Shaped},
    users::Deleted,
};
use crate::{
    app::AppState,
    db::{
        self,
        entities::estimate as estimate_entity,
        estimates::{CreateEstimateError, Estimate, EstimatePoint},
    },
    domain::{
        access::Action,
        estimates::{self as points_rules, PointDraft},
        projects::{self, InProject},
    },
};

#[derive(Debug, Clone, Object)]
pub struct EstimateView {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    pub name: String,
    pub description: String,
    /// `categories`, `points` or `time`.
    #[oai(rename = "type")]
    pub kind: String,
    pub last_used: bool,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub project: Uuid,
    pub workspace: Uuid,
}

impl EstimateView {
    fn new(e: &Estimate) -> EstimateView {
        EstimateView {
            id: e.id,
            created_at: e.created_at.into(),
            updated_at: e.updated_at.into(),
            deleted_at: e.deleted_at.map(Into::into),
            name: e.name.clone(),
            description: e.description.clone(),
            kind: e.kind.clone(),
            last_used: e.last_used,
            external_source: e.external_source.clone(),
            external_id: e.external_id.clone(),
            created_by: e.created_by,
            updated_by: e.updated_by,
            project: e.project_id,
            workspace: e.workspace_id,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct EstimatePointView {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    pub key: i32,
    pub description: String,
    pub value: String,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub estimate: Uuid,
    pub project: Uuid,
    pub workspace: Uuid,
}

impl EstimatePointView {
    fn new(p: &EstimatePoint) -> EstimatePointView {
        EstimatePointView {
            id: p.id,
            created_at: p.created_at.into(),
            updated_at: p.updated_at.into(),
            deleted_at: p.deleted_at.map(Into::into),
            key: p.key,
            description: p.description.clone(),
            value: p.value.clone(),
            external_source: p.external_source.clone(),
            external_id: p.external_id.clone(),
            created_by: p.created_by,
            updated_by: p.updated_by,
            estimate: p.estimate_id,
            project: p.project_id,
            workspace: p.workspace_id,
        }
    }
}

#[derive(Debug, Object)]
pub struct EstimateInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `categories` (default), `points` or `time`.
    #[oai(rename = "type")]
    pub kind: Option<String>,
    pub last_used: Option<bool>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Object)]
pub struct EstimatePointInput {
    /// Its position, 0 or more, unique in the estimate; the next free one when left out.
    pub key: Option<i32>,
    /// At most 20 characters, unique in the estimate; a number for a `points` estimate.
    pub value: Option<String>,
    pub description: Option<String>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
}

#[derive(ApiResponse)]
pub enum CreatedEstimate {
    #[oai(status = 201)]
    Created(Shaped<EstimateView>),
}

#[derive(ApiResponse)]
pub enum CreatedPoints {
    #[oai(status = 201)]
    Created(Shaped<Vec<EstimatePointView>>),
}

fn render<T: poem_openapi::types::ToJSON>(item: &T) -> Value {
    Shape::default().render(item)
}

fn not_found(what: &str) -> ApiError {
    ApiError::not_found_named(what)
}

async fn the_estimate(state: &AppState, joined: &InProject) -> Result<Estimate, ApiError> {
    db::estimates::of_project(state.db(), joined.project.id)
        .await?
        .ok_or_else(|| not_found("Estimate"))
}

async fn estimate_by_id(
    state: &AppState,
    joined: &InProject,
    id: Uuid,
) -> Result<Estimate, ApiError> {
    db::estimates::get(state.db(), joined.project.id, id)
        .await?
        .ok_or_else(|| not_found("Estimate"))
}

/// Reads one point; `None` when a field is wrong (recorded in `input`).
fn read_point(input: &mut Input, creating: bool) -> (Option<i64>, Option<String>, Option<String>) {
    if creating {
        input.require(&["value"]);
    }
    let key = input.integer("key", 0, i32::MAX as i64);
    // The model holds 255 characters; Plane's serializer then allows 20, as a whole-object
    // check that DRF runs only once every field passed.
    let value = input.text("value", Text::max(255));
    let description = input.text("description", Text::blank_ok(100_000));
    if !input.has_errors() && value.as_ref().is_some_and(|v| v.chars().count() > 20) {
        input.fail("non_field_errors", "Value can't be more than 20 characters");
    }
    (key, value, description)
}

pub struct EstimatesApi;

#[OpenApi(tag = "Tag::ProjectData")]
impl EstimatesApi {
    /// The project's estimate.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/estimates/",
        method = "get"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
    ) -> Result<Shaped<EstimateView>, ApiError> {
        let (joined, _) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::ReadProjectData,
        )
        .await?;
        let estimate = the_estimate(&state, &joined).await?;
        Ok(Shaped::new(render(&EstimateView::new(&estimate))))
    }

    /// Creates the project's estimate (one per project; 409 with its id when it exists).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/estimates/",
        method = "post"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        body: PlaneBody<EstimateInput>,
    ) -> Result<CreatedEstimate, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        projects::check_editable(&joined.project)?;
        let conflict = |id: Uuid| ApiError::Body {
            status: poem::http::StatusCode::CONFLICT,
            body: json!({"error": "An estimate already exists for this project", "id": id}),
        };
        if let Some(existing) = db::estimates::of_project(state.db(), joined.project.id).await? {
            return Err(conflict(existing.id));
        }
        let mut input = body.input()?;
        input.require(&["name"]);
        let name = input.text("name", Text::max(255));
        let description = input.text("description", Text::blank_ok(100_000));
        let kind = input.choice("type", &["categories", "points", "time"]);
        let last_used = input.boolean("last_used");
        let external_source = input.nullable_text("external_source", Text::blank_ok(255));
        let external_id = input.nullable_text("external_id", Text::blank_ok(255));
        input.finish()?;
        let now = db::now();
        use sea_orm::ActiveValue::Set;
        let row = estimate_entity::ActiveModel {
            id: Set(Uuid::now_v7()),
            workspace_id: Set(joined.project.workspace_id),
            project_id: Set(joined.project.id),
            name: Set(name.unwrap_or_default()),
            description: Set(description.unwrap_or_default()),
            kind: Set(kind.unwrap_or("categories").to_string()),
            last_used: Set(last_used.unwrap_or(false)),
            external_source: Set(external_source.flatten()),
            external_id: Set(external_id.flatten()),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            created_by: Set(Some(user_id)),
            updated_by: Set(None),
        };
        match db::estimates::create(state.db(), joined.project.id, row).await {
            Ok(estimate) => Ok(CreatedEstimate::Created(Shaped::new(render(
                &EstimateView::new(&estimate),
            )))),
            Err(CreateEstimateError::Exists) => {
                let existing = the_estimate(&state, &joined).await?;
                Err(conflict(existing.id))
            }
            Err(CreateEstimateError::Closed(closed)) => Err(projects::closed(closed).into()),
            Err(CreateEstimateError::Db(e)) => Err(e.into()),
        }
    }

    /// Renames the estimate or changes its description (other fields are kept).
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/estimates/",
        method = "patch"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        body: PlaneBody<EstimateInput>,
    ) -> Result<Shaped<EstimateView>, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        projects::check_editable(&joined.project)?;
        let estimate = the_estimate(&state, &joined).await?;
        let mut input = body.input()?;
        let name = input.text("name", Text::max(255));
        let description = input.text("description", Text::blank_ok(100_000));
        input.finish()?;
        let estimate = db::estimates::save(state.db(), estimate, user_id, db::now(), |e| {
            use sea_orm::ActiveValue::Set;
            if let Some(v) = name {
                e.name = Set(v);
            }
            if let Some(v) = description {
                e.description = Set(v);
            }
        })
        .await?
        .map_err(projects::closed)?;
        Ok(Shaped::new(render(&EstimateView::new(&estimate))))
    }

    /// Deletes the estimate and its points; the project stops using it.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/estimates/",
        method = "delete"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        projects::check_editable(&joined.project)?;
        let estimate = the_estimate(&state, &joined).await?;
        db::estimates::soft_delete(state.db(), estimate, user_id, db::now())
            .await?
            .map_err(projects::closed)?;
        Ok(Deleted::Done)
    }

    /// The estimate's points, by key.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/estimates/:estimate_id/estimate-points/",
        method = "get"
    )]
    async fn points(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        estimate_id: Path<Uuid>,
    ) -> Result<Shaped<Vec<EstimatePointView>>, ApiError> {
        let (joined, _) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::ReadProjectData,
        )
        .await?;
        let estimate = estimate_by_id(&state, &joined, estimate_id.0).await?;
        let points = db::estimates::points(state.db(), estimate.id).await?;
        Ok(Shaped::new(Value::Array(
            points
                .iter()
                .map(|p| render(&EstimatePointView::new(p)))
                .collect(),
        )))
    }

    /// Adds points: a JSON array of points (or `{"estimate_points": [...]}`); all or none.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/estimates/:estimate_id/estimate-points/",
        method = "post"
    )]
    async fn add_points(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        estimate_id: Path<Uuid>,
        body: PlaneBody<Vec<EstimatePointInput>>,
    ) -> Result<CreatedPoints, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        projects::check_editable(&joined.project)?;
        let estimate = estimate_by_id(&state, &joined, estimate_id.0).await?;
        let items = match body.value()? {
            Value::Array(items) => items,
            Value::Object(mut map) => match map.remove("estimate_points") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        if items.is_empty() {
            return Err(ApiError::bad_request("Estimate points are required"));
        }
        if items.len() > points_rules::MAX_POINTS {
            return Err(ApiError::Body {
                status: poem::http::StatusCode::BAD_REQUEST,
                body: points_rules::too_many_points(),
            });
        }
        let mut drafts = Vec::with_capacity(items.len());
        let mut errors = Vec::with_capacity(items.len());
        for item in items {
            let mut input = Input::new(item)?;
            let (key, value, description) = read_point(&mut input, true);
            let external_source = input.nullable_text("external_source", Text::blank_ok(255));
            let external_id = input.nullable_text("external_id", Text::blank_ok(255));
            let ok = !input.has_errors();
            errors.push(input.finish().err().map(|e| e.body()).unwrap_or(json!({})));
            if ok {
                drafts.push(PointDraft {
                    key,
                    value: value.unwrap_or_default(),
                    description: description.unwrap_or_default(),
                    external_source: external_source.flatten(),
                    external_id: external_id.flatten(),
                });
            }
        }
        // DRF's list serializer answers one error object per item.
        if errors.iter().any(|e| e != &json!({})) {
            return Err(ApiError::Body {
                status: poem::http::StatusCode::BAD_REQUEST,
                body: Value::Array(errors),
            });
        }
        let created = points_rules::add_points(state.db(), &estimate, drafts, user_id).await?;
        Ok(CreatedPoints::Created(Shaped::new(Value::Array(
            created
                .iter()
                .map(|p| render(&EstimatePointView::new(p)))
                .collect(),
        ))))
    }

    /// Changes a point's key, value or description.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/estimates/:estimate_id/estimate-points/:point_id/",
        method = "patch"
    )]
    async fn update_point(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        estimate_id: Path<Uuid>,
        point_id: Path<Uuid>,
        body: PlaneBody<EstimatePointInput>,
    ) -> Result<Shaped<EstimatePointView>, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        projects::check_editable(&joined.project)?;
        let estimate = estimate_by_id(&state, &joined, estimate_id.0).await?;
        let point = db::estimates::point(state.db(), estimate.id, point_id.0)
            .await?
            .ok_or_else(|| not_found("Estimate point"))?;
        let mut input = body.input()?;
        let (key, value, description) = read_point(&mut input, false);
        input.finish()?;
        if key.is_none() && value.is_none() && description.is_none() {
            // Nothing Plane lets a client change here: it answers with the point as it is.
            return Ok(Shaped::new(render(&EstimatePointView::new(&point))));
        }
        let point = points_rules::change_point(
            state.db(),
            &estimate,
            point,
            key,
            value,
            description,
            user_id,
        )
        .await?;
        Ok(Shaped::new(render(&EstimatePointView::new(&point))))
    }

    /// Deletes a point.
    #[oai(
        path = "/api/v1/workspaces/:slug/projects/:project_id/estimates/:estimate_id/estimate-points/:point_id/",
        method = "delete"
    )]
    async fn delete_point(
        &self,
        state: Data<&AppState>,
        caller: Data<&CallerSlot>,
        slug: Path<String>,
        project_id: Path<Uuid>,
        estimate_id: Path<Uuid>,
        point_id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let (joined, user_id) = enter(
            &state,
            &caller,
            &slug,
            project_id.0,
            Action::WriteProjectData,
        )
        .await?;
        projects::check_editable(&joined.project)?;
        let estimate = estimate_by_id(&state, &joined, estimate_id.0).await?;
        let point = db::estimates::point(state.db(), estimate.id, point_id.0)
            .await?
            .ok_or_else(|| not_found("Estimate point"))?;
        db::estimates::delete_point(state.db(), point, user_id, db::now())
            .await?
            .map_err(projects::closed)?;
        Ok(Deleted::Done)
    }
}
