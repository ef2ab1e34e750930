//! Response bodies shaped by the caller, as Plane's serializers do (`serializers/base.py`):
//! `fields=a,b` keeps only those keys, `expand=x,y` replaces an id with the object it names
//! (a user, the workspace, the project, a state, a label). [`Shaped<T>`] carries the finished
//! JSON while `T` documents it in the OpenAPI document.

use std::{
    collections::{HashMap, HashSet},
    marker::PhantomData,
};

use bytes::Bytes;
use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{
    ApiResponse,
    payload::Payload,
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry},
    types::{ParseFromJSON, ToJSON, Type},
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    error::{ApiError, encode_json, json_response},
    pagination::{Page, PageRequest},
};
use crate::{
    app::AppState,
    db::{self, Db},
};

/// The `fields` and `expand` query parameters.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    fields: Option<HashSet<String>>,
    expand: Vec<String>,
}

fn split(list: Option<&str>) -> Vec<String> {
    list.unwrap_or("")
        .split(',')
        .map(str::trim)
        // `str::is_empty` by name: poem-openapi's `Type::is_empty` would be picked for `&&str`.
        .filter(|s| !str::is_empty(s))
        .map(str::to_string)
        .collect()
}

impl Shape {
    pub fn new(fields: Option<&str>, expand: Option<&str>) -> Shape {
        let fields = split(fields);
        Shape {
            fields: (!fields.is_empty()).then(|| fields.into_iter().collect()),
            expand: split(expand),
        }
    }

    /// Only `expand=` (for answers where Plane ignores `fields=`).
    pub fn expand_only(expand: Option<&str>) -> Shape {
        Shape::new(None, expand)
    }

    /// True when `key` is kept by `fields=`.
    pub fn wants(&self, key: &str) -> bool {
        self.fields.as_ref().is_none_or(|f| f.contains(key))
    }

    /// True when `key` is to be expanded (and is kept).
    pub fn expands(&self, key: &str) -> bool {
        self.wants(key) && self.expand.iter().any(|e| e == key)
    }

    /// Drops the keys `fields=` does not keep.
    pub fn filter(&self, object: &mut Value) {
        if let (Some(fields), Value::Object(map)) = (&self.fields, object) {
            map.retain(|key, _| fields.contains(key));
        }
    }

    /// A serialized resource, filtered.
    pub fn render<T: ToJSON>(&self, item: &T) -> Value {
        let mut value = item.to_json().unwrap_or(Value::Null);
        self.filter(&mut value);
        value
    }
}

/// What an id-valued key expands to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lite {
    /// UserLite.
    User,
    /// `{name, slug, id}`.
    Workspace,
    /// ProjectLite.
    Project,
    /// `{id, name, color}`.
    Label,
}

/// Replaces the ids under the requested keys of `items` with the objects they name, with one
/// query per kind. Ids that name nothing (a deleted row) become `null`.
pub async fn expand(
    db: &Db,
    shape: &Shape,
    items: &mut [Value],
    expandable: &[(&str, Lite)],
) -> Result<(), ApiError> {
    let wanted: Vec<(&str, Lite)> = expandable
        .iter()
        .copied()
        .filter(|(key, _)| shape.expands(key))
        .collect();
    if wanted.is_empty() || <[Value]>::is_empty(items) {
        return Ok(());
    }
    let mut ids: HashMap<Lite, HashSet<Uuid>> = HashMap::new();
    for item in items.iter() {
        for (key, lite) in &wanted {
            let set = ids.entry(*lite).or_default();
            match item.get(*key) {
                Some(Value::String(s)) => set.extend(Uuid::parse_str(s).ok()),
                Some(Value::Array(list)) => set.extend(
                    list.iter()
                        .filter_map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok())),
                ),
                _ => {}
            }
        }
    }
    let mut objects: HashMap<(Lite, Uuid), Value> = HashMap::new();
    for (lite, ids) in ids {
        let ids: Vec<Uuid> = ids.into_iter().collect();
        for (id, value) in load(db, lite, &ids).await? {
            objects.insert((lite, id), value);
        }
    }
    let lookup = |lite: Lite, v: &Value| -> Value {
        v.as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .and_then(|id| objects.get(&(lite, id)).cloned())
            .unwrap_or(Value::Null)
    };
    for item in items.iter_mut() {
        for (key, lite) in &wanted {
            let Some(slot) = item.get_mut(*key) else {
                continue;
            };
            let expanded = match &*slot {
                Value::Array(list) => Value::Array(
                    list.iter()
                        .map(|v| lookup(*lite, v))
                        .filter(|v| !v.is_null())
                        .collect(),
                ),
                Value::Null => Value::Null,
                other => lookup(*lite, other),
            };
            *slot = expanded;
        }
    }
    Ok(())
}

