use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use entity::capacity_assessment::{self as assessment, AssessmentStatus as DbAssessmentStatus};

use super::dimension::CapacityDimension;
use super::service::{self, DimensionEntry, NewAssessment};
use crate::graphql::{Date, GlobalId, Instant, NodeKind, UserError, actor, outcome, request};
use crate::institutions::graphql::InstitutionProfile;
use crate::mirror_enum;

mirror_enum! {
    /// DRAFT until submitted; a SUBMITTED assessment never changes.
    AssessmentStatus <=> DbAssessmentStatus {
        /// Being written by the assessor, who may still change it; the funding gate ignores it.
        Draft,
        /// Final: it never changes, and the funding gate may count it.
        Submitted,
    }
}

/// One dimension's score and evidence in an assessment.
#[derive(SimpleObject)]
pub struct DimensionScore {
    /// The capacity dimension.
    pub dimension: CapacityDimension,
    /// 0–4; null while a draft leaves it open.
    pub score: Option<i32>,
    /// What the assessor based the score on; null when none was given.
    pub evidence: Option<String>,
}

/// An assessment of a host institution's capacity to deliver a project.
pub struct CapacityAssessment(pub assessment::Model);

/// An assessment of a host institution's capacity to deliver a project (or projects in
/// general), scored 0–4 with evidence on each capacity dimension.
#[Object]
impl CapacityAssessment {
    /// The assessment's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::CapacityAssessment, self.0.id)
    }
    /// The host institution assessed.
    async fn assessed_institution(&self, ctx: &Context<'_>) -> async_graphql::Result<InstitutionProfile> {
        InstitutionProfile::referenced(ctx, self.0.assessed_institution_id).await
    }
    /// The institution that made the assessment: a funder or, where the programme allows, the
    /// project's lead.
    async fn assessor_institution(&self, ctx: &Context<'_>) -> async_graphql::Result<InstitutionProfile> {
        InstitutionProfile::referenced(ctx, self.0.assessor_institution_id).await
    }
    /// The project it was made for; null for a general assessment.
    async fn project_id(&self) -> Option<ID> {
        self.0.project_id.map(|id| GlobalId::encode(NodeKind::Project, id))
    }
    /// The project it was made for (`projectId` as an object), where you may see the project;
    /// null for a general assessment, or a project you do not see.
    async fn project(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::projects::graphql::Project>> {
        let Some(id) = self.0.project_id else { return Ok(None) };
        crate::projects::graphql::Project::linked(ctx, id).await
    }
    /// The day of the assessment (`YYYY-MM-DD`), never in the future; the funding gate counts its
    /// age from this day.
    async fn assessed_on(&self) -> Date {
        self.0.assessed_on.into()
    }
    /// DRAFT or SUBMITTED.
    async fn status(&self) -> AssessmentStatus {
        self.0.status.into()
    }
    /// A score and evidence for each of the five capacity dimensions, always all five, in the
    /// order of `CapacityDimension`.
    async fn dimensions(&self) -> Vec<DimensionScore> {
        CapacityDimension::ALL
            .into_iter()
            .zip(service::scores(&self.0))
            .map(|(dimension, score)| DimensionScore {
                dimension,
                score,
                evidence: service::evidence(&self.0, dimension).map(str::to_owned),
            })
            .collect()
    }
    /// When the assessment was submitted (UTC); null while it is a DRAFT.
    async fn submitted_at(&self) -> Option<Instant> {
        self.0.submitted_at.map(Into::into)
    }
    /// When the assessment was first recorded (UTC).
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
}

/// A score and evidence for one dimension; name each dimension at most once per call.
#[derive(InputObject)]
pub struct DimensionScoreInput {
    /// The dimension scored.
    pub dimension: CapacityDimension,
    /// 0–4; left out keeps the current score.
    pub score: Option<i32>,
    /// What the score rests on (at most 10,000 characters); left out or blank keeps the current
    /// evidence.
    pub evidence: Option<String>,
}

impl From<DimensionScoreInput> for DimensionEntry {
    fn from(input: DimensionScoreInput) -> Self {
        Self { dimension: input.dimension, score: input.score, evidence: input.evidence }
    }
}

