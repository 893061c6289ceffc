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
use crate::state::AppState;
use crate::{centres, health};

#[derive(OpenApi)]
#[openapi(
    info(title = "Kapok API", description = "Media pipeline of the Panzhihua 1+5 broadcast network"),
    tags((name = "system", description = "Health and metadata"), (name = "catalog", description = "Centres and programmes"))
)]
struct ApiDoc;

/// The API routes with their OpenAPI document.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(centres::list_centres))
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let (router, doc) = api().split_for_parts();
    let doc = std::sync::Arc::new(doc);
    router
        .route("/api/openapi.json", get(move || std::future::ready(Json(doc.as_ref().clone()))))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(4 * 1024 * 1024))
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
