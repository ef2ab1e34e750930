//! The rules for an estimate's points: each has a key (its position, 1-based) and a value, both
//! unique within the estimate; a point sent without a key takes the next free one; the values
//! of a `points` estimate are numbers. Refusals use DRF's shapes: one error object per item for
//! a list of new points, a field map for a change.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use uuid::Uuid;

use super::problem::Problem;
use crate::db::{
    self, Db,
    entities::estimate_point as entity,
    estimates::{Estimate, EstimatePoint, PointWrite},
};

const KEY_TAKEN: &str = "estimate point with this key already exists.";
const VALUE_TAKEN: &str = "estimate point with this value already exists.";
const NOT_A_NUMBER: &str = "A valid number is required.";
const KEY_TOO_LARGE: &str = "Ensure this value is less than or equal to 2147483647.";

/// A point to add, its fields read and valid on their own.
#[derive(Debug, Clone)]
pub struct PointDraft {
    pub key: Option<i64>,
    pub value: String,
    pub description: String,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
}

/// The most points one estimate holds. Plane's own screens offer a handful; the cap keeps one
/// request from writing (and checking, inside the estimate's lock) an unbounded list.
pub const MAX_POINTS: usize = 100;

/// The refusal of a list that would take the estimate over [`MAX_POINTS`].
pub fn too_many_points() -> Value {
    json!({ "error": format!("An estimate has at most {MAX_POINTS} points") })
}

