//! The HTTP server: the route table, the middleware stack, and the listeners (plain HTTP,
//! HTTPS from files or ACME, and the HTTP-to-HTTPS redirector).

pub mod compression;
pub mod middleware;
pub mod storage_objects;
pub mod tls;
pub mod web_ui;

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use poem::{
    Endpoint, EndpointExt, Request, Response, Route, Server,
    endpoint::make_sync,
    handler,
    http::{StatusCode, header},
    listener::TcpAcceptor,
    middleware::{Cors, SetHeader},
    web::{Data, Html, Path},
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    api::{self, authn, error::plane_error_response},
    app::AppState,
    config::CorsOrigins,
};
use middleware::SecurityHeaders;
use tls::{TlsAcceptor, TlsMaterial};

/// Every route of the server. The documented API (one OpenAPI service) answers `/healthz`,
/// `/readyz` and everything under `/api/`; `/api/v1/` is authenticated first; any other GET is
/// the web UI.
pub fn routes(state: &AppState) -> Route {
    let service = api::service(&state.settings().public_url);
    let raw_spec = service.spec();
    let spec = api::documented_spec(&service);
    let swagger = service.swagger_ui_html().replace(&raw_spec, &spec);
    let redoc = service.redoc_html().replace(&raw_spec, &spec);
    let docs = Route::new()
        .at(
            "/",
            make_sync(move |_| {
                Response::builder()
                    .content_type("application/json")
                    .body(spec.clone())
            }),
        )
        .at("/swagger-ui/", make_sync(move |_| Html(swagger.clone())))
        .at("/redoc/", make_sync(move |_| Html(redoc.clone())));
    let docs = NormalizeSlash(docs);
    let api = Arc::new(api::endpoint(service).around(authn::authenticate));
    Route::new()
        .nest("/api/schema", docs)
        .nest(
            "/api/storage",
            storage_objects::StorageObjects {
                state: state.clone(),
            },
        )
        .nest_no_strip("/api", api.clone())
        .nest_no_strip("/auth", api.clone())
        .at("/healthz", api.clone().with(no_store()))
        .at("/readyz", api.with(no_store()))
        .nest("/", web_ui::WebUi)
}

/// Serves `/x` like `/x/` (the documentation pages are registered with their slash).
struct NormalizeSlash<E>(E);

impl<E: Endpoint> Endpoint for NormalizeSlash<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let path = req.uri().path();
        if !path.ends_with('/') {
            let with_slash = match req.uri().query() {
                Some(q) => format!("{path}/?{q}"),
                None => format!("{path}/"),
            };
            if let Ok(uri) = with_slash.parse() {
                *req.uri_mut() = uri;
            }
        }
        self.0.call(req).await
    }
}

/// Probes must never be answered from a cache.
fn no_store() -> SetHeader {
    SetHeader::new().overriding(header::CACHE_CONTROL, "no-store")
}

/// The route table wrapped in the middleware stack (outermost last).
pub fn app(state: AppState, https: bool) -> impl Endpoint<Output = Response> {
    let limit = state.settings().file_size_limit;
    let security = SecurityHeaders { https };
    let settings = state.settings();
    let own_origin = settings.public_url.origin().ascii_serialization();
    let cors = cors(&settings.cors_allowed_origins, &own_origin);
    routes(&state)
        .catch_all_error(plane_error_response)
        .around(move |ep, req| middleware::body_limit(ep, req, limit))
        .around(compression::compression)
        .with_if(cors.is_some(), cors.unwrap_or_default())
        // A request CORS refuses gets a JSON body like every other refusal.
        .catch_all_error(plane_error_response)
        .around(move |ep, req| async move {
            let mut resp = ep.get_response(req).await;
            security.apply(&mut resp);
            Ok(resp)
        })
        .around(middleware::access_log)
        .around(middleware::request_id)
        .data(state)
}

