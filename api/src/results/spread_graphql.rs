//! The GraphQL surface of spread and of capacity against improvement: adopting a shared result,
//! its adoptions, the published definitions adopters copy, and the programme evaluation's
//! `spread` and `improvementByCapacity`.

use std::collections::HashMap;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::shared_result as result;
use entity::shared_result_measure as linked;
use uuid::Uuid;

use super::adoption::{self, AdoptionForm, Adoptions, Spread};
use super::capacity::{DimensionImprovement, Group};
use super::graphql::SharedResult;
use super::snapshot::FrozenDefinition;
use crate::actor::Actor;
use crate::assessments::dimension::CapacityDimension;
use crate::db::Db;
use crate::error::ServiceError;
use crate::graphql::{GlobalId, NodeKind, actor, compute, int, outcome, request};
use crate::measures::graphql::{MeasureDirection, MeasureFrequency, MeasureKind, MeasureUnit};
use crate::projects::graphql::Project;
use crate::projects::mutations::ProjectPayload;
use crate::scope::{Batched, Row};

/// A measure as a shared result published it: what a project adopting the result starts from.
#[derive(SimpleObject)]
pub struct MeasureDefinition {
    /// The measure's name.
    pub name: String,
    /// Exactly what is counted, from which source, including exclusions.
    pub operational_definition: String,
    /// Whether it is an outcome, process or balancing measure.
    pub kind: MeasureKind,
    /// How its values are expressed.
    pub unit: MeasureUnit,
    /// Whether higher or lower values are better.
    pub direction: MeasureDirection,
    /// How often it is measured: weekly, monthly or quarterly.
    pub frequency: MeasureFrequency,
}

impl MeasureDefinition {
    pub fn of(definition: &FrozenDefinition) -> Option<Self> {
        let (kind, unit, direction, frequency) = definition.parts()?;
        Some(Self {
            name: definition.name.clone(),
            operational_definition: definition.operational_definition.clone(),
            kind: kind.into(),
            unit: unit.into(),
            direction: direction.into(),
            frequency: frequency.into(),
        })
    }
}

/// The definitions of result versions' linked measures, for the GraphQL layer's batches.
pub struct Definitions;

impl Batched for Definitions {
    type Key = Uuid;
    type Value = Vec<(linked::Model, FrozenDefinition)>;

