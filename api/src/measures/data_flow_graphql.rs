use async_graphql::{ID, SimpleObject};
use entity::observation::Arrival as DbArrival;

use super::burden::Burden;
use super::data_flow::{Flow, MeasureFlow, ProjectFlow};
use crate::graphql::{GlobalId, NodeKind};
use crate::mirror_enum;

mirror_enum! {
    /// How an observation first arrived: INTEGRATION_TOKEN (a script with an API token, from
    /// another system), CSV_UPLOAD, BULK_ENTRY (a person sending several rows; also every row
    /// recorded before arrivals were kept, unless a token sent it) or SINGLE_ENTRY.
    Arrival <=> DbArrival {
        /// Sent with an API token, by request or CSV file.
        IntegrationToken,
        /// A person's CSV file (`importObservationsCsv`).
        CsvUpload,
        /// A person's `recordObservations` call with several rows; also every row recorded before
        /// arrivals were kept, unless a token sent it.
        BulkEntry,
        /// A person's `recordObservations` call with one row.
        SingleEntry,
    }
}

/// How many observations first arrived one way.
#[derive(SimpleObject)]
pub struct ArrivalCount {
    /// The way they arrived.
    pub arrival: Arrival,
    /// Observations (not voided) that first arrived this way.
    pub observations: i32,
}

fn n(count: u64) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// What arrived against what was expected. Periods are expected from the measure's start (the
/// period it was defined in, or its earliest observation if history was loaded) to the last
/// period that has ended, at every accepted site.
#[derive(SimpleObject)]
pub struct DataFlowFigures {
    /// Periods expected, from the measure's start to the last period that has ended, counted once
    /// per accepted site (and summed when pooled).
    pub expected_periods: i32,
    /// Expected periods that have an observation.
    pub recorded_periods: i32,
    /// recorded / expected; null when nothing is expected yet.
    pub completeness: Option<f64>,
    /// Median days from a period's end to its first recording (0 if recorded before it ended);
    /// corrections do not move it.
    pub median_days_to_first_record: Option<f64>,
    /// Share of observations that arrived through integration tokens.
    pub integration_share: Option<f64>,
    /// Observations at the accepted sites, voided ones left out, including those for periods not
    /// yet ended.
    pub observations: i32,
    /// Those observations by how they first arrived: only the ways that occurred, in the order of
    /// the `Arrival` values.
    pub arrivals: Vec<ArrivalCount>,
}

impl From<&Flow> for DataFlowFigures {
    fn from(flow: &Flow) -> Self {
        let mut arrivals: Vec<ArrivalCount> = flow
            .arrivals
            .iter()
            .map(|(arrival, count)| ArrivalCount { arrival: (*arrival).into(), observations: n(*count) })
            .collect();
        arrivals.sort_by_key(|a| a.arrival as u8);
        Self {
            expected_periods: n(flow.expected_periods),
            recorded_periods: n(flow.recorded_periods),
            completeness: flow.completeness(),
            median_days_to_first_record: flow.median_days_to_first_record(),
            integration_share: flow.integration_share(),
            observations: n(flow.observations()),
            arrivals,
        }
    }
}

/// One accepted site's data flow for one measure.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct SiteDataFlow {
    /// The ProjectSite's ID.
    pub site_id: ID,
    /// The site's figures.
    pub flow: DataFlowFigures,
    #[graphql(skip)]
    pub site_uuid: uuid::Uuid,
}

#[async_graphql::ComplexObject]
impl SiteDataFlow {
    /// The site (`siteId` as an object), with its host institution.
    async fn site(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<crate::projects::graphql::ProjectSite>> {
        crate::projects::graphql::ProjectSite::linked(ctx, self.site_uuid).await
    }
}

/// One measure's data flow, pooled over the project's accepted sites and site by site.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct MeasureDataFlow {
    /// The measure's ID.
    pub measure_id: ID,
    /// The measure's name.
    pub measure_name: String,
    /// Its figures, all accepted sites pooled.
    pub flow: DataFlowFigures,
    /// The monitoring burden forecast for this measure, hours a week (null without an estimate):
    /// beside what arrived, where collection was underestimated shows.
    pub forecast_hours_per_week: Option<f64>,
    /// Each accepted site's figures.
    pub sites: Vec<SiteDataFlow>,
    #[graphql(skip)]
    pub measure_uuid: uuid::Uuid,
}

