use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::institution::{self, InstitutionKind as DbInstitutionKind, Nation as DbNation};

use crate::api_tokens::graphql::ApiToken;
use crate::audit::graphql::AuditEvent;
use crate::graphql::{
    GlobalId, GqlResult, Instant, NodeKind, Paged, UserError, actor, connection, outcome, page_request,
    request,
};
use crate::members::graphql::{Invitation, Membership};
use crate::{institutions::service, mirror_enum};

mirror_enum! {
    /// What sort of organisation an institution is.
    InstitutionKind <=> DbInstitutionKind {
        /// A royal college: may lead projects (bidding them into programmes) and adopt shared
        /// results as new projects.
        RoyalCollege,
        /// A professional body: may lead projects (bidding them into programmes) and adopt shared
        /// results as new projects.
        ProfessionalBody,
        /// A hospital or other site where projects run.
        HostInstitution,
        /// Runs programmes and decides funding.
        Funder,
    }
}

mirror_enum! {
    /// The UK nation an institution belongs to.
    Nation <=> DbNation {
        /// England.
        England,
        /// Scotland.
        Scotland,
        /// Wales.
        Wales,
        /// Northern Ireland.
        NorthernIreland,
    }
}

/// An organisation taking part: the unit of tenancy.
pub struct Institution(pub institution::Model);

/// An organisation taking part: the unit of tenancy.
#[Object]
impl Institution {
    /// The institution's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Institution, self.0.id)
    }
    /// The institution's name (at most 200 characters).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// URL-safe handle, unique across the platform.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// What sort of organisation it is; set when the institution is created and never changed.
    async fn kind(&self) -> InstitutionKind {
        self.0.kind.into()
    }
    /// The UK nation it belongs to.
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
    /// When the institution was created (UTC).
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }

    /// The institution's members. Readable by those acting within the institution.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many items from the start (1–100, default 20); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor (`pageInfo.endCursor` or an edge's `cursor`).")]
        after: Option<String>,
        #[graphql(desc = "At most this many items from the end (1–100); not together with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor (`pageInfo.startCursor` or an edge's `cursor`).")]
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
        #[graphql(desc = "At most this many items from the start (1–100, default 20); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor (`pageInfo.endCursor` or an edge's `cursor`).")]
        after: Option<String>,
        #[graphql(desc = "At most this many items from the end (1–100); not together with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor (`pageInfo.startCursor` or an edge's `cursor`).")]
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
        #[graphql(desc = "At most this many items from the start (1–100, default 20); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor (`pageInfo.endCursor` or an edge's `cursor`).")]
        after: Option<String>,
        #[graphql(desc = "At most this many items from the end (1–100); not together with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor (`pageInfo.startCursor` or an edge's `cursor`).")]
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
        #[graphql(desc = "At most this many items from the start (1–100, default 20); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor (`pageInfo.endCursor` or an edge's `cursor`).")]
        after: Option<String>,
        #[graphql(desc = "At most this many items from the end (1–100); not together with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor (`pageInfo.startCursor` or an edge's `cursor`).")]
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
    async fn institution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution's global ID (`Institution.id`).")] id: ID,
    ) -> async_graphql::Result<Option<Institution>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let id = GlobalId::require(&id, NodeKind::Institution, "id").gql(ctx)?;
        Ok(service::get(db, actor, id).await.gql(ctx)?.map(Institution))
    }

    /// Institutions you belong to (all of them, for platform admins).
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn institutions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many items from the start (1–100, default 20); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor (`pageInfo.endCursor` or an edge's `cursor`).")]
        after: Option<String>,
        #[graphql(desc = "At most this many items from the end (1–100); not together with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor (`pageInfo.startCursor` or an edge's `cursor`).")]
        before: Option<String>,
    ) -> async_graphql::Result<Paged<Institution>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let page = page_request(first, after, last, before).gql(ctx)?;
        service::list(db, actor, &page).await.gql(ctx).map(|p| connection(p, Institution))
    }
}

/// A new institution and its first admin, for `createInstitution`.
#[derive(InputObject)]
pub struct CreateInstitutionInput {
    /// Its name: required, at most 200 characters.
    pub name: String,
    /// A URL-safe handle, unique across the platform: 2–64 lower-case letters, digits and single
    /// inner hyphens (`royal-college-of-physicians`).
    pub slug: String,
    /// What sort of organisation it is; it cannot be changed later.
    pub kind: InstitutionKind,
    /// The UK nation it belongs to.
    pub nation: Nation,
    /// An IANA time-zone name such as `Europe/London` (the default when left out) or
    /// `America/New_York`, written exactly as in the tz database.
    pub time_zone: Option<String>,
    /// Becomes the first admin: at once if the email has an account, else by invitation.
    pub first_admin_email: String,
}

