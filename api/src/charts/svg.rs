//! A chart drawn as SVG text: the values joined by a line, each point a marker coloured by its
//! signal, the centre line and process limits per segment (a step where limits start afresh),
//! the target, the two Making Data Count icons in the top right corner, and a period axis with
//! readable dates. Fonts are the viewer's own sans-serif; there is nothing to fetch.

use std::fmt::Write;

use super::{ChartData, ChartPoint, Tone};

const WIDTH: f64 = 820.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 28.0;
const TOP: f64 = 92.0;
const BOTTOM: f64 = 56.0;

const IMPROVEMENT: &str = "#41B6E6";
const CONCERN: &str = "#ED8B00";
const COMMON: &str = "#A6A6A6";
const NEITHER: &str = "#7C2855";
const INK: &str = "#231F20";
const LIMIT: &str = "#425563";
const TARGET: &str = "#DA291C";

fn colour(tone: Tone) -> &'static str {
    match tone {
        Tone::Common => COMMON,
        Tone::Improvement => IMPROVEMENT,
        Tone::Concern => CONCERN,
        Tone::Neither => NEITHER,
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A step of 1, 2 or 5 times a power of ten giving about five intervals over `span`.
fn tick_step(span: f64) -> f64 {
    let raw = (span / 5.0).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(10.0 * power)
}

struct Scale {
    low: f64,
    high: f64,
    count: usize,
}

impl Scale {
    fn new(chart: &ChartData) -> Self {
        let mut values: Vec<f64> = Vec::new();
        for p in &chart.points {
            values.extend([Some(p.value), Some(p.centre), p.upper, p.lower].into_iter().flatten());
        }
        values.extend(chart.target);
        let (mut low, mut high) = values
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
        if !low.is_finite() {
            (low, high) = (0.0, 1.0);
        }
        if high - low < 1e-9 {
            (low, high) = (low - 1.0, high + 1.0);
        }
        let pad = (high - low) * 0.06;
        Self { low: low - pad, high: high + pad, count: chart.points.len() }
    }

    fn x(&self, index: usize) -> f64 {
        let inner = WIDTH - LEFT - RIGHT;
        if self.count <= 1 {
            return LEFT + inner / 2.0;
        }
        LEFT + inner * index as f64 / (self.count - 1) as f64
    }

    fn y(&self, value: f64) -> f64 {
        let inner = HEIGHT - TOP - BOTTOM;
        TOP + inner * (self.high - value) / (self.high - self.low)
    }
}

fn label(value: f64, percent: bool, step: f64) -> String {
    let (value, step) = if percent { (value * 100.0, step * 100.0) } else { (value, step) };
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    let suffix = if percent { "%" } else { "" };
    format!("{value:.decimals$}{suffix}")
}

/// A line through the points; limits and centre (`by_segment`) break where a segment starts.
fn line_path(
    points: &[ChartPoint],
    scale: &Scale,
    pick: fn(&ChartPoint) -> Option<f64>,
    by_segment: bool,
) -> String {
    let mut path = String::new();
    let mut previous_segment = None;
    for (index, point) in points.iter().enumerate() {
        let Some(value) = pick(point).filter(|v| v.is_finite()) else {
            previous_segment = None;
            continue;
        };
        let segment = if by_segment { point.segment } else { 0 };
        let command = if previous_segment == Some(segment) { 'L' } else { 'M' };
        let _ = write!(path, "{command}{:.1},{:.1} ", scale.x(index), scale.y(value));
        previous_segment = Some(segment);
    }
    path.trim_end().to_owned()
}

fn date_format(points: &[ChartPoint]) -> &'static str {
    let weekly = points.windows(2).any(|w| (w[1].period - w[0].period).num_days() < 20);
    if weekly { "%-d %b %Y" } else { "%b %Y" }
}

/// An icon: a coloured disc with a letter and a caption under it.
fn icon(out: &mut String, cx: f64, fill: &str, letter: &str, caption: &str, name: &str) {
    let _ = write!(
        out,
        r##"<g class="icon" data-icon="{name}"><circle cx="{cx:.1}" cy="40" r="20" fill="{fill}"/><text x="{cx:.1}" y="46" text-anchor="middle" font-size="17" font-weight="bold" fill="#FFFFFF">{letter}</text><text x="{cx:.1}" y="74" text-anchor="middle" font-size="10" fill="{INK}">{caption}</text></g>"##
    );
}

fn variation_icon(out: &mut String, name: &str) {
    let (fill, letter, caption) = match name {
        "IMPROVING_HIGH" => (IMPROVEMENT, "H", "improving"),
        "IMPROVING_LOW" => (IMPROVEMENT, "L", "improving"),
        "CONCERNING_HIGH" => (CONCERN, "H", "concerning"),
        "CONCERNING_LOW" => (CONCERN, "L", "concerning"),
        "NEITHER" => (NEITHER, "?", "special cause"),
        _ => (COMMON, "~", "common cause"),
    };
    icon(out, WIDTH - 124.0, fill, letter, caption, name);
}

