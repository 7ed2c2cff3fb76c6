use chrono::NaiveDate;
use entity::institution::{self, InstitutionKind};
use entity::{programme, project, project_site};
use sea_orm::sea_query::{ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use super::criteria::{self, FundingCriteria, SpringboardRule};
use crate::actor::Actor;
use crate::assessments::dimension::{self, CapacityDimension};
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, Problems, ServiceError, UserErrorCode};
use crate::paging::{Order, Page, PageRequest, paginate};
use crate::text;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_OBJECTIVES_CHARS: usize = 10_000;
pub const MAX_HOURS_PER_WEEK: f64 = 1_000.0;
pub const MAX_ASSESSMENT_AGE_DAYS: i32 = 3_650;
/// Length of the `programmes.springboard_roles` column.
pub const MAX_ROLE_GROUPS_TEXT: usize = 1_000;

/// Programmes an actor may see: its funder's, those it has a project in (as lead or site), and
/// any while bidding is open on `today`.
pub fn visible_to(actor: &Actor, today: NaiveDate) -> Select<programme::Entity> {
    programme::Entity::find().filter(
        Condition::any().add(taking_part(actor)).add(
            Condition::all()
                .add(programme::Column::BiddingOpensOn.lte(today))
                .add(programme::Column::BiddingClosesOn.gte(today)),
        ),
    )
}

/// Programmes the actor's institution takes part in: as funder, as a project's lead, or as a
/// site that has not declined. Their participants see more than the summary an open call shows
/// everyone (commitments, for instance).
pub fn taken_part_in(actor: &Actor) -> Select<programme::Entity> {
    programme::Entity::find().filter(taking_part(actor))
}

