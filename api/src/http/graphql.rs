//! GraphQL over HTTP, following graphql/graphql-over-http:
//! - the response type is negotiated from `Accept` (`application/graphql-response+json` when
//!   asked for, `application/json` otherwise, 406 when neither is acceptable);
//! - under `application/graphql-response+json`, a request that never reached execution
//!   (unparsable document, failed validation, variables that do not coerce) is a 400 without a
//!   `data` key; under `application/json` it is a 200, also without `data`;
//! - POST needs a JSON body (415 otherwise); bodies are size-limited (413);
//! - GET carries queries only: a mutation over GET is a 405;
//! - a bad bearer credential is a 401 with `WWW-Authenticate`.

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::Request;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::AppState;
use super::metrics::Outcome;
use super::negotiate::{self, ResponseMedia};
use super::rate_limit::Meter;
use super::render::{self, Rendered, to_body};
use super::request_id::RequestId;
use super::{idempotency, overload};
use crate::actor::{Actor, Principal};
use crate::graphql::RequestContext;
use crate::graphql::errors::{codes, internal_error};
use crate::graphql::execution::{self, Stage};
use crate::graphql::loaders::Loaders;
use crate::graphql::ordering;
use crate::graphql::ticks::{LoadQueue, drive};
use crate::identity::authenticate::{AuthError, authenticate};
use entity::api_token::TokenScope;

/// Runs of one mutation that lost a database conflict (serialization failure, deadlock).
const MAX_CONFLICT_ATTEMPTS: u64 = 3;

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn request_id(req: &HttpRequest) -> String {
    req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default()
}

/// A response for a request refused before any GraphQL happened.
fn refuse(status: StatusCode, media: ResponseMedia, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(media.content_type())
        .json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

enum Batch {
    One(Box<Request>),
    Many(Vec<Request>),
}

/// The GET parameters the spec names (`operationName`, not async-graphql's `operation_name`).
#[derive(serde::Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

impl GetParams {
    fn into_request(self) -> Result<Option<Request>, String> {
        // A persisted query's hash alone stands in for the document.
        if self.query.is_none() && self.extensions.is_none() {
            return Ok(None);
        }
        let mut request = Request::new(self.query.unwrap_or_default());
        if let Some(name) = self.operation_name.filter(|n| !n.is_empty()) {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables.filter(|v| !v.is_empty()) {
            let value: Value =
                serde_json::from_str(&variables).map_err(|e| format!("`variables` is not JSON: {e}"))?;
            request = request.variables(async_graphql::Variables::from_json(value));
        }
        if let Some(extensions) = self.extensions.filter(|v| !v.is_empty()) {
            request.extensions = serde_json::from_str(&extensions)
                .map_err(|e| format!("`extensions` is not a JSON object: {e}"))?;
        }
        Ok(Some(request))
    }
}

pub async fn post(req: HttpRequest, mut payload: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    let Some(media) = negotiate::response_media(header_str(&req, header::ACCEPT)) else {
        return not_acceptable();
    };
    let content_type = header_str(&req, header::CONTENT_TYPE).map(str::to_owned);
    let multipart = negotiate::is_multipart(content_type.as_deref());
    if !multipart && !negotiate::is_json(content_type.as_deref()) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            codes::BAD_REQUEST,
            "POST /graphql takes an application/json body (or multipart/form-data for file uploads)",
        );
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return refuse(
                StatusCode::BAD_REQUEST,
                media,
                codes::BAD_REQUEST,
                "the request body could not be read",
            );
        };
        if body.len() + chunk.len() > state.max_body_bytes {
            let message = format!("the request body exceeds {} bytes", state.max_body_bytes);
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, media, codes::BAD_REQUEST, &message);
        }
        body.extend_from_slice(&chunk);
    }
    if multipart {
        return match receive_multipart(content_type, body.freeze().to_vec(), state.max_body_bytes).await {
            Ok(async_graphql::BatchRequest::Single(request)) => {
                execute_one(&req, &state, media, request).await
            }
            Ok(async_graphql::BatchRequest::Batch(requests))
                if (1..=state.max_batch_size).contains(&requests.len()) =>
            {
                execute_batch(&req, &state, media, requests).await
            }
            Ok(_) => {
                let message = format!("a batch holds 1 to {} operations", state.max_batch_size);
                refuse(StatusCode::BAD_REQUEST, media, codes::BAD_REQUEST, &message)
            }
            Err(message) => refuse(StatusCode::BAD_REQUEST, media, codes::BAD_REQUEST, &message),
        };
    }
    // Parsed by hand rather than as async-graphql's untagged `BatchRequest`, which takes `[]`
    // for a single request with every field defaulted.
    let parsed = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => items
            .into_iter()
            .map(serde_json::from_value::<Request>)
            .collect::<Result<Vec<_>, _>>()
            .map(Batch::Many),
        Ok(other) => serde_json::from_value::<Request>(other).map(|r| Batch::One(Box::new(r))),
        Err(err) => Err(err),
    };
    let requests = match parsed {
        Ok(Batch::One(request)) => return execute_one(&req, &state, media, *request).await,
        Ok(Batch::Many(requests)) => requests,
        Err(err) => {
            let message = format!("the body is not a GraphQL request: {err}");
            return refuse(StatusCode::BAD_REQUEST, media, codes::BAD_REQUEST, &message);
        }
    };
    if requests.is_empty() || requests.len() > state.max_batch_size {
        let message = format!("a batch holds 1 to {} operations", state.max_batch_size);
        return refuse(StatusCode::BAD_REQUEST, media, codes::BAD_REQUEST, &message);
    }
    execute_batch(&req, &state, media, requests).await
}

