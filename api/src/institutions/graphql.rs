use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::institution::{self, InstitutionKind as DbInstitutionKind, Nation as DbNation};

use crate::api_tokens::graphql::ApiToken;
use crate::audit::graphql::AuditEvent;
use crate::graphql::{
    GlobalId, GqlResult, NodeKind, Paged, UserError, actor, connection, outcome, page_request, request,
};
use crate::members::graphql::{Invitation, Membership};
use crate::{institutions::service, mirror_enum};

mirror_enum! {
    /// What sort of organisation an institution is.
    InstitutionKind <=> DbInstitutionKind {
        RoyalCollege,
        ProfessionalBody,
        /// A hospital or other site where projects run.
        HostInstitution,
        /// Runs programmes and decides funding.
        Funder,
    }
}

mirror_enum! {
    /// The UK nation an institution belongs to.
    Nation <=> DbNation { England, Scotland, Wales, NorthernIreland }
}

/// An organisation taking part: the unit of tenancy.
pub struct Institution(pub institution::Model);

#[Object]
impl Institution {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Institution, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// URL-safe handle, unique across the platform.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn kind(&self) -> InstitutionKind {
        self.0.kind.into()
    }
    async fn nation(&self) -> Nation {
        self.0.nation.into()
    }
    /// Whether members must sign in with a second factor. Those without one enrol at their next
    /// sign-in; sessions already open carry on.
    async fn require_two_factor(&self) -> bool {
        self.0.require_two_factor
    }
    /// The institution's time zone, an IANA name such as `Europe/London` (the default). Whether
    /// a period of its sites' data has ended, or has begun, is decided by the calendar here.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The institution's members. Readable by those acting within the institution.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Paged<Membership>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let page = page_request(first, after, last, before).gql(ctx)?;
        crate::members::service::list_for_institution(db, actor, self.0.id, &page)
            .await
            .gql(ctx)
            .map(|p| connection(p, Membership::of))
    }

    /// Invitations sent, newest last, whatever their state.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Paged<Invitation>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let page = page_request(first, after, last, before).gql(ctx)?;
        crate::members::invitations::list_for_institution(db, actor, self.0.id, &page)
            .await
            .gql(ctx)
            .map(|p| connection(p, Invitation))
    }

    /// API tokens, revoked ones included. Admins only.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Paged<ApiToken>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let page = page_request(first, after, last, before).gql(ctx)?;
        crate::api_tokens::service::list_for_institution(db, actor, self.0.id, &page)
            .await
            .gql(ctx)
            .map(|p| connection(p, ApiToken))
    }

    /// Every change made within the institution, oldest first (use `last` for the newest).
    /// Admins only.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Paged<AuditEvent>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let page = page_request(first, after, last, before).gql(ctx)?;
        crate::audit::service::list_for_institution(db, actor, self.0.id, &page)
            .await
            .gql(ctx)
            .map(|p| connection(p, AuditEvent))
    }
}

#[derive(Default)]
pub struct InstitutionQuery;

#[Object]
impl InstitutionQuery {
    /// An institution you belong to (or any, for platform admins); null otherwise.
    async fn institution(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Institution>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let id = GlobalId::require(&id, NodeKind::Institution, "id").gql(ctx)?;
        Ok(service::get(db, actor, id).await.gql(ctx)?.map(Institution))
    }

    /// Institutions you belong to (all of them, for platform admins).
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn institutions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Paged<Institution>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let page = page_request(first, after, last, before).gql(ctx)?;
        service::list(db, actor, &page).await.gql(ctx).map(|p| connection(p, Institution))
    }
}

#[derive(InputObject)]
pub struct CreateInstitutionInput {
    pub name: String,
    pub slug: String,
    pub kind: InstitutionKind,
    pub nation: Nation,
    /// An IANA time-zone name such as `Europe/London` (the default when left out) or
    /// `America/New_York`, written exactly as in the tz database.
    pub time_zone: Option<String>,
    /// Becomes the first admin: at once if the email has an account, else by invitation.
    pub first_admin_email: String,
}

