//! Reading a project from a request body with Plane's field rules (`ProjectCreateSerializer`,
//! `ProjectUpdateSerializer`), and applying an update.

use poem_openapi::Object;
use serde_json::Value;
use uuid::Uuid;

use super::{
    error::ApiError,
    input::{Input, Text},
};
use crate::{
    app::AppState,
    db::{
        self,
        projects::{Features, Project},
    },
    domain::{problem::Problem, projects as rules, workspaces::check_timezone},
};

/// A new project. `name` and `identifier` are required.
#[derive(Debug, Object)]
pub struct ProjectCreate {
    /// At most 255 characters, none of `& + , : ; $ ^ } { * = ? @ # | ' < > . ( ) % ! -`.
    pub name: String,
    /// At most 12 characters, stored upper-cased; the same characters are refused.
    pub identifier: String,
    pub description: Option<String>,
    /// 2 public (the default), 0 secret.
    pub network: Option<i16>,
    /// A workspace member; becomes a project admin.
    pub project_lead: Option<Uuid>,
    /// A workspace member.
    pub default_assignee: Option<Uuid>,
    pub emoji: Option<String>,
    pub icon_prop: Option<Value>,
    pub logo_props: Option<Value>,
    pub cover_image: Option<String>,
    pub module_view: Option<bool>,
    pub cycle_view: Option<bool>,
    pub issue_views_view: Option<bool>,
    pub page_view: Option<bool>,
    pub intake_view: Option<bool>,
    pub guest_view_all_features: Option<bool>,
    pub is_time_tracking_enabled: Option<bool>,
    pub is_issue_type_enabled: Option<bool>,
    /// Months, 0 to 12.
    pub archive_in: Option<i32>,
    /// Months, 0 to 12.
    pub close_in: Option<i32>,
    /// An IANA time zone; the workspace's when absent.
    pub timezone: Option<String>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
}

/// Changes to a project; absent fields stay as they are.
#[derive(Debug, Object)]
pub struct ProjectUpdate {
    #[oai(flatten)]
    pub fields: ProjectCreateOptional,
    /// A state of this project.
    pub default_state: Option<Uuid>,
    /// This project's estimate.
    pub estimate: Option<Uuid>,
}

/// The fields of [`ProjectCreate`], all optional.
#[derive(Debug, Object)]
pub struct ProjectCreateOptional {
    pub name: Option<String>,
    pub identifier: Option<String>,
    pub description: Option<String>,
    pub network: Option<i16>,
    pub project_lead: Option<Uuid>,
    pub default_assignee: Option<Uuid>,
    pub emoji: Option<String>,
    pub icon_prop: Option<Value>,
    pub logo_props: Option<Value>,
    pub cover_image: Option<String>,
    pub module_view: Option<bool>,
    pub cycle_view: Option<bool>,
    pub issue_views_view: Option<bool>,
    pub page_view: Option<bool>,
    pub intake_view: Option<bool>,
    pub guest_view_all_features: Option<bool>,
    pub is_time_tracking_enabled: Option<bool>,
    pub is_issue_type_enabled: Option<bool>,
    pub archive_in: Option<i32>,
    pub close_in: Option<i32>,
    pub timezone: Option<String>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
}

/// The feature switches present in a body.
#[derive(Debug, Clone, Copy, Default)]
pub struct FeatureInput {
    pub module_view: Option<bool>,
    pub cycle_view: Option<bool>,
    pub issue_views_view: Option<bool>,
    pub page_view: Option<bool>,
    pub intake_view: Option<bool>,
    pub guest_view_all_features: Option<bool>,
    pub is_time_tracking_enabled: Option<bool>,
    pub is_issue_type_enabled: Option<bool>,
}

impl FeatureInput {
    pub fn apply(&self, f: &mut Features) {
        let set = |slot: &mut bool, v: Option<bool>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut f.module_view, self.module_view);
        set(&mut f.cycle_view, self.cycle_view);
        set(&mut f.issue_views_view, self.issue_views_view);
        set(&mut f.page_view, self.page_view);
        set(&mut f.intake_view, self.intake_view);
        set(&mut f.guest_view_all_features, self.guest_view_all_features);
        set(
            &mut f.is_time_tracking_enabled,
            self.is_time_tracking_enabled,
        );
        set(&mut f.is_issue_type_enabled, self.is_issue_type_enabled);
    }
}

