//! Creating a project: its fields, the name and identifier rules' clash check, and the one
//! transaction that writes it with its memberships and default states.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    super::{
        Db,
        entities::{project, state},
    },
    Project,
};
/// A project to create, validated.
#[derive(Debug, Clone)]
pub struct NewProject {
    pub workspace_id: Uuid,
    pub name: String,
    pub identifier: String,
    pub description: String,
    pub network: i16,
    pub emoji: Option<String>,
    pub icon_prop: Option<Value>,
    pub logo_props: Value,
    pub cover_image: Option<String>,
    pub features: Features,
    pub archive_in: i32,
    pub close_in: i32,
    pub timezone: String,
    pub project_lead_id: Option<Uuid>,
    pub default_assignee_id: Option<Uuid>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
}

/// The feature switches of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    pub module_view: bool,
    pub cycle_view: bool,
    pub issue_views_view: bool,
    pub page_view: bool,
    pub intake_view: bool,
    pub is_time_tracking_enabled: bool,
    pub is_issue_type_enabled: bool,
    pub guest_view_all_features: bool,
}

impl Default for Features {
    /// Plane's defaults: pages on, everything else off.
    fn default() -> Features {
        Features {
            module_view: false,
            cycle_view: false,
            issue_views_view: false,
            page_view: true,
            intake_view: false,
            is_time_tracking_enabled: false,
            is_issue_type_enabled: false,
            guest_view_all_features: false,
        }
    }
}

/// A state created with every project: (name, color, sequence, group, default).
pub const DEFAULT_STATES: [(&str, &str, f64, &str, bool); 6] = [
    ("Backlog", "#60646C", 15000.0, "backlog", true),
    ("Todo", "#60646C", 25000.0, "unstarted", false),
    ("In Progress", "#F59E0B", 35000.0, "started", false),
    ("Done", "#46A758", 45000.0, "completed", false),
    ("Cancelled", "#9AA4BC", 55000.0, "cancelled", false),
    ("Triage", "#4E5355", 65000.0, "triage", false),
];

