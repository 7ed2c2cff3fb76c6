use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::programme;

use super::criteria::{self, FundingCriteria};
use super::service::{self, ProgrammeForm};
use crate::assessments::dimension::CapacityDimension;
use crate::commitments::graphql::Commitment;
use crate::commitments::service::CommitmentsOfProgramme;
use crate::graphql::{
    GlobalId, GqlResult, NodeKind, Paged, UserError, actor, compute, connection, load_children, load_one,
    load_page, outcome, page_request, request, shared_connection,
};
use crate::institutions::graphql::{InstitutionKind, InstitutionProfile};
use crate::measures::rollup;
use crate::projects::graphql::{Project, ProjectRole};
use crate::projects::scopes::ProjectsOfProgramme;
use crate::scope::Row;

/// A funding programme: a funder's call for QI projects, with the criteria a project must meet
/// to be funded.
pub struct Programme(pub programme::Model);

#[derive(SimpleObject)]
pub struct DimensionMinimum {
    pub dimension: CapacityDimension,
    pub minimum_score: i32,
}

/// What a project needs to be funded.
#[derive(SimpleObject)]
pub struct FundingCriteriaView {
    /// A minimum score (0–4) per capacity dimension, for every accepted site.
    pub minimum_scores: Vec<DimensionMinimum>,
    /// The oldest a site's assessment may be, in days, on the day funding is decided.
    pub max_assessment_age_days: i32,
    /// Each group needs at least one team member holding one of its roles.
    pub required_role_groups: Vec<Vec<ProjectRole>>,
    /// Committed hours per week across the team.
    pub minimum_weekly_hours: f64,
    /// The most of the team's committed hours a week that the forecast monitoring burden may
    /// take (0 to 1; a third by default); above it the gate says
    /// `MONITORING_BURDEN_ABOVE_CAPACITY`.
    pub max_monitoring_share: f64,
    /// Whether the project's lead may assess its own sites (otherwise only the funder does).
    pub lead_may_assess: bool,
}

impl From<FundingCriteria> for FundingCriteriaView {
    fn from(c: FundingCriteria) -> Self {
        Self {
            minimum_scores: CapacityDimension::ALL
                .into_iter()
                .map(|dimension| DimensionMinimum { dimension, minimum_score: c.minimum(dimension) })
                .collect(),
            max_assessment_age_days: c.max_assessment_age_days,
            required_role_groups: c
                .rule
                .role_groups
                .iter()
                .map(|g| g.iter().map(|r| (*r).into()).collect())
                .collect(),
            minimum_weekly_hours: c.rule.min_weekly_hours,
            max_monitoring_share: c.rule.max_monitoring_share,
            lead_may_assess: c.lead_may_assess,
        }
    }
}

