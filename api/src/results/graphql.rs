use super::frozen_graphql::{FrozenAnalysis, named};
use super::scopes::{LinksOfResult, ProjectsBehindResults, SharesOfResult, VersionsOfResult};
use super::service::{self, ResultFilter, ResultForm};
use super::snapshot::MeasureSnapshot;
use super::spread_graphql::{
    CapacityImprovement, MeasureDefinition, ResultAdoptions, ResultSpread, adoptions_of, definition_of,
};
use super::{BarrierTag, decode_tags, engagement, evaluation, warnings};
use crate::error::ServiceError;
use crate::graphql::{
    Date, GlobalId, GqlResult, Instant, NodeKind, Paged, UserError, actor, compute, connection,
    load_children, load_one, outcome, page_request, request,
};
use crate::institutions::graphql::InstitutionProfile;
use crate::institutions::service::Directory;
use crate::measures::analysis_graphql::Verdict;
use crate::measures::graphql::Measure;
use crate::measures::scopes::VisibleMeasures;
use crate::mirror_enum;
use crate::projects::graphql::{Project, ProjectStatus};
use crate::projects::scopes::VisibleProjects;
use crate::scope::Row;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use entity::project as project_entity;
use entity::shared_result::{
    self as result, ResultOutcome as DbOutcome, ResultStatus as DbStatus, ResultVisibility as DbVisibility,
};