#[derive(Debug, thiserror::Error)]
pub enum ProjectClash {
    #[error("the name is taken")]
    Name,
    #[error("the identifier is taken")]
    Identifier,
    /// The workspace was deleted meanwhile.
    #[error("the workspace is gone")]
    WorkspaceGone,
    /// The creator is no longer a member of the workspace, or now only a guest.
    #[error("the creator may no longer create projects")]
    CreatorNotPermitted,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Which live project of the workspace, other than `except`, already uses the name or the
/// identifier.
pub async fn clash<C: ConnectionTrait>(
    conn: &C,
    workspace_id: Uuid,
    name: Option<&str>,
    identifier: Option<&str>,
    except: Option<Uuid>,
) -> Result<Option<ProjectClash>, DbErr> {
    let live = || {
        let mut q = project::Entity::find()
            .filter(project::Column::WorkspaceId.eq(workspace_id))
            .filter(project::Column::DeletedAt.is_null());
        if let Some(id) = except {
            q = q.filter(project::Column::Id.ne(id));
        }
        q
    };
    if let Some(name) = name
        && live()
            .filter(project::Column::Name.eq(name))
            .count(conn)
            .await?
            > 0
    {
        return Ok(Some(ProjectClash::Name));
    }
    if let Some(identifier) = identifier
        && live()
            .filter(project::Column::Identifier.eq(identifier))
            .count(conn)
            .await?
            > 0
    {
        return Ok(Some(ProjectClash::Identifier));
    }
    Ok(None)
}

/// Creates the project, its creator's (and lead's) admin memberships and its six default
/// states, in one transaction.
pub async fn create(
    db: &Db,
    new: NewProject,
    creator: Uuid,
    now: DateTime<Utc>,
) -> Result<Project, ProjectClash> {
    let txn = db.begin().await?;
    if crate::db::workspaces::hold(&txn, new.workspace_id)
        .await?
        .is_none()
    {
        return Err(ProjectClash::WorkspaceGone);
    }
    // The creator becomes the project's admin: their role, checked before, is read again under
    // a share lock, so a demotion to guest or a removal meanwhile cannot make a guest (or a
    // non-member) a project admin. A demotion waiting on this finds the project, of which the
    // creator is then the only admin, and is refused.
    if crate::db::workspace_members::role_held(&txn, new.workspace_id, creator)
        .await?
        .is_none_or(|role| role < 15)
    {
        return Err(ProjectClash::CreatorNotPermitted);
    }
    if let Some(clash) = clash(
        &txn,
        new.workspace_id,
        Some(&new.name),
        Some(&new.identifier),
        None,
    )
    .await?
    {
        return Err(clash);
    }
    let id = Uuid::now_v7();
    let f = new.features;
    let inserted = project::Entity::insert(project::ActiveModel {
        id: Set(id),
        workspace_id: Set(new.workspace_id),
        name: Set(new.name),
        description: Set(new.description),
        description_html: Set(None),
        network: Set(new.network),
        identifier: Set(new.identifier),
        emoji: Set(new.emoji),
        icon_prop: Set(new.icon_prop),
        module_view: Set(f.module_view),
        cycle_view: Set(f.cycle_view),
        issue_views_view: Set(f.issue_views_view),
        page_view: Set(f.page_view),
        intake_view: Set(f.intake_view),
        is_time_tracking_enabled: Set(f.is_time_tracking_enabled),
        is_issue_type_enabled: Set(f.is_issue_type_enabled),
        guest_view_all_features: Set(f.guest_view_all_features),
        cover_image: Set(new.cover_image),
        cover_image_asset: Set(None),
        archive_in: Set(new.archive_in),
        close_in: Set(new.close_in),
        logo_props: Set(Some(new.logo_props)),
        archived_at: Set(None),
        timezone: Set(new.timezone),
        default_assignee_id: Set(new.default_assignee_id),
        project_lead_id: Set(new.project_lead_id),
        estimate_id: Set(None),
        default_state_id: Set(None),
        external_source: Set(new.external_source),
        external_id: Set(new.external_id),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        created_by: Set(Some(creator)),
        updated_by: Set(None),
    })
    .exec_with_returning(&txn)
    .await;
    let project = match inserted {
        Ok(p) => p,
        // A concurrent creation won the race between the check and the insert.
        Err(e) if crate::db::is_unique_violation_of(&e, "identifier") => {
            return Err(ProjectClash::Identifier);
        }
        Err(e) if crate::db::is_unique_violation(&e) => return Err(ProjectClash::Name),
        Err(e) => return Err(e.into()),
    };
    crate::db::project_members::join(&txn, &project, creator, 20, Some(creator), now).await?;
    if let Some(lead) = project.project_lead_id
        && lead != creator
    {
        // The lead joins as an admin, as in Plane; a workspace guest only ever as a guest.
        // (Not at all once they left the workspace meanwhile.)
        let workspace_role =
            crate::db::workspace_members::role_held(&txn, project.workspace_id, lead).await?;
        if let Some(workspace_role) = workspace_role {
            let role = if workspace_role > 5 { 20 } else { 5 };
            crate::db::project_members::join(&txn, &project, lead, role, Some(creator), now)
                .await?;
        }
    }
    let states =
        DEFAULT_STATES.iter().map(
            |(name, color, sequence, group, default)| state::ActiveModel {
                id: Set(Uuid::now_v7()),
                workspace_id: Set(project.workspace_id),
                project_id: Set(project.id),
                name: Set(name.to_string()),
                description: Set(String::new()),
                color: Set(color.to_string()),
                slug: Set(String::new()),
                sequence: Set(*sequence),
                group: Set(group.to_string()),
                is_triage: Set(*group == "triage"),
                default: Set(*default),
                external_source: Set(None),
                external_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
                created_by: Set(Some(creator)),
                updated_by: Set(None),
            },
        );
    state::Entity::insert_many(states).exec(&txn).await?;
    txn.commit().await?;
    Ok(project)
}
