//! Queries on `issues` (work items, Plane's table name). Today only what other rules ask of them;
//! the work-item API brings the rest.

use sea_orm::{
    ConnectionTrait, DbErr,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Query},
};
use uuid::Uuid;

/// Whether a live (not deleted) work item is in the state — archived and draft ones count, as in
/// Plane, where only an empty state can be deleted.
pub async fn any_in_state<C: ConnectionTrait>(conn: &C, state_id: Uuid) -> Result<bool, DbErr> {
    let query = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new("issues"))
        .and_where(Expr::col(Alias::new("state_id")).eq(state_id))
        .and_where(Expr::col(Alias::new("deleted_at")).is_null())
        .limit(1)
        .to_owned();
    Ok(conn.query_one(&query).await?.is_some())
}

/// The project's live work items outside triage (Plane's `issues` summary count; a work item
/// without a state counts).
pub async fn count_in_project(db: &super::Db, project_id: Uuid) -> Result<u64, DbErr> {
    let (issues, states) = (Alias::new("issues"), Alias::new("states"));
    let query = Query::select()
        .expr_as(Expr::col(Asterisk).count(), Alias::new("n"))
        .from(issues.clone())
        .left_join(
            states.clone(),
            Expr::col((states.clone(), Alias::new("id")))
                .equals((issues.clone(), Alias::new("state_id"))),
        )
        .and_where(Expr::col((issues.clone(), Alias::new("project_id"))).eq(project_id))
        .and_where(Expr::col((issues, Alias::new("deleted_at"))).is_null())
        .and_where(
            Expr::col((states.clone(), Alias::new("is_triage")))
                .is_null()
                .or(Expr::col((states, Alias::new("is_triage"))).eq(false)),
        )
        .to_owned();
    let row = db.conn.query_one(&query).await?;
    Ok(row
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or(0) as u64)
}
