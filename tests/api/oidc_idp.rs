//! An OpenID Connect identity provider for tests, on a port of its own: discovery, a key set
//! (JWKS) that can rotate, and a token endpoint that checks the client's secret, the PKCE
//! verifier and the redirect URI before it hands out an RS256-signed ID token. The test plays
//! the person at the provider: `authorize` reads the URL the server built and returns the code
//! the provider would send back, with whatever claims or signature the test wants.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "springboard-test-client";
pub const CLIENT_SECRET: &str = "a client secret only the test provider knows";

/// An RSA key pair: generating one takes a while, so the process keeps a few to share.
#[derive(Clone)]
struct KeyPair {
    der: Vec<u8>,
    n: String,
    e: String,
}

fn key_pairs() -> &'static [KeyPair] {
    static PAIRS: OnceLock<Vec<KeyPair>> = OnceLock::new();
    PAIRS.get_or_init(|| {
        (0..3)
            .map(|_| {
                let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("an RSA key");
                KeyPair {
                    der: key.to_pkcs1_der().expect("PKCS#1 DER").as_bytes().to_vec(),
                    n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
                    e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
                }
            })
            .collect()
    })
}

/// Which key signs the next ID token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signer {
    /// The newest published key.
    Published,
    /// A key the provider never published, under the newest key's id: a forged signature.
    Unpublished,
}

struct Grant {
    id_token: String,
    code_challenge: String,
    redirect_uri: String,
}

struct State {
    issuer: String,
    /// Published keys, newest first: (kid, pair index).
    published: Vec<(String, usize)>,
    grants: HashMap<String, Grant>,
}

pub struct TestIdp {
    pub issuer: String,
    state: Arc<Mutex<State>>,
    server: actix_web::dev::ServerHandle,
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        drop(self.server.stop(false));
    }
}

impl TestIdp {
    pub async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let issuer = format!("http://127.0.0.1:{}/tenant", listener.local_addr().expect("an address").port());
        let state = Arc::new(Mutex::new(State {
            issuer: issuer.clone(),
            published: vec![("key-1".into(), 0)],
            grants: HashMap::new(),
        }));
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/tenant/.well-known/openid-configuration", web::get().to(discovery))
                .route("/tenant/keys", web::get().to(keys))
                .route("/tenant/token", web::post().to(token))
        })
        .workers(1)
        .listen(listener)
        .expect("listening")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { issuer, state, server: handle }
    }

    /// Publishes a new key, first in the set, that signs from now on (the old one stays listed).
    pub fn rotate(&self) {
        let mut state = self.state.lock().expect("the provider's state");
        let next = state.published.len();
        state.published.insert(0, (format!("key-{}", next + 1), next % 2));
    }

    /// Plays the person at the provider: reads the authorization URL the server built and
    /// returns the `code` and `state` the callback would carry. The ID token holds the usual
    /// claims for `email` (the request's nonce, this client as audience, five minutes to live),
    /// then `adjust` changes them as a test needs.
    pub fn authorize(
        &self,
        authorization_url: &str,
        email: &str,
        adjust: impl FnOnce(&mut Value),
        signer: Signer,
    ) -> (String, String) {
        let url = reqwest::Url::parse(authorization_url).expect("an authorization URL");
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_else(|| panic!("no {name} in {url}"))
        };
        assert_eq!(param("response_type"), "code");
        assert_eq!(param("client_id"), CLIENT_ID);
        assert_eq!(param("code_challenge_method"), "S256");
        assert!(param("scope").split(' ').any(|s| s == "openid"));
        let now = chrono::Utc::now().timestamp();
        let mut state = self.state.lock().expect("the provider's state");
        let mut claims = json!({
            "iss": state.issuer, "aud": CLIENT_ID, "sub": format!("subject-{email}"),
            "email": email, "email_verified": true, "name": "Pat Example",
            "nonce": param("nonce"), "iat": now, "exp": now + 300,
        });
        adjust(&mut claims);
        let (kid, pair) = state.published[0].clone();
        let pair = match signer {
            Signer::Published => pair,
            Signer::Unpublished => 2,
        };
        let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(kid);
        let key = EncodingKey::from_rsa_der(&key_pairs()[pair].der);
        let id_token = jsonwebtoken::encode(&header, &claims, &key).expect("a signed ID token");
        let code = format!("code-{}", uuid::Uuid::now_v7().simple());
        state.grants.insert(
            code.clone(),
            Grant { id_token, code_challenge: param("code_challenge"), redirect_uri: param("redirect_uri") },
        );
        (code, param("state"))
    }
}

type Shared = web::Data<Arc<Mutex<State>>>;

async fn discovery(state: Shared) -> HttpResponse {
    let issuer = state.lock().expect("the provider's state").issuer.clone();
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/keys"),
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}

async fn keys(state: Shared) -> HttpResponse {
    let state = state.lock().expect("the provider's state");
    let keys: Vec<Value> = state
        .published
        .iter()
        .map(|(kid, pair)| {
            let pair = &key_pairs()[*pair];
            json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": pair.n, "e": pair.e })
        })
        .collect();
    HttpResponse::Ok().json(json!({ "keys": keys }))
}

fn refuse(status: u16, error: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("a status"))
        .json(json!({ "error": error }))
}

async fn token(
    request: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    state: Shared,
) -> HttpResponse {
    let basic = request
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let decode = |s: &str| -> String { url_decode(s) };
    let client_ok = match basic {
        Some(pair) => pair
            .split_once(':')
            .is_some_and(|(id, secret)| decode(id) == CLIENT_ID && decode(secret) == CLIENT_SECRET),
        None => {
            form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
                && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        }
    };
    if !client_ok {
        return refuse(401, "invalid_client");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse(400, "unsupported_grant_type");
    }
    let Some(code) = form.get("code") else { return refuse(400, "invalid_request") };
    // Single use, as providers make codes.
    let Some(grant) = state.lock().expect("the provider's state").grants.remove(code) else {
        return refuse(400, "invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if challenge != grant.code_challenge || form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return refuse(400, "invalid_grant");
    }
    HttpResponse::Ok()
        .json(json!({ "access_token": "unused", "token_type": "Bearer", "id_token": grant.id_token }))
}

fn url_decode(value: &str) -> String {
    reqwest::Url::parse(&format!("x:?v={value}"))
        .ok()
        .and_then(|u| u.query_pairs().next().map(|(_, v)| v.into_owned()))
        .unwrap_or_default()
}