/// A request in the GraphQL multipart request format (operations, map, files). The body was
/// already read within the size limit, so each file is bounded by it too.
async fn receive_multipart(
    content_type: Option<String>,
    body: Vec<u8>,
    max_bytes: usize,
) -> Result<async_graphql::BatchRequest, String> {
    let options = async_graphql::http::MultipartOptions::default().max_file_size(max_bytes).max_num_files(8);
    async_graphql::http::receive_batch_body(content_type, futures_util::io::Cursor::new(body), options)
        .await
        .map_err(|e| format!("the multipart body is not a GraphQL request: {e}"))
}

pub async fn get(req: HttpRequest, payload: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    if super::subscriptions::is_upgrade(&req) {
        return super::subscriptions::upgrade(&req, payload, &state).await;
    }
    let accept = header_str(&req, header::ACCEPT);
    let params = web::Query::<GetParams>::from_query(req.query_string()).map(web::Query::into_inner);
    let parsed = match params {
        Ok(params) => params.into_request(),
        Err(err) => Err(format!("the query string is not a GraphQL request: {err}")),
    };
    if matches!(parsed, Ok(None)) && negotiate::wants_html(accept) {
        return super::explorer::page();
    }
    let Some(media) = negotiate::response_media(accept) else {
        return not_acceptable();
    };
    let mut request = match parsed {
        Ok(Some(request)) => request,
        Ok(None) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                media,
                codes::BAD_REQUEST,
                "GET /graphql needs a `query` parameter (or a persisted query's hash in `extensions`)",
            );
        }
        Err(message) => return refuse(StatusCode::BAD_REQUEST, media, codes::BAD_REQUEST, &message),
    };
    // A hash stands for its document here too, so a persisted mutation is still refused on GET.
    if let Err(refusal) = state.persisted.resolve(&mut request) {
        return refuse_persisted(media, &refusal);
    }
    if is_mutation(&request) {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, HeaderValue::from_static("POST")))
            .content_type(media.content_type())
            .json(json!({ "errors": [{
                "message": "mutations must be sent with POST",
                "extensions": { "code": codes::BAD_REQUEST }
            }] }));
    }
    execute_one(&req, &state, media, request).await
}

/// Whether the operation the request selects is a mutation. A document that does not parse is
/// left for execution to report.
fn is_mutation(request: &Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else { return false };
    match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => op.node.ty == OperationType::Mutation,
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name).is_some_and(|op| op.node.ty == OperationType::Mutation)
        }
        (DocumentOperations::Multiple(ops), None) => {
            ops.len() == 1 && ops.values().any(|op| op.node.ty == OperationType::Mutation)
        }
    }
}

fn not_acceptable() -> HttpResponse {
    refuse(
        StatusCode::NOT_ACCEPTABLE,
        ResponseMedia::Json,
        codes::BAD_REQUEST,
        "this endpoint answers application/graphql-response+json or application/json",
    )
}

