//! An institution's admins configure its identity provider. The provider's discovery document
//! is fetched before anything is saved, so a wrong issuer is found at once rather than at the
//! first member's sign-in. The client secret is sealed with the data key, bound to the
//! institution, and never read back out through the API.

use entity::membership::Role;
use entity::sso_provider;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use super::provider::{ProviderError, issuer_url};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, Problems, ServiceError, UserErrorCode};
use crate::identity::AuthConfig;

const MAX_DOMAINS: usize = 50;
/// The widths of the columns that keep them.
const MAX_URL_CHARS: usize = 500;
const MAX_DOMAINS_TEXT: usize = 2000;

pub struct ProviderInput {
    pub institution_id: Uuid,
    pub issuer: String,
    pub client_id: String,
    /// Required the first time; omitted later, the stored one is kept.
    pub client_secret: Option<String>,
    pub allowed_email_domains: Vec<String>,
    pub first_time_role: Role,
    pub redirect_uri: Option<String>,
    pub required: bool,
}

fn invalid(field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, UserErrorCode::Invalid, message)
}

/// Lower-cased domains, each a plausible DNS name.
fn domains(raw: &[String]) -> Result<Vec<String>, FieldError> {
    let field = "allowedEmailDomains";
    if raw.is_empty() || raw.len() > MAX_DOMAINS {
        return Err(invalid(field, format!("list between 1 and {MAX_DOMAINS} email domains")));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for domain in raw {
        let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if domain.len() > 253 || !domain.contains('.') || !domain.split('.').all(label_ok) {
            return Err(invalid(field, format!("`{domain}` is not an email domain such as nhs.net")));
        }
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    if out.join(",").len() > MAX_DOMAINS_TEXT {
        return Err(invalid(field, format!("at most {MAX_DOMAINS_TEXT} characters of domains in all")));
    }
    Ok(out)
}

fn provider_problem(e: &ProviderError) -> FieldError {
    let message = match e {
        ProviderError::InsecureIssuer(_) => {
            "must be the provider's https issuer URL (such as https://login.microsoftonline.com/<tenant>/v2.0)"
                .to_owned()
        }
        other => format!("the provider's discovery document could not be used: {other}"),
    };
    invalid("issuer", message)
}

pub async fn configure(
    db: &Db,
    auth: &AuthConfig,
    actor: &Actor,
    input: ProviderInput,
) -> Result<sso_provider::Model, ServiceError> {
    actor.require_acting_in(input.institution_id)?;
    actor.require_admin()?;
    let admin_id = actor.require_user()?;
    let db = &db.system();
    let existing = sso_provider::Entity::find_by_id(input.institution_id).one(db.conn()).await?;

    let mut problems = Problems::default();
    let issuer = input.issuer.trim().trim_end_matches('/').to_owned();
    if issuer.chars().count() > MAX_URL_CHARS {
        problems.push(invalid("issuer", format!("at most {MAX_URL_CHARS} characters")));
    } else if let Err(e) = issuer_url(&issuer) {
        problems.push(provider_problem(&e));
    }
    let client_id = input.client_id.trim().to_owned();
    if client_id.is_empty() || client_id.len() > 300 {
        problems.push(invalid("clientId", "between 1 and 300 characters"));
    }
    let secret = match (input.client_secret.as_deref().map(str::trim), &existing) {
        (Some(s), _) if !s.is_empty() && s.len() <= 1000 => Some(s.to_owned()),
        (Some(_), _) => {
            problems.push(invalid("clientSecret", "between 1 and 1000 characters"));
            None
        }
        (None, Some(_)) => None,
        (None, None) => {
            problems.push(FieldError::new(
                "clientSecret",
                UserErrorCode::Required,
                "required the first time",
            ));
            None
        }
    };
    let domains = problems.take(domains(&input.allowed_email_domains));
    if input.first_time_role == Role::Admin {
        problems
            .push(invalid("firstTimeRole", "a first sign-in may make a MEMBER or a VIEWER, never an ADMIN"));
    }
    let redirect_uri = match input.redirect_uri.as_deref().map(str::trim) {
        Some(uri) => uri.to_owned(),
        None => format!("{}/sso-callback", auth.mailer.link_base().trim_end_matches('/')),
    };
    match reqwest::Url::parse(&redirect_uri) {
        Ok(url)
            if matches!(url.scheme(), "https" | "http")
                && url.fragment().is_none()
                && redirect_uri.chars().count() <= MAX_URL_CHARS => {}
        _ => problems.push(invalid("redirectUri", "must be the front end's absolute http(s) callback URL")),
    }
    problems.into_result()?;
    let domains = domains.unwrap_or_default();
    if input.required {
        // The admin must keep a way in once passwords stop working for the institution.
        let admin = entity::user::Entity::find_by_id(admin_id)
            .one(db.conn())
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let own_domain = admin.email.rsplit_once('@').map(|(_, d)| d.to_owned()).unwrap_or_default();
        if !domains.contains(&own_domain) {
            return Err(ServiceError::invalid(
                "required",
                UserErrorCode::NotAllowedInStatus,
                format!(
                    "your own email domain ({own_domain}) must be allowed before single sign-on is required"
                ),
            ));
        }
    }
    auth.sso.discover(&issuer).await.map_err(|e| {
        tracing::info!(error.message = %e, "an identity provider's settings were refused");
        ServiceError::Invalid(vec![provider_problem(&e)])
    })?;

    let sealed = match secret {
        Some(secret) => auth
            .data_keys
            .seal(secret.as_bytes(), input.institution_id.as_bytes())
            .map_err(ServiceError::internal)?,
        None => existing.as_ref().map(|e| e.sealed_client_secret.clone()).unwrap_or_default(),
    };
    let now = db.now();
    let model = sso_provider::Model {
        institution_id: input.institution_id,
        issuer,
        client_id,
        sealed_client_secret: sealed,
        allowed_domains: domains.join(","),
        first_time_role: input.first_time_role,
        redirect_uri,
        required: input.required,
        created_at: existing.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
    };
    let txn = db.begin().await?;
    sso_provider::Entity::insert(sso_provider::ActiveModel {
        institution_id: Set(model.institution_id),
        issuer: Set(model.issuer.clone()),
        client_id: Set(model.client_id.clone()),
        sealed_client_secret: Set(model.sealed_client_secret.clone()),
        allowed_domains: Set(model.allowed_domains.clone()),
        first_time_role: Set(model.first_time_role),
        redirect_uri: Set(model.redirect_uri.clone()),
        required: Set(model.required),
        created_at: Set(model.created_at),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(sso_provider::Column::InstitutionId)
            .update_columns([
                sso_provider::Column::Issuer,
                sso_provider::Column::ClientId,
                sso_provider::Column::SealedClientSecret,
                sso_provider::Column::AllowedDomains,
                sso_provider::Column::FirstTimeRole,
                sso_provider::Column::RedirectUri,
                sso_provider::Column::Required,
                sso_provider::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let subject = Subject { kind: "Institution", id: model.institution_id };
    audit::record(&txn, now, actor.into(), Some(model.institution_id), "sso.configure", subject).await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn remove(db: &Db, actor: &Actor, institution_id: Uuid) -> Result<(), ServiceError> {
    actor.require_acting_in(institution_id)?;
    actor.require_admin()?;
    let db = &db.system();
    let now = db.now();
    let txn = db.begin().await?;
    let removed = sso_provider::Entity::delete_by_id(institution_id).exec(&txn).await?;
    if removed.rows_affected == 0 {
        return Err(ServiceError::NotFound { field: "institutionId" });
    }
    let subject = Subject { kind: "Institution", id: institution_id };
    audit::record(&txn, now, actor.into(), Some(institution_id), "sso.remove", subject).await?;
    txn.commit().await?;
    Ok(())
}

/// The institution's provider settings, for its admins.
pub async fn get(
    db: &Db,
    actor: &Actor,
    institution_id: Uuid,
) -> Result<Option<sso_provider::Model>, ServiceError> {
    actor.require_acting_in(institution_id)?;
    actor.require_admin()?;
    Ok(sso_provider::Entity::find_by_id(institution_id).one(db.system().conn()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_and_checked() {
        let list = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            domains(&list(&[" NHS.net", "@nhs.net", "trust.nhs.uk"])).unwrap(),
            vec!["nhs.net", "trust.nhs.uk"]
        );
        assert!(domains(&list(&[])).is_err());
        assert!(domains(&list(&["localhost"])).is_err());
        assert!(domains(&list(&["a b.org"])).is_err());
        assert!(domains(&list(&["x..org"])).is_err());
        let long: Vec<String> = (0..50).map(|i| format!("{}{i}.nhs.uk", "a".repeat(60))).collect();
        assert!(domains(&long).is_err(), "50 domains of 60-odd characters overflow the column");
    }
}
