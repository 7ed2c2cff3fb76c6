use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use super::gate::Shortfall;
use super::service::{self, Decision};
use crate::assessments::dimension::CapacityDimension;
use crate::error::UserErrorCode;
use crate::graphql::{Date, GlobalId, NodeKind, actor, outcome, request};
use crate::institutions::graphql::InstitutionProfile;
use crate::projects::graphql::{Project, ProjectRole, ProjectSite};
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

/// One thing that would stop funding today, with the figures behind it, so that a front end can
/// show "scores 1 where 2 are needed" without reading the message. Figures are filled in where
/// they apply to `code` and the caller may read them: another institution's scores and dates stay
/// hidden (that site's shortfall is CAPACITY_SHORTFALL, without them).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FundingShortfall {
    /// What falls short: NO_ACCEPTED_SITE, ASSESSMENT_MISSING, ASSESSMENT_EXPIRED,
    /// SCORE_BELOW_MINIMUM, CAPACITY_SHORTFALL, ROLE_MISSING, HOURS_BELOW_MINIMUM,
    /// MONITORING_BURDEN_ABOVE_CAPACITY, or NOT_ELIGIBLE for a project outside a programme.
    pub code: UserErrorCode,
    /// The same shortfall in a sentence, as `failures` gives it.
    pub message: String,
    /// The site concerned, for a site's shortfall.
    pub site_id: Option<ID>,
    /// That site's host institution.
    pub institution_id: Option<ID>,
    /// The capacity dimension below the programme's minimum (SCORE_BELOW_MINIMUM).
    pub dimension: Option<CapacityDimension>,
    /// The site's score on that dimension, 0–4.
    pub score: Option<i32>,
    /// The programme's minimum on that dimension, 0–4.
    pub minimum: Option<i32>,
    /// When the assessment that counts was made (ASSESSMENT_EXPIRED, SCORE_BELOW_MINIMUM).
    pub assessed_on: Option<Date>,
    /// The last day that assessment counts, under the programme's maximum age.
    pub valid_until: Option<Date>,
    /// For ROLE_MISSING, the roles any one of which would fill the gap; empty otherwise.
    pub roles: Vec<ProjectRole>,
    /// Hours a week: the team's committed hours (HOURS_BELOW_MINIMUM) or the monitoring
    /// forecast (MONITORING_BURDEN_ABOVE_CAPACITY).
    pub hours_per_week: Option<f64>,
    /// Hours a week the programme requires at least (HOURS_BELOW_MINIMUM) or allows at most for
    /// monitoring (MONITORING_BURDEN_ABOVE_CAPACITY).
    pub limit_hours_per_week: Option<f64>,
    #[graphql(skip)]
    pub site_uuid: Option<uuid::Uuid>,
    #[graphql(skip)]
    pub institution_uuid: Option<uuid::Uuid>,
}

#[async_graphql::ComplexObject]
impl FundingShortfall {
    /// The site concerned (`siteId` as an object); null as `siteId` is.
    async fn site(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProjectSite>> {
        let Some(id) = self.site_uuid else { return Ok(None) };
        ProjectSite::linked(ctx, id).await
    }
    /// That site's host institution (`institutionId` as an object).
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<InstitutionProfile>> {
        let Some(id) = self.institution_uuid else { return Ok(None) };
        InstitutionProfile::referenced(ctx, id).await.map(Some)
    }
}

impl From<Shortfall> for FundingShortfall {
    fn from(s: Shortfall) -> Self {
        Self {
            code: s.error.code,
            message: s.error.message,
            site_id: s.site_id.map(|id| GlobalId::encode(NodeKind::ProjectSite, id)),
            institution_id: s.institution_id.map(|id| GlobalId::encode(NodeKind::Institution, id)),
            dimension: s.dimension,
            score: s.score,
            minimum: s.minimum,
            assessed_on: s.assessed_on.map(Into::into),
            valid_until: s.valid_until.map(Into::into),
            roles: s.roles.into_iter().map(Into::into).collect(),
            hours_per_week: s.hours,
            limit_hours_per_week: s.required_hours,
            site_uuid: s.site_id,
            institution_uuid: s.institution_id,
        }
    }
}
