//! The Relay `Node` interface and `node(id:)`: every object reachable by its global ID, through
//! the same visibility rules as everywhere else.

use async_graphql::{Context, ID, Interface, Object};

use crate::api_tokens::graphql::ApiToken;
use crate::api_tokens::service::VisibleApiTokens;
use crate::assessments::graphql::CapacityAssessment;
use crate::assessments::service::VisibleAssessments;
use crate::audit::graphql::AuditEvent;
use crate::audit::service::VisibleAuditEvents;
use crate::commitments::graphql::Commitment;
use crate::commitments::service::VisibleCommitments;
use crate::error::{ServiceError, UserErrorCode};
use crate::graphql::{GlobalId, GqlResult, NodeKind, actor, load_one};
use crate::institutions::graphql::Institution;
use crate::institutions::service::VisibleInstitutions;
use crate::measures::graphql::Measure;
use crate::measures::scopes::VisibleMeasures;
use crate::members::graphql::{Invitation, Membership};
use crate::members::invitations::VisibleInvitations;
use crate::members::service::VisibleMemberships;
use crate::programmes::graphql::Programme;
use crate::programmes::service::VisibleProgrammes;
use crate::projects::graphql::{Project, ProjectSite, TeamMember};
use crate::projects::scopes::{VisibleProjects, VisibleSites, VisibleTeamMembers};
use crate::results::graphql::SharedResult;
use crate::results::scopes::VisibleResults;
use crate::users::graphql::User;
use crate::users::service::VisibleUsers;

pub const MAX_NODES: usize = 100;

/// An object with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global ID."))]
pub enum Node {
    Institution(Institution),
    User(User),
    Membership(Membership),
    Invitation(Invitation),
    ApiToken(ApiToken),
    AuditEvent(AuditEvent),
    Programme(Programme),
    Project(Project),
    ProjectSite(ProjectSite),
    TeamMember(TeamMember),
    Commitment(Commitment),
    CapacityAssessment(CapacityAssessment),
    Measure(Measure),
    SharedResult(SharedResult),
}

/// Every kind is read through its scope's batch loader, so a hidden object and a missing one
/// take the same path, and `nodes` costs one statement per kind asked for.
async fn resolve(ctx: &Context<'_>, raw: &ID) -> async_graphql::Result<Option<Node>> {
    let GlobalId { kind, id } = GlobalId::decode(raw)
        .ok_or_else(|| ServiceError::invalid("id", UserErrorCode::Invalid, "not a valid ID"))
        .gql(ctx)?;
    Ok(match kind {
        NodeKind::Institution => {
            load_one::<VisibleInstitutions>(ctx, id).await?.map(|m| Node::Institution(Institution(m)))
        }
        NodeKind::User => load_one::<VisibleUsers>(ctx, id).await?.map(|m| Node::User(User::from(m))),
        NodeKind::Membership => {
            load_one::<VisibleMemberships>(ctx, id).await?.map(|m| Node::Membership(Membership::of(m)))
        }
        NodeKind::Invitation => {
            load_one::<VisibleInvitations>(ctx, id).await?.map(|m| Node::Invitation(Invitation(m)))
        }
        NodeKind::ApiToken => {
            load_one::<VisibleApiTokens>(ctx, id).await?.map(|m| Node::ApiToken(ApiToken(m)))
        }
        NodeKind::AuditEvent => {
            load_one::<VisibleAuditEvents>(ctx, id).await?.map(|m| Node::AuditEvent(AuditEvent(m)))
        }
        NodeKind::Programme => {
            load_one::<VisibleProgrammes>(ctx, id).await?.map(|m| Node::Programme(Programme(m)))
        }
        NodeKind::Project => load_one::<VisibleProjects>(ctx, id).await?.map(|m| Node::Project(Project(m))),
        NodeKind::ProjectSite => {
            load_one::<VisibleSites>(ctx, id).await?.map(|m| Node::ProjectSite(ProjectSite(m)))
        }
        NodeKind::TeamMember => {
            load_one::<VisibleTeamMembers>(ctx, id).await?.map(|m| Node::TeamMember(TeamMember(m)))
        }
        NodeKind::Commitment => {
            load_one::<VisibleCommitments>(ctx, id).await?.map(|m| Node::Commitment(Commitment(m)))
        }
        NodeKind::Measure => load_one::<VisibleMeasures>(ctx, id).await?.map(|m| Node::Measure(Measure(m))),
        NodeKind::SharedResult => {
            load_one::<VisibleResults>(ctx, id).await?.map(|m| Node::SharedResult(SharedResult(m)))
        }
        NodeKind::CapacityAssessment => load_one::<VisibleAssessments>(ctx, id)
            .await?
            .map(|m| Node::CapacityAssessment(CapacityAssessment(m))),
    })
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this ID, or null if it does not exist or is not visible to you.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID, as any object's `id` field gives it.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        actor(ctx)?;
        resolve(ctx, &id).await
    }

    /// Several objects by ID, in order; null for each that does not exist or is hidden.
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global IDs, at most 100; the answer keeps their order.")] ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        actor(ctx)?;
        if ids.len() > MAX_NODES {
            return Err(ServiceError::invalid(
                "ids",
                UserErrorCode::Invalid,
                format!("at most {MAX_NODES} IDs"),
            ))
            .gql(ctx);
        }
        futures_util::future::try_join_all(ids.iter().map(|id| resolve(ctx, id))).await
    }

    /// The API's version, in semantic versioning: what each version changed, and the deprecation
    /// policy, are in the project's CHANGELOG.md. Answered without signing in.
    async fn api_version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
}
