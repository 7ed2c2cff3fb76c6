use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Upload};
use chrono::{DateTime, NaiveDate, Utc};
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
    GlobalId, GqlResult, NodeKind, Paged, UserError, actor, compute, load_page, outcome, page_request,
    request, shared_connection,
};
use crate::institutions::time_zone;
use crate::mirror_enum;
use crate::scope::Row;

mirror_enum! {
    /// What a measure tells: the result for patients, the process behind it, or a check that
    /// nothing else got worse.
    MeasureKind <=> DbKind { Outcome, Process, Balancing }
}
mirror_enum! {
    /// How values are expressed. PROPORTION needs numerator and denominator (plotted on a
    /// p-chart); the others get an XmR chart.
    MeasureUnit <=> DbUnit { Proportion, Rate, Count, Continuous }
}
mirror_enum! {
    MeasureDirection <=> DbDirection { HigherIsBetter, LowerIsBetter }
}
mirror_enum! {
    /// Periods start on Mondays, the 1st of a month, or the 1st of a quarter.
    MeasureFrequency <=> DbFrequency { Weekly, Monthly, Quarterly }
}
mirror_enum! {
    /// How a measure's data is collected: MANUAL_AUDIT (people find and record it by hand),
    /// EXTRACTED_FROM_SYSTEM (a query or report on an existing electronic system), or MIXED.
    CollectionMethod <=> DbCollectionMethod { ManualAudit, ExtractedFromSystem, Mixed }
}

/// A quality indicator of a project.
pub struct Measure(pub measure::Model);

