use super::scopes::{LinksOfResult, ProjectsBehindResults, SharesOfResult};
use super::service::{self, ResultFilter, ResultForm};
use super::snapshot::MeasureSnapshot;
use super::spread_graphql::{
    CapacityImprovement, MeasureDefinition, ResultAdoptions, ResultSpread, adoptions_of, definition_of,
};
use super::{BarrierTag, decode_tags, engagement, evaluation};
use crate::error::ServiceError;
use crate::graphql::{
    GlobalId, GqlResult, NodeKind, Paged, UserError, actor, compute, connection, load_children, load_one,
    outcome, page_request, request,
};
use crate::institutions::graphql::InstitutionProfile;
use crate::institutions::service::Directory;
use crate::measures::graphql::Measure;
use crate::measures::scopes::VisibleMeasures;
use crate::mirror_enum;
use crate::projects::graphql::{Project, ProjectStatus};
use crate::projects::scopes::VisibleProjects;
use crate::scope::Row;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::project as project_entity;
use entity::shared_result::{
    self as result, ResultOutcome as DbOutcome, ResultStatus as DbStatus, ResultVisibility as DbVisibility,
};

mirror_enum! {
    /// What a result reports.
    ResultOutcome <=> DbOutcome { Improvement, NoChange, Deterioration, Lesson }
}
mirror_enum! {
    /// Who beyond the project sees a published result: nobody (PROJECT), every institution in the
    /// programme (PROGRAMME), or every institution (PLATFORM); explicit shares add named ones.
    ResultVisibility <=> DbVisibility { Project, Programme, Platform }
}
mirror_enum! {
    ResultStatus <=> DbStatus { Draft, Published, Withdrawn, Superseded }
}

/// One version of a finding a project shares. Someone who sees the result but not its project
/// sees the project's title and lead, and the frozen analysis, nothing of its live data.
pub struct SharedResult(pub result::Model);

impl SharedResult {
    /// The project as far as the result shows it.
    async fn project_row(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<project_entity::Model>> {
        load_one::<ProjectsBehindResults>(ctx, self.0.project_id).await
    }
}

#[derive(SimpleObject)]
pub struct SnapshotSignal {
    pub rule: String,
    pub effect: String,
    pub last_period: Option<NaiveDate>,
}

/// A linked measure's analysis as it stood when the result was published.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FrozenAnalysis {
    pub measure_name: String,
    /// IMPROVING, DETERIORATING, NO_SIGNAL or INSUFFICIENT_DATA.
    pub verdict: String,
    /// The verdict stood on the SPC chart's trial limits (fewer than 12 points in its latest
    /// segment) when it was frozen.
    pub provisional: bool,
    /// MAKING_DATA_COUNT or TEXTBOOK: the scale of the XmR limits the verdict was read on.
    pub limits_multiplier: String,
    /// Whether outlying moving ranges were left out of the XmR limits.
    pub moving_ranges_screened: bool,
    /// CONSISTENTLY_PASSES, CONSISTENTLY_FAILS or INCONSISTENT (as `Assurance`); null without a
    /// target, and in results published before it was recorded.
    pub assurance: Option<String>,
    /// As `Variation` (COMMON_CAUSE, IMPROVING_HIGH, …); null in results published before it was
    /// recorded.
    pub variation: Option<String>,
    pub signals: Vec<SnapshotSignal>,
    pub centre: Option<f64>,
    pub change_from_baseline: Option<f64>,
    pub gap_to_target: Option<f64>,
    pub points: i32,
    pub latest_period: Option<NaiveDate>,
    pub taken_at: DateTime<Utc>,
    #[graphql(skip)]
    pub frozen_chart: Option<crate::charts::ChartData>,
}

#[async_graphql::ComplexObject]
impl FrozenAnalysis {
    /// The SPC chart (all sites pooled) as it stood at publication, drawn from the frozen points
    /// and limits, as `Analysis.chart` draws a live one; null for results published before
    /// charts were frozen.
    #[graphql(complexity = "crate::graphql::cost::CHART")]
    async fn chart(&self) -> Option<String> {
        self.frozen_chart.as_ref().map(crate::charts::svg::render)
    }
}