/// Resolves the bearer credential, or the response to send instead.
async fn actor_for(
    req: &HttpRequest,
    state: &AppState,
    media: ResponseMedia,
) -> Result<Option<Actor>, HttpResponse> {
    let mut headers = req.headers().get_all(header::AUTHORIZATION);
    let credential = match (headers.next(), headers.next()) {
        (None, _) => None,
        (Some(_), Some(_)) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                media,
                codes::BAD_REQUEST,
                "send at most one Authorization header",
            ));
        }
        // Not visible ASCII: a credential was meant, so it is refused rather than ignored.
        (Some(value), None) => {
            Some(value.to_str().map_err(|_| unauthorized(&AuthError::MalformedHeader, media))?)
        }
    };
    match authenticate(&state.db.system(), &state.auth, credential).await {
        Ok(actor) => {
            if let Some(actor) = &actor {
                record_actor(actor);
            }
            Ok(actor)
        }
        Err(AuthError::Internal(err)) if crate::error::transient(&err).is_some() => {
            tracing::warn!(error.cause_chain = %crate::error::error_chain(&err), "authentication: database unavailable");
            Err(overload::database_unavailable(media))
        }
        Err(AuthError::Internal(err)) => {
            tracing::error!(error.cause_chain = %crate::error::error_chain(&err), "authentication failed");
            let body =
                json!({ "errors": [internal_error(&request_id(req)).into_server_error(Default::default())] });
            Err(HttpResponse::InternalServerError().content_type(media.content_type()).json(body))
        }
        Err(err) => Err(unauthorized(&err, media)),
    }
}

/// Names the actor on the request's span, so that every log line of the request carries it.
fn record_actor(actor: &Actor) {
    let span = tracing::Span::current();
    let principal = match actor.principal {
        Principal::User { user_id, .. } => format!("user:{user_id}"),
        Principal::ApiToken { token_id, .. } => format!("token:{token_id}"),
    };
    span.record("actor.principal", principal.as_str());
    if let Some(institution) = actor.institution {
        span.record("actor.institution", tracing::field::display(institution.id));
    }
}

fn unauthorized(err: &AuthError, media: ResponseMedia) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\"")))
        .content_type(media.content_type())
        .json(json!({ "errors": [{ "message": err.to_string(), "extensions": { "code": codes::UNAUTHENTICATED } }] }))
}

/// A persisted query that cannot run: never executed, so 200 with `application/json` and 400
/// with `application/graphql-response+json`, as for a document that does not parse.
fn refuse_persisted(media: ResponseMedia, refusal: &super::persisted::Refusal) -> HttpResponse {
    let status = match media {
        ResponseMedia::GraphqlResponseJson => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    HttpResponse::build(status)
        .content_type(media.content_type())
        .json(json!({ "errors": [{ "message": refusal.message, "extensions": { "code": refusal.code } }] }))
}

/// READ tokens never write (the services check too): their mutations are refused before they
/// run, so a script with the wrong token learns it from the status code alone.
fn refuse_read_only_writes(
    actor: Option<&Actor>,
    requests: &[&Request],
    media: ResponseMedia,
) -> Option<HttpResponse> {
    let read_only =
        actor.is_some_and(|a| matches!(a.principal, Principal::ApiToken { scope: TokenScope::Read, .. }));
    (read_only && requests.iter().any(|r| is_mutation(r)))
        .then(|| refuse(StatusCode::FORBIDDEN, media, codes::FORBIDDEN, "a READ token cannot make changes"))
}

pub(super) async fn execute_one(
    req: &HttpRequest,
    state: &AppState,
    media: ResponseMedia,
    mut request: Request,
) -> HttpResponse {
    overload::within_deadline(state, media, async {
        if let Err(refusal) = state.persisted.resolve(&mut request) {
            return refuse_persisted(media, &refusal);
        }
        // Weighed before anything touches the database, so that a refusal costs next to nothing.
        let cost = overload::cost_of(state, &mut request);
        let Ok(_ticket) = state.admission.admit(cost).await else {
            return overload::busy(state, media);
        };
        let actor = match actor_for(req, state, media).await {
            Ok(actor) => actor,
            Err(response) => return response,
        };
        let mut meter = match Meter::charge(state, actor.as_ref(), vec![cost as u64], media).await {
            Ok(meter) => meter,
            Err(response) => return response,
        };
        if let Some(response) = refuse_read_only_writes(actor.as_ref(), &[&request], media) {
            meter.settle_unexecuted(state).await;
            return meter.decorate(response);
        }
        let mutation = req.headers().contains_key(idempotency::HEADER) && is_mutation(&request);
        let guard =
            match idempotency::Guard::begin(state, req, media, actor.as_ref(), &request, mutation).await {
                Ok(guard) => guard,
                Err(response) => {
                    meter.settle_unexecuted(state).await;
                    return meter.decorate(response);
                }
            };
        let (mut body, stage) = run(req, state, actor, request).await;
        meter.settle(state, &[did_work(&body, stage)]).await;
        body.set_extension("cost", meter.cost(0));
        let status = match (media, stage) {
            _ if body.unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            (ResponseMedia::GraphqlResponseJson, stage) if stage != Stage::Executing => {
                StatusCode::BAD_REQUEST
            }
            _ => StatusCode::OK,
        };
        let bytes = to_body(&body);
        if let Some(guard) = guard {
            guard.finish(state, status, &bytes).await;
        }
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", overload::RETRY_AFTER_SECS));
        }
        for field in meter.fields() {
            response.insert_header(field);
        }
        response.content_type(media.content_type()).body(bytes)
    })
    .await
}

