use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::capacity_assessment::{self as assessment, AssessmentStatus as DbAssessmentStatus};

use super::dimension::CapacityDimension;
use super::service::{self, DimensionEntry, NewAssessment};
use crate::graphql::{GlobalId, NodeKind, UserError, actor, outcome, request};
use crate::institutions::graphql::InstitutionProfile;
use crate::mirror_enum;

mirror_enum! {
    /// DRAFT until submitted; a SUBMITTED assessment never changes.
    AssessmentStatus <=> DbAssessmentStatus { Draft, Submitted }
}

#[derive(SimpleObject)]
pub struct DimensionScore {
    pub dimension: CapacityDimension,
    /// 0–4; null while a draft leaves it open.
    pub score: Option<i32>,
    pub evidence: Option<String>,
}

/// An assessment of a host institution's capacity to deliver a project.
pub struct CapacityAssessment(pub assessment::Model);

#[Object]
impl CapacityAssessment {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::CapacityAssessment, self.0.id)
    }
    async fn assessed_institution(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<InstitutionProfile>> {
        let loaded = crate::graphql::load_one::<crate::institutions::service::Directory>(
            ctx,
            self.0.assessed_institution_id,
        )
        .await?;
        Ok(loaded.map(InstitutionProfile))
    }
    async fn assessor_institution(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<InstitutionProfile>> {
        let loaded = crate::graphql::load_one::<crate::institutions::service::Directory>(
            ctx,
            self.0.assessor_institution_id,
        )
        .await?;
        Ok(loaded.map(InstitutionProfile))
    }
    /// The project it was made for; null for a general assessment.
    async fn project_id(&self) -> Option<ID> {
        self.0.project_id.map(|id| GlobalId::encode(NodeKind::Project, id))
    }
    async fn assessed_on(&self) -> NaiveDate {
        self.0.assessed_on
    }
    async fn status(&self) -> AssessmentStatus {
        self.0.status.into()
    }
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
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct DimensionScoreInput {
    pub dimension: CapacityDimension,
    /// 0–4.
    pub score: Option<i32>,
    pub evidence: Option<String>,
}

impl From<DimensionScoreInput> for DimensionEntry {
    fn from(input: DimensionScoreInput) -> Self {
        Self { dimension: input.dimension, score: input.score, evidence: input.evidence }
    }
}

#[derive(InputObject)]
pub struct CreateCapacityAssessmentInput {
    /// A HOST_INSTITUTION.
    pub assessed_institution_id: ID,
    /// The project the assessment is for; leave out for a general one (funders only).
    pub project_id: Option<ID>,
    pub assessed_on: NaiveDate,
    #[graphql(default)]
    pub dimensions: Vec<DimensionScoreInput>,
    /// Submit at once (every dimension then needs a score).
    #[graphql(default)]
    pub submit: bool,
}

#[derive(InputObject)]
pub struct UpdateCapacityAssessmentInput {
    pub id: ID,
    pub assessed_on: Option<NaiveDate>,
    #[graphql(default)]
    pub dimensions: Vec<DimensionScoreInput>,
    /// Submit after applying the changes; the assessment is then fixed for good.
    #[graphql(default)]
    pub submit: bool,
}

#[derive(SimpleObject)]
pub struct CapacityAssessmentPayload {
    pub assessment: Option<CapacityAssessment>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct AssessmentMutation;

#[Object]
impl AssessmentMutation {
    /// The funder (or the lead, where the programme allows) assesses a host site.
    async fn create_capacity_assessment(
        &self,
        ctx: &Context<'_>,
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
                    assessed_on: input.assessed_on,
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

    /// The assessor edits a DRAFT, and may submit it.
    async fn update_capacity_assessment(
        &self,
        ctx: &Context<'_>,
        input: UpdateCapacityAssessmentInput,
    ) -> async_graphql::Result<CapacityAssessmentPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::CapacityAssessment, "id") {
            Ok(id) => {
                let entries = input.dimensions.into_iter().map(Into::into).collect();
                service::update(db, actor, id, input.assessed_on, entries, input.submit).await
            }
            Err(e) => Err(e),
        };
        let (assessment, user_errors) = outcome(ctx, result)?;
        Ok(CapacityAssessmentPayload { assessment: assessment.map(CapacityAssessment), user_errors })
    }
}