impl From<MeasureSnapshot> for FrozenAnalysis {
    fn from(s: MeasureSnapshot) -> Self {
        Self {
            measure_name: s.measure_name,
            verdict: s.verdict,
            provisional: s.provisional,
            limits_multiplier: s.limits_multiplier,
            moving_ranges_screened: s.moving_ranges_screened,
            assurance: s.assurance,
            variation: s.variation,
            signals: s
                .signals
                .into_iter()
                .map(|g| SnapshotSignal { rule: g.rule, effect: g.effect, last_period: g.last_period })
                .collect(),
            centre: s.centre,
            change_from_baseline: s.change_from_baseline,
            gap_to_target: s.gap_to_target,
            points: crate::graphql::int(s.points),
            latest_period: s.latest_period,
            taken_at: s.taken_at,
            frozen_chart: s.chart,
        }
    }
}

#[derive(SimpleObject)]
pub struct LinkedMeasure {
    /// The live measure, for those who can see the project; null for everyone else.
    pub measure: Option<Measure>,
    /// What the measure is, for everyone who sees the result: as published (frozen with the
    /// analysis), or the measure's current definition for a draft or for a version published
    /// before definitions were frozen. What `adoptSharedResult` copies.
    pub definition: Option<MeasureDefinition>,
    /// Null until the result is published.
    pub frozen_analysis: Option<FrozenAnalysis>,
}

#[Object]
impl SharedResult {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::SharedResult, self.0.id)
    }
    /// The first version's ID: the same for every version of this result.
    async fn result_id(&self) -> ID {
        GlobalId::encode(NodeKind::SharedResult, self.0.result_id)
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// Markdown.
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn outcome(&self) -> ResultOutcome {
        self.0.outcome.into()
    }
    async fn barrier_tags(&self) -> Vec<BarrierTag> {
        decode_tags(&self.0.barrier_tags)
    }
    async fn visibility(&self) -> ResultVisibility {
        self.0.visibility.into()
    }
    async fn status(&self) -> ResultStatus {
        self.0.status.into()
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    async fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        self.0.withdrawn_at
    }
    async fn project_title(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(self.project_row(ctx).await?.map(|p| p.title).unwrap_or_default())
    }
    async fn project_lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<InstitutionProfile>> {
        let Some(project) = self.project_row(ctx).await? else { return Ok(None) };
        Ok(load_one::<Directory>(ctx, project.lead_institution_id).await?.map(InstitutionProfile))
    }
    /// The project itself, for its participants; null for everyone else.
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Project>> {
        Ok(load_one::<VisibleProjects>(ctx, self.0.project_id).await?.map(Project))
    }
    async fn measures(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LinkedMeasure>> {
        let links = load_children::<LinksOfResult>(ctx, self.0.id).await?;
        let live = futures_util::future::try_join_all(
            links.iter().map(|link| load_one::<VisibleMeasures>(ctx, link.measure_id)),
        )
        .await?;
        // Read only when asked for: most readers of a result want its frozen analysis alone.
        let definitions = if ctx.look_ahead().field("definition").exists() {
            futures_util::future::try_join_all(
                links.iter().map(|link| definition_of(ctx, self.0.id, link.id)),
            )
            .await?
        } else {
            links.iter().map(|_| None).collect()
        };
        Ok(links
            .into_iter()
            .zip(live)
            .zip(definitions)
            .map(|((link, measure), definition)| LinkedMeasure {
                measure: measure.map(Measure),
                definition,
                frozen_analysis: link
                    .snapshot
                    .as_deref()
                    .and_then(|text| serde_json::from_str::<MeasureSnapshot>(text).ok())
                    .map(FrozenAnalysis::from),
            })
            .collect())
    }
    /// Projects started from this result with `adoptSharedResult` (from any of its versions):
    /// counted for everyone who sees the result, listed only where you can see the project.
    #[graphql(complexity = "crate::graphql::cost::ADOPTIONS")]
    async fn adoptions(&self, ctx: &Context<'_>) -> async_graphql::Result<ResultAdoptions> {
        adoptions_of(ctx, &self.0).await
    }
    /// The institutions it is explicitly shared with; for the lead only (empty for others).
    async fn shared_with(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<InstitutionProfile>> {
        let shares = load_children::<SharesOfResult>(ctx, self.0.id).await?;
        let institutions = futures_util::future::try_join_all(
            shares.iter().map(|share| load_one::<Directory>(ctx, share.institution_id)),
        )
        .await?;
        Ok(institutions.into_iter().flatten().map(InstitutionProfile).collect())
    }
}

#[derive(InputObject, Default)]
pub struct SharedResultFilter {
    pub outcome: Option<ResultOutcome>,
    pub barrier_tag: Option<BarrierTag>,
    /// Exact, case-insensitive.
    pub clinical_area: Option<String>,
    pub programme_id: Option<ID>,
    /// The project's lead institution.
    pub institution_id: Option<ID>,
    pub project_id: Option<ID>,
    /// A fragment of the title or summary, case-insensitive.
    pub search: Option<String>,
    /// Include drafts and withdrawn versions (only their lead sees them).
    #[graphql(default)]
    pub include_unpublished: bool,
}

fn parse_filter(input: SharedResultFilter) -> Result<ResultFilter, ServiceError> {
    let id = |raw: Option<ID>, kind, field: &str| raw.map(|r| GlobalId::require(&r, kind, field)).transpose();
    Ok(ResultFilter {
        outcome: input.outcome.map(Into::into),
        barrier_tag: input.barrier_tag,
        clinical_area: input.clinical_area,
        programme_id: id(input.programme_id, NodeKind::Programme, "filter.programmeId")?,
        institution_id: id(input.institution_id, NodeKind::Institution, "filter.institutionId")?,
        project_id: id(input.project_id, NodeKind::Project, "filter.projectId")?,
        search: input.search,
        published_only: !input.include_unpublished,
    })
}

#[derive(SimpleObject)]
pub struct TagCount {
    pub tag: BarrierTag,
    pub count: i32,
}

#[derive(SimpleObject)]
pub struct OutcomeCount {
    pub outcome: ResultOutcome,
    pub count: i32,
}

/// What went wrong, where: barrier tags and outcomes across the published results you can see.
#[derive(SimpleObject)]
pub struct Lessons {
    pub results: i32,
    pub barrier_tags: Vec<TagCount>,
    pub outcomes: Vec<OutcomeCount>,
}

use crate::graphql::int as n;

fn tag_counts(tags: Vec<(BarrierTag, usize)>) -> Vec<TagCount> {
    tags.into_iter().map(|(tag, count)| TagCount { tag, count: n(count) }).collect()
}

fn outcome_counts(outcomes: Vec<(DbOutcome, usize)>) -> Vec<OutcomeCount> {
    outcomes.into_iter().map(|(o, count)| OutcomeCount { outcome: o.into(), count: n(count) }).collect()
}

#[derive(Default)]
pub struct ResultQuery;

#[Object]
impl ResultQuery {
    /// Shared results across everything you may see, newest publication first.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    async fn shared_results(
        &self,
        ctx: &Context<'_>,
        filter: Option<SharedResultFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Paged<SharedResult>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let filter = parse_filter(filter.unwrap_or_default()).gql(ctx)?;
        let page = page_request(first, after, last, before).gql(ctx)?;
        Ok(connection(service::list(db, actor, &filter, &page).await.gql(ctx)?, SharedResult))
    }

    /// Barrier tags and outcomes counted across the published results you may see.
    #[graphql(complexity = "crate::graphql::cost::LESSONS")]
    async fn lessons(
        &self,
        ctx: &Context<'_>,
        filter: Option<SharedResultFilter>,
    ) -> async_graphql::Result<Lessons> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let filter = parse_filter(filter.unwrap_or_default()).gql(ctx)?;
        let tally = service::lessons(db, actor, &filter).await.gql(ctx)?;
        Ok(Lessons {
            results: n(tally.results),
            barrier_tags: tag_counts(tally.barrier_tags),
            outcomes: outcome_counts(tally.outcomes),
        })
    }
}