async fn execute_batch(
    req: &HttpRequest,
    state: &AppState,
    media: ResponseMedia,
    mut requests: Vec<Request>,
) -> HttpResponse {
    overload::within_deadline(state, media, async {
        // One unknown or refused document refuses the batch before any of it runs, so that a
        // client re-sending it with its documents repeats nothing.
        for request in &mut requests {
            if let Err(refusal) = state.persisted.resolve(request) {
                return refuse_persisted(media, &refusal);
            }
        }
        // Admitted and charged as a whole, so a batch never stops half-way for want of room.
        let costs: Vec<usize> = requests.iter_mut().map(|r| overload::cost_of(state, r)).collect();
        let cost = costs.iter().fold(0usize, |sum, cost| sum.saturating_add(*cost));
        let Ok(_ticket) = state.admission.admit(cost).await else {
            return overload::busy(state, media);
        };
        let actor = match actor_for(req, state, media).await {
            Ok(actor) => actor,
            Err(response) => return response,
        };
        let weights = costs.iter().map(|cost| *cost as u64).collect();
        let mut meter = match Meter::charge(state, actor.as_ref(), weights, media).await {
            Ok(meter) => meter,
            Err(response) => return response,
        };
        let refusal = refuse_read_only_writes(actor.as_ref(), &requests.iter().collect::<Vec<_>>(), media)
            .or_else(|| {
                let message = "an Idempotency-Key names one request: send the operations separately";
                req.headers()
                    .contains_key(idempotency::HEADER)
                    .then(|| refuse(StatusCode::BAD_REQUEST, media, codes::BAD_REQUEST, message))
            });
        if let Some(response) = refusal {
            meter.settle_unexecuted(state).await;
            return meter.decorate(response);
        }
        let mut bodies = Vec::with_capacity(requests.len());
        let mut executed = Vec::with_capacity(requests.len());
        for request in requests {
            let (body, stage) = run(req, state, actor.clone(), request).await;
            executed.push(did_work(&body, stage));
            bodies.push(body);
        }
        meter.settle(state, &executed).await;
        for (index, body) in bodies.iter_mut().enumerate() {
            body.set_extension("cost", meter.cost(index));
        }
        // 503 only when nothing was done: a batch in which some operations ran is answered 200,
        // each operation with its own errors, so that a retry does not repeat what succeeded.
        let mut response = if bodies.iter().all(Rendered::unavailable) {
            let mut unavailable = HttpResponse::ServiceUnavailable();
            unavailable.insert_header(("Retry-After", overload::RETRY_AFTER_SECS));
            unavailable
        } else {
            HttpResponse::Ok()
        };
        for field in meter.fields() {
            response.insert_header(field);
        }
        response.content_type(media.content_type()).body(to_body(&bodies))
    })
    .await
}

/// Whether an operation did the work it is charged for: it executed, and the database did not
/// turn it away (a 503 means nothing was done, and the retry pays).
fn did_work(body: &Rendered, stage: Stage) -> bool {
    stage == Stage::Executing && !body.unavailable()
}

/// The answer when the request's own transaction could not begin or commit: nothing of the
/// operation was kept.
fn database_failed(err: &sea_orm::DbErr, request_id: &str) -> async_graphql::Response {
    let error = match crate::error::transient(err) {
        Some(kind) => {
            tracing::warn!(error.cause_chain = %crate::error::error_chain(err), "request transaction: database unavailable");
            crate::graphql::errors::unavailable_error(kind)
        }
        None => {
            tracing::error!(error.cause_chain = %crate::error::error_chain(err), "request transaction failed");
            internal_error(request_id)
        }
    };
    async_graphql::Response::from_errors(vec![error.into_server_error(Default::default())])
}

