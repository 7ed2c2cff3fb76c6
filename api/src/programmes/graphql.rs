use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use entity::programme;

use super::criteria::{self, FundingCriteria};
use super::service::{self, ProgrammeForm};
use crate::assessments::dimension::CapacityDimension;
use crate::commitments::graphql::Commitment;
use crate::commitments::service::CommitmentsOfProgramme;
use crate::graphql::{
    Date, GlobalId, GqlResult, Instant, NodeKind, Paged, UserError, actor, compute, connection,
    load_children, load_one, load_page, outcome, page_request, request, shared_connection,
};
use crate::institutions::graphql::{InstitutionKind, InstitutionProfile};
use crate::measures::rollup;
use crate::projects::graphql::{Project, ProjectRole};
use crate::projects::scopes::ProjectsOfProgramme;
use crate::scope::Row;

/// A funding programme: a funder's call for QI projects, with the criteria a project must meet
/// to be funded.
pub struct Programme(pub programme::Model);

/// The lowest score a site may have on one capacity dimension.
#[derive(SimpleObject)]
pub struct DimensionMinimum {
    /// The capacity dimension.
    pub dimension: CapacityDimension,
    /// The lowest acceptable score, on the 0–4 scale.
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

/// A funding programme: a funder's call for QI projects, with the criteria a project must meet
/// to be funded.
#[Object(name = "Programme")]
impl Programme {
    /// The programme's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Programme, self.0.id)
    }
    /// The programme's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the programme sets out to achieve, in the funder's words.
    async fn objectives(&self) -> &str {
        &self.0.objectives
    }
    /// The funder that runs the programme.
    async fn funder(&self, ctx: &Context<'_>) -> async_graphql::Result<InstitutionProfile> {
        InstitutionProfile::referenced(ctx, self.0.funder_institution_id).await
    }
    /// The first day bids are taken (`YYYY-MM-DD`).
    async fn bidding_opens_on(&self) -> Date {
        self.0.bidding_opens_on.into()
    }
    /// The last day bids are taken (`YYYY-MM-DD`).
    async fn bidding_closes_on(&self) -> Date {
        self.0.bidding_closes_on.into()
    }
    /// Open today (both days included).
    async fn is_bidding_open(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(service::is_bidding_open(&self.0, request(ctx)?.db.today()))
    }
    /// The kinds of institution that may bid: ROYAL_COLLEGE, PROFESSIONAL_BODY or both.
    async fn eligible_bidder_kinds(&self) -> Vec<InstitutionKind> {
        criteria::decode_kinds(&self.0.eligible_bidder_kinds).into_iter().map(Into::into).collect()
    }
    /// What a project in the programme must meet to be funded.
    async fn funding_criteria(&self) -> FundingCriteriaView {
        FundingCriteria::from_model(&self.0).into()
    }
    /// The programme's projects that you can see, in creation order.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size counting forward from `after`: 1 to 100 (20 when neither `first` \
                          nor `last` is given); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a `pageInfo.endCursor`).")] after: Option<String>,
        #[graphql(desc = "Page size back from `before`: 1 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a `pageInfo.startCursor`).")] before: Option<String>,
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
    /// When the funder created the programme (UTC).
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
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
    async fn programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme's global ID.")] id: ID,
    ) -> async_graphql::Result<Option<Programme>> {
        let id = GlobalId::require(&id, NodeKind::Programme, "id").gql(ctx)?;
        Ok(load_one::<service::VisibleProgrammes>(ctx, id).await?.map(Programme))
    }

    /// Programmes you can see, oldest first; `openForBidding` narrows to those open (or not) today.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn programmes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "True for programmes open for bids today, false for those not open today; \
                          left out for both.")]
        open_for_bidding: Option<bool>,
        #[graphql(desc = "Page size counting forward from `after`: 1 to 100 (20 when neither `first` \
                          nor `last` is given); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a `pageInfo.endCursor`).")] after: Option<String>,
        #[graphql(desc = "Page size back from `before`: 1 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a `pageInfo.startCursor`).")] before: Option<String>,
    ) -> async_graphql::Result<Paged<Programme>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let page = page_request(first, after, last, before).gql(ctx)?;
        Ok(connection(service::list(db, actor, open_for_bidding, &page).await.gql(ctx)?, Programme))
    }
}