#[derive(SimpleObject)]
pub struct StatusCount {
    pub status: ProjectStatus,
    pub count: i32,
}

#[derive(SimpleObject)]
pub struct EngagementTotal {
    pub project_id: ID,
    pub project_title: String,
    pub clinicians: i64,
    pub service_users: i64,
    pub others: i64,
}

/// The programme evaluation, for the funder.
#[derive(SimpleObject)]
pub struct ProgrammeEvaluation {
    pub projects_by_status: Vec<StatusCount>,
    pub improvement: crate::measures::graphql::ProgrammeImprovement,
    pub engagement: Vec<EngagementTotal>,
    pub barrier_tags: Vec<TagCount>,
    pub outcomes: Vec<OutcomeCount>,
    pub published_results: Vec<SharedResult>,
    /// How the projects' data arrives (completeness, timeliness, integration), pooled and per
    /// project, beside each project's monitoring burden forecast.
    pub data_flow: crate::measures::data_flow_graphql::ProgrammeDataFlow,
    /// Time pressure, caught early: projects whose reported time stayed below three quarters
    /// of their committed hours for two ended months running (within the last twelve, from
    /// their first report on).
    pub time_pressure: Vec<TimePressure>,
    /// Per published result of the programme's projects (as `publishedResults`): how many
    /// projects adopted it and how many of them improved again.
    pub spread: Vec<ResultSpread>,
    /// Does capacity predict improvement? Per capacity dimension, the funded projects grouped
    /// by the assessment the funding gate counted (below, at or above the minimum), with how
    /// many show measurable improvement; groups under five give only their size.
    pub improvement_by_capacity: Vec<CapacityImprovement>,
}

