//! The rules for a project's states, labels and estimates (`plane-api-v1.md` §5.6–5.7, §5.12,
//! §3.2): unique names with Plane's 409 bodies, imported rows identified by
//! `(external_source, external_id)`, the default state, nested labels without cycles.

use serde_json::json;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use super::problem::Problem;
use crate::db::{
    self, Db,
    labels::ParentFit,
    states::{Deletion, State},
};

/// A URL-friendly form of a name, as Django's `slugify` (which Plane's `State.save` calls)
/// makes it: decomposed (NFKD) and reduced to ASCII, lower case, everything but word
/// characters, spaces and `-` dropped, runs of spaces and `-` made one `-`, `-`/`_` trimmed.
pub fn slugify(name: &str) -> String {
    // Python's `\s` on ASCII text: what Rust calls ASCII whitespace, plus \v and \x1c–\x1f.
    let is_space = |c: char| c.is_ascii_whitespace() || matches!(c, '\x0b' | '\x1c'..='\x1f');
    let mut slug = String::with_capacity(name.len());
    let mut in_gap = false;
    for c in name.nfkd().filter(char::is_ascii) {
        let c = c.to_ascii_lowercase();
        if c == '-' || is_space(c) {
            if !in_gap {
                slug.push('-');
                in_gap = true;
            }
        } else if c.is_ascii_alphanumeric() || c == '_' {
            slug.push(c);
            in_gap = false;
        }
    }
    slug.trim_matches(['-', '_']).to_string()
}

/// Both parts of an external reference, when both are given and not empty.
pub fn external_pair<'a>(
    source: Option<&'a str>,
    id: Option<&'a str>,
) -> Option<(&'a str, &'a str)> {
    match (source, id) {
        (Some(s), Some(i)) if !s.is_empty() && !i.is_empty() => Some((s, i)),
        _ => None,
    }
}

/// What a new or changed state or label found taken.
#[derive(Debug, Clone, Copy)]
pub enum Clash {
    Name,
    ExternalReference,
}

/// Plane's 409 for a clash whose row is not known (taken by a request that won a race, and
/// gone again by the time it was looked up).
pub fn clash(thing: &str, clash: Clash) -> Problem {
    conflict(thing, clash, None)
}

/// Plane's 409 for a name or external reference in use, naming the row when it may be shown.
fn conflict(thing: &str, clash: Clash, id: Option<Uuid>) -> Problem {
    let error = match clash {
        Clash::Name => format!("{thing} with the same name already exists in the project"),
        Clash::ExternalReference => {
            format!("{thing} with the same external id and external source already exists")
        }
    };
    Problem::Conflict(match id {
        Some(id) => json!({ "error": error, "id": id }),
        None => json!({ "error": error }),
    })
}

/// The 409 for a state name in use. The hidden triage state's id is not given away (clients
/// never see that state; the name is taken all the same, names being unique).
fn same_name_state(existing: &State) -> Problem {
    conflict(
        "State",
        Clash::Name,
        (!existing.is_triage).then_some(existing.id),
    )
}

/// Refuses a new state whose name or external reference the project already uses.
pub async fn check_new_state(
    db: &Db,
    project_id: Uuid,
    name: &str,
    external: Option<(&str, &str)>,
) -> Result<(), Problem> {
    if let Some((source, id)) = external
        && let Some(existing) = db::states::by_external(db, project_id, source, id).await?
    {
        return Err(conflict(
            "State",
            Clash::ExternalReference,
            Some(existing.id),
        ));
    }
    if let Some(existing) = db::states::by_name(db, project_id, name).await? {
        return Err(same_name_state(&existing));
    }
    Ok(())
}

/// Refuses a change that gives `state` a name or external reference another state has.
pub async fn check_state_change(
    db: &Db,
    state: &State,
    name: Option<&str>,
    external: Option<(&str, &str)>,
) -> Result<(), Problem> {
    if let Some((source, id)) = external
        && let Some(existing) = db::states::by_external(db, state.project_id, source, id).await?
        && existing.id != state.id
    {
        // Plane answers with the id of the row being changed.
        return Err(conflict("State", Clash::ExternalReference, Some(state.id)));
    }
    if let Some(name) = name
        && let Some(existing) = db::states::by_name(db, state.project_id, name).await?
        && existing.id != state.id
    {
        return Err(same_name_state(&existing));
    }
    Ok(())
}

/// Deletes a state that is not the project's default — neither by its own `default` flag nor
/// as the project's `default_state` — and holds no live work item (Plane's 400s).
pub async fn delete_state(db: &Db, state: &State, by: Uuid) -> Result<(), Problem> {
    match db::states::delete(db, state.project_id, state.id, by, db::now()).await? {
        Deletion::Deleted => Ok(()),
        Deletion::IsDefault => Err(Problem::Refused("Default state cannot be deleted".into())),
        Deletion::InUse => Err(Problem::Refused(
            "The state is not empty, only empty states can be deleted".into(),
        )),
        Deletion::Gone => Err(Problem::NotFound),
        Deletion::Archived => Err(super::projects::archived()),
    }
}

/// Refuses a label name or external reference the project already uses (by another label).
pub async fn check_label(
    db: &Db,
    project_id: Uuid,
    label_id: Option<Uuid>,
    name: Option<&str>,
    external: Option<(&str, &str)>,
) -> Result<(), Problem> {
    if let Some((source, id)) = external
        && let Some(existing) = db::labels::by_external(db, project_id, source, id).await?
        && Some(existing.id) != label_id
    {
        return Err(conflict(
            "Label",
            Clash::ExternalReference,
            Some(label_id.unwrap_or(existing.id)),
        ));
    }
    if let Some(name) = name
        && let Some(existing) = db::labels::by_name(db, project_id, name).await?
        && Some(existing.id) != label_id
    {
        return Err(conflict("Label", Clash::Name, Some(existing.id)));
    }
    Ok(())
}

/// DRF's answer for a parent that does not fit: not a live label of the project, or the label
/// itself or one of its descendants (`db::labels::parent_fit`, checked inside the write).
pub fn parent_problem(fit: ParentFit, parent_id: Uuid) -> Problem {
    match fit {
        ParentFit::Loop => Problem::field(
            "parent",
            "A label cannot be nested under itself or one of its own labels.",
        ),
        ParentFit::Missing | ParentFit::Fits => Problem::field(
            "parent",
            format!("Invalid pk \"{parent_id}\" - object does not exist."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("In Progress"), "in-progress");
        assert_eq!(slugify("  Ready  for QA! "), "ready-for-qa");
        // As Django: accents folded, punctuation dropped rather than made a gap.
        assert_eq!(slugify("Été"), "ete");
        assert_eq!(slugify("Won't fix"), "wont-fix");
        assert_eq!(slugify("QA/Review"), "qareview");
        assert_eq!(slugify("a - b__"), "a-b");
        assert_eq!(slugify("Größe ½"), "groe-12");
        assert_eq!(slugify("待办"), "");
    }

    #[test]
    fn external_pairs_need_both_parts() {
        assert_eq!(external_pair(Some("jira"), Some("1")), Some(("jira", "1")));
        assert_eq!(external_pair(Some("jira"), None), None);
        assert_eq!(external_pair(Some(""), Some("1")), None);
    }
}
