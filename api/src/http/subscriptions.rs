//! GraphQL subscriptions over WebSocket: `GET /graphql` upgraded with the `graphql-transport-ws`
//! subprotocol (or the older `graphql-ws`), spoken by async-graphql. The client signs in with the
//! `connection_init` payload's `Authorization` (or the upgrade request's header), within ten
//! seconds; each replica holds at most `max_subscribers` connections.

use std::str::FromStr;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message};
use async_graphql::Data;
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use futures_util::{StreamExt, future};
use serde_json::json;

use super::AppState;
use crate::graphql::errors::codes;
use crate::identity::authenticate::authenticate;
use crate::results::publications_graphql::Subscriber;

/// How long a client has to send `connection_init` (graphql-transport-ws closes with 4408).
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest message a client may send: a subscription document, not a data upload.
const MAX_FRAME_BYTES: usize = 64 * 1024;
const SIGN_IN_NEEDED: &str = "sign in: send Authorization in the connection_init payload";
const CREDENTIAL_REFUSED: &str = "the token is invalid, expired or revoked";

/// Whether the request asks to become a WebSocket.
pub fn is_upgrade(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn refuse(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

/// The credential from `connection_init`'s payload (`Authorization`, either case, with or
/// without `Bearer `), else the upgrade request's header.
fn credential(payload: &serde_json::Value, header: Option<&str>) -> Option<String> {
    let given = ["Authorization", "authorization"]
        .iter()
        .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
        .map(str::trim)
        .filter(|v| !v.is_empty());
    match given {
        Some(value) if value.len() > 7 && value[..7].eq_ignore_ascii_case("bearer ") => {
            Some(value.to_owned())
        }
        Some(token) => Some(format!("Bearer {token}")),
        None => header.map(str::to_owned),
    }
}

pub async fn upgrade(req: &HttpRequest, payload: web::Payload, state: &AppState) -> HttpResponse {
    let offered =
        req.headers().get(header::SEC_WEBSOCKET_PROTOCOL).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(protocol) = offered.split(',').map(str::trim).find_map(|p| WebSocketProtocols::from_str(p).ok())
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            codes::BAD_REQUEST,
            "ask for the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol) to subscribe",
        );
    };
    let Ok(slot) = state.subscribers.clone().try_acquire_owned() else {
        let mut response = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::SERVICE_UNAVAILABLE,
            "too many subscribers; retry later",
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return response;
    };
    let header_credential =
        req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (mut response, session, messages) = match actix_ws::handle(req, payload) {
        Ok(parts) => parts,
        Err(err) => return err.error_response(),
    };
    response
        .headers_mut()
        .insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(protocol.sec_websocket_protocol()));
    let pong = session.clone();
    let input = messages
        .max_frame_size(MAX_FRAME_BYTES)
        .take_while(|message| future::ready(matches!(message, Ok(m) if !matches!(m, Message::Close(_)))))
        .filter_map(move |message| {
            let mut pong = pong.clone();
            async move {
                match message {
                    Ok(Message::Text(text)) => Some(text.into_bytes()),
                    Ok(Message::Binary(bytes)) => Some(bytes),
                    Ok(Message::Ping(bytes)) => {
                        let _ = pong.pong(&bytes).await;
                        None
                    }
                    _ => None,
                }
            }
        });
    let (db, auth, publications) = (state.db.clone(), state.auth.clone(), state.publications.clone());
    let connection =
        WebSocket::new(state.schema.clone(), input, protocol).on_connection_init(move |payload| async move {
            let Some(credential) = credential(&payload, header_credential.as_deref()) else {
                return Err(async_graphql::Error::new(SIGN_IN_NEEDED));
            };
            match authenticate(&db.system(), &auth, Some(&credential)).await {
                Ok(Some(_)) => {
                    let mut data = Data::default();
                    data.insert(Subscriber { credential, db, auth, publications });
                    Ok(data)
                }
                Ok(None) | Err(_) => Err(async_graphql::Error::new(CREDENTIAL_REFUSED)),
            }
        });
    actix_web::rt::spawn(serve(connection, session, slot));
    response
}

/// Sends what the connection says until either side closes; the subscriber's slot is held
/// until then.
async fn serve(
    connection: impl futures_util::Stream<Item = WsMessage>,
    mut session: actix_ws::Session,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    let mut connection = std::pin::pin!(connection);
    let deadline = tokio::time::sleep(INIT_TIMEOUT);
    let mut deadline = std::pin::pin!(deadline);
    let mut acknowledged = false;
    loop {
        let message = tokio::select! {
            message = connection.next() => message,
            () = &mut deadline, if !acknowledged => {
                let reason = CloseReason { code: CloseCode::Other(4408), description: Some("Connection initialisation timeout".into()) };
                let _ = session.close(Some(reason)).await;
                return;
            }
        };
        match message {
            Some(WsMessage::Text(text)) => {
                acknowledged |= text.contains("\"connection_ack\"");
                if session.text(text).await.is_err() {
                    return;
                }
            }
            Some(WsMessage::Close(code, reason)) => {
                // graphql-transport-ws closes a refused sign-in with 4403, where async-graphql
                // says 1002.
                let refused = !acknowledged && (reason == SIGN_IN_NEEDED || reason == CREDENTIAL_REFUSED);
                let code = if refused { 4403 } else { code };
                let _ = session
                    .close(Some(CloseReason { code: CloseCode::Other(code), description: Some(reason) }))
                    .await;
                return;
            }
            None => {
                let _ = session.close(None).await;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_comes_from_the_payload_first_with_or_without_bearer() {
        let header = Some("Bearer from-header");
        assert_eq!(
            credential(&json!({ "Authorization": "Bearer abc" }), header).as_deref(),
            Some("Bearer abc")
        );
        assert_eq!(credential(&json!({ "authorization": "abc" }), header).as_deref(), Some("Bearer abc"));
        assert_eq!(credential(&json!({}), header).as_deref(), Some("Bearer from-header"));
        assert_eq!(credential(&json!({ "Authorization": " " }), None), None);
    }
}