#[derive(SimpleObject)]
pub struct CreateInstitutionPayload {
    pub institution: Option<Institution>,
    /// Set when the first admin already had an account.
    pub membership: Option<Membership>,
    /// Set when the first admin has no account yet: pass `invitationToken` on to them.
    pub invitation: Option<Invitation>,
    /// Shown once; only a hash is kept.
    pub invitation_token: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdateInstitutionInput {
    pub id: ID,
    pub name: Option<String>,
    pub nation: Option<Nation>,
    /// Require every member to sign in with a second factor (they enrol at their next
    /// sign-in). Turning it on needs the admin making the change to have one already.
    pub require_two_factor: Option<bool>,
    /// An IANA time-zone name such as `Europe/London`: from then on, its sites' periods end and
    /// begin by this calendar.
    pub time_zone: Option<String>,
}

#[derive(SimpleObject)]
pub struct UpdateInstitutionPayload {
    pub institution: Option<Institution>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct InstitutionMutation;

#[Object]
impl InstitutionMutation {
    /// Platform admins only.
    async fn create_institution(
        &self,
        ctx: &Context<'_>,
        input: CreateInstitutionInput,
    ) -> async_graphql::Result<CreateInstitutionPayload> {
        let (actor, db, auth) = (actor(ctx)?, &request(ctx)?.db, crate::graphql::context::auth(ctx)?);
        let new = service::NewInstitution {
            name: input.name,
            slug: input.slug,
            kind: input.kind.into(),
            nation: input.nation.into(),
            time_zone: input.time_zone,
            first_admin_email: input.first_admin_email,
        };
        let (created, user_errors) = outcome(ctx, service::create(db, auth, actor, new).await)?;
        let (institution, membership, invitation) = match created {
            Some(c) => (Some(c.institution), c.membership, c.invitation),
            None => (None, None, None),
        };
        Ok(CreateInstitutionPayload {
            institution: institution.map(Institution),
            membership: membership.map(Membership::of),
            invitation_token: invitation.as_ref().map(|i| i.token.clone()),
            invitation: invitation.map(|i| Invitation(i.invitation)),
            user_errors,
        })
    }

    /// The institution's admins rename it, correct its nation or time zone, or require two-factor
    /// sign-in.
    async fn update_institution(
        &self,
        ctx: &Context<'_>,
        input: UpdateInstitutionInput,
    ) -> async_graphql::Result<UpdateInstitutionPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::Institution, "id") {
            Ok(id) => {
                let changes = service::InstitutionChanges {
                    id,
                    name: input.name,
                    nation: input.nation.map(Into::into),
                    require_two_factor: input.require_two_factor,
                    time_zone: input.time_zone,
                };
                service::update(db, actor, changes).await
            }
            Err(e) => Err(e),
        };
        let (institution, user_errors) = outcome(ctx, result)?;
        Ok(UpdateInstitutionPayload { institution: institution.map(Institution), user_errors })
    }
}

/// The public face of an institution, seen across tenants: enough to choose a site or a partner,
/// nothing of its members or settings.
pub struct InstitutionProfile(pub institution::Model);

#[Object]
impl InstitutionProfile {
    /// The institution's global ID (`node` resolves it only for its own members).
    async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Institution, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn kind(&self) -> InstitutionKind {
        self.0.kind.into()
    }
    async fn nation(&self) -> Nation {
        self.0.nation.into()
    }
}

#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Every institution's public profile, for choosing host sites and partners; filter by kind
    /// and by a fragment of the name.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn institution_directory(
        &self,
        ctx: &Context<'_>,
        kind: Option<InstitutionKind>,
        name_contains: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Paged<InstitutionProfile>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let page = page_request(first, after, last, before).gql(ctx)?;
        let found =
            service::directory(db, actor, kind.map(Into::into), name_contains.as_deref(), &page).await;
        found.gql(ctx).map(|p| connection(p, InstitutionProfile))
    }
}