/// Every field of a project body that was present and valid (`Some(None)`: set to null).
#[derive(Debug, Default)]
pub struct ProjectFields {
    pub name: Option<String>,
    pub identifier: Option<String>,
    pub description: Option<String>,
    pub network: Option<i16>,
    pub emoji: Option<Option<String>>,
    pub icon_prop: Option<Value>,
    pub logo_props: Option<Value>,
    pub cover_image: Option<Option<String>>,
    pub features: FeatureInput,
    pub archive_in: Option<i64>,
    pub close_in: Option<i64>,
    pub timezone: Option<String>,
    pub project_lead: Option<Option<Uuid>>,
    pub default_assignee: Option<Option<Uuid>>,
    pub external_source: Option<Option<String>>,
    pub external_id: Option<Option<String>>,
    pub default_state: Option<Option<Uuid>>,
    pub estimate: Option<Option<Uuid>>,
}

/// Reads the project fields of `input`, recording every problem. `update` also reads
/// `default_state` and `estimate`.
pub fn read_project(input: &mut Input, update: bool) -> ProjectFields {
    let name = input.text("name", Text::max(rules::NAME_MAX));
    let identifier = input
        .text("identifier", Text::max(rules::IDENTIFIER_MAX))
        .map(|i| i.to_uppercase());
    // Upper case can be longer (`ß` → `SS`); the stored value is what must fit.
    let identifier = match identifier {
        Some(upper) if upper.chars().count() > rules::IDENTIFIER_MAX => {
            input.fail(
                "identifier",
                format!(
                    "Ensure this field has no more than {} characters.",
                    rules::IDENTIFIER_MAX
                ),
            );
            None
        }
        other => other,
    };
    if name.as_deref().is_some_and(rules::has_forbidden_chars) {
        input.fail(
            "non_field_errors",
            "Project name cannot contain special characters.",
        );
    }
    if identifier
        .as_deref()
        .is_some_and(rules::has_forbidden_chars)
    {
        input.fail(
            "non_field_errors",
            "Project identifier cannot contain special characters.",
        );
    }
    let timezone = input.text("timezone", Text::max(255));
    if let Some(tz) = &timezone
        && let Err(message) = check_timezone(tz)
    {
        input.fail("timezone", message);
    }
    let features = FeatureInput {
        module_view: input.boolean("module_view"),
        cycle_view: input.boolean("cycle_view"),
        issue_views_view: input.boolean("issue_views_view"),
        page_view: input.boolean("page_view"),
        intake_view: input.boolean("intake_view"),
        guest_view_all_features: input.boolean("guest_view_all_features"),
        is_time_tracking_enabled: input.boolean("is_time_tracking_enabled"),
        is_issue_type_enabled: input.boolean("is_issue_type_enabled"),
    };
    let network = input
        .choice("network", &["0", "2"])
        .map(|n| if n == "0" { 0 } else { 2 });
    ProjectFields {
        name,
        identifier,
        // `blank=True` without `null=True` in Plane's model: DRF refuses `null`.
        description: input.text("description", Text::blank_ok(100_000)),
        network,
        emoji: input.nullable_text("emoji", Text::blank_ok(255)),
        icon_prop: input.json("icon_prop"),
        logo_props: input.json("logo_props"),
        cover_image: input.nullable_text("cover_image", Text::blank_ok(2048)),
        features,
        archive_in: input.integer("archive_in", 0, 12),
        close_in: input.integer("close_in", 0, 12),
        timezone,
        project_lead: input.reference("project_lead"),
        default_assignee: input.reference("default_assignee"),
        external_source: input.nullable_text("external_source", Text::blank_ok(255)),
        external_id: input.nullable_text("external_id", Text::blank_ok(255)),
        default_state: if update {
            input.reference("default_state")
        } else {
            None
        },
        estimate: if update {
            input.reference("estimate")
        } else {
            None
        },
    }
}