#[derive(SimpleObject)]
pub struct TimePressure {
    pub project_id: ID,
    pub project_title: String,
    /// The latest two months running below three quarters (their first days).
    pub months: Vec<chrono::NaiveDate>,
    /// The lower of the two months' reported / committed.
    pub lowest_share: f64,
}

pub async fn programme_evaluation(
    ctx: &Context<'_>,
    programme: &entity::programme::Model,
) -> async_graphql::Result<ProgrammeEvaluation> {
    crate::measures::rollup::require_funder(actor(ctx)?, programme).gql(ctx)?;
    let key = Row::new(programme.id, programme.clone());
    let e = compute::<evaluation::Evaluations>(ctx, key)
        .await?
        .ok_or_else(|| ServiceError::Forbidden("the programme's evaluation is for its funder"))
        .gql(ctx)?;
    let e = e.as_ref();
    Ok(ProgrammeEvaluation {
        projects_by_status: e
            .projects_by_status
            .iter()
            .map(|(s, c)| StatusCount { status: (*s).into(), count: n(*c) })
            .collect(),
        improvement: e.improvement.into(),
        engagement: e
            .engagement
            .iter()
            .map(|p| EngagementTotal {
                project_id: GlobalId::encode(NodeKind::Project, p.project.id),
                project_title: p.project.title.clone(),
                clinicians: p.clinicians,
                service_users: p.service_users,
                others: p.others,
            })
            .collect(),
        barrier_tags: tag_counts(e.barriers.clone()),
        outcomes: outcome_counts(e.outcomes.clone()),
        published_results: e.published.iter().cloned().map(SharedResult).collect(),
        data_flow: crate::measures::data_flow_graphql::ProgrammeDataFlow::of(&e.data_flow),
        time_pressure: e
            .time_pressure
            .iter()
            .map(|(p, first, second, share)| TimePressure {
                project_id: GlobalId::encode(NodeKind::Project, p.id),
                project_title: p.title.clone(),
                months: vec![*first, *second],
                lowest_share: *share,
            })
            .collect(),
        spread: e.spread.iter().map(|(r, s)| ResultSpread::of(r, s)).collect(),
        improvement_by_capacity: e.improvement_by_capacity.iter().map(Into::into).collect(),
    })
}

#[derive(SimpleObject)]
pub struct EngagementRecord {
    pub period_start: NaiveDate,
    pub clinicians: i32,
    pub service_users: i32,
    pub others: i32,
}

impl From<entity::engagement_record::Model> for EngagementRecord {
    fn from(r: entity::engagement_record::Model) -> Self {
        Self {
            period_start: r.period_start,
            clinicians: r.clinicians,
            service_users: r.service_users,
            others: r.others,
        }
    }
}

