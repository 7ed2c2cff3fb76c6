use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::sso_provider;

use crate::graphql::context::auth;
use crate::graphql::{GlobalId, GqlResult, Instant, NodeKind, UserError, actor, outcome, request};
use crate::identity::graphql::SessionPayload;
use crate::members::graphql::Role;
use crate::sso::{flow, providers};

/// An institution's identity provider, as its admins see it. The client secret is never shown.
#[derive(SimpleObject)]
pub struct SingleSignOn {
    /// The provider's issuer URL; its discovery document is at `/.well-known/openid-configuration`.
    pub issuer: String,
    /// The client ID the provider issued for Springboard.
    pub client_id: String,
    /// Only addresses in these domains may sign in this way, or be given an account at their
    /// first sign-in.
    pub allowed_email_domains: Vec<String>,
    /// The role a person gets in the institution at their first sign-in.
    pub first_time_role: Role,
    /// Where the provider sends the person back: register this exact URL with the provider.
    pub redirect_uri: String,
    /// Members may sign in only this way: a password sign-in is refused with `SSO_REQUIRED`.
    pub required: bool,
    /// When the settings were last saved (UTC).
    pub updated_at: Instant,
}

impl From<sso_provider::Model> for SingleSignOn {
    fn from(m: sso_provider::Model) -> Self {
        Self {
            issuer: m.issuer,
            client_id: m.client_id,
            allowed_email_domains: m.allowed_domains.split(',').map(str::to_owned).collect(),
            first_time_role: m.first_time_role.into(),
            redirect_uri: m.redirect_uri,
            required: m.required,
            updated_at: m.updated_at.into(),
        }
    }
}

/// An institution's identity provider settings (OpenID Connect).
#[derive(InputObject)]
pub struct ConfigureSingleSignOnInput {
    /// The institution to configure: the one you act within, as its admin.
    pub institution_id: ID,
    /// The provider's https issuer URL (for Entra ID, `https://login.microsoftonline.com/<tenant>/v2.0`).
    /// Its discovery document is fetched before anything is saved.
    pub issuer: String,
    /// The client ID the provider issued for Springboard; 1 to 300 characters.
    pub client_id: String,
    /// Required the first time; leave it out to keep the stored one. Stored sealed; never shown.
    pub client_secret: Option<String>,
    /// Email domains (`nhs.net`) whose addresses may sign in this way: 1 to 50.
    pub allowed_email_domains: Vec<String>,
    /// MEMBER or VIEWER (never ADMIN): the role given at a first sign-in.
    pub first_time_role: Role,
    /// The front end's callback that the provider redirects to; by default
    /// `<SPRINGBOARD_LINK_BASE_URL>/sso-callback`.
    pub redirect_uri: Option<String>,
    /// Refuse members' password sign-ins. Your own email domain must be allowed first.
    #[graphql(default = false)]
    pub required: bool,
}

