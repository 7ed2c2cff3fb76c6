//! Charts as pictures: an analysis turned into what a chart shows (`ChartData`, which a published
//! result freezes) and drawn as SVG in the Making Data Count style (`svg`). Nothing here reads the
//! database; the picture needs no network (system fonts, no scripts).

pub mod svg;

use chrono::NaiveDate;
use entity::measure::{self, MeasureFrequency, MeasureUnit};
use serde::{Deserialize, Serialize};

use crate::analysis::{self, Effect};
use crate::measures::analysis::MeasureAnalysis;
use crate::measures::periods::start_of_index;

/// How a point is coloured: common cause grey, improvement blue, concern orange, and special
/// causes that disagree (neither side) purple, as Making Data Count's tools do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tone {
    Common,
    Improvement,
    Concern,
    Neither,
}

impl Tone {
    fn of(effect: Option<Effect>) -> Self {
        match effect {
            None => Tone::Common,
            Some(Effect::Improvement) => Tone::Improvement,
            Some(Effect::Concern) => Tone::Concern,
            Some(Effect::Neither) => Tone::Neither,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartPoint {
    pub period: NaiveDate,
    pub value: f64,
    /// The SPC chart's segment (limits start afresh at each); 0 throughout on a run chart.
    pub segment: usize,
    /// Centre line (mean, or median on a run chart) at this point.
    pub centre: f64,
    pub upper: Option<f64>,
    pub lower: Option<f64>,
    pub tone: Tone,
}

/// Everything a chart shows, in the plotted unit (0–1 for a proportion).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartData {
    pub title: String,
    pub subtitle: String,
    /// Values are proportions, shown as percentages.
    pub percent: bool,
    pub points: Vec<ChartPoint>,
    pub target: Option<f64>,
    /// Making Data Count's icons, as the analysis names them (`IMPROVING_HIGH`, `INCONSISTENT`, …).
    pub variation: Option<String>,
    pub assurance: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Spc,
    Run,
}

/// `NoSignal` → `NO_SIGNAL`, the names clients see.
pub fn screaming(debug_name: &str) -> String {
    let mut out = String::new();
    for (i, c) in debug_name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// What a chart needs to know of its measure: a live measure's row, or a published result's
/// frozen definition, so that a frozen analysis is drawn exactly as a live one.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartSubject {
    pub name: String,
    pub unit: MeasureUnit,
    pub frequency: MeasureFrequency,
    /// In the plotted unit (0–1 for a proportion).
    pub target: Option<f64>,
}

impl ChartSubject {
    pub fn of(measure: &measure::Model) -> Self {
        Self {
            name: measure.name.clone(),
            unit: measure.unit,
            frequency: measure.frequency,
            target: measure.target,
        }
    }

    /// A period index back to its first day.
    pub fn period_date(&self, index: i64) -> Option<NaiveDate> {
        start_of_index(self.frequency, index)
    }
}

/// The chart of one analysis of a measure.
pub fn of(subject: &ChartSubject, result: &MeasureAnalysis, variant: Variant) -> ChartData {
    let analysis = &result.analysis;
    let scope = if result.site_id.is_some() { "one site" } else { "all sites pooled" };
    let unit = match subject.unit {
        MeasureUnit::Proportion => "proportion, %",
        MeasureUnit::Rate => "rate",
        MeasureUnit::Count => "count",
        MeasureUnit::Continuous => "continuous value",
    };
    let date = |period: i64| subject.period_date(period).unwrap_or_default();
    let (subtitle, points) = match variant {
        Variant::Spc => {
            let kind = match analysis.spc.kind {
                analysis::ChartKind::P => "p-chart",
                analysis::ChartKind::Xmr => "XmR chart",
            };
            let points = analysis
                .spc
                .points
                .iter()
                .map(|p| ChartPoint {
                    period: date(p.period),
                    value: p.value,
                    segment: p.segment,
                    centre: p.centre,
                    upper: Some(p.limits.upper),
                    lower: Some(p.limits.lower),
                    tone: Tone::of(p.special_cause),
                })
                .collect();
            (format!("SPC {kind}, {scope} · {unit}"), points)
        }
        Variant::Run => {
            let median = analysis.run_chart.median.unwrap_or_default();
            let points = analysis
                .run_chart
                .points
                .iter()
                .map(|p| ChartPoint {
                    period: date(p.period),
                    value: p.value,
                    segment: 0,
                    centre: median,
                    upper: None,
                    lower: None,
                    tone: Tone::of(p.signal_effect),
                })
                .collect();
            (format!("Run chart with its median, {scope} · {unit}"), points)
        }
    };
    // A period still being collected is left out of the picture as of the verdict; the subtitle
    // says so, so that a missing last point is not read as missing data.
    let not_ended = result.incomplete_periods.len();
    let subtitle = match (result.incomplete_included, not_ended) {
        (false, 1) => format!("{subtitle} · the period not yet ended is left out"),
        (false, n) if n > 1 => format!("{subtitle} · {n} periods not yet ended are left out"),
        _ => subtitle,
    };
    ChartData {
        title: subject.name.clone(),
        subtitle,
        percent: subject.unit == MeasureUnit::Proportion,
        points,
        target: subject.target,
        variation: analysis.variation.map(|v| screaming(&format!("{v:?}"))),
        assurance: analysis.assurance.map(|a| screaming(&format!("{a:?}"))),
    }
}