    async fn run(db: &Db, actor: &Actor, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, ServiceError> {
        let mut out: HashMap<Uuid, Self::Value> = HashMap::new();
        for (link, definition) in adoption::definitions(db, actor, keys).await? {
            out.entry(link.result_version_id).or_default().push((link, definition));
        }
        Ok(out)
    }
}

/// The definition of one linked measure of a version, as its readers see it.
pub async fn definition_of(
    ctx: &Context<'_>,
    version_id: Uuid,
    link_id: Uuid,
) -> async_graphql::Result<Option<MeasureDefinition>> {
    let definitions = compute::<Definitions>(ctx, version_id).await?.unwrap_or_default();
    Ok(definitions.iter().find(|(link, _)| link.id == link_id).and_then(|(_, d)| MeasureDefinition::of(d)))
}

/// Projects started from a result (any of its versions), withdrawn ones left out.
#[derive(SimpleObject)]
pub struct ResultAdoptions {
    /// How many projects adopted the result, whether or not you can see them.
    pub count: i32,
    /// The adopting projects you can see, newest first (at most 100).
    pub projects: Vec<Project>,
}

pub async fn adoptions_of(
    ctx: &Context<'_>,
    version: &result::Model,
) -> async_graphql::Result<ResultAdoptions> {
    let found: Adoptions =
        compute::<adoption::AdoptionsOfResults>(ctx, Row::new(version.id, version.clone()))
            .await?
            .unwrap_or_default();
    Ok(ResultAdoptions {
        count: int(found.count),
        projects: found.visible.into_iter().map(Project).collect(),
    })
}

/// Whether a published result spread: projects that adopted it and whether they improved again
/// on the measures they adopted (all sites pooled, default rules). Where fewer than five adopted
/// and you cannot see every one of them, only the count is told.
#[derive(SimpleObject)]
pub struct ResultSpread {
    /// The published result version.
    pub result: SharedResult,
    /// Projects that adopted the result (any version; withdrawn ones left out).
    pub adoptions: i32,
    /// Of those, the ones you can see.
    pub visible_adoptions: i32,
    /// Adopting projects with data enough for a verdict on at least one adopted measure; null
    /// where it would reveal projects you cannot see.
    pub measuring: Option<i32>,
    /// Adopting projects IMPROVING on at least one adopted measure ("improved again in k of
    /// n"); null where it would reveal projects you cannot see.
    pub improved_again: Option<i32>,
}

impl ResultSpread {
    pub fn of(version: &result::Model, spread: &Spread) -> Self {
        Self {
            result: SharedResult(version.clone()),
            adoptions: int(spread.adoptions),
            visible_adoptions: int(spread.visible_adoptions),
            measuring: spread.measuring.map(int),
            improved_again: spread.improved_again.map(int),
        }
    }
}

/// Funded projects whose weakest site scored in one band of a dimension. Under five projects,
/// only the size.
#[derive(SimpleObject)]
pub struct CapacityGroup {
    /// How many funded projects are in the group; told whatever its size.
    pub projects: i32,
    /// Projects with at least one measure; null under five.
    pub measuring: Option<i32>,
    /// Projects showing improvement on at least one OUTCOME measure; null under five.
    pub improving: Option<i32>,
    /// `improving / projects`, from 0 to 1; null under five.
    pub improvement_rate: Option<f64>,
}

impl From<Group> for CapacityGroup {
    fn from(g: Group) -> Self {
        Self {
            projects: int(g.projects),
            measuring: g.measuring.map(int),
            improving: g.improving.map(int),
            improvement_rate: g.improvement_rate(),
        }
    }
}

/// One capacity dimension of the programme's funded projects, grouped by the score the funding
/// gate counted (a project's weakest accepted site) against the programme's minimum today.
#[derive(SimpleObject)]
pub struct CapacityImprovement {
    /// The capacity dimension.
    pub dimension: CapacityDimension,
    /// The programme's minimum score on the dimension (0–4), as its criteria say today.
    pub threshold: i32,
    /// Projects whose weakest site scored below the minimum.
    pub below: CapacityGroup,
    /// Projects whose weakest site scored exactly the minimum.
    pub at: CapacityGroup,
    /// Projects whose weakest site scored above the minimum.
    pub above: CapacityGroup,
    /// Funded projects with no recorded assessment for an accepted site (funded before the
    /// gate's evidence was kept, where none could be found).
    pub unassessed: i32,
    /// Funded projects placed by an assessment you may not read (a lead's self-assessment):
    /// counted here instead of in a band.
    pub undisclosed: i32,
}

impl From<&DimensionImprovement> for CapacityImprovement {
    fn from(d: &DimensionImprovement) -> Self {
        Self {
            dimension: d.dimension,
            threshold: d.threshold,
            below: d.below.into(),
            at: d.at.into(),
            above: d.above.into(),
            unassessed: int(d.unassessed),
            undisclosed: int(d.undisclosed),
        }
    }
}

/// A new project to start from a published shared result, for `adoptSharedResult`.
#[derive(InputObject)]
pub struct AdoptSharedResultInput {
    /// A published shared result version you can see.
    pub result_id: ID,
    /// An open programme your institution may bid into; leave out for a project outside any.
    pub programme_id: Option<ID>,
    /// Defaults to the result's title.
    pub title: Option<String>,
    /// Defaults to the result's summary.
    pub aim_statement: Option<String>,
    /// The new project's clinical area: not blank, at most 200 characters.
    pub clinical_area: String,
}

#[derive(Default)]
pub struct SpreadMutation;

#[Object]
impl SpreadMutation {
    /// A royal college's or professional body's ADMIN or MEMBER starts a DRAFT project from a
    /// published shared result it can see: the result's linked measures as published (name,
    /// operational definition, kind, unit, direction, frequency; no baselines, targets or
    /// observations), and `adoptedFrom` naming the result. Errors: NOT_FOUND (`resultId`) for a
    /// result you cannot see, NOT_ALLOWED_IN_STATUS for one not published, and those of
    /// `createProject`.
    async fn adopt_shared_result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The result to adopt and the new project's own details.")]
        input: AdoptSharedResultInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let parsed = (|| {
            let result_id = GlobalId::require(&input.result_id, NodeKind::SharedResult, "resultId")?;
            let programme_id = input
                .programme_id
                .as_ref()
                .map(|id| GlobalId::require(id, NodeKind::Programme, "programmeId"))
                .transpose()?;
            Ok::<_, ServiceError>((result_id, programme_id))
        })();
        let result = match parsed {
            Ok((result_id, programme_id)) => {
                let form = AdoptionForm {
                    programme_id,
                    title: input.title,
                    aim_statement: input.aim_statement,
                    clinical_area: Some(input.clinical_area),
                };
                adoption::adopt(db, actor, result_id, form).await
            }
            Err(e) => Err(e),
        };
        let (project, user_errors) = outcome(ctx, result)?;
        Ok(ProjectPayload { project: project.map(Project), user_errors })
    }
}
