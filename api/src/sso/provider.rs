//! Talking to an institution's identity provider: discovery, its signing keys (JWKS), and the
//! token endpoint. Discovery documents and key sets are cached for ten minutes per issuer; a
//! key id the cache does not know makes it fetch the set again, which is how a provider's key
//! rotation reaches us. ID tokens only ever come from the token endpoint over the back channel,
//! never from the browser, so that refetch cannot be driven by a client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use reqwest::Url;
use serde::Deserialize;

/// How long discovery documents and key sets are trusted before they are fetched again.
const CACHE_FOR: Duration = Duration::from_secs(600);
/// Largest document accepted from a provider.
const MAX_BODY_BYTES: usize = 512 * 1024;

/// What went wrong with a provider: logged in full; clients get a generic message.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the issuer must be an https URL (http only for a provider on this machine): {0}")]
    InsecureIssuer(String),
    #[error("{what} could not be fetched: {cause}")]
    Unreachable { what: &'static str, cause: String },
    #[error("{what} is not what OpenID Connect specifies: {cause}")]
    BadDocument { what: &'static str, cause: String },
    #[error("the discovery document names issuer {found}, not {expected}")]
    IssuerMismatch { expected: String, found: String },
    #[error("the token endpoint refused the code ({status}): {error}")]
    Refused { status: u16, error: String },
    #[error("no signing key `{0}` in the provider's key set")]
    UnknownKey(String),
}

#[derive(Clone, Debug, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

struct Cached {
    metadata: Arc<Metadata>,
    keys: Arc<JwkSet>,
    fetched_at: Instant,
}

pub struct IdentityProviders {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Arc<Cached>>>,
}

impl std::fmt::Debug for IdentityProviders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityProviders").finish_non_exhaustive()
    }
}

impl Default for IdentityProviders {
    fn default() -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("springboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self { http, cache: Mutex::new(HashMap::new()) }
    }
}

/// An issuer URL we may talk to: https, or http to a provider on this machine (development
/// and tests). Trailing slashes do not count.
pub fn issuer_url(issuer: &str) -> Result<Url, ProviderError> {
    let insecure = || ProviderError::InsecureIssuer(issuer.to_owned());
    let url = Url::parse(issuer.trim()).map_err(|_| insecure())?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let fine = match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => loopback,
        _ => false,
    };
    if !fine || url.query().is_some() || url.fragment().is_some() {
        return Err(insecure());
    }
    Ok(url)
}

pub fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

