//! Signing in through an institution's identity provider: the OpenID Connect authorization-code
//! flow with PKCE (S256), `state` and `nonce`. `start` hands the front end the provider's URL to
//! send the person to; the provider sends them back to the front end's callback with `code` and
//! `state`, which `complete` trades for the same tokens a password sign-in gives. The ID token
//! comes from the token endpoint and is verified with `jsonwebtoken` against the provider's
//! published keys: signature, `iss`, `aud`, `exp` (a minute's leeway), then the `nonce`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use entity::membership::{self, Role};
use entity::{institution, sso_attempt, sso_provider, user};
use jsonwebtoken::{Algorithm, Validation};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::provider::{Exchange, ProviderError};
use crate::audit::{self, Subject, service::AuditActor};
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};
use crate::identity::AuthConfig;
use crate::identity::attempts::{self, Counted, Limit};
use crate::identity::password::Password;
use crate::identity::sessions::{self, SignedIn};
use crate::users::Email;

/// How long a person has at the identity provider before the sign-in must start again.
const ATTEMPT_TTL_MINUTES: i64 = 10;
/// Signatures accepted on ID tokens: asymmetric only (never `none` or a shared secret).
const ALGORITHMS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
];

pub struct Started {
    pub authorization_url: String,
    pub state: String,
    pub expires_at: DateTime<Utc>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn digest(value: &str) -> Vec<u8> {
    Sha256::digest(value.as_bytes()).to_vec()
}

fn no_sso(field: &str) -> ServiceError {
    ServiceError::invalid(field, UserErrorCode::NotFound, "that institution does not offer single sign-on")
}

fn failed(message: &str) -> ServiceError {
    ServiceError::invalid("code", UserErrorCode::SsoFailed, message)
}

fn provider_failed(e: ProviderError) -> ServiceError {
    tracing::warn!(error.message = %e, "single sign-on failed at the identity provider");
    failed(
        "the identity provider's answer could not be used; start again, and if it persists ask your administrator",
    )
}

/// The way in for a person whose institution requires single sign-on, as a message naming it;
/// `None` if none of their institutions does.
pub async fn required_for(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<String>, ServiceError> {
    let requiring = institution::Entity::find()
        .join(JoinType::InnerJoin, institution::Relation::Membership.def())
        .filter(membership::Column::UserId.eq(user_id))
        .filter(
            institution::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(sso_provider::Column::InstitutionId)
                    .from(sso_provider::Entity)
                    .and_where(sso_provider::Column::Required.eq(true))
                    .to_owned(),
            ),
        )
        .one(conn)
        .await?;
    Ok(requiring.map(|i| {
        format!(
            "{} signs its members in through its own identity provider: sign in with single sign-on \
             (startSingleSignOn with institution \"{}\")",
            i.name, i.slug
        )
    }))
}

/// Sign-ins one client address may start per window: generous, since a hospital's staff often
/// share one address, but a bound on the rows anyone can make without signing in.
const STARTS_PER_CLIENT: Limit = Limit { attempts: 600, window: Duration::minutes(10) };

pub async fn start(
    db: &Db,
    auth: &AuthConfig,
    institution_slug: &str,
    client: Option<std::net::IpAddr>,
) -> Result<Started, ServiceError> {
    let db = &db.system();
    let now = db.now();
    if let Some(client) = client
        && let Counted::Refused { until } =
            attempts::count(db.conn(), now, &format!("sso:client:{client}"), STARTS_PER_CLIENT).await?
    {
        return Err(attempts::too_many("institution", "single sign-ons from this address", until));
    }
    let slug = institution_slug.trim().to_ascii_lowercase();
    let institution = institution::Entity::find()
        .filter(institution::Column::Slug.eq(slug))
        .one(db.conn())
        .await?
        .ok_or_else(|| no_sso("institution"))?;
    let provider = sso_provider::Entity::find_by_id(institution.id)
        .one(db.conn())
        .await?
        .ok_or_else(|| no_sso("institution"))?;
    let metadata = auth.sso.metadata(&provider.issuer).await.map_err(provider_failed)?;

    let (state, nonce, verifier) = (random_token(), random_token(), random_token());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let expires_at = now + Duration::minutes(ATTEMPT_TTL_MINUTES);
    sso_attempt::Entity::delete_many()
        .filter(sso_attempt::Column::ExpiresAt.lt(now - Duration::days(1)))
        .exec(db.conn())
        .await?;
    sso_attempt::Entity::insert(sso_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        institution_id: Set(institution.id),
        state_hash: Set(digest(&state)),
        nonce: Set(nonce.clone()),
        code_verifier: Set(verifier),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db.conn())
    .await?;
    let mut url = reqwest::Url::parse(&metadata.authorization_endpoint).map_err(|e| {
        provider_failed(ProviderError::BadDocument { what: "the discovery document", cause: e.to_string() })
    })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", &provider.redirect_uri)
        .append_pair("scope", "openid email profile")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(Started { authorization_url: url.into(), state, expires_at })
}

#[derive(Debug, Deserialize)]
struct IdClaims {
    nonce: Option<String>,
    email: Option<String>,
    email_verified: Option<serde_json::Value>,
    name: Option<String>,
}

/// Trades the provider's `code` for a session. The `state` is spent first, so a replayed
/// callback fails even if the first use did not get as far as the provider.
pub async fn complete(db: &Db, auth: &AuthConfig, state: &str, code: &str) -> Result<SignedIn, ServiceError> {
    let db = &db.system();
    let now = db.now();
    let invalid_state = || {
        ServiceError::invalid(
            "state",
            UserErrorCode::InvalidToken,
            "this sign-in is unknown, expired or already used; start again",
        )
    };
    if state.len() > 200 || code.is_empty() || code.len() > 4096 {
        return Err(invalid_state());
    }
    let attempt = sso_attempt::Entity::find()
        .filter(sso_attempt::Column::StateHash.eq(digest(state.trim())))
        .one(db.conn())
        .await?
        .filter(|a| a.used_at.is_none() && a.expires_at > now)
        .ok_or_else(invalid_state)?;
    let spent = sso_attempt::Entity::update_many()
        .col_expr(sso_attempt::Column::UsedAt, Expr::val(now))
        .filter(sso_attempt::Column::Id.eq(attempt.id))
        .filter(sso_attempt::Column::UsedAt.is_null())
        .exec(db.conn())
        .await?;
    if spent.rows_affected != 1 {
        return Err(invalid_state());
    }
    let provider = sso_provider::Entity::find_by_id(attempt.institution_id)
        .one(db.conn())
        .await?
        .ok_or_else(|| no_sso("state"))?;
    let secret = auth
        .data_keys
        .open(&provider.sealed_client_secret, provider.institution_id.as_bytes())
        .ok_or_else(|| ServiceError::internal(crate::identity::sealing::SealError))?;
    let secret = String::from_utf8(secret).map_err(ServiceError::internal)?;
    let metadata = auth.sso.metadata(&provider.issuer).await.map_err(provider_failed)?;
    let id_token = auth
        .sso
        .exchange(Exchange {
            metadata: &metadata,
            client_id: &provider.client_id,
            client_secret: &secret,
            code,
            code_verifier: &attempt.code_verifier,
            redirect_uri: &provider.redirect_uri,
        })
        .await
        .map_err(provider_failed)?;
    let claims = verify(auth, &provider, &metadata.issuer, &id_token, now).await?;
    let nonce_ok: bool =
        claims.nonce.as_deref().unwrap_or_default().as_bytes().ct_eq(attempt.nonce.as_bytes()).into();
    if !nonce_ok {
        tracing::warn!("single sign-on refused: the ID token's nonce is not this sign-in's");
        return Err(failed("the identity provider's answer was not for this sign-in; start again"));
    }
    let email = claims.email.as_deref().and_then(|e| Email::parse(e, "email").ok()).ok_or_else(|| {
        failed("the identity provider did not give an email address; ask your administrator to release the email claim")
    })?;
    // Absent means the provider does not say; the allowed domains vouch for the address then.
    if matches!(claims.email_verified, Some(serde_json::Value::Bool(false))) {
        return Err(failed("the identity provider has not verified this email address"));
    }
    let domain = email.as_str().rsplit_once('@').map(|(_, d)| d.to_owned()).unwrap_or_default();
    if !provider.allowed_domains.split(',').any(|allowed| allowed == domain) {
        return Err(ServiceError::invalid(
            "code",
            UserErrorCode::NotEligible,
            format!("{domain} addresses may not sign in to this institution through its identity provider"),
        ));
    }
    let user = member(db, &provider, email, claims.name).await?;
    let subject = Subject { kind: "User", id: user.id };
    audit::record(
        db.conn(),
        now,
        AuditActor::user(user.id),
        Some(provider.institution_id),
        "session.sso",
        subject,
    )
    .await?;
    sessions::conclude(db, auth, user, Some(provider.institution_id)).await
}

async fn verify(
    auth: &AuthConfig,
    provider: &sso_provider::Model,
    issuer: &str,
    id_token: &str,
    now: DateTime<Utc>,
) -> Result<IdClaims, ServiceError> {
    let refuse = |why: &str| {
        tracing::warn!(reason = why, "single sign-on refused: the ID token did not verify");
        failed(
            "the identity provider's answer could not be verified; start again, and if it persists ask your administrator",
        )
    };
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| refuse("malformed"))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(refuse("algorithm not accepted"));
    }
    let key = auth.sso.signing_key(&provider.issuer, header.kid.as_deref()).await.map_err(provider_failed)?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[&provider.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 60;
    // `exp` is checked against the server's clock below, not the system's, so tests can move it.
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<serde_json::Value>(id_token, &key, &validation).map_err(|e| {
        tracing::warn!(error.message = %e, "ID token refused");
        refuse("signature or claims")
    })?;
    let exp = data.claims.get("exp").and_then(serde_json::Value::as_i64).ok_or_else(|| refuse("no exp"))?;
    if exp + i64::try_from(validation.leeway).unwrap_or(0) < now.timestamp() {
        return Err(refuse("expired"));
    }
    serde_json::from_value(data.claims).map_err(|_| refuse("claims of the wrong type"))
}