/// CORS for `origins`, the instance's own origin always among them: browsers send `Origin` on
/// the web UI's own writes, which a list naming only other sites would refuse.
fn cors(origins: &CorsOrigins, own_origin: &str) -> Option<Cors> {
    let base = || {
        Cors::new()
            .allow_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
            .allow_headers([
                "content-type",
                "x-api-key",
                "authorization",
                "x-csrftoken",
                "x-request-id",
            ])
            .expose_headers([
                "x-request-id",
                "x-ratelimit-remaining",
                "x-ratelimit-reset",
                "retry-after",
            ])
            .max_age(86400)
    };
    match origins {
        CorsOrigins::None => None,
        // Any origin, but then never with cookies: credentials need a named origin.
        CorsOrigins::Any => Some(base().allow_credentials(false)),
        CorsOrigins::List(list) => Some(
            base()
                .allow_origins(list.iter().map(String::as_str))
                .allow_origin(own_origin)
                .allow_credentials(true),
        ),
    }
}

/// Serves until `shutdown` is cancelled; in-flight requests get `grace` to finish.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    http_listener: Option<TcpListener>,
    tls: TlsMaterial,
    shutdown: CancellationToken,
    grace: Duration,
) -> anyhow::Result<()> {
    let app = app(state.clone(), tls.is_https());
    let signal = shutdown.clone().cancelled_owned();
    let (main, acme_resolver) = match tls {
        TlsMaterial::None => {
            let acceptor = TcpAcceptor::from_tokio(listener).context("cannot use the listener")?;
            let server = Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
                app,
                signal,
                Some(grace),
            );
            (tokio::spawn(server), None)
        }
        TlsMaterial::Static(config) => {
            let acceptor =
                TlsAcceptor::new(listener, config, None).context("cannot use the listener")?;
            let server = Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
                app,
                signal,
                Some(grace),
            );
            (tokio::spawn(server), None)
        }
        TlsMaterial::Acme(settings) => {
            let acme = tls::start_acme(&settings, &state.settings().data_dir.join("acme"))?;
            let acceptor =
                TlsAcceptor::new(listener, acme.default_config, Some(acme.challenge_config))
                    .context("cannot use the listener")?;
            let server = Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
                app,
                signal,
                Some(grace),
            );
            (tokio::spawn(server), Some(acme.resolver))
        }
    };
    let redirector = http_listener.map(|listener| {
        let mut route = Route::new().nest("/", RedirectToHttps);
        if let Some(resolver) = acme_resolver {
            route = route.at(
                "/.well-known/acme-challenge/:token",
                http01_challenge.data(resolver),
            );
        }
        let app = route
            .around(middleware::access_log)
            .around(middleware::request_id)
            .data(state.clone());
        let signal = shutdown.clone().cancelled_owned();
        tokio::spawn(async move {
            let acceptor = TcpAcceptor::from_tokio(listener)?;
            Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(app, signal, Some(grace))
                .await
        })
    });
    let main_result = main.await.context("the HTTP server task failed")?;
    if let Some(redirector) = redirector {
        redirector
            .await
            .context("the HTTP redirect server task failed")??;
    }
    main_result.context("the HTTP server stopped with an error")
}

/// Answers ACME HTTP-01 challenges on the plain-HTTP port.
#[handler]
fn http01_challenge(
    Path(token): Path<String>,
    resolver: Data<&Arc<rustls_acme::ResolvesServerCertAcme>>,
) -> Response {
    match resolver.get_http_01_key_auth(&token) {
        Some(key_auth) => Response::builder()
            .content_type("application/octet-stream")
            .body(key_auth),
        None => Response::builder().status(StatusCode::NOT_FOUND).finish(),
    }
}

/// Everything else on the plain-HTTP port goes to the same path on the public HTTPS address
/// (the public URL as the rest of the instance uses it — `public_url`, else the admin's
/// instance setting — never the request's Host header).
struct RedirectToHttps;

impl Endpoint for RedirectToHttps {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let state = req
            .data::<AppState>()
            .ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
        let mut target = match state.public_base().await {
            Ok(base) => base,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the instance settings; redirecting to public_url");
                state.settings().public_url.clone()
            }
        };
        target.set_path(req.uri().path());
        target.set_query(req.uri().query());
        if target.scheme() != "https" {
            let _ = target.set_scheme("https");
        }
        Ok(Response::builder()
            .status(StatusCode::PERMANENT_REDIRECT)
            .header(header::LOCATION, target.as_str())
            .finish())
    }
}
