//! `resultPublished` over WebSocket (graphql-transport-ws): a subscriber on one replica is told
//! of a publication made through another, only if it may see the version; the connection needs a
//! credential, and a revoked one ends the stream.

use std::time::Duration;

use entity::institution::InstitutionKind;
use entity::membership::Role;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::db_test_with;
use crate::helpers::*;
use crate::project_fixtures::*;
use crate::results_fixtures::*;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SUBSCRIBE: &str = "subscription { resultPublished { id resultId version title outcome publishedAt } }";
/// Long enough for any event a test waits for; a test that expects none waits this long too.
const PATIENCE: Duration = Duration::from_secs(5);

fn quick(settings: &mut springboard::settings::Settings) {
    settings.publications_poll_ms = 50;
}

/// A WebSocket to the app's `/graphql` offering `protocol`.
async fn open(app: &TestApp, protocol: &str) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = app.url("/graphql").replacen("http", "ws", 1).into_client_request().unwrap();
    if !protocol.is_empty() {
        request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_str(protocol).unwrap());
    }
    tokio_tungstenite::connect_async(request).await.map(|(socket, _)| socket)
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::text(message.to_string())).await.unwrap();
}

/// The next protocol message, or `None` if the server closed the socket or stayed silent.
async fn next(socket: &mut Socket) -> Option<Result<Value, Option<(CloseCode, String)>>> {
    loop {
        match tokio::time::timeout(PATIENCE, socket.next()).await.ok()?? {
            Ok(Message::Text(text)) => return Some(Ok(serde_json::from_str(&text).unwrap())),
            Ok(Message::Close(frame)) => return Some(Err(frame.map(|f| (f.code, f.reason.to_string())))),
            Ok(_) => continue,
            Err(_) => return Some(Err(None)),
        }
    }
}

/// A signed-in connection subscribed to `resultPublished`.
async fn subscriber(app: &TestApp, token: &str) -> Socket {
    let mut socket = open(app, "graphql-transport-ws").await.unwrap();
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }),
    )
    .await;
    let ack = next(&mut socket).await;
    assert_eq!(ack.and_then(Result::ok).map(|m| m["type"].clone()), Some(json!("connection_ack")));
    send(&mut socket, json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } })).await;
    // The subscription starts listening when the server first polls it; give it that moment, as
    // nothing published before a subscription starts is told.
    tokio::time::sleep(Duration::from_millis(500)).await;
    socket
}

/// The next `next` message's payload.
async fn event(socket: &mut Socket) -> Option<Value> {
    match next(socket).await? {
        Ok(message) if message["type"] == json!("next") => Some(message["payload"].clone()),
        other => panic!("expected a `next` message, got {other:?}"),
    }
}

async fn publish_new(app: &TestApp, a: &Active, title: &str, visibility: &str) -> String {
    let lead = &a.setup.bid.lead_token;
    let input = json!({ "title": title, "outcome": "LESSON", "visibility": visibility });
    let id = draft_result(app, lead, &a.setup.bid.project, input).await;
    publish(app, lead, &id).await;
    id
}