/// The account for `email`, made at its first sign-in, with a membership of the provider's
/// institution (given the provider's first-time role if it had none).
async fn member(
    db: &Db,
    provider: &sso_provider::Model,
    email: Email,
    name: Option<String>,
) -> Result<user::Model, ServiceError> {
    let now = db.now();
    let institution_id = provider.institution_id;
    let txn = db.begin().await?;
    let user = match crate::users::service::find_by_email(&txn, &email).await? {
        Some(user) => user,
        None => {
            let name = name
                .map(|n| n.trim().chars().take(200).collect::<String>())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default().to_owned());
            let new = crate::users::service::NewUser {
                email,
                name,
                profession: None,
                password: Password::unguessable(),
                is_platform_admin: false,
            };
            let user = crate::users::service::insert(&txn, now, new, "email").await?;
            let subject = Subject { kind: "User", id: user.id };
            audit::record(
                &txn,
                now,
                AuditActor::user(user.id),
                Some(institution_id),
                "user.sso_create",
                subject,
            )
            .await?;
            user
        }
    };
    let joined = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .filter(membership::Column::InstitutionId.eq(institution_id))
        .one(&txn)
        .await?;
    if joined.is_none() {
        let role: Role = provider.first_time_role;
        let membership = crate::members::service::insert(&txn, now, user.id, institution_id, role).await?;
        let subject = Subject { kind: "Membership", id: membership.id };
        audit::record(
            &txn,
            now,
            AuditActor::user(user.id),
            Some(institution_id),
            "membership.sso_join",
            subject,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(user)
}