/// What `createInstitution` returns: the new institution, and how its first admin joins it.
#[derive(SimpleObject)]
pub struct CreateInstitutionPayload {
    /// The new institution; null when `userErrors` is not empty.
    pub institution: Option<Institution>,
    /// Set when the first admin already had an account.
    pub membership: Option<Membership>,
    /// Set when the first admin has no account yet: pass `invitationToken` on to them.
    pub invitation: Option<Invitation>,
    /// Shown once; only a hash is kept.
    pub invitation_token: Option<String>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Changes to an institution, for `updateInstitution`; a field left out keeps its value.
#[derive(InputObject)]
pub struct UpdateInstitutionInput {
    /// The institution to change: the one you are acting in.
    pub id: ID,
    /// A new name: not blank, at most 200 characters.
    pub name: Option<String>,
    /// The UK nation it belongs to.
    pub nation: Option<Nation>,
    /// Require every member to sign in with a second factor (they enrol at their next
    /// sign-in). Turning it on needs the admin making the change to have one already.
    pub require_two_factor: Option<bool>,
    /// An IANA time-zone name such as `Europe/London`: from then on, its sites' periods end and
    /// begin by this calendar.
    pub time_zone: Option<String>,
}

/// What `updateInstitution` returns.
#[derive(SimpleObject)]
pub struct UpdateInstitutionPayload {
    /// The institution as changed; null when `userErrors` is not empty.
    pub institution: Option<Institution>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct InstitutionMutation;

#[Object]
impl InstitutionMutation {
    /// Platform admins only (signed in as themselves, not with an API token); anyone else gets a
    /// FORBIDDEN error. Creates the institution and makes `firstAdminEmail` its first ADMIN: at
    /// once if that email has an account, else by an emailed invitation. `userErrors`: REQUIRED
    /// and INVALID (`name`, `slug`, `firstAdminEmail`, `timeZone`), TAKEN (`slug`).
    async fn create_institution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new institution and its first admin.")] input: CreateInstitutionInput,
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
    /// sign-in. Only an ADMIN acting in the institution (a person, not an API token); other
    /// members, and platform admins acting elsewhere, get a FORBIDDEN error. `userErrors`:
    /// NOT_FOUND (`id`, an institution you do not belong to), INVALID (`id` of another kind, a
    /// name over 200 characters, an unknown `timeZone`), REQUIRED (a blank name or time zone),
    /// NOT_ALLOWED_IN_STATUS (`requireTwoFactor` turned on by an admin without a second factor).
    async fn update_institution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution and the changes to make.")] input: UpdateInstitutionInput,
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

impl InstitutionProfile {
    /// The institution a row refers to. Institutions are never deleted and every caller may read
    /// the directory, so a reference that finds none is a broken row, reported as internal.
    pub async fn referenced(ctx: &async_graphql::Context<'_>, id: uuid::Uuid) -> async_graphql::Result<Self> {
        use crate::graphql::GqlResult;
        crate::graphql::load_one::<crate::institutions::service::Directory>(ctx, id)
            .await?
            .map(InstitutionProfile)
            .ok_or_else(|| {
                crate::error::ServiceError::internal(std::io::Error::other(format!(
                    "institution {id} is referenced but missing"
                )))
            })
            .gql(ctx)
    }
}

/// The public face of an institution, seen across tenants: enough to choose a site or a partner,
/// nothing of its members or settings.
#[Object]
impl InstitutionProfile {
    /// The institution's global ID (`node` resolves it only for its own members).
    async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Institution, self.0.id)
    }
    /// The institution's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// URL-safe handle, unique across the platform.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// What sort of organisation it is.
    async fn kind(&self) -> InstitutionKind {
        self.0.kind.into()
    }
    /// The UK nation it belongs to.
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
        #[graphql(desc = "Only institutions of this kind (such as FUNDER); of every kind when left out.")]
        kind: Option<InstitutionKind>,
        #[graphql(desc = "Only names containing this text, ignoring case (at most 200 characters).")]
        name_contains: Option<String>,
        #[graphql(desc = "At most this many items from the start (1–100, default 20); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor (`pageInfo.endCursor` or an edge's `cursor`).")]
        after: Option<String>,
        #[graphql(desc = "At most this many items from the end (1–100); not together with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor (`pageInfo.startCursor` or an edge's `cursor`).")]
        before: Option<String>,
    ) -> async_graphql::Result<Paged<InstitutionProfile>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let page = page_request(first, after, last, before).gql(ctx)?;
        let found =
            service::directory(db, actor, kind.map(Into::into), name_contains.as_deref(), &page).await;
        found.gql(ctx).map(|p| connection(p, InstitutionProfile))
    }
}