/// Checks an update against the project's workspace and applies it.
pub async fn apply_update(
    state: &AppState,
    project: &Project,
    fields: ProjectFields,
    by: Uuid,
) -> Result<Project, ApiError> {
    let db = state.db();
    rules::check_unique(
        db,
        project,
        fields.name.as_deref(),
        fields.identifier.as_deref(),
    )
    .await?;
    rules::check_people(
        db,
        project.workspace_id,
        fields.project_lead.flatten(),
        fields.default_assignee.flatten(),
    )
    .await?;
    let updated = db::projects::save_checked(db, project.clone(), by, db::now(), |p| {
        use sea_orm::ActiveValue::Set;
        if let Some(v) = fields.name {
            p.name = Set(v);
        }
        if let Some(v) = fields.identifier {
            p.identifier = Set(v);
        }
        if let Some(v) = fields.description {
            p.description = Set(v);
        }
        if let Some(v) = fields.network {
            p.network = Set(v);
        }
        if let Some(v) = fields.emoji {
            p.emoji = Set(v);
        }
        if let Some(v) = fields.icon_prop {
            p.icon_prop = Set((!v.is_null()).then_some(v));
        }
        if let Some(v) = fields.logo_props.filter(Value::is_object) {
            p.logo_props = Set(Some(v));
        }
        if let Some(v) = fields.cover_image {
            p.cover_image = Set(v);
        }
        let f = fields.features;
        let set = |slot: &mut sea_orm::ActiveValue<bool>, v: Option<bool>| {
            if let Some(v) = v {
                *slot = Set(v);
            }
        };
        set(&mut p.module_view, f.module_view);
        set(&mut p.cycle_view, f.cycle_view);
        set(&mut p.issue_views_view, f.issue_views_view);
        set(&mut p.page_view, f.page_view);
        set(&mut p.intake_view, f.intake_view);
        set(&mut p.guest_view_all_features, f.guest_view_all_features);
        set(&mut p.is_time_tracking_enabled, f.is_time_tracking_enabled);
        set(&mut p.is_issue_type_enabled, f.is_issue_type_enabled);
        if let Some(v) = fields.archive_in {
            p.archive_in = Set(v as i32);
        }
        if let Some(v) = fields.close_in {
            p.close_in = Set(v as i32);
        }
        if let Some(v) = fields.timezone {
            p.timezone = Set(v);
        }
        if let Some(v) = fields.project_lead {
            p.project_lead_id = Set(v);
        }
        if let Some(v) = fields.default_assignee {
            p.default_assignee_id = Set(v);
        }
        if let Some(v) = fields.external_source {
            p.external_source = Set(v);
        }
        if let Some(v) = fields.external_id {
            p.external_id = Set(v);
        }
        if let Some(v) = fields.default_state {
            p.default_state_id = Set(v);
        }
        if let Some(v) = fields.estimate {
            p.estimate_id = Set(v);
        }
    })
    .await;
    match updated {
        Ok(db::projects::CheckedSave::Saved(project)) => Ok(*project),
        // Deleted or archived between the caller's check and the write.
        Ok(db::projects::CheckedSave::Closed(closed)) => Err(rules::closed(closed).into()),
        // Checked under the project's lock, so a state or estimate deleted meanwhile counts.
        Ok(db::projects::CheckedSave::StateGone) => Err(Problem::field(
            "non_field_errors",
            "Default state should be a state in the project",
        )
        .into()),
        Ok(db::projects::CheckedSave::EstimateGone) => Err(Problem::field(
            "non_field_errors",
            "Estimate should be a estimate in the project",
        )
        .into()),
        // A concurrent change took the name or identifier between the check and the write.
        Err(e) if db::is_unique_violation_of(&e, "identifier") => Err(ApiError::Body {
            status: poem::http::StatusCode::CONFLICT,
            body: serde_json::json!({"identifier": "The project identifier is already taken"}),
        }),
        Err(e) if db::is_unique_violation(&e) => Err(ApiError::Body {
            status: poem::http::StatusCode::CONFLICT,
            body: serde_json::json!({"name": "The project name is already taken"}),
        }),
        Err(e) => Err(e.into()),
    }
}
