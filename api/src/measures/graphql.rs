use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Upload};

use entity::measure::{
    self, CollectionMethod as DbCollectionMethod, MeasureDirection as DbDirection,
    MeasureFrequency as DbFrequency, MeasureKind as DbKind, MeasureUnit as DbUnit,
};
use entity::observation;

use super::analysis::{Analyses, AnalysisKey, Periods};
use super::calendar::SiteZones;
use super::export::CsvExports;
use super::import::Target;
use super::ingest;
use super::scopes::ObservationsOfMeasure;
use super::service::ObservationFilter;
use super::service::{self, MeasureForm};
use super::validate::RawRow;
use crate::error::{ServiceError, UserErrorCode};
use crate::graphql::{
    Date, GlobalId, GqlResult, Instant, NodeKind, Paged, UserError, actor, compute, load_one, load_page,
    outcome, page_request, request, shared_connection,
};
use crate::institutions::time_zone;
use crate::mirror_enum;
use crate::scope::Row;

mirror_enum! {
    /// What a measure tells: the result for patients, the process behind it, or a check that
    /// nothing else got worse.
    MeasureKind <=> DbKind {
        /// The result for patients or service users; the programme's test of measurable
        /// improvement counts these.
        Outcome,
        /// Whether the steps that should lead to the outcome are carried out.
        Process,
        /// A check that the change has not made something else worse.
        Balancing,
    }
}
mirror_enum! {
    /// How values are expressed. PROPORTION needs numerator and denominator (plotted on a
    /// p-chart); the others get an XmR chart.
    MeasureUnit <=> DbUnit {
        /// Numerator over denominator, plotted from 0 to 1 on a p-chart; every observation needs
        /// both.
        Proportion,
        /// A value of zero or more, or numerator ÷ a positive denominator; XmR chart.
        Rate,
        /// A whole number, zero or more; XmR chart.
        Count,
        /// Any finite number (a time, a length of stay, a score); XmR chart.
        Continuous,
    }
}
mirror_enum! {
    /// Which way is good for the measure. Every signal is read through it: the same upward shift
    /// is an improvement for a vaccination rate and a concern for a fall rate.
    MeasureDirection <=> DbDirection {
        /// Higher values are better.
        HigherIsBetter,
        /// Lower values are better.
        LowerIsBetter,
    }
}
mirror_enum! {
    /// Periods start on Mondays, the 1st of a month, or the 1st of a quarter.
    MeasureFrequency <=> DbFrequency {
        /// One period a week, starting on a Monday.
        Weekly,
        /// One period a month, starting on the 1st.
        Monthly,
        /// One period a quarter, starting on 1 January, April, July or October.
        Quarterly,
    }
}
mirror_enum! {
    /// How a measure's data is collected: MANUAL_AUDIT (people find and record it by hand),
    /// EXTRACTED_FROM_SYSTEM (a query or report on an existing electronic system), or MIXED.
    CollectionMethod <=> DbCollectionMethod {
        /// People find and record the data by hand.
        ManualAudit,
        /// A query or report on an existing electronic system.
        ExtractedFromSystem,
        /// Partly by hand, partly extracted; counted as manual in the monitoring burden.
        Mixed,
    }
}

/// A quality indicator of a project.
pub struct Measure(pub measure::Model);

impl Measure {
    fn row(&self) -> Row<measure::Model> {
        Row::new(self.0.id, self.0.clone())
    }

