use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::commitment::{self, CommitmentKind as DbCommitmentKind, CommitmentStatus as DbCommitmentStatus};

use super::service;
use crate::graphql::{GlobalId, GqlResult, Instant, NodeKind, UserError, actor, outcome, request};
use crate::institutions::graphql::InstitutionProfile;
use crate::mirror_enum;

mirror_enum! {
    /// What a royal college or professional body gives.
    CommitmentKind <=> DbCommitmentKind {
        /// Leadership of the work.
        Leadership,
        /// The institution's name and standing behind the work.
        Legitimacy,
        /// Organisational support for carrying out the work.
        OrganisationalSupport,
        /// Training for the professionals taking part.
        ProfessionalTraining,
    }
}

mirror_enum! {
    /// Where a commitment stands; the committing institution sets it.
    CommitmentStatus <=> DbCommitmentStatus {
        /// Offered: every commitment starts here.
        Offered,
        /// Confirmed by the committing institution.
        Confirmed,
        /// Withdrawn by the committing institution.
        Withdrawn,
    }
}

/// A leadership role an institution takes on for a project or a programme.
pub struct Commitment(pub commitment::Model);

/// A leadership role an institution takes on for a project or a programme.
#[Object]
impl Commitment {
    /// The commitment's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Commitment, self.0.id)
    }
    /// The royal college or professional body that makes the commitment.
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<InstitutionProfile> {
        InstitutionProfile::referenced(ctx, self.0.institution_id).await
    }
    /// The global ID of the project the commitment is made to; null when it is made to a
    /// programme.
    async fn project_id(&self) -> Option<ID> {
        self.0.project_id.map(|id| GlobalId::encode(NodeKind::Project, id))
    }
    /// The global ID of the programme the commitment is made to as a whole; null when it is made
    /// to a project.
    async fn programme_id(&self) -> Option<ID> {
        self.0.programme_id.map(|id| GlobalId::encode(NodeKind::Programme, id))
    }
    /// The project it is made to (`projectId` as an object), where you may see the project; null
    /// when it is made to a programme.
    async fn project(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::projects::graphql::Project>> {
        let Some(id) = self.0.project_id else { return Ok(None) };
        crate::projects::graphql::Project::linked(ctx, id).await
    }
    /// The programme it is made to (`programmeId` as an object), where you may see the
    /// programme; null when it is made to a project.
    async fn programme(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::programmes::graphql::Programme>> {
        let Some(id) = self.0.programme_id else { return Ok(None) };
        Ok(crate::graphql::load_one::<crate::programmes::service::VisibleProgrammes>(ctx, id)
            .await?
            .map(crate::programmes::graphql::Programme))
    }
    /// What the institution gives.
    async fn kind(&self) -> CommitmentKind {
        self.0.kind.into()
    }
    /// What exactly the institution gives, in its own words.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Where the commitment stands.
    async fn status(&self) -> CommitmentStatus {
        self.0.status.into()
    }
    /// When the commitment was recorded (UTC).
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
    /// When the commitment was last changed (UTC).
    async fn updated_at(&self) -> Instant {
        self.0.updated_at.into()
    }
}

/// What your institution commits, to one project or to one programme as a whole.
#[derive(InputObject)]
pub struct RecordCommitmentInput {
    /// Name a project or a programme, not both.
    pub project_id: Option<ID>,
    /// The programme to commit to as a whole; give this or `projectId`.
    pub programme_id: Option<ID>,
    /// What your institution gives.
    pub kind: CommitmentKind,
    /// What exactly it gives (at most 5,000 characters; not blank).
    pub description: String,
}

/// Changes to a commitment; fields left out keep their values.
#[derive(InputObject)]
pub struct UpdateCommitmentInput {
    /// The commitment's global ID.
    pub id: ID,
    /// A new description (at most 5,000 characters; not blank).
    pub description: Option<String>,
    /// A new status; any status may follow any other.
    pub status: Option<CommitmentStatus>,
}

/// The result of a mutation on a commitment.
#[derive(SimpleObject)]
pub struct CommitmentPayload {
    /// The commitment as it now is; null when the mutation failed.
    pub commitment: Option<Commitment>,
    /// Problems with the input; empty on success.
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
    /// A royal college's or professional body's ADMIN or MEMBER (or READ_WRITE API token) records
    /// what it offers a project (DRAFT, FUNDED or ACTIVE) or a programme it can see; it starts
    /// OFFERED. userErrors: NOT_FOUND, INVALID (neither or both targets named), REQUIRED,
    /// NOT_ALLOWED_IN_STATUS.
    async fn record_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project or programme, and what is committed.")] input: RecordCommitmentInput,
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

    /// The committing institution's ADMIN or MEMBER (or READ_WRITE API token) changes its
    /// description or status; one made to a project only while the project is DRAFT, FUNDED or
    /// ACTIVE. userErrors: NOT_FOUND, REQUIRED, INVALID, NOT_ALLOWED_IN_STATUS.
    async fn update_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The commitment and the changes.")] input: UpdateCommitmentInput,
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