db_test_with! {
    async fn a_subscriber_is_told_of_publications_it_may_see_through_any_replica_and_of_no_other(app) with quick;
    {
        let a = active_project(&app).await;
        let other = app.replica().await;
        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        // Published before anyone listened: never told, though it is visible to both.
        let earlier = publish_new(&app, &a, "Before anyone listened", "PLATFORM").await;
        let mut outsider_socket = subscriber(&other, &outsider).await;
        let mut site_socket = subscriber(&other, &a.setup.site.token).await;

        let private = publish_new(&app, &a, "Within the project", "PROJECT").await;
        let public = publish_new(&app, &a, "For everyone", "PLATFORM").await;

        let told = event(&mut site_socket).await.expect("the site hears of the project's result");
        assert_ne!(told["data"]["resultPublished"]["id"], json!(earlier), "what came before is not replayed");
        assert_eq!(told["data"]["resultPublished"]["id"], json!(private), "{told}");
        assert_eq!(told["data"]["resultPublished"]["title"], json!("Within the project"));
        assert_eq!(told["data"]["resultPublished"]["outcome"], json!("LESSON"));
        assert_eq!(told["data"]["resultPublished"]["version"], json!(1));
        let told = event(&mut site_socket).await.expect("and of the public one");
        assert_eq!(told["data"]["resultPublished"]["id"], json!(public));

        let told = event(&mut outsider_socket).await.expect("the outsider hears of the public result");
        assert_eq!(told["data"]["resultPublished"]["id"], json!(public), "never of the project's own: {told}");
        assert!(next(&mut outsider_socket).await.is_none(), "nothing else");
    }
}

db_test_with! {
    async fn a_subscription_needs_a_credential_and_ends_when_it_is_revoked(app) with quick;
    {
        let refused = open(&app, "").await.expect_err("no subprotocol, no upgrade");
        match refused {
            tokio_tungstenite::tungstenite::Error::Http(response) => assert_eq!(response.status(), 400),
            other => panic!("{other:?}"),
        }

        let over_http = app.graphql(SUBSCRIBE, json!({}), None).await;
        assert!(over_http["errors"][0]["message"].as_str().unwrap().contains("WebSocket"), "{over_http}");
        assert!(over_http.get("data").is_none(), "never executed: {over_http}");

        let mut anonymous = open(&app, "graphql-transport-ws").await.unwrap();
        send(&mut anonymous, json!({ "type": "connection_init", "payload": {} })).await;
        let closed = next(&mut anonymous).await.expect("an answer");
        assert_eq!(closed.map_err(|frame| frame.map(|f| u16::from(f.0))), Err(Some(4403)));
        let mut forged = open(&app, "graphql-transport-ws").await.unwrap();
        send(&mut forged, json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nonsense" } })).await;
        let closed = next(&mut forged).await.expect("an answer");
        assert_eq!(closed.map_err(|frame| frame.map(|f| u16::from(f.0))), Err(Some(4403)));

        let a = active_project(&app).await;
        let lead_admin = app.token(a.setup.bid.college, Role::Admin).await;
        let script = api_token(&app, &lead_admin, "READ").await;
        let mut script_socket = subscriber(&app, &script).await;
        let person = app.member(a.setup.site.host, Role::Member).await;
        let payload = app.sign_in_payload(&person.email, PASSWORD, Some(a.setup.site.host)).await;
        let (access, refresh) = (payload["tokens"]["accessToken"].as_str().unwrap(), payload["tokens"]["refreshToken"].as_str().unwrap());
        let mut person_socket = subscriber(&app, access).await;

        let first = publish_new(&app, &a, "First", "PROJECT").await;
        assert_eq!(event(&mut person_socket).await.unwrap()["data"]["resultPublished"]["id"], json!(first));
        assert_eq!(event(&mut script_socket).await.unwrap()["data"]["resultPublished"]["id"], json!(first), "an API token subscribes too");

        let out = app.graphql("mutation($t: String!) { signOut(input: {refreshToken: $t}) { signedOut } }", json!({ "t": refresh }), None).await;
        assert_eq!(out["data"]["signOut"]["signedOut"], json!(true), "{out}");
        let second = publish_new(&app, &a, "Second", "PROJECT").await;
        let ended = event(&mut person_socket).await.expect("told why it ends");
        assert_eq!(ended["errors"][0]["extensions"]["code"], json!("UNAUTHENTICATED"), "{ended}");
        assert_eq!(next(&mut person_socket).await.and_then(Result::ok).map(|m| m["type"].clone()), Some(json!("complete")));
        assert_eq!(event(&mut script_socket).await.unwrap()["data"]["resultPublished"]["id"], json!(second));
    }
}
