//! The shared API helpers (Plane's error bodies and pagination) driven over real HTTP through
//! a small poem-openapi API built here, the way every resource will use them.

use std::net::SocketAddr;

use plane_aio::api::{
    error::ApiError,
    pagination::{Page, PageRequest},
};
use poem::{Server, listener::TcpAcceptor};
use poem_openapi::{Object, OpenApi, OpenApiService, param::Query, payload::Json};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    on_both_engines,
    support::{Engine, TestApp},
};

#[derive(Debug, Clone, serde::Serialize, Object)]
struct Item {
    id: u32,
    name: String,
}

#[derive(Debug, serde::Deserialize, Object)]
struct NewItem {
    name: String,
}

struct Items;

#[OpenApi]
impl Items {
    #[oai(path = "/items/", method = "get")]
    async fn list(
        &self,
        per_page: Query<Option<String>>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<Page<Item>>, ApiError> {
        let request = PageRequest::parse(per_page.0.as_deref(), cursor.0.as_deref(), 1000)?;
        let all: Vec<Item> = (1..=5)
            .map(|id| Item {
                id,
                name: format!("item {id}"),
            })
            .collect();
        let page = all
            .iter()
            .skip(request.offset() as usize)
            .take(request.limit() as usize)
            .cloned()
            .collect();
        Ok(Json(request.envelope(page, all.len() as u64)))
    }

    #[oai(path = "/items/", method = "post")]
    async fn create(&self, item: Json<NewItem>) -> Result<Json<Item>, ApiError> {
        if item.name.trim().is_empty() {
            return Err(ApiError::field("name", "This field may not be blank."));
        }
        Ok(Json(Item {
            id: 6,
            name: item.0.name,
        }))
    }
}

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = plane_aio::api::endpoint(OpenApiService::new(Items, "test", "1"));
    tokio::spawn(Server::new_with_acceptor(TcpAcceptor::from_tokio(listener).unwrap()).run(app));
    addr
}

#[tokio::test]
async fn pages_come_in_planes_envelope() {
    let addr = serve().await;
    let client = crate::support::client();
    let body: Value = client
        .get(format!("http://{addr}/items/?per_page=2&cursor=2:1:0"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body,
        json!({
            "grouped_by": null, "sub_grouped_by": null, "total_count": 5,
            "next_cursor": "2:2:0", "prev_cursor": "2:0:1",
            "next_page_results": true, "prev_page_results": true,
            "count": 2, "total_pages": 3, "total_results": 5, "extra_stats": null,
            "results": [{"id": 3, "name": "item 3"}, {"id": 4, "name": "item 4"}]
        })
    );
    // Plane's paths end with a slash; the slash-less form is accepted too.
    let bare: Value = client
        .get(format!("http://{addr}/items?per_page=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bare["count"], 2);
    // Key order as Plane emits it.
    let text = client
        .get(format!("http://{addr}/items/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let keys: Vec<&str> = [
        "grouped_by",
        "sub_grouped_by",
        "total_count",
        "next_cursor",
        "prev_cursor",
        "next_page_results",
        "prev_page_results",
        "count",
        "total_pages",
        "total_results",
        "extra_stats",
        "results",
    ]
    .to_vec();
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| text.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[tokio::test]
async fn bad_input_gets_planes_400_and_415_bodies() {
    let addr = serve().await;
    let client = crate::support::client();
    let url = format!("http://{addr}/items/");
    let cases = [
        (
            "?per_page=abc",
            json!({"detail": "Invalid per_page parameter."}),
        ),
        (
            "?per_page=5000",
            json!({"detail": "Invalid per_page value. Cannot exceed 1000."}),
        ),
        (
            "?per_page=0",
            json!({"detail": "Invalid per_page parameter."}),
        ),
        (
            "?cursor=garbage",
            json!({"detail": "Invalid cursor parameter."}),
        ),
        ("?cursor=100:-1:1", json!({"detail": "Error in parsing"})),
        // Pages whose rows lie beyond any database's reach (offset past i64::MAX).
        (
            "?per_page=1000&cursor=1000:10000000000000000:0",
            json!({"detail": "Invalid cursor parameter."}),
        ),
        (
            "?per_page=1&cursor=1:9223372036854775807:0",
            json!({"detail": "Invalid cursor parameter."}),
        ),
    ];
    for (query, expected) in cases {
        let resp = client.get(format!("{url}{query}")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(resp.json::<Value>().await.unwrap(), expected, "{query}");
    }

    let malformed = client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error - "),
        "{body}"
    );

    let wrong_type = client
        .post(&url)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        wrong_type.json::<Value>().await.unwrap(),
        json!({"detail": "Unsupported media type \"text/plain\" in request."})
    );

    let wrong_shape = client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"name\": [\"a\"]}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_shape.status(), StatusCode::BAD_REQUEST);

    let blank = client
        .post(&url)
        .json(&json!({"name": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(blank.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        blank.json::<Value>().await.unwrap(),
        json!({"name": ["This field may not be blank."]})
    );

    let ok = client
        .post(&url)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}

on_both_engines!(
    a_cursor_past_any_offset_is_a_bad_cursor_on_real_lists,
    |engine: Engine| async move {
        let app = TestApp::spawn(engine).await;
        let owner = app.api_user("owner@example.com").await;
        app.workspace(&owner, "acme").await;
        app.project(&owner, "acme", "ACME").await;
        for list in ["/workspaces/", "/workspaces/acme/projects/"] {
            for query in [
                // offset = page × per_page overflows a signed 64-bit integer…
                "?per_page=1000&cursor=1000:10000000000000000:0",
                "?per_page=1000&cursor=1000:9223372036854775807:0",
                // …and so does the next page's number.
                "?per_page=1&cursor=1:9223372036854775807:0",
            ] {
                let answer = owner.get(&format!("{list}{query}")).await;
                assert_eq!(
                    answer.status,
                    StatusCode::BAD_REQUEST,
                    "{list}{query}: {}",
                    answer.text
                );
                assert_eq!(
                    answer.body,
                    json!({"detail": "Invalid cursor parameter."}),
                    "{list}{query}"
                );
            }
            // The last page that can be addressed is still an (empty) page.
            let last = owner
                .get(&format!("{list}?per_page=1&cursor=1:9223372036854775806:0"))
                .await
                .expect(200);
            assert_eq!(last["results"], json!([]), "{list}");
            assert_eq!(last["next_cursor"], "1:9223372036854775807:0", "{list}");
        }
    }
);