/// Executes one operation with a fresh context and fresh batch loaders, and renders its result.
async fn run(
    req: &HttpRequest,
    state: &AppState,
    actor: Option<Actor>,
    mut request: Request,
) -> (Rendered, Stage) {
    let request_id = request_id(req);
    let started = Instant::now();
    let document = match request.parsed_query() {
        Ok(document) => document.clone(),
        Err(error) => {
            let response = async_graphql::Response::from_errors(vec![error]);
            state.metrics.observe(request.operation_name.as_deref(), Outcome::Rejected, started.elapsed());
            return (Rendered::new(response, Stage::ParseFailed, &request_id), Stage::ParseFailed);
        }
    };
    let (operation_name, operation) = match execution::select(&document, request.operation_name.as_deref()) {
        Ok(chosen) => chosen,
        Err(error) => {
            let response = async_graphql::Response::from_errors(vec![error]);
            state.metrics.observe(request.operation_name.as_deref(), Outcome::Rejected, started.elapsed());
            return (Rendered::new(response, Stage::Received, &request_id), Stage::Received);
        }
    };
    if operation.node.ty == OperationType::Subscription {
        let error = async_graphql::ServerError::new(
            "subscriptions are served over WebSocket: GET /graphql with the graphql-transport-ws subprotocol",
            None,
        );
        let response = async_graphql::Response::from_errors(vec![error]);
        state.metrics.observe(operation_name.as_deref(), Outcome::Rejected, started.elapsed());
        return (Rendered::new(response, Stage::Received, &request_id), Stage::Received);
    }
    if let Some(name) = operation_name.as_deref() {
        tracing::Span::current().record("graphql.operation", name);
    }
    // A mutation with one root field keeps what it needs to run again: if its transaction loses
    // a conflict, nothing of it was kept, and a retry here spares every client writing one.
    let mutation = execution::is_mutation(operation);
    let replay =
        (mutation && operation.node.selection_set.node.items.len() == 1 && request.uploads.is_empty())
            .then(|| (request.query.clone(), request.operation_name.clone(), request.variables.clone()));
    let mut attempt = 1;
    let mut response = loop {
        let db = match &actor {
            Some(actor) => match state.db.acting_for(actor).await {
                Ok(db) => db,
                Err(err) => {
                    let response = database_failed(&err, &request_id);
                    return (Rendered::new(response, Stage::Executing, &request_id), Stage::Executing);
                }
            },
            None => state.db.clone(),
        };
        let queue = Arc::new(LoadQueue::default());
        if let Some(actor) = &actor {
            let loaders = Loaders::queued(db.clone(), actor.clone(), queue.clone());
            if mutation {
                loaders.without_cache();
            }
            request = request.data(loaders);
        }
        request = request.data(RequestContext {
            actor: actor.clone(),
            db: db.clone(),
            request_id: request_id.clone(),
            client_address: super::client_address::of(req, state.proxy_hops),
        });
        let mut response = drive(state.schema.execute(request), queue).await;
        let again = replay.is_some() && attempt < MAX_CONFLICT_ATTEMPTS && render::lost_a_conflict(&response);
        // Nothing is answered before it is kept: the request's transaction commits first. One
        // to be run again is dropped instead, which rolls it back.
        if !again && let Err(err) = db.finish().await {
            response = database_failed(&err, &request_id);
        }
        match &replay {
            Some((query, name, variables)) if again => {
                tracing::info!(attempt, "mutation lost a database conflict; running it again");
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(10 * attempt)).await;
                let mut again = Request::new(query.clone()).variables(variables.clone());
                if let Some(name) = name {
                    again = again.operation_name(name.clone());
                }
                request = again;
            }
            _ => break response,
        }
    };
    let stage = execution::stage_of(&response);
    if stage == Stage::Executing {
        ordering::repair(&mut response, &document, operation, &state.shapes);
    }
    let outcome = match (stage, response.errors.is_empty()) {
        (Stage::Executing, true) => Outcome::Ok,
        (Stage::Executing, false) => Outcome::Error,
        _ => Outcome::Rejected,
    };
    state.metrics.observe(operation_name.as_deref(), outcome, started.elapsed());
    (Rendered::new(response, stage, &request_id), stage)
}