fn assurance_icon(out: &mut String, name: &str) {
    let (fill, letter, caption) = match name {
        "CONSISTENTLY_PASSES" => (IMPROVEMENT, "P", "passes"),
        "CONSISTENTLY_FAILS" => (CONCERN, "F", "fails"),
        _ => (COMMON, "?", "hit or miss"),
    };
    icon(out, WIDTH - 60.0, fill, letter, caption, name);
}

/// The chart as an SVG document.
pub fn render(chart: &ChartData) -> String {
    let scale = Scale::new(chart);
    let points = &chart.points;
    let mut out = String::with_capacity(4_096 + points.len() * 180);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Arial, Helvetica, sans-serif" role="img"><title>{}</title><rect width="100%" height="100%" fill="#FFFFFF"/>"##,
        escape(&chart.title)
    );
    let _ = write!(
        out,
        r##"<text x="{LEFT}" y="28" font-size="16" font-weight="bold" fill="{INK}">{}</text><text x="{LEFT}" y="48" font-size="12" fill="{LIMIT}">{}</text>"##,
        escape(&chart.title),
        escape(&chart.subtitle)
    );
    if let Some(name) = &chart.variation {
        variation_icon(&mut out, name);
    }
    if let Some(name) = &chart.assurance {
        assurance_icon(&mut out, name);
    }
    // Value axis: gridlines and labels.
    let step = tick_step(scale.high - scale.low);
    let mut tick = (scale.low / step).ceil() * step;
    out.push_str(r##"<g class="value-axis" font-size="11" fill="#425563">"##);
    while tick <= scale.high {
        let y = scale.y(tick);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#E8EDEE"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 8.0,
            y + 4.0,
            label(tick, chart.percent, step)
        );
        tick += step;
    }
    out.push_str("</g>");
    // Period axis: at most eight dates, evenly spaced.
    let format = date_format(points);
    let every = points.len().div_ceil(8).max(1);
    out.push_str(r##"<g class="period-axis" font-size="11" fill="#425563">"##);
    let axis_y = HEIGHT - BOTTOM;
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" x2="{:.1}" y1="{axis_y}" y2="{axis_y}" stroke="{LIMIT}"/>"##,
        WIDTH - RIGHT
    );
    for (index, point) in points.iter().enumerate().step_by(every) {
        let x = scale.x(index);
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{axis_y}" y2="{:.1}" stroke="{LIMIT}"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            axis_y + 5.0,
            axis_y + 20.0,
            point.period.format(format)
        );
    }
    out.push_str("</g>");
    if points.is_empty() {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="14" fill="{LIMIT}">No data yet</text>"##,
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
    }
    if let Some(target) = chart.target.filter(|t| t.is_finite()) {
        let y = scale.y(target);
        let _ = write!(
            out,
            r##"<g class="target"><line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="8 4"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10" fill="{TARGET}">target</text></g>"##,
            WIDTH - RIGHT,
            WIDTH - RIGHT,
            y - 4.0
        );
    }
    for (class, pick, style) in [
        (
            "upper-limit",
            (|p: &ChartPoint| p.upper) as fn(&ChartPoint) -> Option<f64>,
            "stroke-dasharray=\"4 3\"",
        ),
        ("lower-limit", |p: &ChartPoint| p.lower, "stroke-dasharray=\"4 3\""),
        ("centre", |p: &ChartPoint| Some(p.centre), ""),
    ] {
        let path = line_path(points, &scale, pick, true);
        if !path.is_empty() {
            let _ = write!(
                out,
                r##"<path class="{class}" d="{path}" fill="none" stroke="{}" stroke-width="1.2" {style}/>"##,
                if class == "centre" { INK } else { LIMIT }
            );
        }
    }
    let values = line_path(points, &scale, |p| Some(p.value), false);
    if !values.is_empty() {
        let _ = write!(
            out,
            r##"<path class="values" d="{values}" fill="none" stroke="{COMMON}" stroke-width="1.5"/>"##
        );
    }
    let radius = if points.len() > 200 { 2.2 } else { 3.8 };
    out.push_str(r##"<g class="points">"##);
    for (index, point) in points.iter().enumerate() {
        let _ = write!(
            out,
            r##"<circle class="point" data-period="{}" data-tone="{:?}" cx="{:.1}" cy="{:.1}" r="{radius}" fill="{}"/>"##,
            point.period,
            point.tone,
            scale.x(index),
            scale.y(point.value),
            colour(point.tone)
        );
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(tick_step(10.0), 2.0);
        assert_eq!(tick_step(0.5), 0.1);
        assert_eq!(tick_step(37.0), 10.0);
        assert_eq!(tick_step(0.02), 0.005);
    }

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        assert_eq!(escape("A & B <x> \"q\" 'a'\u{7}"), "A &amp; B &lt;x&gt; &quot;q&quot; &#39;a&#39;");
    }

    #[test]
    fn labels_follow_the_step_and_the_unit() {
        assert_eq!(label(0.45, true, 0.05), "45%");
        assert_eq!(label(0.455, true, 0.005), "45.5%");
        assert_eq!(label(12.0, false, 2.0), "12");
        assert_eq!(label(1.25, false, 0.05), "1.25");
    }
}
