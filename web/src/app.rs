//! The router: every route is registered through `utoipa_axum`, so the OpenAPI document is
//! generated from the same list and cannot miss a route.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::hardening;
use crate::routes::schedules as sched;
use crate::routes::{
    alerts, assets, audit, centres, channels, health, jobs, programmes, sessions as login, uploads, users,
};
use crate::state::AppState;

/// The largest request body buffered by any JSON route.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "Kapok API", description = "Media pipeline of the Panzhihua 1+5 broadcast network. \
        Authenticate with the kapok_session cookie (POST /api/auth/login; send X-CSRF-Token on changes) \
        or Authorization: Bearer kpk_…. Another centre's private objects answer 404; objects you may \
        read but not change answer 403."),
    tags((name = "system", description = "Health and metadata"), (name = "catalog", description = "Centres and programmes"),
         (name = "auth", description = "Sessions"), (name = "channels"), (name = "jobs"), (name = "audit"),
         (name = "users", description = "Accounts and API tokens"), (name = "events", description = "Server-sent events"),
         (name = "schedules", description = "Templates, day playlists, publishing, EPG"),
         (name = "uploads", description = "Resumable uploads (tus 1.0)"))
)]
struct ApiDoc;

/// The API routes with their OpenAPI document.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(centres::list_centres))
        .routes(routes!(crate::routes::relays::list_relays))
        .routes(routes!(crate::routes::relays::put_relay, crate::routes::relays::delete_relay))
        .routes(routes!(login::login))
        .routes(routes!(login::logout))
        .routes(routes!(login::me))
        .routes(routes!(programmes::list_programmes, programmes::create_programme))
        .routes(routes!(programmes::get_programme, programmes::update_programme, programmes::delete_programme))
        .routes(routes!(programmes::retry_programme))
        .routes(routes!(programmes::programme_audit))
        .routes(routes!(programmes::programme_assets))
        .routes(routes!(crate::routes::programmes::qc::qc_override))
        .routes(routes!(assets::asset_content))
        .routes(routes!(channels::list_channels, channels::create_channel))
        .routes(routes!(channels::update_channel))
        .routes(routes!(jobs::list_jobs))
        .routes(routes!(jobs::get_job))
        .routes(routes!(audit::audit))
        .routes(routes!(users::create_user, crate::routes::users::list_users))
        .routes(routes!(users::create_token, crate::routes::users::list_tokens))
        .routes(routes!(users::revoke_token))
        .routes(routes!(crate::events::events))
        .routes(routes!(alerts::list_alerts, alerts::send_alert))
        .routes(routes!(crate::routes::alerts::detail::get_alert))
        .routes(routes!(crate::routes::alerts::detail::alert_report))
        .routes(routes!(sched::get_template, sched::put_template))
        .routes(routes!(sched::preview::preview_template))
        .routes(routes!(sched::copy::copy_day))
        .routes(routes!(sched::week::week))
        .routes(routes!(sched::generate))
        .routes(routes!(sched::get_day))
        .routes(routes!(sched::edit_day))
        .routes(routes!(sched::undo_day))
        .routes(routes!(sched::publish_day))
        .routes(routes!(sched::import_day))
        .routes(routes!(sched::epg))
        .routes(routes!(sched::now_next::now_next_route))
        .routes(routes!(crate::routes::schedules::history::day_versions))
        .routes(routes!(crate::routes::reports::as_run))
        .routes(routes!(crate::routes::reports::airtime))
        .routes(routes!(crate::routes::reports::producers))
        .routes(routes!(crate::routes::playout::playlists))
        .routes(routes!(crate::routes::playout::post_as_run))
        .routes(routes!(crate::routes::playout::media))
        .routes(routes!(crate::routes::playout::active_alerts))
        .routes(routes!(crate::routes::alerts::stream::alert_stream))
}

/// The resumable-upload routes: streamed bodies, outside [`BODY_LIMIT`].
pub fn upload_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(uploads::upload_options, uploads::create_upload)).routes(routes!(
        uploads::upload_status,
        uploads::append_upload,
        uploads::cancel_upload
    ))
}

/// The EBD exchange route: packages with audio, outside [`BODY_LIMIT`] (its own limit).
pub fn ebd_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(crate::routes::ebd::receive_ebd))
}

/// The OpenAPI document of [`api`], [`upload_api`] and [`ebd_api`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().split_for_parts().1;
    doc.merge(upload_api().split_for_parts().1);
    doc.merge(ebd_api().split_for_parts().1);
    doc
}

/// The whole HTTP application (API only).
pub fn router(state: AppState) -> Router {
    assemble(state, None)
}

/// The whole HTTP application with the browser UI (`crate::ui`): the one embedded in the
/// binary when `ui` is `None`, else the files of that directory. Unknown `/api` paths keep
/// their JSON 404.
pub fn router_with_ui(state: AppState, ui: Option<&std::path::Path>) -> Router {
    assemble(state, Some(crate::ui::service(ui)))
}

fn assemble(state: AppState, ui: Option<axum::routing::MethodRouter>) -> Router {
    let (router, mut doc) = api().split_for_parts();
    let (uploads, upload_doc) = upload_api().split_for_parts();
    doc.merge(upload_doc);
    let (ebd, ebd_doc) = ebd_api().split_for_parts();
    doc.merge(ebd_doc);
    let doc = std::sync::Arc::new(doc);
    // Every route but the uploads' buffers at most BODY_LIMIT; upload bodies stream.
    let router = router
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT))
        .merge(uploads.layer(axum::middleware::map_response(uploads::tus_resumable)))
        .merge(ebd.layer(axum::extract::DefaultBodyLimit::max(crate::routes::ebd::EBD_BODY_LIMIT)));
    let router = router.route("/api/openapi.json", get(move || std::future::ready(Json(doc.as_ref().clone()))));
    // For Prometheus, outside /api and its document; unauthenticated (see `crate::routes::metrics`).
    let router = router.route("/metrics", get(crate::routes::metrics::metrics));
    let router = match ui {
        Some(ui) => router.route("/api/{*rest}", axum::routing::any(not_found)).fallback_service(ui),
        None => router.fallback(not_found),
    };
    router
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(hardening::json_errors))
        .layer(axum::middleware::map_response(hardening::secure_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> impl IntoResponse {
    ApiError::not_found(format!("no route for {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> impl IntoResponse {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}
