//! What a project looks like on the wire: Plane's `ProjectSerializer` (with the caller's side
//! of it), ProjectLite, the features the SDK toggles, and the summary counts.

use std::collections::HashMap;

use poem_openapi::{Object, types::MaybeUndefined};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{json::Timestamp, shape::Shape};
use crate::db::projects::Project;

/// A project, as Plane's `ProjectSerializer` writes it.
#[derive(Debug, Clone, Object)]
pub struct ProjectView {
    pub id: Uuid,
    /// Active members, bots excluded.
    pub total_members: u64,
    pub total_cycles: u64,
    pub total_modules: u64,
    /// The caller is an active member.
    pub is_member: bool,
    /// The caller's project role (20, 15, 5), when a member.
    pub member_role: Option<i16>,
    pub is_deployed: bool,
    /// The caller's own order of their projects: in lists only, null where the caller is not
    /// a member (as Plane's list annotates it).
    #[oai(skip_serializing_if = "MaybeUndefined::is_undefined")]
    pub sort_order: MaybeUndefined<f64>,
    pub cover_image_url: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    pub name: String,
    pub description: String,
    pub description_text: Option<Value>,
    pub description_html: Option<Value>,
    /// 0 secret, 2 public.
    pub network: i16,
    pub identifier: String,
    pub emoji: Option<String>,
    pub icon_prop: Option<Value>,
    pub module_view: bool,
    pub cycle_view: bool,
    pub issue_views_view: bool,
    pub page_view: bool,
    pub intake_view: bool,
    pub is_time_tracking_enabled: bool,
    pub is_issue_type_enabled: bool,
    pub guest_view_all_features: bool,
    pub cover_image: Option<String>,
    pub archive_in: i32,
    pub close_in: i32,
    pub logo_props: Value,
    pub archived_at: Option<Timestamp>,
    pub timezone: String,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub workspace: Uuid,
    pub default_assignee: Option<Uuid>,
    pub project_lead: Option<Uuid>,
    pub cover_image_asset: Option<String>,
    pub estimate: Option<Uuid>,
    pub default_state: Option<Uuid>,
}

/// The caller's side of a project, for its view.
#[derive(Debug, Clone, Copy, Default)]
pub struct Viewer {
    pub total_members: u64,
    pub membership: Option<(i16, f64)>,
    pub in_list: bool,
}

impl ProjectView {
    pub fn new(p: &Project, viewer: Viewer) -> ProjectView {
        ProjectView {
            id: p.id,
            total_members: viewer.total_members,
            total_cycles: 0,
            total_modules: 0,
            is_member: viewer.membership.is_some(),
            member_role: viewer.membership.map(|(role, _)| role),
            is_deployed: false,
            sort_order: match (viewer.in_list, viewer.membership) {
                (false, _) => MaybeUndefined::Undefined,
                (true, Some((_, order))) => MaybeUndefined::Value(order),
                (true, None) => MaybeUndefined::Null,
            },
            cover_image_url: p.cover_image.clone(),
            created_at: p.created_at.into(),
            updated_at: p.updated_at.into(),
            deleted_at: p.deleted_at.map(Into::into),
            name: p.name.clone(),
            description: p.description.clone(),
            description_text: None,
            description_html: p.description_html.clone().map(Value::String),
            network: p.network,
            identifier: p.identifier.clone(),
            emoji: p.emoji.clone(),
            icon_prop: p.icon_prop.clone(),
            module_view: p.module_view,
            cycle_view: p.cycle_view,
            issue_views_view: p.issue_views_view,
            page_view: p.page_view,
            intake_view: p.intake_view,
            is_time_tracking_enabled: p.is_time_tracking_enabled,
            is_issue_type_enabled: p.is_issue_type_enabled,
            guest_view_all_features: p.guest_view_all_features,
            cover_image: p.cover_image.clone(),
            archive_in: p.archive_in,
            close_in: p.close_in,
            logo_props: p.logo_props.clone().unwrap_or_else(|| json!({})),
            archived_at: p.archived_at.map(Into::into),
            timezone: p.timezone.clone(),
            external_source: p.external_source.clone(),
            external_id: p.external_id.clone(),
            created_by: p.created_by,
            updated_by: p.updated_by,
            workspace: p.workspace_id,
            default_assignee: p.default_assignee_id,
            project_lead: p.project_lead_id,
            cover_image_asset: p.cover_image_asset.clone(),
            estimate: p.estimate_id,
            default_state: p.default_state_id,
        }
    }
}

/// ProjectLite: `{id, identifier, name, cover_image, icon_prop, emoji, description,
/// cover_image_url, archived_at}`.
#[derive(Debug, Clone, Object)]
pub struct ProjectLiteView {
    pub id: Uuid,
    pub identifier: String,
    pub name: String,
    pub cover_image: Option<String>,
    pub icon_prop: Option<Value>,
    pub emoji: Option<String>,
    pub description: String,
    pub cover_image_url: Option<String>,
    pub archived_at: Option<Timestamp>,
}

pub fn project_lite(p: &Project) -> Value {
    Shape::default().render(&ProjectLiteView {
        id: p.id,
        identifier: p.identifier.clone(),
        name: p.name.clone(),
        cover_image: p.cover_image.clone(),
        icon_prop: p.icon_prop.clone(),
        emoji: p.emoji.clone(),
        description: p.description.clone(),
        cover_image_url: p.cover_image.clone(),
        archived_at: p.archived_at.map(Into::into),
    })
}

/// The features the SDK reads and toggles (`ProjectFeature`).
#[derive(Debug, Clone, Object)]
pub struct ProjectFeatures {
    pub cycles: bool,
    pub modules: bool,
    pub views: bool,
    pub pages: bool,
    pub intakes: bool,
    pub time_tracking: bool,
    pub work_item_types: bool,
    pub epics: bool,
    pub workflows: bool,
    pub parallel_cycles: bool,
    pub project_updates: bool,
}

impl ProjectFeatures {
    pub fn of(p: &Project) -> ProjectFeatures {
        ProjectFeatures {
            cycles: p.cycle_view,
            modules: p.module_view,
            views: p.issue_views_view,
            pages: p.page_view,
            intakes: p.intake_view,
            time_tracking: p.is_time_tracking_enabled,
            work_item_types: p.is_issue_type_enabled,
            epics: false,
            workflows: false,
            parallel_cycles: false,
            project_updates: false,
        }
    }
}

#[derive(Debug, Object)]
pub struct ProjectSummary {
    pub id: Uuid,
    pub name: String,
    pub identifier: String,
    /// members, states, labels, cycles, modules, issues, intakes, pages.
    pub counts: HashMap<String, u64>,
}