#[Object(name = "Programme")]
impl Programme {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Programme, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn objectives(&self) -> &str {
        &self.0.objectives
    }
    async fn funder(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<InstitutionProfile>> {
        let funder = crate::graphql::load_one::<crate::institutions::service::Directory>(
            ctx,
            self.0.funder_institution_id,
        )
        .await?;
        Ok(funder.map(InstitutionProfile))
    }
    async fn bidding_opens_on(&self) -> NaiveDate {
        self.0.bidding_opens_on
    }
    async fn bidding_closes_on(&self) -> NaiveDate {
        self.0.bidding_closes_on
    }
    /// Open today (both days included).
    async fn is_bidding_open(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(service::is_bidding_open(&self.0, request(ctx)?.db.today()))
    }
    async fn eligible_bidder_kinds(&self) -> Vec<InstitutionKind> {
        criteria::decode_kinds(&self.0.eligible_bidder_kinds).into_iter().map(Into::into).collect()
    }
    async fn funding_criteria(&self) -> FundingCriteriaView {
        FundingCriteria::from_model(&self.0).into()
    }
    /// The programme's projects that you can see.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Paged<Project>> {
        let page = page_request(first, after, last, before).gql(ctx)?;
        let found = load_page::<ProjectsOfProgramme>(ctx, self.0.id, (), page).await?;
        Ok(shared_connection(&found, Project))
    }
    /// Leadership commitments made to the programme as a whole.
    async fn commitments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Commitment>> {
        let rows = load_children::<CommitmentsOfProgramme>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(Commitment).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// For the funder: projects by status, measurable improvement, engagement, barriers and
    /// published results.
    #[graphql(complexity = "crate::graphql::cost::PROGRAMME_EVALUATION")]
    async fn evaluation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<crate::results::graphql::ProgrammeEvaluation> {
        crate::results::graphql::programme_evaluation(ctx, &self.0).await
    }
    /// For the funder: how many funded projects show measurable improvement on an outcome
    /// measure.
    #[graphql(complexity = "crate::graphql::cost::PROGRAMME_IMPROVEMENT")]
    async fn improvement(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<crate::measures::graphql::ProgrammeImprovement> {
        rollup::require_funder(actor(ctx)?, &self.0).gql(ctx)?;
        let key = Row::new(self.0.id, self.0.clone());
        Ok(compute::<rollup::ProgrammeImprovements>(ctx, key).await?.unwrap_or_default().into())
    }
}

#[derive(Default)]
pub struct ProgrammeQuery;

#[Object]
impl ProgrammeQuery {
    /// A programme you fund or take part in, or any while it is open for bids.
    async fn programme(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Programme>> {
        let id = GlobalId::require(&id, NodeKind::Programme, "id").gql(ctx)?;
        Ok(load_one::<service::VisibleProgrammes>(ctx, id).await?.map(Programme))
    }

    /// Programmes you can see, oldest first; `openForBidding` narrows to those open (or not) today.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn programmes(
        &self,
        ctx: &Context<'_>,
        open_for_bidding: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Paged<Programme>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let page = page_request(first, after, last, before).gql(ctx)?;
        Ok(connection(service::list(db, actor, open_for_bidding, &page).await.gql(ctx)?, Programme))
    }
}

#[derive(InputObject)]
pub struct DimensionMinimumInput {
    pub dimension: CapacityDimension,
    pub minimum_score: i32,
}

/// Any field left out keeps its default (on creation) or current value (on update).
#[derive(InputObject, Default)]
pub struct FundingCriteriaInput {
    pub minimum_scores: Option<Vec<DimensionMinimumInput>>,
    pub max_assessment_age_days: Option<i32>,
    pub required_role_groups: Option<Vec<Vec<ProjectRole>>>,
    pub minimum_weekly_hours: Option<f64>,
    /// More than 0, at most 1.
    pub max_monitoring_share: Option<f64>,
    pub lead_may_assess: Option<bool>,
}

#[derive(InputObject)]
pub struct CreateProgrammeInput {
    pub name: String,
    pub objectives: String,
    pub bidding_opens_on: NaiveDate,
    pub bidding_closes_on: NaiveDate,
    /// Defaults to royal colleges and professional bodies.
    pub eligible_bidder_kinds: Option<Vec<InstitutionKind>>,
    /// Defaults: minimum score 2 on every dimension, assessments up to 365 days old, a clinical
    /// lead, a project manager and a data analyst or evaluator, 15 hours a week in all, and
    /// forecast monitoring within a third of those hours.
    pub funding_criteria: Option<FundingCriteriaInput>,
}

#[derive(InputObject)]
pub struct UpdateProgrammeInput {
    pub id: ID,
    pub name: Option<String>,
    pub objectives: Option<String>,
    pub bidding_opens_on: Option<NaiveDate>,
    pub bidding_closes_on: Option<NaiveDate>,
    pub eligible_bidder_kinds: Option<Vec<InstitutionKind>>,
    pub funding_criteria: Option<FundingCriteriaInput>,
}

#[derive(SimpleObject)]
pub struct ProgrammePayload {
    pub programme: Option<Programme>,
    pub user_errors: Vec<UserError>,
}

fn form(
    name: Option<String>,
    objectives: Option<String>,
    opens: Option<NaiveDate>,
    closes: Option<NaiveDate>,
    kinds: Option<Vec<InstitutionKind>>,
    criteria: Option<FundingCriteriaInput>,
) -> ProgrammeForm {
    let criteria = criteria.unwrap_or_default();
    ProgrammeForm {
        name,
        objectives,
        bidding_opens_on: opens,
        bidding_closes_on: closes,
        eligible_bidder_kinds: kinds.map(|k| k.into_iter().map(Into::into).collect()),
        minimum_scores: criteria
            .minimum_scores
            .map(|m| m.into_iter().map(|d| (d.dimension, d.minimum_score)).collect()),
        max_assessment_age_days: criteria.max_assessment_age_days,
        role_groups: criteria
            .required_role_groups
            .map(|g| g.into_iter().map(|r| r.into_iter().map(Into::into).collect()).collect()),
        min_weekly_hours: criteria.minimum_weekly_hours,
        max_monitoring_share: criteria.max_monitoring_share,
        lead_may_assess: criteria.lead_may_assess,
    }
}

#[derive(Default)]
pub struct ProgrammeMutation;

#[Object]
impl ProgrammeMutation {
    /// A funder's ADMIN or MEMBER opens a programme.
    async fn create_programme(
        &self,
        ctx: &Context<'_>,
        input: CreateProgrammeInput,
    ) -> async_graphql::Result<ProgrammePayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let form = form(
            Some(input.name),
            Some(input.objectives),
            Some(input.bidding_opens_on),
            Some(input.bidding_closes_on),
            input.eligible_bidder_kinds,
            input.funding_criteria,
        );
        let (programme, user_errors) = outcome(ctx, service::create(db, actor, form).await)?;
        Ok(ProgrammePayload { programme: programme.map(Programme), user_errors })
    }

    /// The funder changes a programme's window or criteria.
    async fn update_programme(
        &self,
        ctx: &Context<'_>,
        input: UpdateProgrammeInput,
    ) -> async_graphql::Result<ProgrammePayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::Programme, "id") {
            Ok(id) => {
                let form = form(
                    input.name,
                    input.objectives,
                    input.bidding_opens_on,
                    input.bidding_closes_on,
                    input.eligible_bidder_kinds,
                    input.funding_criteria,
                );
                service::update(db, actor, id, form).await
            }
            Err(e) => Err(e),
        };
        let (programme, user_errors) = outcome(ctx, result)?;
        Ok(ProgrammePayload { programme: programme.map(Programme), user_errors })
    }
}
