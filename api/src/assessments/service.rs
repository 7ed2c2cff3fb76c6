use std::collections::HashMap;

use chrono::NaiveDate;
use entity::capacity_assessment::{self as assessment, AssessmentStatus};
use entity::institution::{self, InstitutionKind};
use entity::project;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Select};
use uuid::Uuid;

use super::dimension::{self, CapacityDimension, Scores};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, Problems, ServiceError, UserErrorCode};
use crate::programmes::{criteria::FundingCriteria, service as programmes};
use crate::projects::service as projects;
use crate::text;

pub const MAX_EVIDENCE_CHARS: usize = 10_000;

/// Assessments an actor may see: those its institution made, those of its institution, and
/// those for projects it leads.
pub fn visible_to(actor: &Actor) -> Select<assessment::Entity> {
    let institution_id = actor.institution.map(|i| i.id).unwrap_or_default();
    let led = Query::select()
        .column(project::Column::Id)
        .from(project::Entity)
        .and_where(project::Column::LeadInstitutionId.eq(institution_id))
        .to_owned();
    assessment::Entity::find().filter(
        Condition::any()
            .add(assessment::Column::AssessorInstitutionId.eq(institution_id))
            .add(assessment::Column::AssessedInstitutionId.eq(institution_id))
            .add(assessment::Column::ProjectId.in_subquery(led)),
    )
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<assessment::Model>, ServiceError> {
    Ok(visible_to(actor).filter(assessment::Column::Id.eq(id)).one(db.conn()).await?)
}

pub fn scores(model: &assessment::Model) -> Scores {
    [
        model.project_management_score,
        model.leadership_score,
        model.monitoring_and_evaluation_score,
        model.data_infrastructure_score,
        model.staff_time_score,
    ]
}

pub fn evidence(model: &assessment::Model, dimension: CapacityDimension) -> Option<&str> {
    match dimension {
        CapacityDimension::ProjectManagement => model.project_management_evidence.as_deref(),
        CapacityDimension::Leadership => model.leadership_evidence.as_deref(),
        CapacityDimension::MonitoringAndEvaluation => model.monitoring_and_evaluation_evidence.as_deref(),
        CapacityDimension::DataInfrastructure => model.data_infrastructure_evidence.as_deref(),
        CapacityDimension::StaffTime => model.staff_time_evidence.as_deref(),
    }
}

fn set_dimension(
    model: &mut assessment::Model,
    dimension: CapacityDimension,
    score: Option<i32>,
    evidence: Option<String>,
) {
    let (score_slot, evidence_slot) = match dimension {
        CapacityDimension::ProjectManagement => {
            (&mut model.project_management_score, &mut model.project_management_evidence)
        }
        CapacityDimension::Leadership => (&mut model.leadership_score, &mut model.leadership_evidence),
        CapacityDimension::MonitoringAndEvaluation => {
            (&mut model.monitoring_and_evaluation_score, &mut model.monitoring_and_evaluation_evidence)
        }
        CapacityDimension::DataInfrastructure => {
            (&mut model.data_infrastructure_score, &mut model.data_infrastructure_evidence)
        }
        CapacityDimension::StaffTime => (&mut model.staff_time_score, &mut model.staff_time_evidence),
    };
    if score.is_some() {
        *score_slot = score;
    }
    if evidence.is_some() {
        *evidence_slot = evidence;
    }
}

pub struct DimensionEntry {
    pub dimension: CapacityDimension,
    pub score: Option<i32>,
    pub evidence: Option<String>,
}

/// Checks and applies entries, reporting each bad one at `dimensions.N.…`.
fn apply_entries(model: &mut assessment::Model, entries: Vec<DimensionEntry>, problems: &mut Problems) {
    let mut seen = Vec::new();
    for (index, entry) in entries.into_iter().enumerate() {
        let field = format!("dimensions.{index}");
        if seen.contains(&entry.dimension) {
            problems.push(FieldError::new(
                &field,
                UserErrorCode::Invalid,
                format!("{} appears twice", entry.dimension.code()),
            ));
            continue;
        }
        seen.push(entry.dimension);
        let score = match entry.score {
            Some(raw) => problems.take(dimension::parse_score(raw, &format!("{field}.score"))),
            None => None,
        };
        let evidence = problems
            .take(text::optional(entry.evidence.as_deref(), &format!("{field}.evidence"), MAX_EVIDENCE_CHARS))
            .flatten();
        set_dimension(model, entry.dimension, score, evidence);
    }
}

/// Every dimension needs a score before submission.
fn check_complete(model: &assessment::Model) -> Result<(), ServiceError> {
    let mut problems = Problems::default();
    for (dimension, score) in CapacityDimension::ALL.into_iter().zip(scores(model)) {
        if score.is_none() {
            problems.push(FieldError::new(
                &format!("dimensions.{}", dimension.code()),
                UserErrorCode::Required,
                format!("{} needs a score before the assessment is submitted", dimension.code()),
            ));
        }
    }
    problems.into_result()
}

pub struct NewAssessment {
    pub assessed_institution_id: Uuid,
    pub project_id: Option<Uuid>,
    pub assessed_on: NaiveDate,
    pub dimensions: Vec<DimensionEntry>,
    pub submit: bool,
}

/// The funder of the project's programme (or its lead, where the programme allows) assesses a
/// site of the project; without a project, any funder may assess a host institution.
pub async fn create(db: &Db, actor: &Actor, input: NewAssessment) -> Result<assessment::Model, ServiceError> {
    let assessor_id = actor.require_writer()?;
    let assessed = institution::Entity::find_by_id(input.assessed_institution_id).one(db.conn()).await?;
    match input.project_id {
        Some(project_id) => {
            let project = projects::require(db, actor, project_id, "projectId").await?;
            let sites = crate::projects::sites::of_project(db, actor, project.id).await?;
            if !sites.iter().any(|s| s.institution_id == input.assessed_institution_id) {
                return Err(ServiceError::invalid(
                    "assessedInstitutionId",
                    UserErrorCode::NotEligible,
                    "the institution is not a site of this project",
                ));
            }
            let programme = match project.programme_id {
                Some(id) => programmes::criteria_of(db, actor, id).await?,
                None => None,
            };
            let allowed = programme.is_some_and(|(programme, criteria): (_, FundingCriteria)| {
                programme.funder_institution_id == assessor_id
                    || (criteria.lead_may_assess && project.lead_institution_id == assessor_id)
            });
            if !allowed {
                return Err(ServiceError::Forbidden(
                    "only the programme's funder (or the lead, where the programme allows) assesses sites",
                ));
            }
        }
        None => {
            let assessor = institution::Entity::find_by_id(assessor_id).one(db.conn()).await?;
            if assessor.map(|a| a.kind) != Some(InstitutionKind::Funder) {
                return Err(ServiceError::Forbidden("only funders record general capacity assessments"));
            }
            if assessed.is_none() {
                return Err(ServiceError::NotFound { field: "assessedInstitutionId" });
            }
        }
    }
    if assessed.map(|a| a.kind) != Some(InstitutionKind::HostInstitution) {
        return Err(ServiceError::invalid(
            "assessedInstitutionId",
            UserErrorCode::NotEligible,
            "only host institutions are assessed",
        ));
    }
    let mut problems = Problems::default();
    problems.take(text::date(input.assessed_on, "assessedOn"));
    if input.assessed_on > db.today() {
        problems.push(FieldError::new(
            "assessedOn",
            UserErrorCode::Invalid,
            "an assessment cannot be dated in the future",
        ));
    }
    let now = db.now();
    let mut model = assessment::Model {
        id: Uuid::now_v7(),
        assessed_institution_id: input.assessed_institution_id,
        assessor_institution_id: assessor_id,
        project_id: input.project_id,
        assessed_on: input.assessed_on,
        status: AssessmentStatus::Draft,
        project_management_score: None,
        project_management_evidence: None,
        leadership_score: None,
        leadership_evidence: None,
        monitoring_and_evaluation_score: None,
        monitoring_and_evaluation_evidence: None,
        data_infrastructure_score: None,
        data_infrastructure_evidence: None,
        staff_time_score: None,
        staff_time_evidence: None,
        created_by: actor.user_id(),
        submitted_at: None,
        created_at: now,
        updated_at: now,
    };
    apply_entries(&mut model, input.dimensions, &mut problems);
    problems.into_result()?;
    if input.submit {
        check_complete(&model)?;
        model.status = AssessmentStatus::Submitted;
        model.submitted_at = Some(now);
    }
    let txn = db.begin().await?;
    assessment::Entity::insert(assessment::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(assessor_id),
        "capacity_assessment.create",
        Subject { kind: "CapacityAssessment", id: model.id },
    )
    .await?;
    if input.submit {
        audit::record(
            &txn,
            db.now(),
            actor.into(),
            Some(assessor_id),
            "capacity_assessment.submit",
            Subject { kind: "CapacityAssessment", id: model.id },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(model)
}

/// The assessor edits a draft, and may submit it in the same call.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    assessed_on: Option<NaiveDate>,
    dimensions: Vec<DimensionEntry>,
    submit: bool,
) -> Result<assessment::Model, ServiceError> {
    let mut model = get(db, actor, id).await?.ok_or(ServiceError::NotFound { field: "id" })?;
    let writer = actor.require_writer()?;
    if model.assessor_institution_id != writer {
        return Err(ServiceError::Forbidden("only the assessing institution edits an assessment"));
    }
    if model.status == AssessmentStatus::Submitted {
        return Err(ServiceError::invalid(
            "id",
            UserErrorCode::Immutable,
            "a submitted assessment never changes; record a new one",
        ));
    }
    let mut problems = Problems::default();
    if let Some(date) = assessed_on.and_then(|d| problems.take(text::date(d, "assessedOn"))) {
        if date > db.today() {
            problems.push(FieldError::new(
                "assessedOn",
                UserErrorCode::Invalid,
                "an assessment cannot be dated in the future",
            ));
        }
        model.assessed_on = date;
    }
    apply_entries(&mut model, dimensions, &mut problems);
    problems.into_result()?;
    let now = db.now();
    if submit {
        check_complete(&model)?;
        model.status = AssessmentStatus::Submitted;
        model.submitted_at = Some(now);
    }
    model.updated_at = now;
    let txn = db.begin().await?;
    // Conditional on still being a draft, so a concurrent submission cannot be overwritten.
    let updated = assessment::Entity::update_many()
        .set(sea_orm::ActiveModelTrait::reset_all(assessment::ActiveModel::from(model.clone())))
        .filter(assessment::Column::Id.eq(id))
        .filter(assessment::Column::Status.eq(AssessmentStatus::Draft))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ServiceError::invalid(
            "id",
            UserErrorCode::Immutable,
            "the assessment was submitted meanwhile",
        ));
    }
    let action = if submit { "capacity_assessment.submit" } else { "capacity_assessment.update" };
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(writer),
        action,
        Subject { kind: "CapacityAssessment", id },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// All assessments of a project's sites the actor may see, newest first.
pub async fn for_project(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
) -> Result<Vec<assessment::Model>, ServiceError> {
    Ok(visible_to(actor)
        .filter(assessment::Column::ProjectId.eq(project_id))
        .order_by_desc(assessment::Column::Id)
        .all(db.conn())
        .await?)
}

/// Whether the actor may read this assessment: the same rule as `visible_to`, for a row
/// already loaded (`project_lead` is the lead of the project it was made for, if any).
pub fn readable_by(actor: &Actor, model: &assessment::Model, project_lead: Option<Uuid>) -> bool {
    let Some(institution) = actor.institution.map(|i| i.id) else { return false };
    model.assessor_institution_id == institution
        || model.assessed_institution_id == institution
        || (model.project_id.is_some() && project_lead == Some(institution))
}

/// Which assessors a project's funding gate listens to: the programme's funder, and the lead
/// where the programme allows self-assessment (DESIGN.md, "Which assessments count").
pub struct GateAssessors {
    pub project_id: Uuid,
    pub assessors: Vec<Uuid>,
}

/// The current assessment of each host of each project: the newest submitted one by an
/// assessor the project's gate counts, for that project or a general one, keyed by (project,
/// host). Read without the actor's scoping because the gate's verdict needs every site's; what
/// the caller is told of each is decided by `readable_by`.
pub async fn current_for_sites(
    db: &Db,
    projects: &[GateAssessors],
    institution_ids: &[Uuid],
) -> Result<HashMap<(Uuid, Uuid), assessment::Model>, ServiceError> {
    let mut assessors: Vec<Uuid> = projects.iter().flat_map(|p| p.assessors.iter().copied()).collect();
    assessors.sort_unstable();
    assessors.dedup();
    let submitted = assessment::Entity::find()
        .filter(assessment::Column::AssessedInstitutionId.is_in(institution_ids.iter().copied()))
        .filter(assessment::Column::AssessorInstitutionId.is_in(assessors))
        .filter(assessment::Column::Status.eq(AssessmentStatus::Submitted))
        .filter(
            Condition::any()
                .add(assessment::Column::ProjectId.is_in(projects.iter().map(|p| p.project_id)))
                .add(assessment::Column::ProjectId.is_null()),
        )
        .order_by_desc(assessment::Column::AssessedOn)
        .order_by_desc(assessment::Column::Id)
        // The gate counts assessments its reader may not read (readiness then says only that
        // a site falls short): read outside the row level policies, over committed rows.
        .all(db.system().conn())
        .await?;
    let mut current = HashMap::new();
    for project in projects {
        for row in &submitted {
            let counted = project.assessors.contains(&row.assessor_institution_id)
                && row.project_id.is_none_or(|p| p == project.project_id);
            if counted {
                current
                    .entry((project.project_id, row.assessed_institution_id))
                    .or_insert_with(|| row.clone());
            }
        }
    }
    Ok(current)
}

pub struct VisibleAssessments;

impl crate::scope::Scope for VisibleAssessments {
    type Entity = assessment::Entity;

    fn select(actor: &Actor, today: chrono::NaiveDate) -> sea_orm::Select<assessment::Entity> {
        let _ = today;
        visible_to(actor)
    }
}

/// Assessments for a project's sites, newest first.
pub struct AssessmentsOfProject;

impl crate::scope::Children for AssessmentsOfProject {
    type Scope = VisibleAssessments;

    fn parent() -> assessment::Column {
        assessment::Column::ProjectId
    }

    fn order() -> crate::paging::Order<assessment::Entity> {
        crate::paging::Order::new("created", vec![assessment::Column::Id], false)
    }
}
