//! The Relay `Node` interface and `node(id:)`: every object reachable by its global ID, through
//! the same visibility rules as everywhere else.

use async_graphql::{Context, ID, Interface, Object};

use crate::actor::Actor;
use crate::api_tokens::graphql::ApiToken;
use crate::api_tokens::service as api_tokens;
use crate::assessments::graphql::CapacityAssessment;
use crate::assessments::service as assessments;
use crate::audit::graphql::AuditEvent;
use crate::audit::service as audit;
use crate::commitments::graphql::Commitment;
use crate::commitments::service as commitments;
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};
use crate::graphql::{GlobalId, GqlResult, NodeKind, actor, request};
use crate::institutions::graphql::Institution;
use crate::institutions::service as institutions;
use crate::measures::graphql::Measure;
use crate::measures::service as measures;
use crate::members::graphql::{Invitation, Membership};
use crate::members::{invitations, service as members};
use crate::programmes::graphql::Programme;
use crate::programmes::service as programmes;
use crate::projects::graphql::{Project, ProjectSite, TeamMember};
use crate::projects::{service as projects, sites};
use crate::results::graphql::SharedResult;
use crate::users::graphql::User;
use crate::users::service as users;

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

async fn resolve(db: &Db, actor: &Actor, raw: &ID) -> Result<Option<Node>, ServiceError> {
    let GlobalId { kind, id } = GlobalId::decode(raw)
        .ok_or_else(|| ServiceError::invalid("id", UserErrorCode::Invalid, "not a valid ID"))?;
    Ok(match kind {
        NodeKind::Institution => {
            institutions::get(db, actor, id).await?.map(|m| Node::Institution(Institution(m)))
        }
        NodeKind::User => users::get(db, actor, id).await?.map(|m| Node::User(User(m))),
        NodeKind::Membership => members::get(db, actor, id).await?.map(|m| Node::Membership(Membership(m))),
        NodeKind::Invitation => {
            invitations::get(db, actor, id).await?.map(|m| Node::Invitation(Invitation(m)))
        }
        NodeKind::ApiToken => api_tokens::get(db, actor, id).await?.map(|m| Node::ApiToken(ApiToken(m))),
        NodeKind::AuditEvent => audit::get(db, actor, id).await?.map(|m| Node::AuditEvent(AuditEvent(m))),
        NodeKind::Programme => programmes::get(db, actor, id).await?.map(|m| Node::Programme(Programme(m))),
        NodeKind::Project => projects::get(db, actor, id).await?.map(|m| Node::Project(Project(m))),
        NodeKind::ProjectSite => {
            sites::get(db, actor, id).await?.map(|(m, _)| Node::ProjectSite(ProjectSite(m)))
        }
        NodeKind::TeamMember => team_member(db, actor, id).await?.map(|m| Node::TeamMember(TeamMember(m))),
        NodeKind::Commitment => {
            commitments::get(db, actor, id).await?.map(|m| Node::Commitment(Commitment(m)))
        }
        NodeKind::Measure => measures::get(db, actor, id).await?.map(|m| Node::Measure(Measure(m))),
        NodeKind::SharedResult => {
            crate::results::service::get(db, actor, id).await?.map(|m| Node::SharedResult(SharedResult(m)))
        }
        NodeKind::CapacityAssessment => {
            assessments::get(db, actor, id).await?.map(|m| Node::CapacityAssessment(CapacityAssessment(m)))
        }
    })
}

/// A team member is visible with its project.
async fn team_member(
    db: &Db,
    actor: &Actor,
    id: uuid::Uuid,
) -> Result<Option<entity::team_member::Model>, ServiceError> {
    use sea_orm::EntityTrait;
    let Some(member) = entity::team_member::Entity::find_by_id(id).one(db.conn()).await? else {
        return Ok(None);
    };
    Ok(projects::get(db, actor, member.project_id).await?.map(|_| member))
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this ID, or null if it does not exist or is not visible to you.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        resolve(db, actor, &id).await.gql(ctx)
    }

    /// Several objects by ID, in order; null for each that does not exist or is hidden.
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> async_graphql::Result<Vec<Option<Node>>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        if ids.len() > MAX_NODES {
            return Err(ServiceError::invalid(
                "ids",
                UserErrorCode::Invalid,
                format!("at most {MAX_NODES} IDs"),
            ))
            .gql(ctx);
        }
        let mut nodes = Vec::with_capacity(ids.len());
        for id in &ids {
            nodes.push(resolve(db, actor, id).await.gql(ctx)?);
        }
        Ok(nodes)
    }
}
