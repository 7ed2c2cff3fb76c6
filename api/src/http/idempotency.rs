//! Safe retries for mutations: a client sends `Idempotency-Key: <key>` with a mutation; the
//! first answer is kept for 24 hours per principal, and the same key with the same request gets
//! that answer again (with `Idempotency-Replayed: true`) instead of running twice. The same key
//! with a different request is refused, as is a key whose first request is still running.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use async_graphql::Request;
use chrono::Duration;
use entity::idempotency_key::{self as row, Column};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::AppState;
use super::negotiate::ResponseMedia;
use super::overload;
use crate::actor::{Actor, Principal};
use crate::graphql::errors::codes;

pub const HEADER: &str = "idempotency-key";
/// How long a first answer is kept.
const KEPT_FOR_HOURS: i64 = 24;
const MAX_KEY_CHARS: usize = 255;

/// A mutation running under a key; `finish` keeps its answer.
pub struct Guard {
    principal: String,
    key: String,
}

fn refuse(status: StatusCode, media: ResponseMedia, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(media.content_type())
        .json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

fn principal_of(actor: &Actor) -> String {
    match actor.principal {
        Principal::User { user_id, .. } => format!("user:{user_id}"),
        Principal::ApiToken { token_id, .. } => format!("token:{token_id}"),
    }
}

/// What makes two requests "the same": the document, the operation and the variables.
fn fingerprint(request: &Request) -> String {
    let mut hash = Sha256::new();
    hash.update(request.query.as_bytes());
    hash.update([0]);
    hash.update(request.operation_name.as_deref().unwrap_or_default().as_bytes());
    hash.update([0]);
    hash.update(serde_json::to_vec(&request.variables).unwrap_or_default());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn key_of(req: &HttpRequest) -> Result<Option<String>, &'static str> {
    let mut values = req.headers().get_all(HEADER);
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err("send at most one Idempotency-Key header");
    }
    let key = value.to_str().map_err(|_| "an Idempotency-Key is visible ASCII")?.trim();
    if key.is_empty() || key.len() > MAX_KEY_CHARS {
        return Err("an Idempotency-Key has 1 to 255 characters");
    }
    Ok(Some(key.to_owned()))
}

