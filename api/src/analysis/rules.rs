//! Pattern finders shared by the run chart and the SPC chart. They work on plain slices and return spans
//! of indices; each chart decides its own lengths and how ties and centre points count.

use super::model::{Movement, Position};
use super::numeric::{is_above, is_below, same_level};

/// Consecutive points `start..=end` showing one pattern. `points` is how many of them count towards it,
/// which is fewer than the span when points on the centre line are skipped.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
    pub points: usize,
    pub movement: Movement,
}

/// What a point exactly on the centre line does to a run of points on one side.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CentrePoints {
    /// Run chart (IHI): it neither breaks nor adds to the run.
    Skip,
    /// SPC (MDC): it breaks the run.
    Break,
}

/// What two equal neighbours do to a trend.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ties {
    /// Run chart (IHI): equal values count as one point; they neither break nor add to the trend.
    CountOnce,
    /// SPC (MDC): each point must be strictly higher (or lower) than the one before.
    Break,
}

/// Every maximal run of at least `min_points` counted points on one side of the centre. With a minimum of 1
/// this is every run, which is how runs and crossings are counted.
pub(crate) fn shifts(positions: &[Position], min_points: usize, centre: CentrePoints) -> Vec<Span> {
    let min_points = min_points.max(1);
    let mut spans = Vec::new();
    let mut current: Option<Span> = None;
    let mut close = |run: Option<Span>| {
        if let Some(run) = run.filter(|run| run.points >= min_points) {
            spans.push(run);
        }
    };
    for (index, position) in positions.iter().enumerate() {
        let movement = match position {
            Position::Above => Movement::Up,
            Position::Below => Movement::Down,
            Position::OnCentre => {
                if centre == CentrePoints::Break {
                    close(current.take());
                }
                continue;
            }
        };
        match current.as_mut() {
            Some(run) if run.movement == movement => {
                run.end = index;
                run.points += 1;
            }
            _ => {
                close(current.take());
                current = Some(Span { start: index, end: index, points: 1, movement });
            }
        }
    }
    close(current);
    spans
}

/// Every maximal trend of at least `min_points` points (counted as `ties` says). The point where a fall
/// turns into a rise belongs to both trends, as it does on a drawn chart.
pub(crate) fn trends(values: &[f64], min_points: usize, ties: Ties) -> Vec<Span> {
    let min_points = min_points.max(2);
    // Groups of consecutive indices that count as one point: (first, last).
    let mut groups: Vec<(usize, usize)> = Vec::with_capacity(values.len());
    for (index, &value) in values.iter().enumerate() {
        match groups.last_mut() {
            Some(group) if ties == Ties::CountOnce && same_level(values[group.1], value) => group.1 = index,
            _ => groups.push((index, index)),
        }
    }
    let step = |from: usize, to: usize| {
        let (before, after) = (values[groups[from].1], values[groups[to].0]);
        if is_above(after, before) {
            Some(Movement::Up)
        } else if is_below(after, before) {
            Some(Movement::Down)
        } else {
            None
        }
    };
    let mut spans = Vec::new();
    let mut close = |first_group: usize, last_group: usize, movement: Option<Movement>| {
        let points = last_group - first_group + 1;
        if let Some(movement) = movement.filter(|_| points >= min_points) {
            spans.push(Span { start: groups[first_group].0, end: groups[last_group].1, points, movement });
        }
    };
    let mut first_group = 0;
    let mut movement = None;
    for group in 1..groups.len() {
        let next = step(group - 1, group);
        if next.is_some() && next == movement {
            continue;
        }
        close(first_group, group - 1, movement);
        first_group = group - 1;
        movement = next;
    }
    if !groups.is_empty() {
        close(first_group, groups.len() - 1, movement);
    }
    spans
}

/// Each point beyond its own limits, as a one-point span.
pub(crate) fn outside(values: &[f64], lower: &[f64], upper: &[f64]) -> Vec<Span> {
    let beyond = values.iter().zip(lower.iter().zip(upper)).map(|(&value, (&lower, &upper))| {
        if is_above(value, upper) {
            Some(Movement::Up)
        } else if is_below(value, lower) {
            Some(Movement::Down)
        } else {
            None
        }
    });
    beyond
        .enumerate()
        .filter_map(|(index, movement)| {
            Some(Span { start: index, end: index, points: 1, movement: movement? })
        })
        .collect()
}

/// Two of three consecutive points beyond the same two-sigma line. `beyond[i]` says which line, if any,
/// point `i` is beyond. Returns the flagged points (those beyond the line in a qualifying window) and one
/// span per chain of overlapping windows, from its first flagged point to its last.
pub(crate) fn two_of_three(beyond: &[Option<Movement>]) -> (Vec<bool>, Vec<Span>) {
    let mut flagged: Vec<Option<Movement>> = vec![None; beyond.len()];
    for window in 0..beyond.len().saturating_sub(2) {
        for side in [Movement::Up, Movement::Down] {
            let hits: Vec<usize> = (window..window + 3).filter(|&i| beyond[i] == Some(side)).collect();
            if hits.len() >= 2 {
                for hit in hits {
                    flagged[hit] = Some(side);
                }
            }
        }
    }
    let mut spans: Vec<Span> = Vec::new();
    for (index, side) in flagged.iter().enumerate() {
        let Some(side) = *side else { continue };
        match spans.iter_mut().rev().find(|span| span.movement == side) {
            // Flagged points of one side at most two apart share a window, so they are one chain.
            Some(span) if index - span.end <= 2 => {
                span.end = index;
                span.points += 1;
            }
            _ => spans.push(Span { start: index, end: index, points: 1, movement: side }),
        }
    }
    (flagged.iter().map(Option::is_some).collect(), spans)
}