async fn load(db: &Db, lite: Lite, ids: &[Uuid]) -> Result<Vec<(Uuid, Value)>, ApiError> {
    let internal = |e: sea_orm::DbErr| ApiError::Internal(e.into());
    Ok(match lite {
        Lite::User => db::users::by_ids(db, ids)
            .await
            .map_err(internal)?
            .iter()
            .map(|u| {
                let lite = super::users::UserLite::from_user(u);
                (u.id, lite.to_json().unwrap_or(Value::Null))
            })
            .collect(),
        Lite::Workspace => db::workspaces::by_ids(db, ids)
            .await
            .map_err(internal)?
            .iter()
            .map(|w| {
                (
                    w.id,
                    serde_json::json!({"name": w.name, "slug": w.slug, "id": w.id}),
                )
            })
            .collect(),
        Lite::Project => db::projects::by_ids(db, ids)
            .await
            .map_err(internal)?
            .iter()
            .map(|p| (p.id, super::project_views::project_lite(p)))
            .collect(),
        Lite::Label => db::labels::by_ids(db, ids)
            .await
            .map_err(internal)?
            .iter()
            .map(|l| {
                (
                    l.id,
                    serde_json::json!({"id": l.id, "name": l.name, "color": l.color}),
                )
            })
            .collect(),
    })
}

/// One page of a list as Plane answers it: each view kept to `fields=`, its ids expanded as
/// `expand=` asks, in the pagination envelope.
pub async fn page_of<V: ParseFromJSON + ToJSON + Send + Sync>(
    db: &Db,
    shape: &Shape,
    page: &PageRequest,
    views: impl IntoIterator<Item = V>,
    total: u64,
    expandable: &[(&str, Lite)],
) -> Result<Shaped<Page<V>>, ApiError> {
    let mut results: Vec<Value> = views.into_iter().map(|v| shape.render(&v)).collect();
    expand(db, shape, &mut results, expandable).await?;
    Ok(Shaped::new(
        Shape::default().render(&page.envelope(results, total)),
    ))
}

/// A JSON answer built as a value (after `fields=`/`expand=`), documented as `T`.
pub struct Shaped<T> {
    body: Body,
    _schema: PhantomData<fn() -> T>,
}

enum Body {
    Value(Value),
    /// Already encoded (a remembered answer).
    Encoded(Bytes),
}

impl<T> Shaped<T> {
    pub fn new(value: Value) -> Shaped<T> {
        Shaped {
            body: Body::Value(value),
            _schema: PhantomData,
        }
    }

    fn encoded(bytes: Bytes) -> Shaped<T> {
        Shaped {
            body: Body::Encoded(bytes),
            _schema: PhantomData,
        }
    }

    fn encode(self) -> Bytes {
        match self.body {
            Body::Value(value) => Bytes::from(encode_json(&value)),
            Body::Encoded(bytes) => bytes,
        }
    }
}

/// A read-only answer remembered, encoded, under `key` for as long as the database has not
/// changed (see [`db::memo`]); `render` builds it when it is not. The key must name everything
/// the answer depends on besides the database: the caller and every query parameter. In
/// Postgres mode nothing is remembered.
pub async fn remembered<T, F, Fut>(
    state: &AppState,
    key: String,
    render: F,
) -> Result<Shaped<T>, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Shaped<T>, ApiError>>,
{
    let bytes = state
        .answers()
        .get_or_load(state.db(), key, || async {
            Ok::<_, ApiError>(render().await?.encode())
        })
        .await?;
    Ok(Shaped::encoded((*bytes).clone()))
}

impl<T: Type> Payload for Shaped<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T> IntoResponse for Shaped<T> {
    fn into_response(self) -> Response {
        match self.body {
            Body::Value(value) => json_response(StatusCode::OK, &value),
            Body::Encoded(bytes) => Response::builder()
                .status(StatusCode::OK)
                .content_type("application/json")
                .body(bytes),
        }
    }
}

impl<T: Type> ApiResponse for Shaped<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json",
                    schema: T::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_keep_only_the_named_keys() {
        let shape = Shape::new(Some("id, name,"), Some("project_lead"));
        let mut value = json!({"id": 1, "name": "a", "project_lead": "x"});
        shape.filter(&mut value);
        assert_eq!(value, json!({"id": 1, "name": "a"}));
        // A key dropped by `fields` is not expanded.
        assert!(!shape.expands("project_lead"));
        let all = Shape::new(None, Some("project_lead"));
        assert!(all.expands("project_lead") && !all.expands("workspace"));
    }
}
