use async_graphql::{Context, Enum, ID, InputObject, Object};

use super::service::{self, Decision};
use crate::graphql::{GlobalId, NodeKind, actor, outcome, request};
use crate::projects::graphql::Project;
use crate::projects::mutations::ProjectPayload;

/// The funder's decision on a SUBMITTED project.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FundingDecision {
    /// Fund the project, with an awarded budget, if it passes the funding gate.
    Funded,
    /// Decline the bid; final.
    Declined,
}

/// The funder's decision on a bid.
#[derive(InputObject)]
pub struct DecideFundingInput {
    /// The project's global ID.
    pub project_id: ID,
    /// Fund or decline.
    pub decision: FundingDecision,
    /// Whole pounds; required to fund.
    pub awarded_budget: Option<i64>,
}

#[derive(Default)]
pub struct FundingMutation;

#[Object]
impl FundingMutation {
    /// The programme's funder funds or declines a SUBMITTED project. Funding passes through the
    /// gate: a refusal lists, as userErrors, every site, dimension and role that falls short
    /// (the same list as `Project.fundingReadiness`). ADMIN or MEMBER, or a READ_WRITE API token;
    /// other userErrors: NOT_FOUND, INVALID_TRANSITION (not SUBMITTED), REQUIRED or INVALID
    /// (`awardedBudget`), CONFLICT.
    async fn decide_funding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project, the decision and the awarded budget.")] input: DecideFundingInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let decision = match input.decision {
            FundingDecision::Funded => Decision::Fund,
            FundingDecision::Declined => Decision::Decline,
        };
        let result = match GlobalId::require(&input.project_id, NodeKind::Project, "projectId") {
            Ok(id) => service::decide(db, actor, id, decision, input.awarded_budget).await,
            Err(e) => Err(e),
        };
        let (project, user_errors) = outcome(ctx, result)?;
        Ok(ProjectPayload { project: project.map(Project), user_errors })
    }
}
