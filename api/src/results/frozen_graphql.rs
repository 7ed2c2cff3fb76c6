//! A published result's frozen analyses as GraphQL: the summary of each linked measure, and
//! every series behind it (all sites pooled, and each site) in the same shape as the live
//! `Measure.analysis`, so that a reader who cannot see the project draws the same charts.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};

use uuid::Uuid;

use super::scopes::SeriesOfLink;
use super::snapshot::MeasureSnapshot;
use crate::charts::ChartSubject;
use crate::error::ServiceError;
use crate::graphql::{Date, GqlResult, Instant, load_children, load_one};
use crate::institutions::graphql::InstitutionProfile;
use crate::institutions::service::Directory;
use crate::measures::analysis::MeasureAnalysis;
use crate::measures::analysis_graphql::{
    Analysis, AnalysisRule, Assurance, LimitsMultiplier, SignalEffect, Variation, Verdict, to_graphql,
};

/// A stored name (`NO_SIGNAL`) back to its enum value. Snapshots store the names the schema
/// uses, and enum values are never removed, so a name not found is a damaged snapshot.
pub fn named<E: async_graphql::resolver_utils::EnumType>(name: &str) -> Result<E, ServiceError> {
    E::items().iter().find(|item| item.name == name).map(|item| item.value).ok_or_else(|| {
        ServiceError::internal(std::io::Error::other(format!("unknown name {name:?} in a snapshot")))
    })
}

fn named_opt<E: async_graphql::resolver_utils::EnumType>(
    name: Option<&str>,
) -> Result<Option<E>, ServiceError> {
    name.map(named).transpose()
}

/// A signal behind a frozen verdict, as the live analysis's `AnalysisSignal` reports it.
#[derive(SimpleObject)]
pub struct SnapshotSignal {
    /// The rule that raised it.
    pub rule: AnalysisRule,
    /// The signal read through the measure's direction.
    pub effect: SignalEffect,
    /// The first day of the last period the signal covers.
    pub last_period: Option<Date>,
}

/// A linked measure's analysis as it stood when the result was published.
pub struct FrozenAnalysis {
    link_id: Uuid,
    snapshot: MeasureSnapshot,
}

impl FrozenAnalysis {
    pub fn new(link_id: Uuid, snapshot: MeasureSnapshot) -> Self {
        Self { link_id, snapshot }
    }