mirror_enum! {
    /// What a result reports.
    ResultOutcome <=> DbOutcome {
        /// The project reports an improvement.
        Improvement,
        /// The project reports no measurable change.
        NoChange,
        /// The project reports that things got worse.
        Deterioration,
        /// A lesson learnt (what helped, what got in the way) rather than a measured change.
        Lesson,
    }
}
mirror_enum! {
    /// Who beyond the project sees a published result: nobody (PROJECT), every institution in the
    /// programme (PROGRAMME), or every institution (PLATFORM); explicit shares add named ones.
    ResultVisibility <=> DbVisibility {
        /// The project's participants only: its lead, its sites (unless they declined) and its
        /// programme's funder.
        Project,
        /// Also every institution in the project's programme: its funder and the leads and sites
        /// of its projects. For a project outside any programme, the same as PROJECT.
        Programme,
        /// Every institution on the platform.
        Platform,
    }
}
mirror_enum! {
    /// Where a version of a shared result stands. The lead sees every version; others see
    /// PUBLISHED ones and the SUPERSEDED ones before them (the result's history).
    ResultStatus <=> DbStatus {
        /// Being written: edited in place, seen by the lead only.
        Draft,
        /// Out, to whom its visibility and shares reach, with its measures' analyses frozen.
        Published,
        /// Taken back by the lead: kept, seen by the lead only, and can be published again.
        Withdrawn,
        /// Replaced when a later version of the same result was published; still seen by whom its
        /// own publication reached, as history (`SharedResult.versions`), never listed as current.
        Superseded,
    }
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

/// A measure a shared result rests on: the live measure where you may see it, what it is, and
/// its analysis as published.
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

/// One version of a finding a project shares. Someone who sees the result but not its project
/// sees the project's title and lead, and the frozen analysis, nothing of its live data.
#[Object]
impl SharedResult {
    /// This version's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::SharedResult, self.0.id)
    }
    /// The first version's ID: the same for every version of this result.
    async fn result_id(&self) -> ID {
        GlobalId::encode(NodeKind::SharedResult, self.0.result_id)
    }
    /// Every version of this result you may see, oldest first, this one included: for the lead
    /// every version; for others the published one and those it superseded (each readable by
    /// whom its own publication reached), never drafts or withdrawn versions.
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SharedResult>> {
        Ok(load_children::<VersionsOfResult>(ctx, self.0.result_id)
            .await?
            .into_iter()
            .map(SharedResult)
            .collect())
    }
    /// The version's number: 1 for the first; a change to a version that is no longer a draft
    /// becomes the next number.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// A short title (at most 300 characters).
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The finding in brief (at most 5,000 characters).
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// Markdown.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// What the result reports.
    async fn outcome(&self) -> ResultOutcome {
        self.0.outcome.into()
    }
    /// What got in the way, as the lead tagged it: each tag once, in the enum's order.
    async fn barrier_tags(&self) -> Vec<BarrierTag> {
        decode_tags(&self.0.barrier_tags)
    }
    /// Who beyond the project's participants sees the version once it is published;
    /// `sharedWith` adds named institutions.
    async fn visibility(&self) -> ResultVisibility {
        self.0.visibility.into()
    }
    /// Where this version stands: draft, published, withdrawn or superseded.
    async fn status(&self) -> ResultStatus {
        self.0.status.into()
    }
    /// When this version was last published (UTC); null for a draft.
    async fn published_at(&self) -> Option<Instant> {
        self.0.published_at.map(Into::into)
    }
    /// When this version was withdrawn (UTC); null unless it is WITHDRAWN.
    async fn withdrawn_at(&self) -> Option<Instant> {
        self.0.withdrawn_at.map(Into::into)
    }
    /// The title of the project the result comes from, shown to everyone who sees the result.
    async fn project_title(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(self.project_row(ctx).await?.map(|p| p.title).unwrap_or_default())
    }
    /// The project's lead institution (a royal college or professional body), shown to everyone
    /// who sees the result; null only if the project's row cannot be found.
    async fn project_lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<InstitutionProfile>> {
        let Some(project) = self.project_row(ctx).await? else { return Ok(None) };
        Ok(load_one::<Directory>(ctx, project.lead_institution_id).await?.map(InstitutionProfile))
    }
    /// The project itself, for its participants; null for everyone else.
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Project>> {
        Ok(load_one::<VisibleProjects>(ctx, self.0.project_id).await?.map(Project))
    }
    /// The measures the result rests on, in the order they were linked, each with its analysis
    /// as frozen at publication.
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
                    .map(|snapshot| FrozenAnalysis::new(link.id, snapshot)),
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

/// Narrows `sharedResults` and `lessons`: every condition given must hold, and they match only
/// results you may see.
#[derive(InputObject, Default)]
pub struct SharedResultFilter {
    /// Only results reporting this outcome.
    pub outcome: Option<ResultOutcome>,
    /// Only results tagged with this barrier.
    pub barrier_tag: Option<BarrierTag>,
    /// Exact, case-insensitive.
    pub clinical_area: Option<String>,
    /// Only results of projects in this programme.
    pub programme_id: Option<ID>,
    /// The project's lead institution.
    pub institution_id: Option<ID>,
    /// Only results of this project.
    pub project_id: Option<ID>,
    /// A fragment of the title or summary, case-insensitive.
    pub search: Option<String>,
    /// Include drafts and withdrawn versions (only their lead sees them) and superseded ones
    /// (seen by whom their publication reached). `lessons` ignores it: it counts published
    /// versions only.
    #[graphql(default)]
    pub include_unpublished: bool,
    /// Only versions published after this instant (exclusive), e.g. the latest `publishedAt` a
    /// client has seen: how a script or front end learns of results new to it.
    pub published_after: Option<Instant>,
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
        published_after: input.published_after.map(Into::into),
    })
}

/// A barrier tag and how many of the results counted carry it.
#[derive(SimpleObject)]
pub struct TagCount {
    /// The barrier tag.
    pub tag: BarrierTag,
    /// How many of the results counted carry it.
    pub count: i32,
}

/// An outcome and how many of the results counted report it.
#[derive(SimpleObject)]
pub struct OutcomeCount {
    /// The outcome.
    pub outcome: ResultOutcome,
    /// How many of the results counted report it.
    pub count: i32,
}