    /// The measure an ID field names, as the actor may see it: what an object link resolves to.
    pub async fn linked(ctx: &Context<'_>, id: uuid::Uuid) -> async_graphql::Result<Option<Self>> {
        Ok(load_one::<super::scopes::VisibleMeasures>(ctx, id).await?.map(Measure))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a batch left out a measure it was asked about")]
struct NotComputed;

/// A quality indicator of a project: exactly what is counted, how it is expressed and which way
/// is good, with its observations, their analysis and CSV export. Visible with its project.
#[Object]
impl Measure {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Measure, self.0.id)
    }
    /// The ID of the project the measure belongs to.
    async fn project_id(&self) -> ID {
        GlobalId::encode(NodeKind::Project, self.0.project_id)
    }
    /// The project the measure belongs to (`projectId` as an object). Whoever sees a measure sees
    /// its project, so in practice it is never null.
    async fn project(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::projects::graphql::Project>> {
        crate::projects::graphql::Project::linked(ctx, self.0.project_id).await
    }
    /// The measure's name, up to 200 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A short code, unique within the project and kept in upper case (`ABX-1H`), by which a CSV
    /// file's `measure` column may name the measure (its ID works too). Null until the lead sets
    /// one.
    async fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }
    /// Exactly what is counted, from which source, including exclusions.
    async fn operational_definition(&self) -> &str {
        &self.0.operational_definition
    }
    /// OUTCOME, PROCESS or BALANCING.
    async fn kind(&self) -> MeasureKind {
        self.0.kind.into()
    }
    /// How values are expressed, which also picks the SPC chart; fixed once observations exist.
    async fn unit(&self) -> MeasureUnit {
        self.0.unit.into()
    }
    /// Which way is good: every signal and verdict is read through it.
    async fn direction(&self) -> MeasureDirection {
        self.0.direction.into()
    }
    /// How often data is collected, which sets the periods; fixed once observations exist.
    async fn frequency(&self) -> MeasureFrequency {
        self.0.frequency.into()
    }
    /// Copied from a shared result when the project adopted it (`Project.adoptedFrom`).
    async fn adopted(&self) -> bool {
        self.0.adopted_from_measure_id.is_some()
    }
    /// In the plotted unit (0–1 for a proportion).
    async fn baseline(&self) -> Option<f64> {
        self.0.baseline
    }
    /// In the plotted unit (0–1 for a proportion).
    async fn target(&self) -> Option<f64> {
        self.0.target
    }
    /// When set, SPC limits are computed from the points up to this period and then held, within
    /// the segment that holds it; a segment after a later rebase computes its own from all its
    /// points, and one wholly before the date uses all of its points. The run chart takes its
    /// median from the points up to this period.
    async fn baseline_until(&self) -> Option<Date> {
        self.0.baseline_until.map(Into::into)
    }
    /// Periods where the SPC limits start afresh (a change was made to the process).
    async fn rebase_periods(&self) -> Vec<Date> {
        service::rebase_periods(&self.0).into_iter().map(Into::into).collect()
    }
    /// How the data is collected; null until the project says.
    async fn collection_method(&self) -> Option<CollectionMethod> {
        self.0.collection_method.map(Into::into)
    }
    /// People's minutes to collect one period's data at one site; null until estimated (the
    /// monitoring burden then names the measure as a gap rather than counting it as zero).
    async fn minutes_per_site_per_period(&self) -> Option<f64> {
        self.0.minutes_per_site_per_period
    }
    /// When the measure was defined (UTC).
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }

    /// The measure's observations, optionally for one site (the host's slug or the site's ID) and
    /// a range of periods, by period
    /// (oldest first; `last: 24` gives the latest 24), then by site. Voided ones only with
    /// `includeVoided: true` (they carry `voidedAt` and `voidReason`).
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn observations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One site: the host institution's slug or the ProjectSite ID; left out, every \
                          site. A NOT_FOUND error for a site not taking part in the project.")]
        site_id: Option<ID>,
        #[graphql(desc = "Only periods starting on or after this day (YYYY-MM-DD, 1900 to 2199).")]
        from: Option<Date>,
        #[graphql(desc = "Only periods starting on or before this day (YYYY-MM-DD, 1900 to 2199).")]
        to: Option<Date>,
        #[graphql(desc = "Items from the start, or after `after`: 1 to 100 (default 20); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "A cursor (`pageInfo.endCursor`): the items after it.")] after: Option<String>,
        #[graphql(desc = "Items from the end, or before `before`: 1 to 100.")] last: Option<i32>,
        #[graphql(desc = "A cursor (`pageInfo.startCursor`): the items before it.")] before: Option<String>,
        #[graphql(default, desc = "Include voided rows too (default false).")] include_voided: bool,
    ) -> async_graphql::Result<Paged<Observation>> {
        let site = site_of(ctx, &self.0, site_id).await?;
        let filter = ObservationFilter::parse(site, from.map(Into::into), to.map(Into::into), include_voided)
            .gql(ctx)?;
        let page = page_request(first, after, last, before).gql(ctx)?;
        let found = load_page::<ObservationsOfMeasure>(ctx, self.0.id, filter, page).await?;
        Ok(shared_connection(&found, |row| Observation { row, frequency: self.0.frequency }))
    }

    /// Run chart, SPC chart and verdict for one site (`siteId`, as everywhere: the host's slug or
    /// the site's ID; NOT_FOUND for a site not taking part in this project), or all sites pooled
    /// (proportions and rates as Σ numerators / Σ denominators, counts summed, other values
    /// averaged). Rows of a period that has not ended at their site (in its host institution's
    /// time zone) are left out and listed in `excluded` as PERIOD_NOT_ENDED, unless
    /// `options.includeIncomplete` asks for them.
    #[graphql(complexity = "crate::graphql::cost::MEASURE_ANALYSIS")]
    async fn analysis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One site: the host institution's slug or the ProjectSite ID; left out, all \
                          sites pooled.")]
        site_id: Option<ID>,
        #[graphql(desc = "Rules to switch off and lengths to change; left out, the published defaults.")]
        options: Option<super::analysis_graphql::AnalysisOptions>,
    ) -> async_graphql::Result<super::analysis_graphql::Analysis> {
        let site = site_of(ctx, &self.0, site_id).await?;
        let options = options.unwrap_or_default();
        let periods = Periods { include_incomplete: options.include_incomplete };
        let config = options.into_config().gql(ctx)?;
        let key = AnalysisKey { measure: self.row(), site_id: site, config, periods };
        let result = compute::<Analyses>(ctx, key)
            .await?
            .ok_or_else(|| ServiceError::internal(NotComputed))
            .gql(ctx)?;
        Ok(super::analysis_graphql::to_graphql(&crate::charts::ChartSubject::of(&self.0), &result))
    }

    /// The observations as CSV, oldest period first, then by site; one site's, or every site's.
    /// IMPORT (the default) is the format `importObservationsCsv` reads (`site` is the host's
    /// slug; `value` blank where numerator and denominator are given); TABLE is for analysis tools
    /// (`measure_id,measure,site,period_start,value,numerator,denominator,note`, `value` filled in
    /// for proportions). At most 100,000 rows. Also at
    /// `GET /export/measures/{measureId}.csv?site={siteId}&layout=TABLE`.
    #[graphql(complexity = "crate::graphql::cost::OBSERVATIONS_CSV")]
    async fn observations_csv(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One site: the host institution's slug or the ProjectSite ID; left out, every \
                          site. A NOT_FOUND error for a site not taking part in the project.")]
        site_id: Option<ID>,
        #[graphql(default_with = "CsvLayout::Import", desc = "IMPORT (the default) or TABLE.")]
        layout: CsvLayout,
    ) -> async_graphql::Result<String> {
        let site = site_of(ctx, &self.0, site_id).await?;
        let layout = match layout {
            CsvLayout::Import => super::export::Layout::Import,
            CsvLayout::Table => super::export::Layout::Table,
        };
        let csv = compute::<CsvExports>(ctx, (self.row(), site, layout)).await?;
        csv.ok_or_else(|| ServiceError::internal(NotComputed)).gql(ctx)
    }
}

