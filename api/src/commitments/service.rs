use entity::commitment::{self, CommitmentKind, CommitmentStatus};
use entity::institution::{self, InstitutionKind};
use entity::programme;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};
use crate::programmes::service as programmes;
use crate::projects::changes::{self, Change};
use crate::projects::service as projects;
use crate::text;

pub const MAX_DESCRIPTION_CHARS: usize = 5_000;

/// Commitments an actor may see: its own, those on projects it can see, and those on
/// programmes it takes part in. An open call shows outsiders its summary, not its commitments.
pub fn visible_to(actor: &Actor) -> Select<commitment::Entity> {
    let institution_id = actor.institution.map(|i| i.id).unwrap_or_default();
    let visible_projects = projects::visible_ids(actor);
    let visible_programmes =
        programmes::taken_part_in(actor).select_only().column(programme::Column::Id).into_query();
    commitment::Entity::find().filter(
        Condition::any()
            .add(commitment::Column::InstitutionId.eq(institution_id))
            .add(commitment::Column::ProjectId.in_subquery(visible_projects))
            .add(commitment::Column::ProgrammeId.in_subquery(visible_programmes)),
    )
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<commitment::Model>, ServiceError> {
    Ok(visible_to(actor).filter(commitment::Column::Id.eq(id)).one(db.conn()).await?)
}

#[derive(Clone, Copy, Debug)]
pub enum Target {
    Project(Uuid),
    Programme(Uuid),
    /// Everything the institution has committed, wherever.
    Institution(Uuid),
}

pub async fn list(db: &Db, actor: &Actor, target: Target) -> Result<Vec<commitment::Model>, ServiceError> {
    let query = visible_to(actor);
    let query = match target {
        Target::Project(id) => query.filter(commitment::Column::ProjectId.eq(id)),
        Target::Programme(id) => query.filter(commitment::Column::ProgrammeId.eq(id)),
        Target::Institution(id) => query.filter(commitment::Column::InstitutionId.eq(id)),
    };
    Ok(query.order_by_asc(commitment::Column::Id).limit(500).all(db.conn()).await?)
}

/// A royal college or professional body records what it offers a project or programme it can
/// see. Exactly one of the two is named.
pub async fn record(
    db: &Db,
    actor: &Actor,
    project_id: Option<Uuid>,
    programme_id: Option<Uuid>,
    kind: CommitmentKind,
    description: &str,
) -> Result<commitment::Model, ServiceError> {
    let institution_id = actor.require_writer()?;
    let own = institution::Entity::find_by_id(institution_id).one(db.conn()).await?;
    if !own
        .is_some_and(|i| matches!(i.kind, InstitutionKind::RoyalCollege | InstitutionKind::ProfessionalBody))
    {
        return Err(ServiceError::Forbidden(
            "commitments are made by royal colleges and professional bodies",
        ));
    }
    match (project_id, programme_id) {
        (Some(id), None) => {
            let project = projects::require(db, actor, id, "projectId").await?;
            changes::require(&project, Change::Commitments, "projectId")?;
        }
        (None, Some(id)) => {
            programmes::get(db, actor, id).await?.ok_or(ServiceError::NotFound { field: "programmeId" })?;
        }
        _ => {
            return Err(ServiceError::invalid(
                "projectId",
                UserErrorCode::Invalid,
                "name either a project or a programme",
            ));
        }
    }
    let description = text::required(description, "description", MAX_DESCRIPTION_CHARS)
        .map_err(|e| ServiceError::Invalid(vec![e]))?;
    let now = db.now();
    let model = commitment::Model {
        id: Uuid::now_v7(),
        institution_id,
        project_id,
        programme_id,
        kind,
        description,
        status: CommitmentStatus::Offered,
        created_at: now,
        updated_at: now,
    };
    let txn = db.begin().await?;
    commitment::Entity::insert(commitment::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(institution_id),
        "commitment.record",
        Subject { kind: "Commitment", id: model.id },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The committing institution updates its description or status.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    description: Option<&str>,
    status: Option<CommitmentStatus>,
) -> Result<commitment::Model, ServiceError> {
    let mut model = get(db, actor, id).await?.ok_or(ServiceError::NotFound { field: "id" })?;
    if actor.require_writer()? != model.institution_id {
        return Err(ServiceError::Forbidden("only the committing institution changes a commitment"));
    }
    if let Some(project_id) = model.project_id {
        let project = projects::require(db, actor, project_id, "id").await?;
        changes::require(&project, Change::Commitments, "id")?;
    }
    if let Some(description) = description {
        model.description = text::required(description, "description", MAX_DESCRIPTION_CHARS)
            .map_err(|e| ServiceError::Invalid(vec![e]))?;
    }
    model.status = status.unwrap_or(model.status);
    model.updated_at = db.now();
    let txn = db.begin().await?;
    let mut active = sea_orm::ActiveModelTrait::reset_all(commitment::ActiveModel::from(model.clone()));
    active.id = sea_orm::ActiveValue::Unchanged(model.id);
    sea_orm::ActiveModelTrait::update(active, &txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(model.institution_id),
        "commitment.update",
        Subject { kind: "Commitment", id },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub struct VisibleCommitments;

impl crate::scope::Scope for VisibleCommitments {
    type Entity = commitment::Entity;

    fn select(actor: &Actor, today: chrono::NaiveDate) -> sea_orm::Select<commitment::Entity> {
        let _ = today;
        visible_to(actor)
    }
}

/// What colleges and bodies commit to a project.
pub struct CommitmentsOfProject;

impl crate::scope::Children for CommitmentsOfProject {
    type Scope = VisibleCommitments;

    fn parent() -> commitment::Column {
        commitment::Column::ProjectId
    }

    fn order() -> crate::paging::Order<commitment::Entity> {
        crate::paging::Order::created(commitment::Column::Id)
    }
}

/// What colleges and bodies commit to a programme as a whole.
pub struct CommitmentsOfProgramme;

impl crate::scope::Children for CommitmentsOfProgramme {
    type Scope = VisibleCommitments;

    fn parent() -> commitment::Column {
        commitment::Column::ProgrammeId
    }

    fn order() -> crate::paging::Order<commitment::Entity> {
        crate::paging::Order::created(commitment::Column::Id)
    }
}