/// The outcome of `configureSingleSignOn`.
#[derive(SimpleObject)]
pub struct ConfigureSingleSignOnPayload {
    /// The settings as saved; null on error.
    pub single_sign_on: Option<SingleSignOn>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The institution whose single sign-on to remove.
#[derive(InputObject)]
pub struct RemoveSingleSignOnInput {
    /// The institution you act within, as its admin.
    pub institution_id: ID,
}

/// The outcome of `removeSingleSignOn`.
#[derive(SimpleObject)]
pub struct RemoveSingleSignOnPayload {
    /// True when the settings were deleted.
    pub removed: bool,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The institution to sign in to.
#[derive(InputObject)]
pub struct StartSingleSignOnInput {
    /// The institution's slug.
    pub institution: String,
}

/// Send the person's browser to `authorizationUrl`. The provider sends them back to the
/// institution's redirect URI with `code` and `state`; pass both to `completeSingleSignOn`
/// within ten minutes.
#[derive(SimpleObject)]
pub struct StartSingleSignOnPayload {
    /// The provider's sign-in page, with this attempt's parameters; null on error.
    pub authorization_url: Option<String>,
    /// Also in the URL; a front end may keep it to check the callback's.
    pub state: Option<String>,
    /// When this attempt ends (UTC), ten minutes after it started; null on error.
    pub expires_at: Option<Instant>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// What the identity provider sent back to the front end's callback.
#[derive(InputObject)]
pub struct CompleteSingleSignOnInput {
    /// The `state` parameter of the callback: single use.
    pub state: String,
    /// The `code` parameter of the callback.
    pub code: String,
}

#[derive(Default)]
pub struct SingleSignOnQuery;

#[Object]
impl SingleSignOnQuery {
    /// The institution's identity provider settings, for its admins acting within it; null if
    /// it has none.
    async fn single_sign_on(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution's ID: the one you act within (`FORBIDDEN` otherwise).")]
        institution_id: ID,
    ) -> async_graphql::Result<Option<SingleSignOn>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let id = GlobalId::require(&institution_id, NodeKind::Institution, "institutionId").gql(ctx)?;
        Ok(providers::get(db, actor, id).await.gql(ctx)?.map(Into::into))
    }
}

#[derive(Default)]
pub struct SingleSignOnMutation;

#[Object]
impl SingleSignOnMutation {
    /// The institution's admins set up (or change) its identity provider. Refused with
    /// `INVALID` on `issuer` if the provider's discovery document cannot be fetched or does not
    /// name that issuer. Its ADMINs acting within it only (`FORBIDDEN` otherwise, API tokens
    /// included); other `userErrors`: `INVALID`, `REQUIRED` (`clientSecret`, the first time),
    /// `NOT_ALLOWED_IN_STATUS` (`required` while your own email domain is not allowed).
    async fn configure_single_sign_on(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider's settings.")] input: ConfigureSingleSignOnInput,
    ) -> async_graphql::Result<ConfigureSingleSignOnPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.institution_id, NodeKind::Institution, "institutionId") {
            Ok(institution_id) => {
                let input = providers::ProviderInput {
                    institution_id,
                    issuer: input.issuer,
                    client_id: input.client_id,
                    client_secret: input.client_secret,
                    allowed_email_domains: input.allowed_email_domains,
                    first_time_role: input.first_time_role.into(),
                    redirect_uri: input.redirect_uri,
                    required: input.required,
                };
                providers::configure(db, auth(ctx)?, actor, input).await
            }
            Err(e) => Err(e),
        };
        let (saved, user_errors) = outcome(ctx, result)?;
        Ok(ConfigureSingleSignOnPayload { single_sign_on: saved.map(Into::into), user_errors })
    }

    /// The institution's admins stop single sign-on; members sign in with passwords again
    /// (those made at a first sign-in reset theirs first). Its ADMINs acting within it only
    /// (`FORBIDDEN` otherwise); `NOT_FOUND` if it has no provider, `INVALID` for a malformed ID.
    async fn remove_single_sign_on(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution whose provider to remove.")] input: RemoveSingleSignOnInput,
    ) -> async_graphql::Result<RemoveSingleSignOnPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.institution_id, NodeKind::Institution, "institutionId") {
            Ok(id) => providers::remove(db, actor, id).await,
            Err(e) => Err(e),
        };
        let (done, user_errors) = outcome(ctx, result)?;
        Ok(RemoveSingleSignOnPayload { removed: done.is_some(), user_errors })
    }

    /// Signed out: begins a sign-in through the institution's identity provider. At most 600
    /// per client address per 10 minutes (`TOO_MANY_ATTEMPTS`). `NOT_FOUND` if no institution
    /// with that slug offers single sign-on; `SSO_FAILED` if its provider cannot be reached.
    async fn start_single_sign_on(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution's slug.")] input: StartSingleSignOnInput,
    ) -> async_graphql::Result<StartSingleSignOnPayload> {
        let request = request(ctx)?;
        let result = flow::start(&request.db, auth(ctx)?, &input.institution, request.client_address).await;
        let (started, user_errors) = outcome(ctx, result)?;
        Ok(match started {
            Some(s) => StartSingleSignOnPayload {
                authorization_url: Some(s.authorization_url),
                state: Some(s.state),
                expires_at: Some(s.expires_at.into()),
                user_errors,
            },
            None => StartSingleSignOnPayload {
                authorization_url: None,
                state: None,
                expires_at: None,
                user_errors,
            },
        })
    }

    /// Finishes a sign-in through the identity provider with the callback's `state` and `code`:
    /// the same `tokens` as `signIn` (or its `challenge`, for a platform admin or an institution
    /// that also requires Springboard's own second factor). `SSO_FAILED` if the provider's answer
    /// cannot be used, `NOT_ELIGIBLE` for an email domain the institution does not allow,
    /// `INVALID_TOKEN` for a `state` that is unknown, expired or already used. No credentials needed.
    async fn complete_single_sign_on(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The callback's `state` and `code`.")] input: CompleteSingleSignOnInput,
    ) -> async_graphql::Result<SessionPayload> {
        let db = &request(ctx)?.db;
        let result = flow::complete(db, auth(ctx)?, &input.state, &input.code).await;
        Ok(SessionPayload::of(outcome(ctx, result)?))
    }
}
