use entity::institution;
use entity::project::{self};
use entity::shared_result::{self as result, ResultOutcome, ResultStatus, ResultVisibility};
use entity::{
    measure, shared_result_measure as linked, shared_result_series as series, shared_result_share as share,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::snapshot::MeasureSnapshot;
use super::visibility::visible_to;
use super::warnings::{self, PublicationWarning};
use super::{BarrierTag, decode_tags, encode_tags, snapshot};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, Problems, ServiceError, UserErrorCode};
use crate::paging::{Order, Page, PageRequest, paginate};
use crate::projects::changes::{self, Change};
use crate::projects::service::{self as projects, require_lead_writer};
use crate::text;

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_SUMMARY_CHARS: usize = 5_000;
pub const MAX_BODY_CHARS: usize = 100_000;
pub const MAX_LINKS: usize = 50;

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<result::Model>, ServiceError> {
    Ok(visible_to(actor).filter(result::Column::Id.eq(id)).one(db.conn()).await?)
}

/// A result's editable content; `None` keeps the current value.
#[derive(Default)]
pub struct ResultForm {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub outcome: Option<ResultOutcome>,
    pub barrier_tags: Option<Vec<BarrierTag>>,
    pub visibility: Option<ResultVisibility>,
    pub measure_ids: Option<Vec<Uuid>>,
    pub share_with: Option<Vec<Uuid>>,
}

fn apply(form: &ResultForm, model: &mut result::Model, problems: &mut Problems) {
    if let Some(title) =
        form.title.as_deref().and_then(|t| problems.take(text::required(t, "title", MAX_TITLE_CHARS)))
    {
        model.title = title;
    }
    if let Some(summary) =
        form.summary.as_deref().and_then(|s| problems.take(text::required(s, "summary", MAX_SUMMARY_CHARS)))
    {
        model.summary = summary;
    }
    if let Some(body) =
        form.body.as_deref().and_then(|b| problems.take(text::verbatim(b, "body", MAX_BODY_CHARS)))
    {
        model.body = body;
    }
    model.outcome = form.outcome.unwrap_or(model.outcome);
    model.visibility = form.visibility.unwrap_or(model.visibility);
    if let Some(tags) = &form.barrier_tags {
        model.barrier_tags = encode_tags(tags);
    }
}

/// Checks linked measures (of this project) and shares (existing institutions).
async fn check_links(
    db: &Db,
    project_id: Uuid,
    form: &ResultForm,
    problems: &mut Problems,
) -> Result<(), ServiceError> {
    if let Some(ids) = &form.measure_ids {
        if ids.len() > MAX_LINKS {
            problems.push(FieldError::new(
                "measureIds",
                UserErrorCode::Invalid,
                format!("at most {MAX_LINKS} measures"),
            ));
        } else {
            let found = measure::Entity::find()
                .filter(measure::Column::Id.is_in(ids.iter().copied()))
                .filter(measure::Column::ProjectId.eq(project_id))
                .all(db.conn())
                .await?;
            for (index, id) in ids.iter().enumerate() {
                if !found.iter().any(|m| m.id == *id) {
                    problems.push(FieldError::new(
                        &format!("measureIds.{index}"),
                        UserErrorCode::NotFound,
                        "not a measure of this project",
                    ));
                }
            }
        }
    }
    if let Some(ids) = &form.share_with {
        if ids.len() > MAX_LINKS {
            problems.push(FieldError::new(
                "shareWith",
                UserErrorCode::Invalid,
                format!("at most {MAX_LINKS} institutions"),
            ));
        } else {
            let found = institution::Entity::find()
                .filter(institution::Column::Id.is_in(ids.iter().copied()))
                .all(db.conn())
                .await?;
            for (index, id) in ids.iter().enumerate() {
                if !found.iter().any(|i| i.id == *id) {
                    problems.push(FieldError::new(
                        &format!("shareWith.{index}"),
                        UserErrorCode::NotFound,
                        "no such institution",
                    ));
                }
            }
        }
    }
    Ok(())
}

