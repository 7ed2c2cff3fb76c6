use async_graphql::{ID, SimpleObject};

use super::burden::{Burden, MeasureBurden};
use super::graphql::CollectionMethod;
use crate::graphql::{GlobalId, NodeKind};

/// What a project's monitoring is forecast to take, before funding: each measure's minutes per
/// site per period × the sites taking part or invited × periods a week (1 weekly, 12/52
/// monthly, 4/52 quarterly), in hours a week, beside the team's committed hours and the
/// programme's cap on their share.
#[derive(SimpleObject)]
pub struct MonitoringBurden {
    /// Sites that accepted or are still invited.
    pub sites: i32,
    /// Measures collected by hand in whole or part: MANUAL_AUDIT, MIXED, or not stated.
    pub manual_hours_per_week: f64,
    /// Measures EXTRACTED_FROM_SYSTEM.
    pub extracted_hours_per_week: f64,
    /// `manualHoursPerWeek` + `extractedHoursPerWeek`: the forecast, in hours a week, over the
    /// measures with an estimate.
    pub total_hours_per_week: f64,
    /// The team's current committed hours a week.
    pub committed_hours_per_week: f64,
    /// The programme's cap as a share of committed hours (a third without a programme).
    pub max_share: f64,
    /// `committedHoursPerWeek` × `maxShare`: the most the monitoring may take, in hours a week.
    pub cap_hours_per_week: f64,
    /// Whether the forecast is above the cap (the funding gate then says
    /// `MONITORING_BURDEN_ABOVE_CAPACITY`).
    pub above_cap: bool,
    /// False while any measure lacks an estimate: the total leaves those out.
    pub complete: bool,
    /// Each of the project's measures with its part of the forecast, estimated or not.
    pub measures: Vec<MeasureBurdenView>,
}

/// One measure's part of the forecast.
#[derive(SimpleObject)]
#[graphql(name = "MeasureBurden", complex)]
pub struct MeasureBurdenView {
    /// The measure's ID.
    pub measure_id: ID,
    /// The measure's name.
    pub measure_name: String,
    /// How the data is collected; null until the project says (the forecast then counts it as
    /// manual).
    pub collection_method: Option<CollectionMethod>,
    /// Null without an estimate (`minutesPerSitePerPeriod`): a gap, not zero.
    pub hours_per_week: Option<f64>,
    #[graphql(skip)]
    pub measure_uuid: uuid::Uuid,
}

#[async_graphql::ComplexObject]
impl MeasureBurdenView {
    /// The measure (`measureId` as an object).
    async fn measure(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<super::graphql::Measure>> {
        super::graphql::Measure::linked(ctx, self.measure_uuid).await
    }
}

impl From<MeasureBurden> for MeasureBurdenView {
    fn from(m: MeasureBurden) -> Self {
        Self {
            measure_id: GlobalId::encode(NodeKind::Measure, m.measure_id),
            measure_name: m.name,
            collection_method: m.collection_method.map(Into::into),
            hours_per_week: m.hours_per_week,
            measure_uuid: m.measure_id,
        }
    }
}

impl From<Burden> for MonitoringBurden {
    fn from(b: Burden) -> Self {
        let complete = b.without_estimate().next().is_none();
        Self {
            sites: i32::try_from(b.sites).unwrap_or(i32::MAX),
            manual_hours_per_week: b.manual_hours_per_week,
            extracted_hours_per_week: b.extracted_hours_per_week,
            total_hours_per_week: b.total_hours_per_week(),
            committed_hours_per_week: b.committed_hours_per_week,
            max_share: b.max_share,
            cap_hours_per_week: b.cap_hours_per_week(),
            above_cap: b.above_cap(),
            complete,
            measures: b.measures.into_iter().map(Into::into).collect(),
        }
    }
}