/// Which of a measure's observations to void, for a range of periods, and why.
#[derive(InputObject)]
pub struct VoidObservationsInput {
    /// The measure whose observations are voided.
    pub measure_id: ID,
    /// One site (the host's slug or the site's ID); leave out for every site you may write for
    /// (the lead: all; a host: its own).
    pub site: Option<String>,
    /// The first period to void (a period start, or any day: periods starting from it count).
    pub from: Date,
    /// The last period start to void, included.
    pub to: Date,
    /// Why, kept with each row and in the audit event; up to 500 characters.
    pub reason: String,
    /// Report how many rows would be voided, changing nothing.
    #[graphql(default)]
    pub dry_run: bool,
}

/// What `voidObservations` voided, or in a dry run would void.
#[derive(SimpleObject)]
pub struct VoidObservationsPayload {
    /// Rows voided (in a dry run, that would be); rows already voided are not counted again.
    pub voided_count: i32,
    /// Nothing was changed: `voidedCount` says what the call would have voided.
    pub dry_run: bool,
    /// The measure; null when anything was refused.
    pub measure: Option<Measure>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The site a `siteId` argument names (the host's slug or the site's ID), among the measure's
/// project's accepted sites; NOT_FOUND on `siteId` otherwise.
async fn site_of(
    ctx: &Context<'_>,
    measure: &measure::Model,
    site_id: Option<ID>,
) -> async_graphql::Result<Option<uuid::Uuid>> {
    let Some(name) = site_id else { return Ok(None) };
    let found = compute::<super::service::SiteNames>(ctx, (measure.project_id, name.to_string())).await?;
    found.map(Some).ok_or(ServiceError::NotFound { field: "siteId" }).gql(ctx)
}

/// How observations are laid out as CSV.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvLayout {
    /// The columns `importObservationsCsv` reads, so a file can be corrected and sent back.
    Import,
    /// One row per observation with the measure named and every value filled in.
    Table,
}

/// One period's data point at one site.
pub struct Observation {
    row: observation::Model,
    /// The measure's, so that the row can tell whether its period has ended.
    frequency: entity::measure::MeasureFrequency,
}