#[derive(InputObject)]
pub struct CreateSharedResultInput {
    pub project_id: ID,
    pub title: String,
    pub summary: String,
    /// Markdown.
    #[graphql(default)]
    pub body: String,
    pub outcome: ResultOutcome,
    #[graphql(default)]
    pub barrier_tags: Vec<BarrierTag>,
    pub visibility: ResultVisibility,
    /// Measures of the project whose analysis the result rests on (frozen at publication).
    #[graphql(default)]
    pub measure_ids: Vec<ID>,
    /// Institutions to share with beyond the visibility.
    #[graphql(default)]
    pub share_with: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateSharedResultInput {
    pub id: ID,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub outcome: Option<ResultOutcome>,
    pub barrier_tags: Option<Vec<BarrierTag>>,
    pub visibility: Option<ResultVisibility>,
    pub measure_ids: Option<Vec<ID>>,
    pub share_with: Option<Vec<ID>>,
}

#[derive(InputObject)]
pub struct SharedResultIdInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct SharedResultPayload {
    pub shared_result: Option<SharedResult>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RecordEngagementInput {
    pub project_id: ID,
    /// The 1st of the month.
    pub period_start: NaiveDate,
    pub clinicians: i32,
    pub service_users: i32,
    pub others: i32,
}

#[derive(SimpleObject)]
pub struct RecordEngagementPayload {
    pub engagement: Option<EngagementRecord>,
    pub user_errors: Vec<UserError>,
}

fn ids(raw: Option<Vec<ID>>, kind: NodeKind, field: &str) -> Result<Option<Vec<uuid::Uuid>>, ServiceError> {
    raw.map(|list| {
        list.iter()
            .enumerate()
            .map(|(i, id)| GlobalId::require(id, kind, &format!("{field}.{i}")))
            .collect::<Result<Vec<_>, _>>()
    })
    .transpose()
}

fn payload(
    ctx: &Context<'_>,
    result: Result<result::Model, ServiceError>,
) -> async_graphql::Result<SharedResultPayload> {
    let (model, user_errors) = outcome(ctx, result)?;
    Ok(SharedResultPayload { shared_result: model.map(SharedResult), user_errors })
}

#[derive(Default)]
pub struct ResultMutation;

#[Object]
impl ResultMutation {
    /// The lead's ADMIN or MEMBER drafts a result of a funded project.
    async fn create_shared_result(
        &self,
        ctx: &Context<'_>,
        input: CreateSharedResultInput,
    ) -> async_graphql::Result<SharedResultPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let parsed = (|| {
            let project = GlobalId::require(&input.project_id, NodeKind::Project, "projectId")?;
            let form = ResultForm {
                title: Some(input.title),
                summary: Some(input.summary),
                body: Some(input.body),
                outcome: Some(input.outcome.into()),
                barrier_tags: Some(input.barrier_tags),
                visibility: Some(input.visibility.into()),
                measure_ids: ids(Some(input.measure_ids), NodeKind::Measure, "measureIds")?,
                share_with: ids(Some(input.share_with), NodeKind::Institution, "shareWith")?,
            };
            Ok::<_, ServiceError>((project, form))
        })();
        let result = match parsed {
            Ok((project, form)) => service::create(db, actor, project, form).await,
            Err(e) => Err(e),
        };
        payload(ctx, result)
    }

    /// Edits a draft in place; a published or withdrawn version gets a new draft version instead.
    async fn update_shared_result(
        &self,
        ctx: &Context<'_>,
        input: UpdateSharedResultInput,
    ) -> async_graphql::Result<SharedResultPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let parsed = (|| {
            let id = GlobalId::require(&input.id, NodeKind::SharedResult, "id")?;
            let form = ResultForm {
                title: input.title,
                summary: input.summary,
                body: input.body,
                outcome: input.outcome.map(Into::into),
                barrier_tags: input.barrier_tags,
                visibility: input.visibility.map(Into::into),
                measure_ids: ids(input.measure_ids, NodeKind::Measure, "measureIds")?,
                share_with: ids(input.share_with, NodeKind::Institution, "shareWith")?,
            };
            Ok::<_, ServiceError>((id, form))
        })();
        let result = match parsed {
            Ok((id, form)) => service::update(db, actor, id, form).await,
            Err(e) => Err(e),
        };
        payload(ctx, result)
    }

    /// Publishes a draft (freezing its measures' analyses) or re-publishes a withdrawn version.
    async fn publish_shared_result(
        &self,
        ctx: &Context<'_>,
        input: SharedResultIdInput,
    ) -> async_graphql::Result<SharedResultPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::SharedResult, "id") {
            Ok(id) => service::publish(db, actor, id).await,
            Err(e) => Err(e),
        };
        payload(ctx, result)
    }

    /// Withdraws a published version from view; it is kept.
    async fn unpublish_shared_result(
        &self,
        ctx: &Context<'_>,
        input: SharedResultIdInput,
    ) -> async_graphql::Result<SharedResultPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::SharedResult, "id") {
            Ok(id) => service::unpublish(db, actor, id).await,
            Err(e) => Err(e),
        };
        payload(ctx, result)
    }

    /// The lead records how many people the project engaged in a month (re-sending corrects it).
    async fn record_engagement(
        &self,
        ctx: &Context<'_>,
        input: RecordEngagementInput,
    ) -> async_graphql::Result<RecordEngagementPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.project_id, NodeKind::Project, "projectId") {
            Ok(project) => {
                let e = engagement::Engagement {
                    period_start: input.period_start,
                    clinicians: input.clinicians,
                    service_users: input.service_users,
                    others: input.others,
                };
                engagement::record(db, actor, project, e).await
            }
            Err(e) => Err(e),
        };
        let (record, user_errors) = outcome(ctx, result)?;
        Ok(RecordEngagementPayload {
            engagement: record.map(|r| EngagementRecord {
                period_start: r.period_start,
                clinicians: r.clinicians,
                service_users: r.service_users,
                others: r.others,
            }),
            user_errors,
        })
    }
}