async fn write_links(
    conn: &impl ConnectionTrait,
    version_id: Uuid,
    measures: &[Uuid],
    shares: &[Uuid],
) -> Result<(), ServiceError> {
    let mut measures = measures.to_vec();
    measures.sort();
    measures.dedup();
    let mut shares = shares.to_vec();
    shares.sort();
    shares.dedup();
    linked::Entity::delete_many().filter(linked::Column::ResultVersionId.eq(version_id)).exec(conn).await?;
    share::Entity::delete_many().filter(share::Column::ResultVersionId.eq(version_id)).exec(conn).await?;
    if !measures.is_empty() {
        linked::Entity::insert_many(measures.into_iter().map(|measure_id| linked::ActiveModel {
            id: Set(Uuid::now_v7()),
            result_version_id: Set(version_id),
            measure_id: Set(measure_id),
            snapshot: Set(None),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    if !shares.is_empty() {
        share::Entity::insert_many(shares.into_iter().map(|institution_id| share::ActiveModel {
            id: Set(Uuid::now_v7()),
            result_version_id: Set(version_id),
            institution_id: Set(institution_id),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// A version's links, read for its lead (the callers have checked).
async fn links(db: &Db, version_id: Uuid) -> Result<(Vec<linked::Model>, Vec<share::Model>), ServiceError> {
    let measures =
        linked::Entity::find().filter(linked::Column::ResultVersionId.eq(version_id)).all(db.conn()).await?;
    let shares =
        share::Entity::find().filter(share::Column::ResultVersionId.eq(version_id)).all(db.conn()).await?;
    Ok((measures, shares))
}

/// The lead's ADMIN or MEMBER drafts a result (version 1).
pub async fn create(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
    form: ResultForm,
) -> Result<result::Model, ServiceError> {
    let project = projects::require(db, actor, project_id, "projectId").await?;
    require_lead_writer(actor, &project)?;
    changes::require(&project, Change::Results, "projectId")?;
    let mut problems = Problems::default();
    for (present, field) in [
        (form.title.is_some(), "title"),
        (form.summary.is_some(), "summary"),
        (form.outcome.is_some(), "outcome"),
    ] {
        if !present {
            problems.push(FieldError::new(field, UserErrorCode::Required, "required"));
        }
    }
    let now = db.now();
    let id = Uuid::now_v7();
    let mut model = result::Model {
        id,
        result_id: id,
        version: 1,
        project_id,
        programme_id: project.programme_id,
        title: String::new(),
        summary: String::new(),
        body: String::new(),
        outcome: ResultOutcome::Lesson,
        barrier_tags: "[]".into(),
        visibility: ResultVisibility::Project,
        status: ResultStatus::Draft,
        published_at: None,
        publication_key: String::new(),
        withdrawn_at: None,
        created_by: actor.user_id(),
        created_at: now,
        updated_at: now,
    };
    apply(&form, &mut model, &mut problems);
    check_links(db, project_id, &form, &mut problems).await?;
    problems.into_result()?;
    let txn = db.begin().await?;
    result::Entity::insert(result::ActiveModel::from(model.clone())).exec_without_returning(&txn).await?;
    write_links(
        &txn,
        id,
        form.measure_ids.as_deref().unwrap_or_default(),
        form.share_with.as_deref().unwrap_or_default(),
    )
    .await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "shared_result.create",
        Subject { kind: "SharedResult", id },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The version, its project, checked for the lead's writers.
async fn for_lead(db: &Db, actor: &Actor, id: Uuid) -> Result<(result::Model, project::Model), ServiceError> {
    let version = get(db, actor, id).await?.ok_or(ServiceError::NotFound { field: "id" })?;
    let project = projects::require(db, actor, version.project_id, "id").await?;
    require_lead_writer(actor, &project)?;
    changes::require(&project, Change::Results, "id")?;
    Ok((version, project))
}

/// A draft is edited in place; a published or withdrawn version is never edited: the change
/// becomes the next version, a draft, with the same links unless new ones are given.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    form: ResultForm,
) -> Result<result::Model, ServiceError> {
    let (current, project) = for_lead(db, actor, id).await?;
    let mut problems = Problems::default();
    let mut model = current.clone();
    apply(&form, &mut model, &mut problems);
    check_links(db, project.id, &form, &mut problems).await?;
    problems.into_result()?;
    let now = db.now();
    model.updated_at = now;
    let (old_measures, old_shares) = links(db, current.id).await?;
    let measures =
        form.measure_ids.clone().unwrap_or_else(|| old_measures.iter().map(|m| m.measure_id).collect());
    let shares =
        form.share_with.clone().unwrap_or_else(|| old_shares.iter().map(|s| s.institution_id).collect());
    let txn = db.begin().await?;
    if current.status == ResultStatus::Draft {
        let mut active = sea_orm::ActiveModelTrait::reset_all(result::ActiveModel::from(model.clone()));
        active.id = sea_orm::ActiveValue::Unchanged(model.id);
        sea_orm::ActiveModelTrait::update(active, &txn).await?;
    } else {
        let versions =
            result::Entity::find().filter(result::Column::ResultId.eq(current.result_id)).all(&txn).await?;
        if versions.iter().any(|v| v.status == ResultStatus::Draft) {
            return Err(ServiceError::invalid(
                "id",
                UserErrorCode::Conflict,
                "a draft of the next version exists: edit that",
            ));
        }
        model.id = Uuid::now_v7();
        model.version = versions.iter().map(|v| v.version).max().unwrap_or(current.version) + 1;
        model.status = ResultStatus::Draft;
        model.published_at = None;
        model.publication_key = String::new();
        model.withdrawn_at = None;
        model.created_by = actor.user_id();
        model.created_at = now;
        result::Entity::insert(result::ActiveModel::from(model.clone())).exec_without_returning(&txn).await?;
    }
    write_links(&txn, model.id, &measures, &shares).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "shared_result.update",
        Subject { kind: "SharedResult", id: model.id },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// What `publish` did: the version as published, or, while warnings wait for the lead to
/// acknowledge them, the user error saying so (nothing was written).
pub struct Publication {
    pub outcome: Result<result::Model, FieldError>,
    pub warnings: Vec<PublicationWarning>,
}

/// Publishes a draft (freezing its measures' analyses, all sites pooled and site by site; an
/// earlier published version becomes SUPERSEDED) or re-publishes a withdrawn version (its
/// snapshots as they were frozen). A claim its measures' verdicts do not bear out is published
/// only once the lead acknowledges the warnings.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    acknowledged: bool,
) -> Result<Publication, ServiceError> {
    let (current, project) = for_lead(db, actor, id).await?;
    if !matches!(current.status, ResultStatus::Draft | ResultStatus::Withdrawn) {
        return Err(ServiceError::invalid(
            "id",
            UserErrorCode::InvalidTransition,
            "only a draft or a withdrawn version is published",
        ));
    }
    let others = result::Entity::find()
        .filter(result::Column::ResultId.eq(current.result_id))
        .filter(result::Column::Id.ne(current.id))
        .all(db.conn())
        .await?;
    if current.status == ResultStatus::Withdrawn && others.iter().any(|o| o.status == ResultStatus::Published)
    {
        return Err(ServiceError::invalid(
            "id",
            UserErrorCode::Conflict,
            "another version of this result is published",
        ));
    }
    let (links, _) = links(db, current.id).await?;
    // A draft's measures are frozen now; a withdrawn version keeps what was frozen before.
    let frozen = if current.status == ResultStatus::Draft {
        let measures = measure::Entity::find()
            .filter(measure::Column::Id.is_in(links.iter().map(|l| l.measure_id)))
            .all(db.conn())
            .await?;
        snapshot::take_all(db, actor, &measures).await?
    } else {
        Vec::new()
    };
    let fresh: Vec<(Uuid, &snapshot::Frozen)> = links
        .iter()
        .filter_map(|link| frozen.iter().find(|f| f.measure_id == link.measure_id).map(|f| (link.id, f)))
        .collect();
    let kept: Vec<(Uuid, MeasureSnapshot)> = links
        .iter()
        .filter_map(|link| {
            let text = link.snapshot.as_deref()?;
            serde_json::from_str::<MeasureSnapshot>(text).ok().map(|s| (link.measure_id, s))
        })
        .collect();
    let judged: Vec<(Uuid, &MeasureSnapshot)> = match current.status {
        ResultStatus::Draft => fresh.iter().map(|(_, f)| (f.measure_id, &f.snapshot)).collect(),
        _ => kept.iter().map(|(measure_id, s)| (*measure_id, s)).collect(),
    };
    let warnings = warnings::warnings(current.outcome, &judged);
    if !warnings.is_empty() && !acknowledged {
        let refused = FieldError {
            field: vec!["acknowledgeWarnings".to_owned()],
            code: UserErrorCode::UnacknowledgedWarnings,
            message: format!(
                "{} warning(s) about this claim: read `warnings`, then publish again with \
                 acknowledgeWarnings: true to publish anyway",
                warnings.len()
            ),
        };
        return Ok(Publication { outcome: Err(refused), warnings });
    }
    let now = db.now();
    let txn = db.begin().await?;
    for (link_id, f) in &fresh {
        let text = serde_json::to_string(&f.snapshot).map_err(ServiceError::internal)?;
        linked::Entity::update_many()
            .col_expr(linked::Column::Snapshot, Expr::val(text))
            .filter(linked::Column::Id.eq(*link_id))
            .exec(&txn)
            .await?;
        let rows = f
            .series
            .iter()
            .enumerate()
            .map(|(position, s)| {
                Ok(series::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    link_id: Set(*link_id),
                    position: Set(i32::try_from(position).map_err(ServiceError::internal)?),
                    site_id: Set(s.site_id),
                    institution_id: Set(s.institution_id),
                    analysis: Set(serde_json::to_string(&s.analysis).map_err(ServiceError::internal)?),
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        if !rows.is_empty() {
            series::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        }
    }
    result::Entity::update_many()
        .col_expr(result::Column::Status, Expr::val(sea_orm::ActiveEnum::to_value(&ResultStatus::Superseded)))
        .filter(result::Column::ResultId.eq(current.result_id))
        .filter(result::Column::Id.ne(current.id))
        .filter(result::Column::Status.eq(ResultStatus::Published))
        .exec(&txn)
        .await?;
    let published = result::Model {
        status: ResultStatus::Published,
        published_at: Some(now),
        publication_key: now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        withdrawn_at: None,
        updated_at: now,
        ..current
    };
    let mut active = sea_orm::ActiveModelTrait::reset_all(result::ActiveModel::from(published.clone()));
    active.id = sea_orm::ActiveValue::Unchanged(published.id);
    sea_orm::ActiveModelTrait::update(active, &txn).await?;
    // An acknowledged warning stays on the record: who published over which verdicts.
    let details = (!warnings.is_empty()).then(|| {
        serde_json::json!({
            "acknowledgedWarnings": warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>()
        })
    });
    audit::record_with_details(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "shared_result.publish",
        Subject { kind: "SharedResult", id },
        details,
    )
    .await?;
    txn.commit().await?;
    Ok(Publication { outcome: Ok(published), warnings })
}

/// Withdraws a published version from view; it is kept and can be published again.
pub async fn unpublish(db: &Db, actor: &Actor, id: Uuid) -> Result<result::Model, ServiceError> {
    let (current, project) = for_lead(db, actor, id).await?;
    if current.status != ResultStatus::Published {
        return Err(ServiceError::invalid(
            "id",
            UserErrorCode::InvalidTransition,
            "only a published version is unpublished",
        ));
    }
    let now = db.now();
    let withdrawn = result::Model {
        status: ResultStatus::Withdrawn,
        withdrawn_at: Some(now),
        updated_at: now,
        ..current
    };
    let txn = db.begin().await?;
    let mut active = sea_orm::ActiveModelTrait::reset_all(result::ActiveModel::from(withdrawn.clone()));
    active.id = sea_orm::ActiveValue::Unchanged(withdrawn.id);
    sea_orm::ActiveModelTrait::update(active, &txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "shared_result.unpublish",
        Subject { kind: "SharedResult", id },
    )
    .await?;
    txn.commit().await?;
    Ok(withdrawn)
}

#[derive(Clone, Default)]
pub struct ResultFilter {
    pub outcome: Option<ResultOutcome>,
    pub barrier_tag: Option<BarrierTag>,
    pub clinical_area: Option<String>,
    pub programme_id: Option<Uuid>,
    /// The lead institution.
    pub institution_id: Option<Uuid>,
    pub search: Option<String>,
    pub project_id: Option<Uuid>,
    /// Published versions only (the default for discovery).
    pub published_only: bool,
    /// Versions published after this instant (exclusive): what is new since a client last looked.
    pub published_after: Option<chrono::DateTime<chrono::Utc>>,
}

fn filtered(actor: &Actor, filter: &ResultFilter) -> Result<sea_orm::Select<result::Entity>, ServiceError> {
    let mut query = visible_to(actor);
    if filter.published_only {
        query = query.filter(result::Column::Status.eq(ResultStatus::Published));
    }
    if let Some(outcome) = filter.outcome {
        query = query.filter(result::Column::Outcome.eq(outcome));
    }
    if let Some(tag) = filter.barrier_tag {
        let quoted = encode_tags(&[tag]).trim_start_matches('[').trim_end_matches(']').to_owned();
        query = query.filter(result::Column::BarrierTags.contains(quoted));
    }
    if let Some(project_id) = filter.project_id {
        query = query.filter(result::Column::ProjectId.eq(project_id));
    }
    if let Some(after) = filter.published_after {
        query = query.filter(result::Column::PublishedAt.gt(after));
    }
    let mut projects = Query::select().column(project::Column::Id).from(project::Entity).to_owned();
    let mut narrows = false;
    let invalid = |e| ServiceError::Invalid(vec![e]);
    let area =
        text::optional(filter.clinical_area.as_deref(), "filter.clinicalArea", projects::MAX_AREA_CHARS)
            .map_err(invalid)?;
    if let Some(area) = area {
        projects.and_where(
            Expr::expr(Func::lower(Expr::col(project::Column::ClinicalArea))).eq(area.to_lowercase()),
        );
        narrows = true;
    }
    if let Some(programme_id) = filter.programme_id {
        projects.and_where(project::Column::ProgrammeId.eq(programme_id));
        narrows = true;
    }
    if let Some(institution_id) = filter.institution_id {
        projects.and_where(project::Column::LeadInstitutionId.eq(institution_id));
        narrows = true;
    }
    if narrows {
        query = query.filter(result::Column::ProjectId.in_subquery(projects));
    }
    let pattern = text::contains_pattern(filter.search.as_deref(), "filter.search", MAX_TITLE_CHARS)
        .map_err(invalid)?;
    if let Some(pattern) = pattern {
        let lowered = |column: result::Column| Expr::expr(Func::lower(Expr::col(column)));
        query = query.filter(
            sea_orm::Condition::any()
                .add(lowered(result::Column::Title).like(LikeExpr::new(pattern.clone()).escape('\\')))
                .add(lowered(result::Column::Summary).like(LikeExpr::new(pattern).escape('\\'))),
        );
    }
    Ok(query)
}

/// Results the actor may see, newest publication first (drafts, for their lead, last).
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: &ResultFilter,
    page: &PageRequest,
) -> Result<Page<result::Model>, ServiceError> {
    let query = filtered(actor, filter)?;
    let order = Order::new("published", vec![result::Column::PublicationKey, result::Column::Id], false);
    paginate(db, query, &order, page).await
}

/// Results analysed for the `lessons` view and the programme evaluation at most.
pub const MAX_COUNTED: u64 = 10_000;

/// Barrier tags and outcomes counted over some results.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub barrier_tags: Vec<(BarrierTag, usize)>,
    pub outcomes: Vec<(ResultOutcome, usize)>,
    pub results: usize,
}

/// Barrier tags and outcomes across the published results the actor may see.
pub async fn lessons(db: &Db, actor: &Actor, filter: &ResultFilter) -> Result<Tally, ServiceError> {
    let filter = ResultFilter { published_only: true, ..filter.clone() };
    let rows =
        filtered(actor, &filter)?.order_by_desc(result::Column::Id).limit(MAX_COUNTED).all(db.conn()).await?;
    Ok(count(&rows))
}

pub fn count(rows: &[result::Model]) -> Tally {
    let mut tags: std::collections::BTreeMap<BarrierTag, usize> = Default::default();
    let mut outcomes: Vec<(ResultOutcome, usize)> = Vec::new();
    for row in rows {
        for tag in decode_tags(&row.barrier_tags) {
            *tags.entry(tag).or_default() += 1;
        }
        match outcomes.iter_mut().find(|(o, _)| *o == row.outcome) {
            Some((_, n)) => *n += 1,
            None => outcomes.push((row.outcome, 1)),
        }
    }
    Tally { barrier_tags: tags.into_iter().collect(), outcomes, results: rows.len() }
}