/// One period's data point for a measure at one site: a value, or numerator and denominator,
/// with a note. There is one per measure, site and period; sending the period again updates it.
#[Object]
impl Observation {
    /// The ID of the ProjectSite it was recorded for.
    async fn site_id(&self) -> ID {
        GlobalId::encode(NodeKind::ProjectSite, self.row.site_id)
    }
    /// The site it was recorded for (`siteId` as an object), with its host institution. Whoever
    /// sees an observation sees its site, so in practice it is never null.
    async fn site(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::projects::graphql::ProjectSite>> {
        crate::projects::graphql::ProjectSite::linked(ctx, self.row.site_id).await
    }
    /// The period's first day: a calendar date at the site, without a time zone.
    async fn period_start(&self) -> Date {
        self.row.period_start.into()
    }
    /// Whether the period is over at the site, in its host institution's time zone
    /// (`Institution.timeZone`). Rows of a period not ended are kept and listed, and left out of
    /// analyses unless `includeIncomplete` asks for them.
    async fn period_ended(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let zone = compute::<SiteZones>(ctx, self.row.site_id).await?.unwrap_or(time_zone::DEFAULT);
        let today = time_zone::today_in(zone, request(ctx)?.db.now());
        Ok(super::periods::has_ended(self.frequency, self.row.period_start, today))
    }
    /// The plotted value: given, or numerator ÷ denominator (null when the denominator is 0).
    async fn value(&self) -> Option<f64> {
        self.row.value
    }
    /// As recorded; null when the value was recorded alone.
    async fn numerator(&self) -> Option<f64> {
        self.row.numerator
    }
    /// As recorded; null when the value was recorded alone.
    async fn denominator(&self) -> Option<f64> {
        self.row.denominator
    }
    /// Free text kept with the row (up to 2,000 characters); null without one.
    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }
    /// When the row was last written (a correction moves it).
    async fn recorded_at(&self) -> Instant {
        self.row.recorded_at.into()
    }
    /// When the row first arrived; corrections leave it alone.
    async fn first_recorded_at(&self) -> Instant {
        self.row.first_recorded_at.unwrap_or(self.row.recorded_at).into()
    }
    /// How the row first arrived; corrections leave it alone.
    async fn arrival(&self) -> crate::measures::data_flow_graphql::Arrival {
        self.row.arrival.into()
    }
    /// When the row was voided (`voidObservations`); null while it counts. A voided row is left
    /// out of charts, verdicts, exports and data flow; sending its period again brings it back.
    async fn voided_at(&self) -> Option<Instant> {
        self.row.voided_at.map(Into::into)
    }
    /// Why it was voided.
    async fn void_reason(&self) -> Option<&str> {
        self.row.void_reason.as_deref()
    }
}

/// How a project's measures are doing, all sites pooled, with the default rules.
#[derive(SimpleObject)]
pub struct ImprovementSummary {
    /// The project's measures.
    pub measures: i32,
    /// Measures whose verdict is IMPROVING.
    pub improving: i32,
    /// Measures whose verdict is DETERIORATING.
    pub deteriorating: i32,
    /// Measures whose verdict is NO_SIGNAL.
    pub no_signal: i32,
    /// Measures whose verdict is INSUFFICIENT_DATA.
    pub insufficient_data: i32,
    /// At least one OUTCOME measure shows improvement: the programme's test of measurable
    /// improvement.
    pub shows_measurable_improvement: bool,
}

impl From<super::rollup::VerdictCounts> for ImprovementSummary {
    fn from(c: super::rollup::VerdictCounts) -> Self {
        let n = crate::graphql::int;
        Self {
            measures: n(c.measures),
            improving: n(c.improving),
            deteriorating: n(c.deteriorating),
            no_signal: n(c.no_signal),
            insufficient_data: n(c.insufficient_data),
            shows_measurable_improvement: c.outcome_improving,
        }
    }
}

/// For a programme's funder: how many funded projects show measurable improvement.
#[derive(SimpleObject)]
pub struct ProgrammeImprovement {
    /// The programme's projects that have been funded (now FUNDED, ACTIVE or COMPLETED).
    pub funded_projects: i32,
    /// Of those, the projects with at least one measure.
    pub projects_measuring: i32,
    /// Of those, the projects where at least one OUTCOME measure's verdict (all sites pooled,
    /// default rules) is IMPROVING.
    pub projects_showing_improvement: i32,
}

impl From<super::rollup::ProgrammeImprovement> for ProgrammeImprovement {
    fn from(p: super::rollup::ProgrammeImprovement) -> Self {
        let n = crate::graphql::int;
        Self {
            funded_projects: n(p.funded_projects),
            projects_measuring: n(p.projects_measuring),
            projects_showing_improvement: n(p.projects_improving),
        }
    }
}

