use chrono::NaiveDate;
use entity::institution::{self, InstitutionKind};
use entity::project::{self, ProjectStatus};
use entity::project_site::{self, SiteStatus};
use entity::{programme, team_member};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use super::changes::Change;
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, Problems, ServiceError, UserErrorCode};
use crate::paging::{Order, Page, PageRequest, paginate};
use crate::programmes::{criteria, service as programmes};
use crate::text;

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_AIM_CHARS: usize = 10_000;
pub const MAX_AREA_CHARS: usize = 200;
pub const MAX_BUDGET: i64 = 1_000_000_000;

/// Projects an actor may see: those its institution leads or hosts (unless it declined), and,
/// for the programme's funder, those submitted to it: a draft is between its lead and the sites
/// invited to it, and a bid withdrawn as a draft never reaches the funder. This is the one
/// definition every project read goes through.
pub fn visible_to(actor: &Actor) -> Select<project::Entity> {
    let institution_id = actor.institution.map(|i| i.id).unwrap_or_default();
    let hosted = Query::select()
        .column(project_site::Column::ProjectId)
        .from(project_site::Entity)
        .and_where(project_site::Column::InstitutionId.eq(institution_id))
        .and_where(project_site::Column::Status.ne(SiteStatus::Declined))
        .to_owned();
    let funded = Query::select()
        .column(programme::Column::Id)
        .from(programme::Entity)
        .and_where(programme::Column::FunderInstitutionId.eq(institution_id))
        .to_owned();
    project::Entity::find().filter(
        Condition::any()
            .add(project::Column::LeadInstitutionId.eq(institution_id))
            .add(project::Column::Id.in_subquery(hosted))
            .add(
                Condition::all()
                    .add(project::Column::ProgrammeId.in_subquery(funded))
                    .add(project::Column::SubmittedAt.is_not_null()),
            ),
    )
}

/// The ids of the projects an actor may see, for filtering rows that hang under a project.
pub fn visible_ids(actor: &Actor) -> sea_orm::sea_query::SelectStatement {
    visible_to(actor).select_only().column(project::Column::Id).into_query()
}

/// Host sites are visible with their project.
pub fn visible_sites(actor: &Actor) -> Select<project_site::Entity> {
    project_site::Entity::find().filter(project_site::Column::ProjectId.in_subquery(visible_ids(actor)))
}