impl Guard {
    /// Claims the request's key, if it has one: `Ok(None)` to run without one, `Ok(Some)` to
    /// run and then `finish`, `Err` for the answer to send instead (the first answer again, or
    /// a refusal).
    pub async fn begin(
        state: &AppState,
        req: &HttpRequest,
        media: ResponseMedia,
        actor: Option<&Actor>,
        request: &Request,
        is_mutation: bool,
    ) -> Result<Option<Self>, HttpResponse> {
        let key = key_of(req).map_err(|m| refuse(StatusCode::BAD_REQUEST, media, codes::BAD_REQUEST, m))?;
        // Queries are safe to repeat; a key on one changes nothing.
        let Some(key) = key.filter(|_| is_mutation) else { return Ok(None) };
        let Some(actor) = actor else {
            let message = "an Idempotency-Key is kept per caller: send credentials with it";
            return Err(refuse(StatusCode::BAD_REQUEST, media, codes::BAD_REQUEST, message));
        };
        if !request.uploads.is_empty() {
            let message = "an Idempotency-Key cannot be used with file uploads; importing observations is \
                           idempotent by itself (a period is written, not added)";
            return Err(refuse(StatusCode::BAD_REQUEST, media, codes::BAD_REQUEST, message));
        }
        let guard = Self { principal: principal_of(actor), key };
        match guard.claim(state, &fingerprint(request)).await {
            Ok(Claim::Run) => Ok(Some(guard)),
            Ok(Claim::Replay { status, body }) => {
                let status = u16::try_from(status).ok().and_then(|s| StatusCode::from_u16(s).ok());
                Err(HttpResponse::build(status.unwrap_or(StatusCode::OK))
                    .insert_header(("Idempotency-Replayed", "true"))
                    .content_type(media.content_type())
                    .body(body))
            }
            Ok(Claim::Running) => Err(HttpResponse::Conflict()
                .insert_header(("Retry-After", overload::RETRY_AFTER_SECS))
                .content_type(media.content_type())
                .json(json!({ "errors": [{
                    "message": "a request with this Idempotency-Key is still running; retry later for its answer",
                    "extensions": { "code": "IDEMPOTENCY_KEY_IN_USE" }
                }] }))),
            Ok(Claim::Reused) => Err(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                media,
                "IDEMPOTENCY_KEY_REUSED",
                "this Idempotency-Key was used for a different request; use a new key for a new request",
            )),
            Err(err) => {
                let error = crate::error::ServiceError::from(err);
                tracing::error!(error = ?error, "idempotency key could not be claimed");
                Err(match error {
                    crate::error::ServiceError::Unavailable(_) => overload::database_unavailable(media),
                    _ => refuse(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        media,
                        codes::INTERNAL,
                        "internal error; nothing was done",
                    ),
                })
            }
        }
    }

    async fn claim(&self, state: &AppState, hash: &str) -> Result<Claim, DbErr> {
        // Keys belong to principals, not tenants' data: kept with the identity flows.
        let system = state.db.system();
        let conn = system.conn();
        let now = state.db.now();
        row::Entity::delete_many()
            .filter(Column::CreatedAt.lt(now - Duration::hours(KEPT_FOR_HOURS)))
            .exec(conn)
            .await?;
        let inserted = row::Entity::insert(row::ActiveModel {
            principal: Set(self.principal.clone()),
            key: Set(self.key.clone()),
            request_hash: Set(hash.to_owned()),
            status: Set(None),
            response: Set(None),
            created_at: Set(now),
        })
        .on_conflict(OnConflict::columns([Column::Principal, Column::Key]).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
        if inserted == 1 {
            return Ok(Claim::Run);
        }
        let Some(first) = self.find(state).await? else { return Ok(Claim::Running) };
        if first.request_hash != hash {
            return Ok(Claim::Reused);
        }
        match (first.status, first.response) {
            (Some(status), Some(body)) => Ok(Claim::Replay { status, body }),
            _ => {
                // A first run that outlived its deadline was stopped without an answer: this
                // request takes its place.
                let abandoned = first.created_at < now - Duration::milliseconds(deadline_ms(state) + 5_000);
                if !abandoned {
                    return Ok(Claim::Running);
                }
                let taken = row::Entity::update_many()
                    .col_expr(Column::CreatedAt, Expr::val(now))
                    .filter(Column::Principal.eq(&self.principal))
                    .filter(Column::Key.eq(&self.key))
                    .filter(Column::Status.is_null())
                    .filter(Column::CreatedAt.eq(first.created_at))
                    .exec(conn)
                    .await?;
                Ok(if taken.rows_affected == 1 { Claim::Run } else { Claim::Running })
            }
        }
    }

    async fn find(&self, state: &AppState) -> Result<Option<row::Model>, DbErr> {
        row::Entity::find_by_id((self.principal.clone(), self.key.clone()))
            .one(state.db.system().conn())
            .await
    }

    /// Keeps the answer, or, when it was a 503 (nothing was done), forgets the key so that the
    /// retry runs.
    pub async fn finish(self, state: &AppState, status: StatusCode, body: &[u8]) {
        let system = state.db.system();
        let conn = system.conn();
        let this = Column::Principal.eq(&self.principal).and(Column::Key.eq(&self.key));
        let done = if status == StatusCode::SERVICE_UNAVAILABLE {
            row::Entity::delete_many().filter(this).exec(conn).await.map(|_| ())
        } else {
            row::Entity::update_many()
                .col_expr(Column::Status, Expr::val(i32::from(status.as_u16())))
                .col_expr(Column::Response, Expr::val(String::from_utf8_lossy(body).into_owned()))
                .filter(this)
                .exec(conn)
                .await
                .map(|_| ())
        };
        if let Err(err) = done {
            // The mutation ran; only its answer could not be kept, so a retry would run it again.
            tracing::error!(error.message = %err, "the answer to an idempotent request could not be kept");
        }
    }
}

fn deadline_ms(state: &AppState) -> i64 {
    i64::try_from(state.deadline.as_millis()).unwrap_or(i64::MAX / 2)
}

enum Claim {
    Run,
    Replay { status: i32, body: String },
    Running,
    Reused,
}