/// A new measure of a project: what is counted, how it is expressed and read, and what good
/// looks like.
#[derive(InputObject)]
pub struct CreateMeasureInput {
    /// The project the measure belongs to.
    pub project_id: ID,
    /// Up to 200 characters; not blank.
    pub name: String,
    /// Up to 32 letters, digits, `-`, `_` or `.`, unique within the project (TAKEN otherwise);
    /// stored in upper case.
    pub code: Option<String>,
    /// Exactly what is counted, from which source, including exclusions; up to 10,000 characters,
    /// not blank.
    pub operational_definition: String,
    /// OUTCOME, PROCESS or BALANCING.
    pub kind: MeasureKind,
    /// How values are expressed; fixed once observations exist.
    pub unit: MeasureUnit,
    /// Which way is good.
    pub direction: MeasureDirection,
    /// How often data is collected; fixed once observations exist.
    pub frequency: MeasureFrequency,
    /// The level before the project, in the plotted unit (0–1 for a PROPORTION); the analysis's
    /// `changeFromBaseline` is measured from it.
    pub baseline: Option<f64>,
    /// The level aimed for, in the plotted unit (0–1 for a PROPORTION); it gives the analysis's
    /// `assurance` and `gapToTarget`.
    pub target: Option<f64>,
    /// Fix the SPC limits and the run chart's median on the points up to this period (see
    /// `Measure.baselineUntil`); a date from 1900 to 2199.
    pub baseline_until: Option<Date>,
    /// Period starts where the SPC limits start afresh after a change to the process: at most 50,
    /// each the start of a period of the measure's frequency, from 1900 to 2199.
    pub rebase_periods: Option<Vec<Date>>,
    /// How the data will be collected.
    pub collection_method: Option<CollectionMethod>,
    /// People's minutes to collect one period's data at one site (0 to 10,080): the monitoring
    /// burden forecast before funding is built from it.
    pub minutes_per_site_per_period: Option<f64>,
}

/// Changes to a measure: a field left out (or null) keeps its value.
#[derive(InputObject)]
pub struct UpdateMeasureInput {
    /// The measure to change.
    pub id: ID,
    /// Up to 200 characters; not blank.
    pub name: Option<String>,
    /// As in `createMeasure`; an empty string removes the code.
    pub code: Option<String>,
    /// Up to 10,000 characters; not blank.
    pub operational_definition: Option<String>,
    /// OUTCOME, PROCESS or BALANCING.
    pub kind: Option<MeasureKind>,
    /// Fixed once observations exist.
    pub unit: Option<MeasureUnit>,
    /// Which way is good; the analysis reads every signal through it.
    pub direction: Option<MeasureDirection>,
    /// Fixed once observations exist.
    pub frequency: Option<MeasureFrequency>,
    /// In the plotted unit (0–1 for a PROPORTION). It can be changed but not removed.
    pub baseline: Option<f64>,
    /// In the plotted unit (0–1 for a PROPORTION). It can be changed but not removed.
    pub target: Option<f64>,
    /// As in `createMeasure`. It can be changed but not removed.
    pub baseline_until: Option<Date>,
    /// Replaces the whole list (an empty list removes every rebase); as in `createMeasure`.
    pub rebase_periods: Option<Vec<Date>>,
    /// How the data is collected. It can be changed but not removed.
    pub collection_method: Option<CollectionMethod>,
    /// 0 to 10,080 minutes.
    pub minutes_per_site_per_period: Option<f64>,
}