    async fn series(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FrozenSeries>> {
        let Some(subject) = self.snapshot.chart_subject() else { return Ok(Vec::new()) };
        load_children::<SeriesOfLink>(ctx, self.link_id)
            .await?
            .into_iter()
            .map(|row| {
                let analysis: MeasureAnalysis =
                    serde_json::from_str(&row.analysis).map_err(ServiceError::internal).gql(ctx)?;
                Ok(FrozenSeries {
                    institution_id: row.institution_id,
                    subject: subject.clone(),
                    analysis: Arc::new(analysis),
                })
            })
            .collect()
    }
}

/// A linked measure's analysis as it stood when the result was published.
#[Object]
impl FrozenAnalysis {
    /// The measure's name when the analysis was frozen.
    async fn measure_name(&self) -> &str {
        &self.snapshot.measure_name
    }
    /// The verdict, all sites pooled.
    async fn verdict(&self, ctx: &Context<'_>) -> async_graphql::Result<Verdict> {
        named(&self.snapshot.verdict).gql(ctx)
    }
    /// The verdict stood on the SPC chart's trial limits (fewer than 12 points in its latest
    /// segment) when it was frozen.
    async fn provisional(&self) -> bool {
        self.snapshot.provisional
    }
    /// The scale of the XmR limits the verdict was read on.
    async fn limits_multiplier(&self, ctx: &Context<'_>) -> async_graphql::Result<LimitsMultiplier> {
        named(&self.snapshot.limits_multiplier).gql(ctx)
    }
    /// Whether outlying moving ranges were left out of the XmR limits.
    async fn moving_ranges_screened(&self) -> bool {
        self.snapshot.moving_ranges_screened
    }
    /// Making Data Count's assurance icon; null without a target, and in results published
    /// before it was recorded.
    async fn assurance(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Assurance>> {
        named_opt(self.snapshot.assurance.as_deref()).gql(ctx)
    }
    /// Making Data Count's variation icon; null in results published before it was recorded.
    async fn variation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Variation>> {
        named_opt(self.snapshot.variation.as_deref()).gql(ctx)
    }
    /// The signals that justified the verdict.
    async fn signals(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SnapshotSignal>> {
        self.snapshot
            .signals
            .iter()
            .map(|s| {
                Ok(SnapshotSignal {
                    rule: named(&s.rule)?,
                    effect: named(&s.effect)?,
                    last_period: s.last_period.map(Into::into),
                })
            })
            .collect::<Result<_, ServiceError>>()
            .gql(ctx)
    }
    /// The SPC chart's current centre line (its latest segment's mean, or pooled proportion from
    /// 0 to 1), in the measure's plotted unit; null without points.
    async fn centre(&self) -> Option<f64> {
        self.snapshot.centre
    }
    /// `centre` minus the measure's baseline; null without a baseline or without points.
    async fn change_from_baseline(&self) -> Option<f64> {
        self.snapshot.change_from_baseline
    }
    /// The measure's target minus `centre`; null without a target or without points.
    async fn gap_to_target(&self) -> Option<f64> {
        self.snapshot.gap_to_target
    }
    /// How many points the SPC chart had (all sites pooled).
    async fn points(&self) -> i32 {
        crate::graphql::int(self.snapshot.points)
    }
    /// The first day of the latest period charted; null without points.
    async fn latest_period(&self) -> Option<Date> {
        self.snapshot.latest_period.map(Into::into)
    }
    /// When the analysis was frozen, at publication (UTC).
    async fn taken_at(&self) -> Instant {
        self.snapshot.taken_at.into()
    }
    /// The SPC chart (all sites pooled) as it stood at publication, drawn from the frozen points
    /// and limits, as `Analysis.chart` draws a live one; null for results published before
    /// charts were frozen.
    #[graphql(complexity = "crate::graphql::cost::CHART")]
    async fn chart(&self) -> Option<String> {
        self.snapshot.chart.as_ref().map(crate::charts::svg::render)
    }
    /// All sites pooled, as analysed at publication: every point with its limits and flags, the
    /// segments, the signals and the verdict, in the shape of the live `Measure.analysis`. Null
    /// for results published before series were frozen.
    async fn pooled(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<FrozenSeries>> {
        Ok(self.series(ctx).await?.into_iter().find(|s| s.institution_id.is_none()))
    }
    /// Each site's own analysis at publication, by the host institution's name: every site that
    /// had observations of the measure. Empty for results published before series were frozen.
    async fn sites(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FrozenSeries>> {
        Ok(self.series(ctx).await?.into_iter().filter(|s| s.institution_id.is_some()).collect())
    }
}

/// One series of a linked measure as frozen at publication: all sites pooled, or one site.
pub struct FrozenSeries {
    institution_id: Option<Uuid>,
    subject: ChartSubject,
    analysis: Arc<MeasureAnalysis>,
}

/// One series of a linked measure as frozen at publication: all sites pooled, or one site.
#[Object]
impl FrozenSeries {
    /// The site's host institution (as the directory shows it, for everyone who sees the
    /// result); null for all sites pooled.
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<InstitutionProfile>> {
        let Some(id) = self.institution_id else { return Ok(None) };
        Ok(load_one::<Directory>(ctx, id).await?.map(InstitutionProfile))
    }
    /// The analysis as it stood at publication, with default rules: the same fields as a live
    /// `Measure.analysis` (its `siteId` is the project site's ID, which only the project's
    /// participants can look up), and `chart` drawn from the frozen points.
    async fn analysis(&self) -> Analysis {
        to_graphql(&self.subject, &self.analysis)
    }
}