/// Team members are visible with their project.
pub fn visible_team(actor: &Actor) -> Select<team_member::Entity> {
    team_member::Entity::find().filter(team_member::Column::ProjectId.in_subquery(visible_ids(actor)))
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<project::Model>, ServiceError> {
    Ok(visible_to(actor).filter(project::Column::Id.eq(id)).one(db.conn()).await?)
}

/// The project, if visible; otherwise `NotFound` on `field`.
pub async fn require(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    field: &'static str,
) -> Result<project::Model, ServiceError> {
    get(db, actor, id).await?.ok_or(ServiceError::NotFound { field })
}

/// How the actor stands towards a project it can see.
#[derive(Clone, Copy, Debug, Default)]
pub struct Standing {
    pub is_lead: bool,
    pub is_funder: bool,
    pub may_write: bool,
}

impl Standing {
    /// The actor's standing towards `project`, given its programme's funder (if any).
    pub fn of(actor: &Actor, project: &project::Model, funder_id: Option<Uuid>) -> Self {
        let Some(active) = actor.institution else { return Standing::default() };
        Standing {
            is_lead: project.lead_institution_id == active.id,
            is_funder: funder_id == Some(active.id),
            may_write: actor.require_writer().is_ok(),
        }
    }
}

pub async fn standing(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    project: &project::Model,
) -> Result<Standing, ServiceError> {
    let funder_id = match project.programme_id {
        Some(programme_id) => {
            programme::Entity::find_by_id(programme_id).one(conn).await?.map(|p| p.funder_institution_id)
        }
        None => None,
    };
    Ok(Standing::of(actor, project, funder_id))
}

/// The lead's ADMIN or MEMBER; anyone else who can see the project is refused.
pub fn require_lead_writer(actor: &Actor, project: &project::Model) -> Result<(), ServiceError> {
    let writer = actor.require_writer()?;
    if writer != project.lead_institution_id {
        return Err(ServiceError::Forbidden("only the lead institution changes this project"));
    }
    Ok(())
}

#[derive(Default)]
pub struct ProjectFilter {
    pub statuses: Vec<ProjectStatus>,
    pub programme_id: Option<Uuid>,
    pub lead_institution_id: Option<Uuid>,
    pub site_institution_id: Option<Uuid>,
    pub clinical_area: Option<String>,
    pub title_contains: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProjectSort {
    #[default]
    Created,
    Title,
}

pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: ProjectFilter,
    sort: ProjectSort,
    ascending: bool,
    page: &PageRequest,
) -> Result<Page<project::Model>, ServiceError> {
    let mut query = visible_to(actor);
    if !filter.statuses.is_empty() {
        query = query.filter(project::Column::Status.is_in(filter.statuses));
    }
    if let Some(id) = filter.programme_id {
        query = query.filter(project::Column::ProgrammeId.eq(id));
    }
    if let Some(id) = filter.lead_institution_id {
        query = query.filter(project::Column::LeadInstitutionId.eq(id));
    }
    if let Some(id) = filter.site_institution_id {
        let sites = Query::select()
            .column(project_site::Column::ProjectId)
            .from(project_site::Entity)
            .and_where(project_site::Column::InstitutionId.eq(id))
            .to_owned();
        query = query.filter(project::Column::Id.in_subquery(sites));
    }
    let invalid = |e| ServiceError::Invalid(vec![e]);
    let area = text::optional(filter.clinical_area.as_deref(), "filter.clinicalArea", MAX_AREA_CHARS)
        .map_err(invalid)?;
    if let Some(area) = area {
        let lowered = Expr::expr(Func::lower(Expr::col(project::Column::ClinicalArea)));
        query = query.filter(ExprTrait::eq(lowered, area.to_lowercase()));
    }
    let pattern = text::contains_pattern(filter.title_contains.as_deref(), "filter.search", MAX_TITLE_CHARS)
        .map_err(invalid)?;
    if let Some(pattern) = pattern {
        let lowered = Expr::expr(Func::lower(Expr::col(project::Column::Title)));
        query = query.filter(lowered.like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')));
    }
    let order = match sort {
        ProjectSort::Created => Order::new("created", vec![project::Column::Id], ascending),
        ProjectSort::Title => {
            Order::new("title", vec![project::Column::Title, project::Column::Id], ascending)
        }
    };
    paginate(db, query, &order, page).await
}

/// A project's editable fields; `None` keeps the current value.
#[derive(Default)]
pub struct ProjectForm {
    pub title: Option<String>,
    pub aim_statement: Option<String>,
    pub clinical_area: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub budget_requested: Option<i64>,
}

fn apply(form: ProjectForm, project: &mut project::Model) -> Result<(), ServiceError> {
    let mut problems = Problems::default();
    if let Some(title) = form.title.and_then(|t| problems.take(text::required(&t, "title", MAX_TITLE_CHARS)))
    {
        project.title = title;
    }
    if let Some(aim) =
        form.aim_statement.and_then(|a| problems.take(text::required(&a, "aimStatement", MAX_AIM_CHARS)))
    {
        project.aim_statement = aim;
    }
    if let Some(area) =
        form.clinical_area.and_then(|a| problems.take(text::required(&a, "clinicalArea", MAX_AREA_CHARS)))
    {
        project.clinical_area = area;
    }
    let starts_on = problems.take(text::optional_date(form.starts_on, "startsOn")).flatten();
    let ends_on = problems.take(text::optional_date(form.ends_on, "endsOn")).flatten();
    project.starts_on = starts_on.or(project.starts_on);
    project.ends_on = ends_on.or(project.ends_on);
    if let (Some(start), Some(end)) = (project.starts_on, project.ends_on)
        && end < start
    {
        problems.push(FieldError::new(
            "endsOn",
            UserErrorCode::Invalid,
            "the project must end on or after its start",
        ));
    }
    if let Some(budget) = form.budget_requested {
        if (0..=MAX_BUDGET).contains(&budget) {
            project.budget_requested = Some(budget);
        } else {
            problems.push(FieldError::new(
                "budgetRequested",
                UserErrorCode::Invalid,
                format!("must be between 0 and {MAX_BUDGET} pounds"),
            ));
        }
    }
    problems.into_result()
}

/// A royal college or professional body starts a project, optionally bidding into a programme
/// that is open and admits its kind.
pub async fn create(
    db: &Db,
    actor: &Actor,
    programme_id: Option<Uuid>,
    form: ProjectForm,
) -> Result<project::Model, ServiceError> {
    let model = prepare(db, actor, programme_id, form).await?;
    let txn = db.begin().await?;
    project::Entity::insert(project::ActiveModel::from(model.clone())).exec_without_returning(&txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(model.lead_institution_id),
        "project.create",
        Subject { kind: "Project", id: model.id },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// A new DRAFT project led by the actor's institution, checked but not yet written: who may
/// lead, the fields, and the programme it bids into.
pub async fn prepare(
    db: &Db,
    actor: &Actor,
    programme_id: Option<Uuid>,
    form: ProjectForm,
) -> Result<project::Model, ServiceError> {
    let lead_id = actor.require_writer()?;
    let lead = institution::Entity::find_by_id(lead_id)
        .one(db.conn())
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if !matches!(lead.kind, InstitutionKind::RoyalCollege | InstitutionKind::ProfessionalBody) {
        return Err(ServiceError::Forbidden("only royal colleges and professional bodies lead projects"));
    }
    let mut missing = Problems::default();
    for (value, field) in
        [(&form.title, "title"), (&form.aim_statement, "aimStatement"), (&form.clinical_area, "clinicalArea")]
    {
        if value.is_none() {
            missing.push(FieldError::new(field, UserErrorCode::Required, "must not be blank"));
        }
    }
    missing.into_result()?;
    if let Some(programme_id) = programme_id {
        let programme = programmes::get(db, actor, programme_id)
            .await?
            .ok_or(ServiceError::NotFound { field: "programmeId" })?;
        check_eligible(&programme, lead.kind, db.today())?;
    }
    let now = db.now();
    let mut model = project::Model {
        id: Uuid::now_v7(),
        programme_id,
        lead_institution_id: lead_id,
        title: String::new(),
        aim_statement: String::new(),
        clinical_area: String::new(),
        starts_on: None,
        ends_on: None,
        budget_requested: None,
        budget_awarded: None,
        status: ProjectStatus::Draft,
        status_changed_at: now,
        submitted_at: None,
        adopted_from_result_id: None,
        created_at: now,
        updated_at: now,
    };
    apply(form, &mut model)?;
    Ok(model)
}

pub fn check_eligible(
    programme: &programme::Model,
    kind: InstitutionKind,
    today: NaiveDate,
) -> Result<(), ServiceError> {
    if !programmes::is_bidding_open(programme, today) {
        return Err(ServiceError::invalid(
            "programmeId",
            UserErrorCode::BiddingClosed,
            format!(
                "bidding for this programme is open from {} to {}",
                programme.bidding_opens_on, programme.bidding_closes_on
            ),
        ));
    }
    if !criteria::decode_kinds(&programme.eligible_bidder_kinds).contains(&kind) {
        return Err(ServiceError::invalid(
            "programmeId",
            UserErrorCode::NotEligible,
            "the programme does not take bids from your kind of institution",
        ));
    }
    Ok(())
}

/// The lead edits a project's description while it is a draft or under review.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    form: ProjectForm,
) -> Result<project::Model, ServiceError> {
    let current = require(db, actor, id, "id").await?;
    require_lead_writer(actor, &current)?;
    super::changes::require(&current, Change::Details, "id")?;
    let mut updated = current.clone();
    apply(form, &mut updated)?;
    updated.updated_at = db.now();
    let txn = db.begin().await?;
    let mut active = sea_orm::ActiveModelTrait::reset_all(project::ActiveModel::from(updated.clone()));
    active.id = sea_orm::ActiveValue::Unchanged(updated.id);
    sea_orm::ActiveModelTrait::update(active, &txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(updated.lead_institution_id),
        "project.update",
        Subject { kind: "Project", id },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Team rows still counting towards capacity on `on` (not yet ended).
pub fn is_current(member: &team_member::Model, on: NaiveDate) -> bool {
    member.ends_on.is_none_or(|end| end >= on)
}