/// A new capacity assessment of a host institution, made by your institution.
#[derive(InputObject)]
pub struct CreateCapacityAssessmentInput {
    /// A HOST_INSTITUTION.
    pub assessed_institution_id: ID,
    /// The project the assessment is for; leave out for a general one (funders only).
    pub project_id: Option<ID>,
    /// The day of the assessment (`YYYY-MM-DD`); not in the future.
    pub assessed_on: Date,
    /// Scores and evidence to record now; dimensions left out stay open.
    #[graphql(default)]
    pub dimensions: Vec<DimensionScoreInput>,
    /// Submit at once (every dimension then needs a score).
    #[graphql(default)]
    pub submit: bool,
}

/// Changes to a DRAFT assessment; fields left out keep their values.
#[derive(InputObject)]
pub struct UpdateCapacityAssessmentInput {
    /// The assessment's global ID.
    pub id: ID,
    /// A new day of the assessment (`YYYY-MM-DD`); not in the future.
    pub assessed_on: Option<Date>,
    /// Scores and evidence to change; dimensions left out keep theirs.
    #[graphql(default)]
    pub dimensions: Vec<DimensionScoreInput>,
    /// Submit after applying the changes; the assessment is then fixed for good.
    #[graphql(default)]
    pub submit: bool,
}

/// The result of a mutation on a capacity assessment.
#[derive(SimpleObject)]
pub struct CapacityAssessmentPayload {
    /// The assessment as it now is; null when the mutation failed.
    pub assessment: Option<CapacityAssessment>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct AssessmentMutation;

#[Object]
impl AssessmentMutation {
    /// The programme's funder (or the project's lead, where the programme allows) assesses a site
    /// of a project; without a project, any funder assesses a host institution in general. ADMIN or
    /// MEMBER, or a READ_WRITE API token. userErrors: NOT_FOUND, NOT_ELIGIBLE (not a host
    /// institution, or not a site of the project), INVALID, REQUIRED (a score missing on submit).
    async fn create_capacity_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution assessed, the date and the scores.")]
        input: CreateCapacityAssessmentInput,
    ) -> async_graphql::Result<CapacityAssessmentPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let ids =
            GlobalId::require(&input.assessed_institution_id, NodeKind::Institution, "assessedInstitutionId")
                .and_then(|a| {
                    let project = input
                        .project_id
                        .as_ref()
                        .map(|p| GlobalId::require(p, NodeKind::Project, "projectId"))
                        .transpose()?;
                    Ok((a, project))
                });
        let result = match ids {
            Ok((assessed_institution_id, project_id)) => {
                let new = NewAssessment {
                    assessed_institution_id,
                    project_id,
                    assessed_on: input.assessed_on.into(),
                    dimensions: input.dimensions.into_iter().map(Into::into).collect(),
                    submit: input.submit,
                };
                service::create(db, actor, new).await
            }
            Err(e) => Err(e),
        };
        let (assessment, user_errors) = outcome(ctx, result)?;
        Ok(CapacityAssessmentPayload { assessment: assessment.map(CapacityAssessment), user_errors })
    }

    /// The assessing institution's ADMIN or MEMBER (or READ_WRITE API token) edits a DRAFT, and
    /// may submit it. userErrors: NOT_FOUND, IMMUTABLE (already submitted), INVALID, REQUIRED (a
    /// score missing on submit).
    async fn update_capacity_assessment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The assessment and the changes.")] input: UpdateCapacityAssessmentInput,
    ) -> async_graphql::Result<CapacityAssessmentPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::CapacityAssessment, "id") {
            Ok(id) => {
                let entries = input.dimensions.into_iter().map(Into::into).collect();
                service::update(db, actor, id, input.assessed_on.map(Into::into), entries, input.submit).await
            }
            Err(e) => Err(e),
        };
        let (assessment, user_errors) = outcome(ctx, result)?;
        Ok(CapacityAssessmentPayload { assessment: assessment.map(CapacityAssessment), user_errors })
    }
}