/// Values that count as the same: numbers by their value in a `points` estimate ("3" and
/// "3.0"), text as written otherwise.
fn same_value(kind: &str, a: &str, b: &str) -> bool {
    match (kind, a.parse::<f64>(), b.parse::<f64>()) {
        ("points", Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn is_number(value: &str) -> bool {
    value.parse::<f64>().is_ok_and(f64::is_finite)
}

/// The key each draft gets, or one error object per draft (`{}` for the good ones).
pub fn plan_keys(
    kind: &str,
    existing: &[EstimatePoint],
    drafts: &[PointDraft],
) -> Result<Vec<i32>, Vec<Value>> {
    let highest = existing
        .iter()
        .map(|p| i64::from(p.key))
        .chain(drafts.iter().filter_map(|d| d.key))
        .max()
        .unwrap_or(0);
    let mut next = highest.max(0) + 1;
    let mut keys: Vec<i64> = existing.iter().map(|p| i64::from(p.key)).collect();
    let mut values: Vec<&str> = existing.iter().map(|p| p.value.as_str()).collect();
    let mut planned = Vec::with_capacity(drafts.len());
    let mut errors = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let mut problems = serde_json::Map::new();
        let key = match draft.key {
            Some(key) => key,
            None => {
                next += 1;
                next - 1
            }
        };
        if keys.contains(&key) {
            problems.insert("key".into(), json!([KEY_TAKEN]));
        } else if i32::try_from(key).is_err() {
            // Only a key given after the highest possible one: the input refuses larger ones.
            problems.insert("key".into(), json!([KEY_TOO_LARGE]));
        }
        if kind == "points" && !is_number(&draft.value) {
            problems.insert("value".into(), json!([NOT_A_NUMBER]));
        } else if values.iter().any(|v| same_value(kind, v, &draft.value)) {
            problems.insert("value".into(), json!([VALUE_TAKEN]));
        }
        keys.push(key);
        values.push(&draft.value);
        // A key out of range is an error above, so the plan is never used then.
        planned.push(i32::try_from(key).unwrap_or_default());
        errors.push(Value::Object(problems));
    }
    if errors.iter().any(|e| e != &json!({})) {
        Err(errors)
    } else {
        Ok(planned)
    }
}

/// Refuses a change that gives `point` another point's key or value, or a `points` estimate a
/// value that is not a number.
pub fn check_change(
    kind: &str,
    existing: &[EstimatePoint],
    point: Uuid,
    key: Option<i64>,
    value: Option<&str>,
) -> Result<(), Problem> {
    let others = || existing.iter().filter(|p| p.id != point);
    let mut problems = BTreeMap::new();
    if let Some(key) = key {
        if others().any(|p| i64::from(p.key) == key) {
            problems.insert("key".to_string(), vec![KEY_TAKEN.to_string()]);
        } else if i32::try_from(key).is_err() {
            problems.insert("key".to_string(), vec![KEY_TOO_LARGE.to_string()]);
        }
    }
    if let Some(value) = value {
        if kind == "points" && !is_number(value) {
            problems.insert("value".to_string(), vec![NOT_A_NUMBER.to_string()]);
        } else if others().any(|p| same_value(kind, &p.value, value)) {
            problems.insert("value".to_string(), vec![VALUE_TAKEN.to_string()]);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problem::Invalid(problems))
    }
}

/// Adds the points, all or none, checked against the estimate's points under its row lock so
/// two requests cannot take the same key.
pub async fn add_points(
    db: &Db,
    estimate: &Estimate,
    drafts: Vec<PointDraft>,
    by: Uuid,
) -> Result<Vec<EstimatePoint>, Problem> {
    let now = db::now();
    let plan = |existing: &[EstimatePoint]| -> Result<Vec<entity::ActiveModel>, Value> {
        if existing.len() + drafts.len() > MAX_POINTS {
            return Err(too_many_points());
        }
        // DRF's list serializer answers one error object per item.
        let keys = plan_keys(&estimate.kind, existing, &drafts).map_err(Value::Array)?;
        Ok(drafts
            .iter()
            .zip(keys)
            .map(|(draft, key)| {
                use sea_orm::ActiveValue::Set;
                entity::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    workspace_id: Set(estimate.workspace_id),
                    project_id: Set(estimate.project_id),
                    estimate_id: Set(estimate.id),
                    key: Set(key),
                    description: Set(draft.description.clone()),
                    value: Set(draft.value.clone()),
                    external_source: Set(draft.external_source.clone()),
                    external_id: Set(draft.external_id.clone()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    deleted_at: Set(None),
                    created_by: Set(Some(by)),
                    updated_by: Set(None),
                }
            })
            .collect())
    };
    written(
        db::estimates::add_points(db, estimate, plan).await?,
        Problem::RefusedWith,
    )
}

/// The answer to a write to an estimate's points; `refused` words a refusal of the check.
fn written<T, E>(
    outcome: PointWrite<T, E>,
    refused: impl FnOnce(E) -> Problem,
) -> Result<T, Problem> {
    match outcome {
        PointWrite::Done(done) => Ok(done),
        PointWrite::Refused(refusal) => Err(refused(refusal)),
        PointWrite::Gone => Err(Problem::NotFound),
        PointWrite::Archived => Err(super::projects::archived()),
    }
}

/// Changes a point's key, value or description, checked as [`add_points`] checks.
pub async fn change_point(
    db: &Db,
    estimate: &Estimate,
    point: EstimatePoint,
    key: Option<i64>,
    value: Option<String>,
    description: Option<String>,
    by: Uuid,
) -> Result<EstimatePoint, Problem> {
    let id = point.id;
    let changed = db::estimates::change_point(
        db,
        point,
        by,
        db::now(),
        |existing| check_change(&estimate.kind, existing, id, key, value.as_deref()),
        |p| {
            use sea_orm::ActiveValue::Set;
            // `check_change` refused a key out of range.
            if let Some(v) = key.and_then(|k| i32::try_from(k).ok()) {
                p.key = Set(v);
            }
            if let Some(v) = value.clone() {
                p.value = Set(v);
            }
            if let Some(v) = description.clone() {
                p.description = Set(v);
            }
        },
    )
    .await?;
    written(changed, |problem| problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(key: i32, value: &str) -> EstimatePoint {
        let now = db::now();
        EstimatePoint {
            id: Uuid::now_v7(),
            workspace_id: Uuid::nil(),
            project_id: Uuid::nil(),
            estimate_id: Uuid::nil(),
            key,
            description: String::new(),
            value: value.into(),
            external_source: None,
            external_id: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
            created_by: None,
            updated_by: None,
        }
    }

    fn draft(key: Option<i64>, value: &str) -> PointDraft {
        PointDraft {
            key,
            value: value.into(),
            description: String::new(),
            external_source: None,
            external_id: None,
        }
    }

    #[test]
    fn keys_follow_the_existing_ones() {
        let existing = [point(1, "1"), point(2, "2")];
        assert_eq!(
            plan_keys("points", &existing, &[draft(None, "3"), draft(None, "5")]),
            Ok(vec![3, 4])
        );
        assert_eq!(
            plan_keys("categories", &[], &[draft(None, "S"), draft(None, "M")]),
            Ok(vec![1, 2])
        );
        assert_eq!(
            plan_keys(
                "points",
                &existing,
                &[draft(None, "3"), draft(Some(7), "8")]
            ),
            Ok(vec![8, 7])
        );
    }

    #[test]
    fn keys_and_values_are_unique_and_points_are_numbers() {
        let existing = [point(1, "1")];
        let refused = plan_keys(
            "points",
            &existing,
            &[draft(Some(1), "2"), draft(None, "1.0"), draft(None, "x")],
        );
        assert_eq!(
            refused,
            Err(vec![
                json!({"key": [KEY_TAKEN]}),
                json!({"value": [VALUE_TAKEN]}),
                json!({"value": [NOT_A_NUMBER]}),
            ])
        );
        assert!(plan_keys("categories", &[], &[draft(None, "S"), draft(None, "S")]).is_err());
        let mine = point(2, "2");
        let all = [point(1, "1"), mine.clone()];
        assert!(check_change("points", &all, mine.id, Some(2), Some("2")).is_ok());
        assert!(check_change("points", &all, mine.id, Some(1), None).is_err());
        assert!(check_change("points", &all, mine.id, None, Some("1")).is_err());
        assert!(check_change("points", &all, mine.id, None, Some("big")).is_err());
        assert!(check_change("time", &all, mine.id, None, Some("big")).is_ok());
    }

    #[test]
    fn no_key_is_planned_past_the_largest_one() {
        // The next key after the largest possible one would not fit: refused, not squeezed
        // onto the largest (which would give two points one key).
        let refused = plan_keys(
            "points",
            &[],
            &[draft(Some(i64::from(i32::MAX)), "1"), draft(None, "2")],
        );
        assert_eq!(
            refused,
            Err(vec![json!({}), json!({"key": [KEY_TOO_LARGE]})])
        );
        let mine = point(1, "1");
        let big = i64::from(i32::MAX) + 1;
        assert!(
            check_change(
                "points",
                std::slice::from_ref(&mine),
                mine.id,
                Some(big),
                None
            )
            .is_err()
        );
    }
}