impl IdentityProviders {
    /// The provider's discovery document, fetched now (for checking a configuration).
    pub async fn discover(&self, issuer: &str) -> Result<Metadata, ProviderError> {
        let base = issuer_url(issuer)?;
        let location = format!("{}/.well-known/openid-configuration", base.as_str().trim_end_matches('/'));
        let metadata: Metadata = self.get_json(&location, "the discovery document").await?;
        if !same_issuer(&metadata.issuer, issuer) {
            return Err(ProviderError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: metadata.issuer,
            });
        }
        for (what, endpoint) in [
            ("authorization_endpoint", &metadata.authorization_endpoint),
            ("token_endpoint", &metadata.token_endpoint),
            ("jwks_uri", &metadata.jwks_uri),
        ] {
            issuer_url(endpoint).map_err(|_| ProviderError::BadDocument {
                what: "the discovery document",
                cause: format!("{what} is not an https URL"),
            })?;
        }
        Ok(metadata)
    }

    /// The provider's metadata, from the cache while it is fresh.
    pub async fn metadata(&self, issuer: &str) -> Result<Arc<Metadata>, ProviderError> {
        Ok(self.cached(issuer, false).await?.metadata.clone())
    }

    async fn cached(&self, issuer: &str, refresh: bool) -> Result<Arc<Cached>, ProviderError> {
        let key = issuer.trim_end_matches('/').to_owned();
        if !refresh {
            let fresh = self.lock().get(&key).filter(|c| c.fetched_at.elapsed() < CACHE_FOR).cloned();
            if let Some(cached) = fresh {
                return Ok(cached);
            }
        }
        let metadata = self.discover(issuer).await?;
        let keys: JwkSet = self.get_json(&metadata.jwks_uri, "the key set").await?;
        let cached = Arc::new(Cached {
            metadata: Arc::new(metadata),
            keys: Arc::new(keys),
            fetched_at: Instant::now(),
        });
        self.lock().insert(key, cached.clone());
        Ok(cached)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Cached>>> {
        // A panic while holding the lock leaves only a cache behind: keep using it.
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The key that signed a token with header `kid`, fetching the key set again once if
    /// the cached one does not have it.
    pub async fn signing_key(&self, issuer: &str, kid: Option<&str>) -> Result<DecodingKey, ProviderError> {
        for refresh in [false, true] {
            let cached = self.cached(issuer, refresh).await?;
            let found = cached.keys.keys.iter().find(|jwk| match kid {
                Some(kid) => jwk.common.key_id.as_deref() == Some(kid),
                // A set of one key needs no id.
                None => cached.keys.keys.len() == 1,
            });
            if let Some(jwk) = found {
                // The key's family must suit `alg`: decoding with the wrong one fails.
                return DecodingKey::from_jwk(jwk)
                    .map_err(|e| ProviderError::BadDocument { what: "the key set", cause: e.to_string() });
            }
        }
        Err(ProviderError::UnknownKey(kid.unwrap_or("(none)").to_owned()))
    }

    /// Trades an authorization code (with its PKCE verifier) for the ID token.
    pub async fn exchange(&self, exchange: Exchange<'_>) -> Result<String, ProviderError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", exchange.code),
            ("redirect_uri", exchange.redirect_uri),
            ("code_verifier", exchange.code_verifier),
            ("client_id", exchange.client_id),
        ];
        let metadata = exchange.metadata;
        let post_only = !metadata.token_endpoint_auth_methods_supported.is_empty()
            && !metadata.token_endpoint_auth_methods_supported.iter().any(|m| m == "client_secret_basic")
            && metadata.token_endpoint_auth_methods_supported.iter().any(|m| m == "client_secret_post");
        let request = self.http.post(&metadata.token_endpoint).header("accept", "application/json");
        let request = if post_only {
            let mut with_secret = form.to_vec();
            with_secret.push(("client_secret", exchange.client_secret));
            request.form(&with_secret)
        } else {
            // RFC 6749 2.3.1: form-encode both before Basic.
            let encode = |s: &str| url_encode(s);
            request.basic_auth(encode(exchange.client_id), Some(encode(exchange.client_secret))).form(&form)
        };
        let unreachable = |e: reqwest::Error| ProviderError::Unreachable {
            what: "the token endpoint",
            cause: e.to_string(),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let body = read_limited(response, "the token endpoint").await?;
        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: Option<String>,
            error: Option<String>,
        }
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| ProviderError::BadDocument { what: "the token response", cause: e.to_string() })?;
        if !status.is_success() {
            return Err(ProviderError::Refused {
                status: status.as_u16(),
                error: parsed.error.unwrap_or_default(),
            });
        }
        parsed
            .id_token
            .ok_or(ProviderError::BadDocument { what: "the token response", cause: "no id_token".into() })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        what: &'static str,
    ) -> Result<T, ProviderError> {
        let unreachable = |e: reqwest::Error| ProviderError::Unreachable { what, cause: e.to_string() };
        let response =
            self.http.get(url).header("accept", "application/json").send().await.map_err(unreachable)?;
        if !response.status().is_success() {
            return Err(ProviderError::Unreachable {
                what,
                cause: format!("HTTP {}", response.status().as_u16()),
            });
        }
        let body = read_limited(response, what).await?;
        serde_json::from_slice(&body).map_err(|e| ProviderError::BadDocument { what, cause: e.to_string() })
    }
}

pub struct Exchange<'a> {
    pub metadata: &'a Metadata,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub code: &'a str,
    pub code_verifier: &'a str,
    pub redirect_uri: &'a str,
}

async fn read_limited(mut response: reqwest::Response, what: &'static str) -> Result<Vec<u8>, ProviderError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ProviderError::BadDocument { what, cause: "larger than 512 KiB".into() });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(ProviderError::Unreachable { what, cause: e.to_string() }),
        }
    }
}

/// `application/x-www-form-urlencoded` for one value.
pub fn url_encode(value: &str) -> String {
    Url::parse_with_params("x:", [("v", value)])
        .ok()
        .and_then(|u| u.query().map(|q| q.trim_start_matches("v=").to_owned()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_issuers_or_this_machine() {
        assert!(issuer_url("https://login.microsoftonline.com/tenant/v2.0").is_ok());
        assert!(issuer_url("http://127.0.0.1:8080").is_ok());
        assert!(issuer_url("http://localhost:8080/realms/x").is_ok());
        assert!(issuer_url("http://idp.example.org").is_err());
        assert!(issuer_url("https://idp.example.org/?x=1").is_err());
        assert!(issuer_url("ftp://idp.example.org").is_err());
        assert!(issuer_url("not a url").is_err());
    }

    #[test]
    fn issuers_compare_without_trailing_slashes() {
        assert!(same_issuer("https://idp.example.org/", "https://idp.example.org"));
        assert!(!same_issuer("https://idp.example.org/a", "https://idp.example.org/b"));
    }

    #[test]
    fn form_encoding_escapes_what_basic_auth_needs_escaped() {
        assert_eq!(url_encode("a b:c/d+e"), "a+b%3Ac%2Fd%2Be");
    }
}