/// What went wrong, where: barrier tags and outcomes across the published results you can see.
#[derive(SimpleObject)]
pub struct Lessons {
    /// How many published results were counted (the newest 10,000 at most).
    pub results: i32,
    /// Each barrier tag carried by at least one of them, with how many, in the enum's order.
    pub barrier_tags: Vec<TagCount>,
    /// Each outcome reported by at least one of them, with how many.
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
        #[graphql(desc = "Narrows the list; published versions only unless `includeUnpublished`.")]
        filter: Option<SharedResultFilter>,
        #[graphql(desc = "At most this many items from the start (1–100, default 20); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Items after this cursor (`pageInfo.endCursor` or an edge's `cursor`).")]
        after: Option<String>,
        #[graphql(desc = "At most this many items from the end (1–100); not together with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Items before this cursor (`pageInfo.startCursor` or an edge's `cursor`).")]
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
        #[graphql(desc = "Narrows the results counted; every published result you may see if left out.")]
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

/// A project status and how many of the programme's projects are in it.
#[derive(SimpleObject)]
pub struct StatusCount {
    /// The project status.
    pub status: ProjectStatus,
    /// How many of the programme's projects are in it.
    pub count: i32,
}

/// The people one project engaged, summed over every month its lead recorded.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct EngagementTotal {
    /// The project's global ID.
    pub project_id: ID,
    /// The project's title.
    pub project_title: String,
    /// Clinicians engaged, summed over the months recorded.
    pub clinicians: i64,
    /// Service users engaged, summed over the months recorded.
    pub service_users: i64,
    /// Others engaged, summed over the months recorded.
    pub others: i64,
    #[graphql(skip)]
    pub project_uuid: uuid::Uuid,
}

#[async_graphql::ComplexObject]
impl EngagementTotal {
    /// The project (`projectId` as an object).
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Project>> {
        Project::linked(ctx, self.project_uuid).await
    }
}

/// The programme evaluation, for the funder.
#[derive(SimpleObject)]
pub struct ProgrammeEvaluation {
    /// How many of the programme's projects are in each status (statuses with none left out).
    /// Drafts are not counted: a project reaches its funder when it is submitted.
    pub projects_by_status: Vec<StatusCount>,
    /// How many funded projects show measurable improvement on an outcome measure.
    pub improvement: crate::measures::graphql::ProgrammeImprovement,
    /// People engaged per project (every project counted in `projectsByStatus`), summed over the
    /// months recorded; zero where none were.
    pub engagement: Vec<EngagementTotal>,
    /// Barrier tags counted over `publishedResults`.
    pub barrier_tags: Vec<TagCount>,
    /// Outcomes counted over `publishedResults`.
    pub outcomes: Vec<OutcomeCount>,
    /// The published versions of the programme's projects' results, newest publication first.
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

/// A project whose team reported less time than it committed (see
/// `ProgrammeEvaluation.timePressure`).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TimePressure {
    /// The project's global ID.
    pub project_id: ID,
    /// The project's title.
    pub project_title: String,
    /// The latest two months running below three quarters (their first days).
    pub months: Vec<Date>,
    /// The lower of the two months' reported / committed.
    pub lowest_share: f64,
    #[graphql(skip)]
    pub project_uuid: uuid::Uuid,
}

#[async_graphql::ComplexObject]
impl TimePressure {
    /// The project (`projectId` as an object).
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Project>> {
        Project::linked(ctx, self.project_uuid).await
    }
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
                project_uuid: p.project.id,
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
                project_uuid: p.id,
                project_title: p.title.clone(),
                months: vec![(*first).into(), (*second).into()],
                lowest_share: *share,
            })
            .collect(),
        spread: e.spread.iter().map(|(r, s)| ResultSpread::of(r, s)).collect(),
        improvement_by_capacity: e.improvement_by_capacity.iter().map(Into::into).collect(),
    })
}

