use actix_web::{HttpResponse, web};

use super::AppState;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The process can serve: the database answers.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.conn().ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(err) => {
            tracing::warn!(error.message = %err, "readiness check failed: database unreachable");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "unavailable" }))
        }
    }
}
