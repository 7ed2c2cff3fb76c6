use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::commitment::{self, CommitmentKind as DbCommitmentKind, CommitmentStatus as DbCommitmentStatus};

use super::service;
use crate::graphql::{GlobalId, GqlResult, NodeKind, UserError, actor, outcome, request};
use crate::institutions::graphql::InstitutionProfile;
use crate::mirror_enum;

mirror_enum! {
    /// What a royal college or professional body gives.
    CommitmentKind <=> DbCommitmentKind { Leadership, Legitimacy, OrganisationalSupport, ProfessionalTraining }
}

mirror_enum! {
    CommitmentStatus <=> DbCommitmentStatus { Offered, Confirmed, Withdrawn }
}

/// A leadership role an institution takes on for a project or a programme.
pub struct Commitment(pub commitment::Model);

#[Object]
impl Commitment {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Commitment, self.0.id)
    }
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<InstitutionProfile>> {
        let loaded =
            crate::graphql::load_one::<crate::institutions::service::Directory>(ctx, self.0.institution_id)
                .await?;
        Ok(loaded.map(InstitutionProfile))
    }
    async fn project_id(&self) -> Option<ID> {
        self.0.project_id.map(|id| GlobalId::encode(NodeKind::Project, id))
    }
    async fn programme_id(&self) -> Option<ID> {
        self.0.programme_id.map(|id| GlobalId::encode(NodeKind::Programme, id))
    }
    async fn kind(&self) -> CommitmentKind {
        self.0.kind.into()
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn status(&self) -> CommitmentStatus {
        self.0.status.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject)]
pub struct RecordCommitmentInput {
    /// Name a project or a programme, not both.
    pub project_id: Option<ID>,
    pub programme_id: Option<ID>,
    pub kind: CommitmentKind,
    pub description: String,
}

#[derive(InputObject)]
pub struct UpdateCommitmentInput {
    pub id: ID,
    pub description: Option<String>,
    pub status: Option<CommitmentStatus>,
}

#[derive(SimpleObject)]
pub struct CommitmentPayload {
    pub commitment: Option<Commitment>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct CommitmentQuery;

#[Object]
impl CommitmentQuery {
    /// Everything your institution has committed, wherever.
    async fn my_commitments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Commitment>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let Some(active) = actor.institution else { return Ok(Vec::new()) };
        let rows = service::list(db, actor, service::Target::Institution(active.id)).await.gql(ctx)?;
        Ok(rows.into_iter().map(Commitment).collect())
    }
}

#[derive(Default)]
pub struct CommitmentMutation;

#[Object]
impl CommitmentMutation {
    /// A royal college's or professional body's ADMIN or MEMBER records what it offers.
    async fn record_commitment(
        &self,
        ctx: &Context<'_>,
        input: RecordCommitmentInput,
    ) -> async_graphql::Result<CommitmentPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let ids = input
            .project_id
            .as_ref()
            .map(|id| GlobalId::require(id, NodeKind::Project, "projectId"))
            .transpose()
            .and_then(|p| {
                let programme = input
                    .programme_id
                    .as_ref()
                    .map(|id| GlobalId::require(id, NodeKind::Programme, "programmeId"))
                    .transpose()?;
                Ok((p, programme))
            });
        let result = match ids {
            Ok((project_id, programme_id)) => {
                service::record(db, actor, project_id, programme_id, input.kind.into(), &input.description)
                    .await
            }
            Err(e) => Err(e),
        };
        let (commitment, user_errors) = outcome(ctx, result)?;
        Ok(CommitmentPayload { commitment: commitment.map(Commitment), user_errors })
    }

    /// The committing institution changes its description or status.
    async fn update_commitment(
        &self,
        ctx: &Context<'_>,
        input: UpdateCommitmentInput,
    ) -> async_graphql::Result<CommitmentPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::Commitment, "id") {
            Ok(id) => {
                service::update(db, actor, id, input.description.as_deref(), input.status.map(Into::into))
                    .await
            }
            Err(e) => Err(e),
        };
        let (commitment, user_errors) = outcome(ctx, result)?;
        Ok(CommitmentPayload { commitment: commitment.map(Commitment), user_errors })
    }
}