/// How many people a project engaged in one month, as its lead recorded it.
#[derive(SimpleObject)]
pub struct EngagementRecord {
    /// The month, as its first day (`YYYY-MM-DD`).
    pub period_start: Date,
    /// Clinicians engaged that month.
    pub clinicians: i32,
    /// Service users engaged that month.
    pub service_users: i32,
    /// Anyone else engaged that month.
    pub others: i32,
}

impl From<entity::engagement_record::Model> for EngagementRecord {
    fn from(r: entity::engagement_record::Model) -> Self {
        Self {
            period_start: r.period_start.into(),
            clinicians: r.clinicians,
            service_users: r.service_users,
            others: r.others,
        }
    }
}

/// A new shared result, drafted as version 1, for `createSharedResult`.
#[derive(InputObject)]
pub struct CreateSharedResultInput {
    /// The project the result comes from; your institution must lead it.
    pub project_id: ID,
    /// A short title: not blank, at most 300 characters.
    pub title: String,
    /// The finding in brief: not blank, at most 5,000 characters.
    pub summary: String,
    /// Markdown.
    #[graphql(default)]
    pub body: String,
    /// What the result reports.
    pub outcome: ResultOutcome,
    /// What got in the way; repeats are dropped.
    #[graphql(default)]
    pub barrier_tags: Vec<BarrierTag>,
    /// Who beyond the project's participants sees it once it is published.
    pub visibility: ResultVisibility,
    /// Measures of the project whose analysis the result rests on (frozen at publication).
    #[graphql(default)]
    pub measure_ids: Vec<ID>,
    /// Institutions to share with beyond the visibility.
    #[graphql(default)]
    pub share_with: Vec<ID>,
}

/// Changes to a shared result, for `updateSharedResult`; a field left out keeps its value.
#[derive(InputObject)]
pub struct UpdateSharedResultInput {
    /// The version to change: a draft is edited in place; any other version is kept as it is and
    /// the change becomes the next version.
    pub id: ID,
    /// A new title: not blank, at most 300 characters.
    pub title: Option<String>,
    /// A new summary: not blank, at most 5,000 characters.
    pub summary: Option<String>,
    /// A new body, Markdown, at most 100,000 characters; may be empty.
    pub body: Option<String>,
    /// What the result reports.
    pub outcome: Option<ResultOutcome>,
    /// Replaces the barrier tags; repeats are dropped.
    pub barrier_tags: Option<Vec<BarrierTag>>,
    /// Who beyond the project's participants sees it once it is published.
    pub visibility: Option<ResultVisibility>,
    /// Replaces the linked measures: measures of the same project, at most 50.
    pub measure_ids: Option<Vec<ID>>,
    /// Replaces the institutions it is explicitly shared with, at most 50.
    pub share_with: Option<Vec<ID>>,
}

/// Names one version of a shared result.
#[derive(InputObject)]
pub struct SharedResultIdInput {
    /// The version's global ID (`SharedResult.id`).
    pub id: ID,
}

/// What the shared-result mutations return.
#[derive(SimpleObject)]
pub struct SharedResultPayload {
    /// The version as it now stands (after `updateSharedResult` on a version that was not a
    /// draft, the new draft version); null when `userErrors` is not empty.
    pub shared_result: Option<SharedResult>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
    /// From `publishSharedResult`: what the claim's measures say against it. Unacknowledged,
    /// they stop the publication (`userErrors` has UNACKNOWLEDGED_WARNINGS); acknowledged, the
    /// version is published and they are kept in the audit trail. Empty from other mutations.
    pub warnings: Vec<PublicationWarning>,
}

/// Why a warning was raised.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicationWarningCode {
    /// A linked measure's verdict (all sites pooled, as it would be frozen) is not the one the
    /// outcome claims: IMPROVEMENT needs IMPROVING, DETERIORATION needs DETERIORATING, NO_CHANGE
    /// needs NO_SIGNAL.
    VerdictDisagrees,
    /// The outcome claims a change (or its absence) and no measure is linked to show it.
    NoLinkedMeasure,
}