/// The lowest score a site may have on one capacity dimension.
#[derive(InputObject)]
pub struct DimensionMinimumInput {
    /// The capacity dimension.
    pub dimension: CapacityDimension,
    /// The lowest acceptable score, 0 to 4.
    pub minimum_score: i32,
}

/// Any field left out keeps its default (on creation) or current value (on update).
#[derive(InputObject, Default)]
pub struct FundingCriteriaInput {
    /// Minimum scores per capacity dimension; dimensions not named keep theirs.
    pub minimum_scores: Option<Vec<DimensionMinimumInput>>,
    /// The oldest a site's assessment may be on the day funding is decided, in days: 1 to 3,650.
    pub max_assessment_age_days: Option<i32>,
    /// Replaces the springboard rule's role groups: each group needs at least one team member
    /// holding one of its roles. At most 20 groups, none empty.
    pub required_role_groups: Option<Vec<Vec<ProjectRole>>>,
    /// Committed hours per week the whole team needs: 0 to 1,000.
    pub minimum_weekly_hours: Option<f64>,
    /// The most of the team's committed hours a week that the forecast monitoring burden may
    /// take, as a proportion: more than 0, at most 1.
    pub max_monitoring_share: Option<f64>,
    /// Whether the project's lead may assess its own sites (otherwise only the funder does).
    pub lead_may_assess: Option<bool>,
}

/// A new programme, run by your institution (a funder).
#[derive(InputObject)]
pub struct CreateProgrammeInput {
    /// The programme's name (at most 200 characters).
    pub name: String,
    /// What the programme sets out to achieve (at most 10,000 characters).
    pub objectives: String,
    /// The first day bids are taken (`YYYY-MM-DD`).
    pub bidding_opens_on: Date,
    /// The last day bids are taken (`YYYY-MM-DD`), on or after `biddingOpensOn`.
    pub bidding_closes_on: Date,
    /// Defaults to royal colleges and professional bodies.
    pub eligible_bidder_kinds: Option<Vec<InstitutionKind>>,
    /// Defaults: minimum score 2 on every dimension, assessments up to 365 days old, a clinical
    /// lead, a project manager and a data analyst or evaluator, 15 hours a week in all, and
    /// forecast monitoring within a third of those hours.
    pub funding_criteria: Option<FundingCriteriaInput>,
}

/// Changes to a programme; fields left out keep their values.
#[derive(InputObject)]
pub struct UpdateProgrammeInput {
    /// The programme's global ID.
    pub id: ID,
    /// A new name (at most 200 characters; not blank).
    pub name: Option<String>,
    /// New objectives (at most 10,000 characters; not blank).
    pub objectives: Option<String>,
    /// A new first day for bids (`YYYY-MM-DD`).
    pub bidding_opens_on: Option<Date>,
    /// A new last day for bids (`YYYY-MM-DD`), on or after the first.
    pub bidding_closes_on: Option<Date>,
    /// Who may bid: ROYAL_COLLEGE, PROFESSIONAL_BODY or both.
    pub eligible_bidder_kinds: Option<Vec<InstitutionKind>>,
    /// Changes to the funding criteria.
    pub funding_criteria: Option<FundingCriteriaInput>,
}

/// The result of a mutation on a programme.
#[derive(SimpleObject)]
pub struct ProgrammePayload {
    /// The programme as it now is; null when the mutation failed.
    pub programme: Option<Programme>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

fn form(
    name: Option<String>,
    objectives: Option<String>,
    opens: Option<Date>,
    closes: Option<Date>,
    kinds: Option<Vec<InstitutionKind>>,
    criteria: Option<FundingCriteriaInput>,
) -> ProgrammeForm {
    let criteria = criteria.unwrap_or_default();
    ProgrammeForm {
        name,
        objectives,
        bidding_opens_on: opens.map(Into::into),
        bidding_closes_on: closes.map(Into::into),
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
    /// A funder's ADMIN or MEMBER (or READ_WRITE API token) opens a programme; other kinds of
    /// institution are refused. userErrors: REQUIRED, INVALID.
    async fn create_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new programme.")] input: CreateProgrammeInput,
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

    /// The programme's funder's ADMIN or MEMBER (or READ_WRITE API token) changes its name,
    /// objectives, bidding window, eligible bidders or funding criteria. userErrors: NOT_FOUND,
    /// REQUIRED (a blank text), INVALID.
    async fn update_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme and the changes.")] input: UpdateProgrammeInput,
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
