//! Does capacity predict improvement? A programme's funded projects grouped, per capacity
//! dimension, by the assessment its funding gate counted (below, at or above the programme's
//! minimum today), with how many show measurable improvement, so that a funder can test its own
//! gate rule. A project with several sites is placed by its weakest. Groups under five give a
//! size and nothing else (DESIGN.md), and a score is used only from an assessment the reader may
//! read: the rest are counted as undisclosed.

use std::collections::HashMap;

use entity::capacity_assessment as assessment;
use entity::{funding_evidence, programme, project};
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::adoption::SMALLEST_DISCLOSED_GROUP;
use crate::actor::Actor;
use crate::assessments::dimension::CapacityDimension;
use crate::assessments::service::{readable_by, scores};
use crate::db::Db;
use crate::error::ServiceError;
use crate::measures::rollup::{VerdictCounts, was_funded};
use crate::paging;
use crate::programmes::criteria::FundingCriteria;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    Below,
    At,
    Above,
}

/// A group's size, and what it shows once it has five projects or more.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Group {
    pub projects: usize,
    /// Projects with at least one measure.
    pub measuring: Option<usize>,
    /// Projects showing improvement on at least one OUTCOME measure (as the programme's roll-up).
    pub improving: Option<usize>,
}

impl Group {
    fn of(members: &[&VerdictCounts]) -> Self {
        let disclosed = members.len() >= SMALLEST_DISCLOSED_GROUP;
        Self {
            projects: members.len(),
            measuring: disclosed.then(|| members.iter().filter(|c| c.measures > 0).count()),
            improving: disclosed.then(|| members.iter().filter(|c| c.outcome_improving).count()),
        }
    }

    /// Improving as a share of the group; `None` under five.
    pub fn improvement_rate(&self) -> Option<f64> {
        self.improving.map(|k| k as f64 / self.projects as f64)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct DimensionImprovement {
    pub dimension: CapacityDimension,
    /// The programme's minimum score on the dimension today.
    pub threshold: i32,
    pub below: Group,
    pub at: Group,
    pub above: Group,
    /// Funded projects with no recorded assessment for some accepted site.
    pub unassessed: usize,
    /// Funded projects placed by an assessment the reader may not read.
    pub undisclosed: usize,
}

/// Where a funded project stands on each dimension.
enum Standing {
    Scored([Option<i32>; 5]),
    Unassessed,
    Undisclosed,
}

/// The improvement-by-capacity table of each programme, from its projects (already scoped to
/// the actor, who funds them) and their verdict counts; two statements for all programmes.
pub async fn by_capacity(
    db: &Db,
    actor: &Actor,
    programmes: &[&programme::Model],
    projects: &[project::Model],
    counts: &HashMap<Uuid, VerdictCounts>,
) -> Result<HashMap<Uuid, Vec<DimensionImprovement>>, ServiceError> {
    let funded: Vec<&project::Model> = projects.iter().filter(|p| was_funded(p)).collect();
    let ids: Vec<Uuid> = funded.iter().map(|p| p.id).collect();
    let evidence = paging::among(funding_evidence::Entity::find(), funding_evidence::Column::ProjectId, &ids)
        .all(db.conn())
        .await?;
    let assessment_ids: Vec<Uuid> = evidence.iter().filter_map(|e| e.assessment_id).collect();
    // Read beyond the row policies: a lead's self-assessment counted by the gate is not the
    // funder's to read; `readable_by` decides what is told of it.
    let assessments = paging::among(assessment::Entity::find(), assessment::Column::Id, &assessment_ids)
        .all(db.system().conn())
        .await?;
    let standing = |project: &project::Model| -> Standing {
        let rows: Vec<&funding_evidence::Model> =
            evidence.iter().filter(|e| e.project_id == project.id).collect();
        let found: Vec<Option<&assessment::Model>> = rows
            .iter()
            .map(|e| e.assessment_id.and_then(|id| assessments.iter().find(|a| a.id == id)))
            .collect();
        if rows.is_empty() || found.iter().any(Option::is_none) {
            return Standing::Unassessed;
        }
        let found: Vec<&assessment::Model> = found.into_iter().flatten().collect();
        if found.iter().any(|a| !readable_by(actor, a, Some(project.lead_institution_id))) {
            return Standing::Undisclosed;
        }
        let mut weakest: [Option<i32>; 5] = [None; 5];
        for scored in found.iter().map(|a| scores(a)) {
            for (slot, score) in weakest.iter_mut().zip(scored) {
                *slot = match (*slot, score) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        Standing::Scored(weakest)
    };
    let no_counts = VerdictCounts::default();
    let mut out = HashMap::with_capacity(programmes.len());
    for programme in programmes {
        let criteria = FundingCriteria::from_model(programme);
        let mine: Vec<(&project::Model, Standing)> = funded
            .iter()
            .filter(|p| p.programme_id == Some(programme.id))
            .map(|p| (*p, standing(p)))
            .collect();
        let unassessed = mine.iter().filter(|(_, s)| matches!(s, Standing::Unassessed)).count();
        let undisclosed = mine.iter().filter(|(_, s)| matches!(s, Standing::Undisclosed)).count();
        let table = CapacityDimension::ALL
            .into_iter()
            .enumerate()
            .map(|(index, dimension)| {
                let threshold = criteria.minimum(dimension);
                let in_band = |band: Band| -> Vec<&VerdictCounts> {
                    mine.iter()
                        .filter(|(_, s)| match s {
                            Standing::Scored(scores) => {
                                band_of(scores[index].unwrap_or_default(), threshold) == band
                            }
                            _ => false,
                        })
                        .map(|(p, _)| counts.get(&p.id).unwrap_or(&no_counts))
                        .collect()
                };
                DimensionImprovement {
                    dimension,
                    threshold,
                    below: Group::of(&in_band(Band::Below)),
                    at: Group::of(&in_band(Band::At)),
                    above: Group::of(&in_band(Band::Above)),
                    unassessed,
                    undisclosed,
                }
            })
            .collect();
        out.insert(programme.id, table);
    }
    Ok(out)
}

fn band_of(score: i32, threshold: i32) -> Band {
    match score.cmp(&threshold) {
        std::cmp::Ordering::Less => Band::Below,
        std::cmp::Ordering::Equal => Band::At,
        std::cmp::Ordering::Greater => Band::Above,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(measures: usize, improving: bool) -> VerdictCounts {
        VerdictCounts { measures, outcome_improving: improving, ..VerdictCounts::default() }
    }

    #[test]
    fn a_score_is_below_at_or_above_the_minimum() {
        assert_eq!(band_of(1, 2), Band::Below);
        assert_eq!(band_of(2, 2), Band::At);
        assert_eq!(band_of(4, 2), Band::Above);
    }

    #[test]
    fn groups_under_five_give_their_size_and_nothing_else() {
        let four = [counts(1, true), counts(1, true), counts(0, false), counts(1, false)];
        let group = Group::of(&four.iter().collect::<Vec<_>>());
        assert_eq!(group, Group { projects: 4, measuring: None, improving: None });
        assert_eq!(group.improvement_rate(), None);

        let five: Vec<VerdictCounts> = four.iter().copied().chain([counts(2, true)]).collect();
        let group = Group::of(&five.iter().collect::<Vec<_>>());
        assert_eq!(group, Group { projects: 5, measuring: Some(4), improving: Some(3) });
        assert_eq!(group.improvement_rate(), Some(0.6));
    }
}