/// Something the lead is told before a claim goes out that its measures do not bear out.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PublicationWarning {
    /// Why it was raised.
    pub code: PublicationWarningCode,
    /// The warning in a sentence, naming the measure and its verdict.
    pub message: String,
    /// The linked measure it is about; null for NO_LINKED_MEASURE.
    pub measure_id: Option<ID>,
    /// That measure's name; null for NO_LINKED_MEASURE.
    pub measure_name: Option<String>,
    /// That measure's verdict, all sites pooled; null for NO_LINKED_MEASURE.
    pub verdict: Option<Verdict>,
    #[graphql(skip)]
    pub measure_uuid: Option<uuid::Uuid>,
}

#[async_graphql::ComplexObject]
impl PublicationWarning {
    /// The linked measure (`measureId` as an object); null for NO_LINKED_MEASURE.
    async fn measure(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Measure>> {
        let Some(id) = self.measure_uuid else { return Ok(None) };
        Measure::linked(ctx, id).await
    }
}

impl PublicationWarning {
    fn of(warning: warnings::PublicationWarning) -> Result<Self, ServiceError> {
        Ok(Self {
            code: match warning.code {
                warnings::WarningCode::VerdictDisagrees => PublicationWarningCode::VerdictDisagrees,
                warnings::WarningCode::NoLinkedMeasure => PublicationWarningCode::NoLinkedMeasure,
            },
            message: warning.message,
            measure_id: warning.measure_id.map(|id| GlobalId::encode(NodeKind::Measure, id)),
            measure_uuid: warning.measure_id,
            measure_name: warning.measure_name,
            verdict: warning.verdict.as_deref().map(named::<Verdict>).transpose()?,
        })
    }
}

/// One month's engagement, for `recordEngagement`.
#[derive(InputObject)]
pub struct RecordEngagementInput {
    /// The project; your institution must lead it.
    pub project_id: ID,
    /// The 1st of the month.
    pub period_start: Date,
    /// Clinicians engaged that month, 0 to 1,000,000.
    pub clinicians: i32,
    /// Service users engaged that month, 0 to 1,000,000.
    pub service_users: i32,
    /// Anyone else engaged that month, 0 to 1,000,000.
    pub others: i32,
}

/// What `recordEngagement` returns.
#[derive(SimpleObject)]
pub struct RecordEngagementPayload {
    /// The month as recorded; null when `userErrors` is not empty.
    pub engagement: Option<EngagementRecord>,
    /// Problems with the input; empty on success.
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
    Ok(SharedResultPayload { shared_result: model.map(SharedResult), user_errors, warnings: Vec::new() })
}

#[derive(Default)]
pub struct ResultMutation;

#[Object]
impl ResultMutation {
    /// The lead's ADMIN or MEMBER drafts a result of a funded project (FUNDED, ACTIVE or
    /// COMPLETED), as version 1. READ_WRITE API tokens may too; anyone else gets a FORBIDDEN error.
    /// `userErrors`: NOT_FOUND (`projectId`; a `measureIds` entry not of this project, a
    /// `shareWith` entry that is no institution), REQUIRED (blank title or summary), INVALID (an
    /// ID of the wrong kind, text too long, over 50 measures or institutions),
    /// NOT_ALLOWED_IN_STATUS (a project in another status).
    async fn create_shared_result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project and the result's content.")] input: CreateSharedResultInput,
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

    /// Edits a draft in place; a published, withdrawn or superseded version gets a new draft
    /// version instead, with the same measures and shares unless new ones are given. For the
    /// lead's ADMIN or MEMBER, or a READ_WRITE API token; anyone else gets a FORBIDDEN error.
    /// `userErrors`: as `createSharedResult` (on `id` for a version you cannot see), and
    /// CONFLICT when a draft of the next version already exists (edit that instead).
    async fn update_shared_result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The version and the changes to make.")] input: UpdateSharedResultInput,
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