fn taking_part(actor: &Actor) -> Condition {
    let institution_id = actor.institution.map(|i| i.id).unwrap_or_default();
    let led = Query::select()
        .column(project::Column::ProgrammeId)
        .from(project::Entity)
        .and_where(project::Column::LeadInstitutionId.eq(institution_id))
        .to_owned();
    let hosted = Query::select()
        .column((project::Entity, project::Column::ProgrammeId))
        .from(project::Entity)
        .inner_join(
            project_site::Entity,
            sea_orm::sea_query::Expr::col((project_site::Entity, project_site::Column::ProjectId))
                .equals((project::Entity, project::Column::Id)),
        )
        .and_where(project_site::Column::InstitutionId.eq(institution_id))
        .and_where(project_site::Column::Status.ne(entity::project_site::SiteStatus::Declined))
        .to_owned();
    Condition::any()
        .add(programme::Column::FunderInstitutionId.eq(institution_id))
        .add(programme::Column::Id.in_subquery(led))
        .add(programme::Column::Id.in_subquery(hosted))
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<programme::Model>, ServiceError> {
    Ok(visible_to(actor, db.today()).filter(programme::Column::Id.eq(id)).one(db.conn()).await?)
}

pub async fn list(
    db: &Db,
    actor: &Actor,
    open_for_bidding: Option<bool>,
    page: &PageRequest,
) -> Result<Page<programme::Model>, ServiceError> {
    let today = db.today();
    let mut query = visible_to(actor, today);
    match open_for_bidding {
        Some(true) => {
            query = query
                .filter(programme::Column::BiddingOpensOn.lte(today))
                .filter(programme::Column::BiddingClosesOn.gte(today));
        }
        Some(false) => {
            query = query.filter(
                Condition::any()
                    .add(programme::Column::BiddingOpensOn.gt(today))
                    .add(programme::Column::BiddingClosesOn.lt(today)),
            );
        }
        None => {}
    }
    paginate(db, query, &Order::created(programme::Column::Id), page).await
}

pub fn is_bidding_open(programme: &programme::Model, on: NaiveDate) -> bool {
    programme.bidding_opens_on <= on && on <= programme.bidding_closes_on
}

/// The programme's fields as a form sends them; `None` keeps the current value (or the default,
/// on creation).
#[derive(Default)]
pub struct ProgrammeForm {
    pub name: Option<String>,
    pub objectives: Option<String>,
    pub bidding_opens_on: Option<NaiveDate>,
    pub bidding_closes_on: Option<NaiveDate>,
    pub eligible_bidder_kinds: Option<Vec<InstitutionKind>>,
    pub minimum_scores: Option<Vec<(CapacityDimension, i32)>>,
    pub max_assessment_age_days: Option<i32>,
    pub role_groups: Option<Vec<Vec<entity::team_member::ProjectRole>>>,
    pub min_weekly_hours: Option<f64>,
    pub max_monitoring_share: Option<f64>,
    pub lead_may_assess: Option<bool>,
}

/// Applies a form to a programme (a new one starts from the defaults), checking every field.
fn apply(form: ProgrammeForm, current: &mut programme::Model) -> Result<(), ServiceError> {
    let mut problems = Problems::default();
    if let Some(name) = form.name.and_then(|n| problems.take(text::required(&n, "name", MAX_NAME_CHARS))) {
        current.name = name;
    }
    if let Some(objectives) =
        form.objectives.and_then(|o| problems.take(text::required(&o, "objectives", MAX_OBJECTIVES_CHARS)))
    {
        current.objectives = objectives;
    }
    let opens = problems.take(text::optional_date(form.bidding_opens_on, "biddingOpensOn")).flatten();
    let closes = problems.take(text::optional_date(form.bidding_closes_on, "biddingClosesOn")).flatten();
    current.bidding_opens_on = opens.unwrap_or(current.bidding_opens_on);
    current.bidding_closes_on = closes.unwrap_or(current.bidding_closes_on);
    if current.bidding_closes_on < current.bidding_opens_on {
        problems.push(FieldError::new(
            "biddingClosesOn",
            UserErrorCode::Invalid,
            "bidding must close on or after the day it opens",
        ));
    }
    if let Some(kinds) = form.eligible_bidder_kinds {
        let bidders = [InstitutionKind::RoyalCollege, InstitutionKind::ProfessionalBody];
        if kinds.is_empty() || kinds.iter().any(|k| !bidders.contains(k)) {
            problems.push(FieldError::new(
                "eligibleBidderKinds",
                UserErrorCode::Invalid,
                "bidders are royal colleges and professional bodies: name one or both",
            ));
        } else {
            current.eligible_bidder_kinds = criteria::encode_kinds(&kinds);
        }
    }
    for (dimension, score) in form.minimum_scores.unwrap_or_default() {
        let field = format!("criteria.minimumScores.{}", dimension.code());
        if let Some(score) = problems.take(dimension::parse_score(score, &field)) {
            match dimension {
                CapacityDimension::ProjectManagement => current.min_project_management = score,
                CapacityDimension::Leadership => current.min_leadership = score,
                CapacityDimension::MonitoringAndEvaluation => current.min_monitoring_and_evaluation = score,
                CapacityDimension::DataInfrastructure => current.min_data_infrastructure = score,
                CapacityDimension::StaffTime => current.min_staff_time = score,
            }
        }
    }
    if let Some(days) = form.max_assessment_age_days {
        if (1..=MAX_ASSESSMENT_AGE_DAYS).contains(&days) {
            current.max_assessment_age_days = days;
        } else {
            problems.push(FieldError::new(
                "criteria.maxAssessmentAgeDays",
                UserErrorCode::Invalid,
                format!("must be between 1 and {MAX_ASSESSMENT_AGE_DAYS} days"),
            ));
        }
    }
    if let Some(mut groups) = form.role_groups {
        for group in &mut groups {
            group.sort();
            group.dedup();
        }
        let encoded = criteria::encode_role_groups(&groups);
        // The groups live in a text column of MAX_ROLE_GROUPS_TEXT; past it PostgreSQL refuses the row.
        if groups.iter().any(Vec::is_empty) || groups.len() > 20 || encoded.len() > MAX_ROLE_GROUPS_TEXT {
            problems.push(FieldError::new(
                "criteria.requiredRoleGroups",
                UserErrorCode::Invalid,
                "each group names at least one role; at most 20 groups and a few roles each",
            ));
        } else {
            current.springboard_roles = encoded;
        }
    }
    if let Some(hours) = form.min_weekly_hours {
        if hours.is_finite() && (0.0..=MAX_HOURS_PER_WEEK).contains(&hours) {
            current.min_team_hours_per_week = hours;
        } else {
            problems.push(FieldError::new(
                "criteria.minimumWeeklyHours",
                UserErrorCode::Invalid,
                format!("must be between 0 and {MAX_HOURS_PER_WEEK}"),
            ));
        }
    }
    if let Some(share) = form.max_monitoring_share {
        if share.is_finite() && share > 0.0 && share <= 1.0 {
            current.max_monitoring_share = share;
        } else {
            problems.push(FieldError::new(
                "criteria.maxMonitoringShare",
                UserErrorCode::Invalid,
                "a share of the team's committed hours: more than 0, at most 1",
            ));
        }
    }
    current.lead_may_assess = form.lead_may_assess.unwrap_or(current.lead_may_assess);
    problems.into_result()
}

/// A funder's ADMIN or MEMBER opens a programme.
pub async fn create(db: &Db, actor: &Actor, form: ProgrammeForm) -> Result<programme::Model, ServiceError> {
    let funder_id = actor.require_writer()?;
    let funder = institution::Entity::find_by_id(funder_id).one(db.conn()).await?;
    if funder.map(|f| f.kind) != Some(InstitutionKind::Funder) {
        return Err(ServiceError::Forbidden("only funders run programmes"));
    }
    let mut missing = Problems::default();
    if form.name.is_none() {
        missing.push(FieldError::new("name", UserErrorCode::Required, "must not be blank"));
    }
    if form.objectives.is_none() {
        missing.push(FieldError::new("objectives", UserErrorCode::Required, "must not be blank"));
    }
    missing.into_result()?;
    let defaults = FundingCriteria::default();
    let now = db.now();
    let mut model = programme::Model {
        id: Uuid::now_v7(),
        funder_institution_id: funder_id,
        name: String::new(),
        objectives: String::new(),
        bidding_opens_on: db.today(),
        bidding_closes_on: db.today(),
        eligible_bidder_kinds: criteria::encode_kinds(&[
            InstitutionKind::RoyalCollege,
            InstitutionKind::ProfessionalBody,
        ]),
        min_project_management: criteria::DEFAULT_MINIMUM_SCORE,
        min_leadership: criteria::DEFAULT_MINIMUM_SCORE,
        min_monitoring_and_evaluation: criteria::DEFAULT_MINIMUM_SCORE,
        min_data_infrastructure: criteria::DEFAULT_MINIMUM_SCORE,
        min_staff_time: criteria::DEFAULT_MINIMUM_SCORE,
        max_assessment_age_days: defaults.max_assessment_age_days,
        springboard_roles: criteria::encode_role_groups(&SpringboardRule::default().role_groups),
        min_team_hours_per_week: SpringboardRule::default().min_weekly_hours,
        max_monitoring_share: criteria::DEFAULT_MAX_MONITORING_SHARE,
        lead_may_assess: false,
        created_at: now,
        updated_at: now,
    };
    apply(form, &mut model)?;
    let txn = db.begin().await?;
    programme::Entity::insert(programme::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(funder_id),
        "programme.create",
        Subject { kind: "Programme", id: model.id },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    form: ProgrammeForm,
) -> Result<programme::Model, ServiceError> {
    let current = get(db, actor, id).await?.ok_or(ServiceError::NotFound { field: "id" })?;
    let writer = actor.require_writer()?;
    if current.funder_institution_id != writer {
        return Err(ServiceError::Forbidden("only the programme's funder changes it"));
    }
    let mut updated = current.clone();
    apply(form, &mut updated)?;
    updated.updated_at = db.now();
    let txn = db.begin().await?;
    let mut active = sea_orm::ActiveModelTrait::reset_all(programme::ActiveModel::from(updated.clone()));
    active.id = sea_orm::ActiveValue::Unchanged(updated.id);
    active.created_at = sea_orm::ActiveValue::Unchanged(updated.created_at);
    sea_orm::ActiveModelTrait::update(active, &txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(writer),
        "programme.update",
        Subject { kind: "Programme", id },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// A programme the actor sees, with its funding criteria.
pub async fn criteria_of(
    db: &Db,
    actor: &Actor,
    programme_id: Uuid,
) -> Result<Option<(programme::Model, FundingCriteria)>, ServiceError> {
    let programme = get(db, actor, programme_id).await?;
    Ok(programme.map(|p| {
        let criteria = FundingCriteria::from_model(&p);
        (p, criteria)
    }))
}

pub struct VisibleProgrammes;

impl crate::scope::Scope for VisibleProgrammes {
    type Entity = programme::Entity;

    fn select(actor: &Actor, today: chrono::NaiveDate) -> sea_orm::Select<programme::Entity> {
        visible_to(actor, today)
    }
}