impl Measure {
    fn row(&self) -> Row<measure::Model> {
        Row::new(self.0.id, self.0.clone())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a batch left out a measure it was asked about")]
struct NotComputed;

#[Object]
impl Measure {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Measure, self.0.id)
    }
    async fn project_id(&self) -> ID {
        GlobalId::encode(NodeKind::Project, self.0.project_id)
    }
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
    async fn kind(&self) -> MeasureKind {
        self.0.kind.into()
    }
    async fn unit(&self) -> MeasureUnit {
        self.0.unit.into()
    }
    async fn direction(&self) -> MeasureDirection {
        self.0.direction.into()
    }
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
    async fn baseline_until(&self) -> Option<NaiveDate> {
        self.0.baseline_until
    }
    /// Periods where the SPC limits start afresh (a change was made to the process).
    async fn rebase_periods(&self) -> Vec<NaiveDate> {
        service::rebase_periods(&self.0)
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
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
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
        site_id: Option<ID>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default)] include_voided: bool,
    ) -> async_graphql::Result<Paged<Observation>> {
        let site = site_of(ctx, &self.0, site_id).await?;
        let filter = ObservationFilter::parse(site, from, to, include_voided).gql(ctx)?;
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
        site_id: Option<ID>,
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
        Ok(super::analysis_graphql::to_graphql(ctx, &self.0, &result))
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
        site_id: Option<ID>,
        #[graphql(default_with = "CsvLayout::Import")] layout: CsvLayout,
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

#[derive(InputObject)]
pub struct VoidObservationsInput {
    pub measure_id: ID,
    /// One site (the host's slug or the site's ID); leave out for every site you may write for
    /// (the lead: all; a host: its own).
    pub site: Option<String>,
    /// The first period to void (a period start, or any day: periods starting from it count).
    pub from: NaiveDate,
    /// The last period start to void, included.
    pub to: NaiveDate,
    /// Why, kept with each row and in the audit event; up to 500 characters.
    pub reason: String,
    /// Report how many rows would be voided, changing nothing.
    #[graphql(default)]
    pub dry_run: bool,
}

#[derive(SimpleObject)]
pub struct VoidObservationsPayload {
    /// Rows voided (in a dry run, that would be); rows already voided are not counted again.
    pub voided_count: i32,
    pub dry_run: bool,
    pub measure: Option<Measure>,
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

#[Object]
impl Observation {
    async fn site_id(&self) -> ID {
        GlobalId::encode(NodeKind::ProjectSite, self.row.site_id)
    }
    /// The period's first day: a calendar date at the site, without a time zone.
    async fn period_start(&self) -> NaiveDate {
        self.row.period_start
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
    async fn numerator(&self) -> Option<f64> {
        self.row.numerator
    }
    async fn denominator(&self) -> Option<f64> {
        self.row.denominator
    }
    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }
    /// When the row was last written (a correction moves it).
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.row.recorded_at
    }
    /// When the row first arrived; corrections leave it alone.
    async fn first_recorded_at(&self) -> DateTime<Utc> {
        self.row.first_recorded_at.unwrap_or(self.row.recorded_at)
    }
    /// How the row first arrived; corrections leave it alone.
    async fn arrival(&self) -> crate::measures::data_flow_graphql::Arrival {
        self.row.arrival.into()
    }
    /// When the row was voided (`voidObservations`); null while it counts. A voided row is left
    /// out of charts, verdicts, exports and data flow; sending its period again brings it back.
    async fn voided_at(&self) -> Option<DateTime<Utc>> {
        self.row.voided_at
    }
    /// Why it was voided.
    async fn void_reason(&self) -> Option<&str> {
        self.row.void_reason.as_deref()
    }
}

/// How a project's measures are doing, all sites pooled, with the default rules.
#[derive(SimpleObject)]
pub struct ImprovementSummary {
    pub measures: i32,
    pub improving: i32,
    pub deteriorating: i32,
    pub no_signal: i32,
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
    pub funded_projects: i32,
    pub projects_measuring: i32,
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

#[derive(InputObject)]
pub struct CreateMeasureInput {
    pub project_id: ID,
    pub name: String,
    /// Up to 32 letters, digits, `-`, `_` or `.`, unique within the project (TAKEN otherwise);
    /// stored in upper case.
    pub code: Option<String>,
    pub operational_definition: String,
    pub kind: MeasureKind,
    pub unit: MeasureUnit,
    pub direction: MeasureDirection,
    pub frequency: MeasureFrequency,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub baseline_until: Option<NaiveDate>,
    pub rebase_periods: Option<Vec<NaiveDate>>,
    /// How the data will be collected.
    pub collection_method: Option<CollectionMethod>,
    /// People's minutes to collect one period's data at one site (0 to 10,080): the monitoring
    /// burden forecast before funding is built from it.
    pub minutes_per_site_per_period: Option<f64>,
}

#[derive(InputObject)]
pub struct UpdateMeasureInput {
    pub id: ID,
    pub name: Option<String>,
    /// As in `createMeasure`; an empty string removes the code.
    pub code: Option<String>,
    pub operational_definition: Option<String>,
    pub kind: Option<MeasureKind>,
    /// Fixed once observations exist.
    pub unit: Option<MeasureUnit>,
    pub direction: Option<MeasureDirection>,
    /// Fixed once observations exist.
    pub frequency: Option<MeasureFrequency>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub baseline_until: Option<NaiveDate>,
    pub rebase_periods: Option<Vec<NaiveDate>>,
    pub collection_method: Option<CollectionMethod>,
    /// 0 to 10,080 minutes.
    pub minutes_per_site_per_period: Option<f64>,
}

#[derive(SimpleObject)]
pub struct MeasurePayload {
    pub measure: Option<Measure>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ObservationInput {
    /// A ProjectSite ID, or the host institution's slug.
    pub site: String,
    pub period_start: NaiveDate,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct RecordObservationsInput {
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
    pub measure_id: Option<ID>,
    pub project_id: Option<ID>,
    pub file: Upload,
    /// Check the file and report what would be created, updated and left unchanged, writing
    /// nothing.
    #[graphql(default)]
    pub dry_run: bool,
}

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
    pub user_errors: Vec<UserError>,
}

/// What a write did to one measure's rows.
#[derive(SimpleObject)]
pub struct MeasureWriteReport {
    pub measure: Measure,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
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
            baseline_until: input.baseline_until,
            rebase_periods: input.rebase_periods,
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
            baseline_until: input.baseline_until,
            rebase_periods: input.rebase_periods,
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
    /// The lead's ADMIN or MEMBER defines a measure.
    async fn create_measure(
        &self,
        ctx: &Context<'_>,
        input: CreateMeasureInput,
    ) -> async_graphql::Result<MeasurePayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.project_id, NodeKind::Project, "projectId") {
            Ok(project_id) => service::create(db, actor, project_id, input.into()).await,
            Err(e) => Err(e),
        };
        let (measure, user_errors) = outcome(ctx, result)?;
        Ok(MeasurePayload { measure: measure.map(Measure), user_errors })
    }

    async fn update_measure(
        &self,
        ctx: &Context<'_>,
        input: UpdateMeasureInput,
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
    /// unchanged rows; `dryRun: true` reports them and writes nothing.
    async fn record_observations(
        &self,
        ctx: &Context<'_>,
        input: RecordObservationsInput,
    ) -> async_graphql::Result<RecordObservationsPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let (dry_run, mode) = (input.dry_run, mode(input.dry_run));
        let rows = input
            .observations
            .into_iter()
            .map(|o| RawRow {
                site: o.site,
                period_start: Ok(o.period_start),
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
    /// brings it back. Errors: NOT_FOUND (`site` not of this project), NOT_ELIGIBLE (another
    /// host's site), REQUIRED/INVALID on `reason`, `from`, `to`, NOT_ALLOWED_IN_STATUS.
    async fn void_observations(
        &self,
        ctx: &Context<'_>,
        input: VoidObservationsInput,
    ) -> async_graphql::Result<VoidObservationsPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let dry_run = input.dry_run;
        let result = match GlobalId::require(&input.measure_id, NodeKind::Measure, "measureId") {
            Ok(id) => {
                let request = super::corrections::VoidRequest {
                    site: input.site,
                    from: input.from,
                    to: input.to,
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
    /// specification.
    async fn import_observations_csv(
        &self,
        ctx: &Context<'_>,
        input: ImportObservationsCsvInput,
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