    /// Publishes a draft (freezing its measures' analyses, all sites pooled and each site's) or
    /// re-publishes a withdrawn version. A version of the same result published before becomes
    /// SUPERSEDED. A claim its measures do not bear out (see `PublicationWarningCode`) is
    /// published only with `acknowledgeWarnings: true`; without it nothing changes and the
    /// payload lists the `warnings`. For the lead's ADMIN or MEMBER, or a READ_WRITE API token;
    /// anyone else gets a FORBIDDEN error. `userErrors`: NOT_FOUND (`id`), INVALID_TRANSITION
    /// (neither DRAFT nor WITHDRAWN), CONFLICT (re-publishing while another version is
    /// published), NOT_ALLOWED_IN_STATUS (the project takes no results), UNACKNOWLEDGED_WARNINGS
    /// (`acknowledgeWarnings`).
    async fn publish_shared_result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The version to publish.")] input: SharedResultIdInput,
        #[graphql(
            default = false,
            desc = "Publish although the payload's `warnings` say the measures do not bear the \
                    claim out; send it after reading them."
        )]
        acknowledge_warnings: bool,
    ) -> async_graphql::Result<SharedResultPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let published = match GlobalId::require(&input.id, NodeKind::SharedResult, "id") {
            Ok(id) => service::publish(db, actor, id, acknowledge_warnings).await,
            Err(e) => Err(e),
        };
        let (result, warnings) = match published {
            Ok(publication) => {
                let result = publication.outcome.map_err(|refused| ServiceError::Invalid(vec![refused]));
                let warnings = publication
                    .warnings
                    .into_iter()
                    .map(PublicationWarning::of)
                    .collect::<Result<Vec<_>, _>>()
                    .gql(ctx)?;
                (result, warnings)
            }
            Err(e) => (Err(e), Vec::new()),
        };
        Ok(SharedResultPayload { warnings, ..payload(ctx, result)? })
    }

    /// Withdraws a published version from view; it is kept (WITHDRAWN, seen by the lead only) and
    /// can be published again. For the lead's ADMIN or MEMBER, or a READ_WRITE API token; anyone
    /// else gets a FORBIDDEN error. `userErrors`: NOT_FOUND (`id`), INVALID_TRANSITION (a version
    /// that is not PUBLISHED), NOT_ALLOWED_IN_STATUS (the project takes no results).
    async fn unpublish_shared_result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The version to withdraw.")] input: SharedResultIdInput,
    ) -> async_graphql::Result<SharedResultPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::SharedResult, "id") {
            Ok(id) => service::unpublish(db, actor, id).await,
            Err(e) => Err(e),
        };
        payload(ctx, result)
    }

    /// The lead records how many people the project engaged in a month (re-sending corrects it).
    /// For the lead's ADMIN or MEMBER, or a READ_WRITE API token; anyone else gets a FORBIDDEN
    /// error. `userErrors`: NOT_FOUND (`projectId`), INVALID (an ID of the wrong kind, a day other
    /// than the 1st, a month not yet begun, a count outside 0–1,000,000), NOT_ALLOWED_IN_STATUS
    /// (a SUBMITTED, WITHDRAWN or DECLINED project, or a COMPLETED one for a month from then on).
    async fn record_engagement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project, the month and the counts.")] input: RecordEngagementInput,
    ) -> async_graphql::Result<RecordEngagementPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.project_id, NodeKind::Project, "projectId") {
            Ok(project) => {
                let e = engagement::Engagement {
                    period_start: input.period_start.into(),
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
                period_start: r.period_start.into(),
                clinicians: r.clinicians,
                service_users: r.service_users,
                others: r.others,
            }),
            user_errors,
        })
    }
}