/// The measure `createMeasure` or `updateMeasure` saved.
#[derive(SimpleObject)]
pub struct MeasurePayload {
    /// The measure as saved; null when anything was refused.
    pub measure: Option<Measure>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// One observation to record: a site, a period and what was measured, as the measure's unit needs
/// it.
#[derive(InputObject)]
pub struct ObservationInput {
    /// A ProjectSite ID, or the host institution's slug.
    pub site: String,
    /// The period's first day (YYYY-MM-DD): a Monday for a weekly measure, the 1st for a monthly
    /// one, 1 January, April, July or October for a quarterly one; not after today at the site.
    pub period_start: Date,
    /// The value: required for COUNT (a whole number, zero or more) and CONTINUOUS; for a RATE,
    /// this (zero or more) or numerator and denominator; for a PROPORTION it is ignored and
    /// computed as numerator ÷ denominator.
    pub value: Option<f64>,
    /// Not negative, and only with a denominator. Required for a PROPORTION (at most the
    /// denominator); for a RATE the value is then numerator ÷ denominator.
    pub numerator: Option<f64>,
    /// Not negative, and only with a numerator; positive for a RATE. A PROPORTION's may be 0: the
    /// row is kept but left out of the p-chart.
    pub denominator: Option<f64>,
    /// Free text kept with the row, up to 2,000 characters; blank for none.
    pub note: Option<String>,
}

/// Observations of one measure to record in one call.
#[derive(InputObject)]
pub struct RecordObservationsInput {
    /// The measure the rows belong to.
    pub measure_id: ID,
    /// Up to 10,000 rows. All or nothing: one bad row rejects the call, and every bad row is
    /// listed in `userErrors` as `["input", "observations", index, field]`.
    pub observations: Vec<ObservationInput>,
    /// Check the rows and report what would be created, updated and left unchanged, writing
    /// nothing.
    #[graphql(default)]
    pub dry_run: bool,
}

/// A CSV file for one measure (`measureId`) or for several measures of a project (`projectId`,
/// with a `measure` column): exactly one of the two.
///
/// Columns, in any order, matched ignoring case, spaces, hyphens and underscores, with the
/// other names each may have: `measure` (measure_id, measure_code, code: the measure's code or
/// ID), `site` (site_id, site_slug, hospital, institution: the host's slug or the site's ID),
/// `period_start` (period, start, month, week, quarter, date: YYYY-MM-DD), `value` (result),
/// `numerator` (num), `denominator` (denom), `note` (notes, comment, comments). `site` and
/// `period_start` are required. Commas or semicolons are detected from the header; a
/// semicolon file may write decimal commas. The file must be UTF-8 (Excel: "CSV UTF-8"); lines
/// whose cells are all empty are skipped. At most 10,000 rows.
///
/// Every problem is reported in one pass, in line order, as `["input", "file", line, column]`
/// with the column named as the file's header names it (`["input", "file", line]` for a whole
/// line, line 1 being the header); nothing is written while any remains. The project's
/// `observationsCsvTemplate` is a file to fill in.
#[derive(InputObject)]
pub struct ImportObservationsCsvInput {
    /// The measure the file is for (a `measure` column, if any, must name it or be blank); not
    /// with `projectId`.
    pub measure_id: Option<ID>,
    /// The project whose measures the file's `measure` column names, by code or ID; not with
    /// `measureId`.
    pub project_id: Option<ID>,
    /// The CSV file, sent as a part of the multipart request.
    pub file: Upload,
    /// Check the file and report what would be created, updated and left unchanged, writing
    /// nothing.
    #[graphql(default)]
    pub dry_run: bool,
}

/// What `recordObservations` or `importObservationsCsv` wrote (in a dry run, would write).
#[derive(SimpleObject)]
pub struct RecordObservationsPayload {
    /// Rows written: `created + updated` (in a dry run, that would be); 0 when anything was
    /// refused. A row identical to the stored one is not written.
    pub recorded_count: i32,
    /// Rows for a site and period that had none.
    pub created: i32,
    /// Rows whose value, numerator, denominator or note changed.
    pub updated: i32,
    /// Rows identical to what is stored: left alone, `recordedAt` included.
    pub unchanged: i32,
    /// Rows (of those sent) for a period that has not ended at their site, in its host
    /// institution's time zone: kept, flagged (`Observation.periodEnded`), and left out of
    /// analyses until the period ends.
    pub incomplete: i32,
    /// Nothing was written: the counts say what the call would have done.
    pub dry_run: bool,
    /// The measure written to, when there was one (null for a project's file of several).
    pub measure: Option<Measure>,
    /// The same counts for each measure written to, in the order they first appear.
    pub by_measure: Vec<MeasureWriteReport>,
    /// Problems with the input; empty on success. Every bad row is listed, at `["input",
    /// "observations", index, field]` or `["input", "file", line, column]`; beyond 500, one more
    /// error says how many were left out.
    pub user_errors: Vec<UserError>,
}

/// What a write did to one measure's rows.
#[derive(SimpleObject)]
pub struct MeasureWriteReport {
    /// The measure written to.
    pub measure: Measure,
    /// Its rows for a site and period that had none.
    pub created: i32,
    /// Its rows whose value, numerator, denominator or note changed.
    pub updated: i32,
    /// Its rows identical to what is stored, left alone.
    pub unchanged: i32,
    /// Its rows for a period that has not ended at their site: kept, and left out of analyses
    /// until the period ends.
    pub incomplete: i32,
}

impl From<CreateMeasureInput> for MeasureForm {
    fn from(input: CreateMeasureInput) -> Self {
        MeasureForm {
            name: Some(input.name),
            code: input.code,
            operational_definition: Some(input.operational_definition),
            kind: Some(input.kind.into()),
            unit: Some(input.unit.into()),
            direction: Some(input.direction.into()),
            frequency: Some(input.frequency.into()),
            baseline: input.baseline,
            target: input.target,
            baseline_until: input.baseline_until.map(Into::into),
            rebase_periods: input.rebase_periods.map(|days| days.into_iter().map(Into::into).collect()),
            collection_method: input.collection_method.map(Into::into),
            minutes_per_site_per_period: input.minutes_per_site_per_period,
        }
    }
}

impl From<UpdateMeasureInput> for MeasureForm {
    fn from(input: UpdateMeasureInput) -> Self {
        MeasureForm {
            name: input.name,
            code: input.code,
            operational_definition: input.operational_definition,
            kind: input.kind.map(Into::into),
            unit: input.unit.map(Into::into),
            direction: input.direction.map(Into::into),
            frequency: input.frequency.map(Into::into),
            baseline: input.baseline,
            target: input.target,
            baseline_until: input.baseline_until.map(Into::into),
            rebase_periods: input.rebase_periods.map(|days| days.into_iter().map(Into::into).collect()),
            collection_method: input.collection_method.map(Into::into),
            minutes_per_site_per_period: input.minutes_per_site_per_period,
        }
    }
}

fn mode(dry_run: bool) -> ingest::Mode {
    if dry_run { ingest::Mode::DryRun } else { ingest::Mode::Write }
}

fn recorded(
    result: Result<Vec<ingest::Recorded>, ServiceError>,
    dry_run: bool,
    ctx: &Context<'_>,
) -> async_graphql::Result<RecordObservationsPayload> {
    let (reports, user_errors) = outcome(ctx, result)?;
    let reports = reports.unwrap_or_default();
    let total =
        |count: fn(&ingest::Recorded) -> usize| crate::graphql::int(reports.iter().map(count).sum::<usize>());
    Ok(RecordObservationsPayload {
        recorded_count: total(ingest::Recorded::written),
        created: total(|r| r.created),
        updated: total(|r| r.updated),
        unchanged: total(|r| r.unchanged),
        incomplete: total(|r| r.incomplete),
        dry_run: reports.first().map_or(dry_run, |r| r.dry_run),
        measure: match reports.as_slice() {
            [only] => Some(Measure(only.measure.clone())),
            _ => None,
        },
        by_measure: reports
            .into_iter()
            .map(|r| MeasureWriteReport {
                created: crate::graphql::int(r.created),
                updated: crate::graphql::int(r.updated),
                unchanged: crate::graphql::int(r.unchanged),
                incomplete: crate::graphql::int(r.incomplete),
                measure: Measure(r.measure),
            })
            .collect(),
        user_errors,
    })
}

#[derive(Default)]
pub struct MeasureMutation;

#[Object]
impl MeasureMutation {
    /// The lead's ADMIN or MEMBER defines a measure (a READ_WRITE API token of the lead may too)
    /// while the project is DRAFT, FUNDED or ACTIVE; anyone else gets a FORBIDDEN error.
    /// userErrors: REQUIRED (a missing or blank field), INVALID (lengths, code, numbers, dates,
    /// rebase periods, a malformed `projectId`), TAKEN (`code`), NOT_FOUND (`projectId`),
    /// NOT_ALLOWED_IN_STATUS.
    async fn create_measure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The measure to define.")] input: CreateMeasureInput,
    ) -> async_graphql::Result<MeasurePayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.project_id, NodeKind::Project, "projectId") {
            Ok(project_id) => service::create(db, actor, project_id, input.into()).await,
            Err(e) => Err(e),
        };
        let (measure, user_errors) = outcome(ctx, result)?;
        Ok(MeasurePayload { measure: measure.map(Measure), user_errors })
    }

    /// Changes a measure: who and when as for `createMeasure`. userErrors: NOT_FOUND (`id`),
    /// IMMUTABLE (`unit`: unit or frequency changed once observations exist), REQUIRED (a blank
    /// name or definition), INVALID, TAKEN (`code`), NOT_ALLOWED_IN_STATUS.
    async fn update_measure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The measure and the fields to change.")] input: UpdateMeasureInput,
    ) -> async_graphql::Result<MeasurePayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::Measure, "id") {
            Ok(id) => service::update(db, actor, id, input.into()).await,
            Err(e) => Err(e),
        };
        let (measure, user_errors) = outcome(ctx, result)?;
        Ok(MeasurePayload { measure: measure.map(Measure), user_errors })
    }

    /// Records up to 10,000 observations at once; re-sending a (site, period) updates it, and a
    /// row identical to the stored one is left alone. The payload counts created, updated and
    /// unchanged rows; `dryRun: true` reports them and writes nothing. The lead's ADMIN or MEMBER
    /// records for any accepted site, a host's ADMIN or MEMBER for its own site only; READ_WRITE
    /// API tokens too (their rows arrive as INTEGRATION_TOKEN); others get a FORBIDDEN error. The
    /// project must be DRAFT, FUNDED or ACTIVE, or COMPLETED for periods before completion.
    /// userErrors: NOT_FOUND (`measureId`, a row's `site`), NOT_ELIGIBLE (another host's site),
    /// REQUIRED, INVALID, NOT_ALLOWED_IN_STATUS.
    async fn record_observations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The measure and its rows.")] input: RecordObservationsInput,
    ) -> async_graphql::Result<RecordObservationsPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let (dry_run, mode) = (input.dry_run, mode(input.dry_run));
        let rows = input
            .observations
            .into_iter()
            .map(|o| RawRow {
                site: o.site,
                period_start: Ok(o.period_start.into()),
                value: o.value,
                numerator: o.numerator,
                denominator: o.denominator,
                note: o.note,
                unreadable: false,
            })
            .collect();
        let result = match GlobalId::require(&input.measure_id, NodeKind::Measure, "measureId") {
            Ok(id) => ingest::record(db, actor, id, rows, mode).await.map(|r| vec![r]),
            Err(e) => Err(e),
        };
        recorded(result, dry_run, ctx)
    }

    /// Voids a measure's observations for a range of periods, with a reason: the lead's ADMIN or
    /// MEMBER for any site, a site's for its own (as for recording). Voided rows leave charts,
    /// verdicts, exports and data flow, stay listed with `observations(includeVoided: true)`, and
    /// the audit event (`observation.void`) keeps each row's old values. Sending a period again
    /// brings it back. READ_WRITE API tokens may too; others get a FORBIDDEN error. Errors:
    /// NOT_FOUND (`measureId`, or `site` not of this project), NOT_ELIGIBLE (another host's site),
    /// REQUIRED/INVALID on `reason`, `from`, `to`, NOT_ALLOWED_IN_STATUS.
    async fn void_observations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The measure, the periods, the site and the reason.")] input: VoidObservationsInput,
    ) -> async_graphql::Result<VoidObservationsPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let dry_run = input.dry_run;
        let result = match GlobalId::require(&input.measure_id, NodeKind::Measure, "measureId") {
            Ok(id) => {
                let request = super::corrections::VoidRequest {
                    site: input.site,
                    from: input.from.into(),
                    to: input.to.into(),
                    reason: input.reason,
                };
                super::corrections::void(db, actor, id, request, mode(dry_run)).await
            }
            Err(e) => Err(e),
        };
        let (voided, user_errors) = outcome(ctx, result)?;
        Ok(match voided {
            Some(v) => VoidObservationsPayload {
                voided_count: crate::graphql::int(v.voided),
                dry_run: v.dry_run,
                measure: Some(Measure(v.measure)),
                user_errors,
            },
            None => VoidObservationsPayload { voided_count: 0, dry_run, measure: None, user_errors },
        })
    }

    /// The same as `recordObservations`, from a CSV file sent with the GraphQL multipart request
    /// specification: the same callers, and every measure's rows written in one transaction or
    /// none. userErrors: REQUIRED (no `file`, no `measure` column or cell in a project's file, a
    /// row's missing value), INVALID (the file, its header, its cells, both or neither of
    /// `measureId` and `projectId`), NOT_FOUND (`measureId`, `projectId`, a measure or site the
    /// file names), NOT_ELIGIBLE (another host's site), NOT_ALLOWED_IN_STATUS.
    async fn import_observations_csv(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file and the measure or project it is for.")] input: ImportObservationsCsvInput,
    ) -> async_graphql::Result<RecordObservationsPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let (dry_run, mode) = (input.dry_run, mode(input.dry_run));
        let bytes = match input.file.value(ctx) {
            Ok(upload) => {
                let mut content = Vec::new();
                std::io::Read::read_to_end(&mut upload.into_read(), &mut content)
                    .map(|_| content)
                    .map_err(ServiceError::internal)
            }
            Err(_) => {
                Err(ServiceError::invalid("file", UserErrorCode::Required, "attach the CSV file as `file`"))
            }
        };
        let target = match (&input.measure_id, &input.project_id) {
            (Some(id), None) => GlobalId::require(id, NodeKind::Measure, "measureId").map(Target::Measure),
            (None, Some(id)) => GlobalId::require(id, NodeKind::Project, "projectId").map(Target::Project),
            _ => Err(ServiceError::invalid(
                "measureId",
                UserErrorCode::Invalid,
                "give measureId for one measure's file, or projectId for a file with a measure column",
            )),
        };
        let result = match (bytes, target) {
            (Err(e), _) | (_, Err(e)) => Err(e),
            (Ok(bytes), Ok(target)) => super::import::import(db, actor, target, &bytes, mode).await,
        };
        recorded(result, dry_run, ctx)
    }
}