#[async_graphql::ComplexObject]
impl MeasureDataFlow {
    /// The measure (`measureId` as an object).
    async fn measure(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<super::graphql::Measure>> {
        super::graphql::Measure::linked(ctx, self.measure_uuid).await
    }
}

/// A project's data flow, measure by measure and site by site, pooled.
#[derive(SimpleObject)]
pub struct ProjectDataFlow {
    /// Every measure and accepted site pooled.
    pub flow: DataFlowFigures,
    /// The monitoring burden forecast, hours a week, over the measures with an estimate.
    pub forecast_hours_per_week: f64,
    /// Each of the project's measures.
    pub measures: Vec<MeasureDataFlow>,
}

fn measure_view(m: &MeasureFlow, burden: Option<&Burden>) -> MeasureDataFlow {
    let forecast = burden
        .and_then(|b| b.measures.iter().find(|f| f.measure_id == m.measure_id))
        .and_then(|f| f.hours_per_week);
    MeasureDataFlow {
        measure_id: GlobalId::encode(NodeKind::Measure, m.measure_id),
        measure_uuid: m.measure_id,
        measure_name: m.name.clone(),
        flow: (&m.flow).into(),
        forecast_hours_per_week: forecast,
        sites: m
            .sites
            .iter()
            .map(|s| SiteDataFlow {
                site_id: GlobalId::encode(NodeKind::ProjectSite, s.site_id),
                site_uuid: s.site_id,
                flow: (&s.flow).into(),
            })
            .collect(),
    }
}

impl ProjectDataFlow {
    pub fn of(flow: &ProjectFlow, burden: Option<&Burden>) -> Self {
        Self {
            flow: (&flow.flow).into(),
            forecast_hours_per_week: burden.map_or(0.0, Burden::total_hours_per_week),
            measures: flow.measures.iter().map(|m| measure_view(m, burden)).collect(),
        }
    }
}

/// One project's line in the programme's data flow.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ProjectFlowLine {
    /// The project's ID.
    pub project_id: ID,
    /// The project's title.
    pub project_title: String,
    /// Its figures, every measure and accepted site pooled.
    pub flow: DataFlowFigures,
    /// Its monitoring burden forecast, hours a week, over the measures with an estimate.
    pub forecast_hours_per_week: f64,
    #[graphql(skip)]
    pub project_uuid: uuid::Uuid,
}

#[async_graphql::ComplexObject]
impl ProjectFlowLine {
    /// The project (`projectId` as an object).
    async fn project(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<crate::projects::graphql::Project>> {
        crate::projects::graphql::Project::linked(ctx, self.project_uuid).await
    }
}

/// The programme's data flow: every project's, pooled, and each on its own line.
#[derive(SimpleObject)]
pub struct ProgrammeDataFlow {
    /// Every project's figures pooled.
    pub flow: DataFlowFigures,
    /// One line per project of the programme.
    pub projects: Vec<ProjectFlowLine>,
}

impl ProgrammeDataFlow {
    pub fn of(lines: &[(entity::project::Model, ProjectFlow, Burden)]) -> Self {
        let mut pooled = Flow::default();
        let projects = lines
            .iter()
            .map(|(project, flow, burden)| {
                pooled.add(&flow.flow);
                ProjectFlowLine {
                    project_id: GlobalId::encode(NodeKind::Project, project.id),
                    project_uuid: project.id,
                    project_title: project.title.clone(),
                    flow: (&flow.flow).into(),
                    forecast_hours_per_week: burden.total_hours_per_week(),
                }
            })
            .collect();
        Self { flow: (&pooled).into(), projects }
    }
}
