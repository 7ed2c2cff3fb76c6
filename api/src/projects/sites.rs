//! Host sites: the lead invites host institutions; each host accepts or declines.

use entity::institution::{self, InstitutionKind};
use entity::membership;
use entity::project::{self};
use entity::project_site::{self, SiteStatus};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::changes::Change;
use super::service::{self, require_lead_writer};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};

/// A project's sites the actor may see, in the order they were named.
pub async fn of_project(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
) -> Result<Vec<project_site::Model>, ServiceError> {
    Ok(service::visible_sites(actor)
        .filter(project_site::Column::ProjectId.eq(project_id))
        .order_by_asc(project_site::Column::Id)
        .all(db.conn())
        .await?)
}

/// The site, if the actor can see its project.
pub async fn get(
    db: &Db,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<(project_site::Model, project::Model)>, ServiceError> {
    // Through the scoped query, so a hidden site costs the same work as a missing one.
    let Some(site) =
        service::visible_sites(actor).filter(project_site::Column::Id.eq(id)).one(db.conn()).await?
    else {
        return Ok(None);
    };
    Ok(service::get(db, actor, site.project_id).await?.map(|project| (site, project)))
}

pub async fn add(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
    institution_id: Uuid,
) -> Result<project_site::Model, ServiceError> {
    let project = service::require(db, actor, project_id, "projectId").await?;
    require_lead_writer(actor, &project)?;
    super::changes::require(&project, Change::Sites, "projectId")?;
    let host = institution::Entity::find_by_id(institution_id).one(db.conn()).await?;
    match host {
        None => return Err(ServiceError::NotFound { field: "institutionId" }),
        Some(host) if host.kind != InstitutionKind::HostInstitution => {
            return Err(ServiceError::invalid(
                "institutionId",
                UserErrorCode::NotEligible,
                "sites are host institutions",
            ));
        }
        Some(_) => {}
    }
    let site = project_site::Model {
        id: Uuid::now_v7(),
        project_id,
        institution_id,
        site_lead_user_id: None,
        status: SiteStatus::Invited,
        responded_at: None,
        created_at: db.now(),
    };
    let txn = db.begin().await?;
    project_site::Entity::insert(project_site::ActiveModel::from(site.clone()))
        .exec_without_returning(&txn)
        .await
        .map_err(|e| {
            ServiceError::from_unique_violation(
                e,
                "institutionId",
                "the institution is already a site of this project",
            )
        })?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "project_site.add",
        Subject { kind: "ProjectSite", id: site.id },
    )
    .await?;
    txn.commit().await?;
    Ok(site)
}

pub async fn remove(db: &Db, actor: &Actor, site_id: Uuid) -> Result<Uuid, ServiceError> {
    let (site, project) = get(db, actor, site_id).await?.ok_or(ServiceError::NotFound { field: "siteId" })?;
    require_lead_writer(actor, &project)?;
    super::changes::require(&project, Change::Sites, "siteId")?;
    let txn = db.begin().await?;
    project_site::Entity::delete_by_id(site.id).exec(&txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "project_site.remove",
        Subject { kind: "ProjectSite", id: site.id },
    )
    .await?;
    txn.commit().await?;
    Ok(site.id)
}

/// The host's ADMIN or MEMBER accepts (naming its site lead, a member of the host) or
/// declines. An accepting host may still decline while the project is a draft or under review;
/// declining is final for the host, which then no longer sees the project (the lead may name it
/// again by removing and re-adding the site).
pub async fn respond(
    db: &Db,
    actor: &Actor,
    site_id: Uuid,
    accept: bool,
    site_lead_user_id: Option<Uuid>,
) -> Result<project_site::Model, ServiceError> {
    let (site, project) = get(db, actor, site_id).await?.ok_or(ServiceError::NotFound { field: "siteId" })?;
    let writer = actor.require_writer()?;
    if writer != site.institution_id {
        return Err(ServiceError::Forbidden("only the host institution answers for its site"));
    }
    super::changes::require(&project, Change::Sites, "siteId")?;
    if let Some(user_id) = site_lead_user_id {
        let member = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user_id))
            .filter(membership::Column::InstitutionId.eq(site.institution_id))
            .one(db.conn())
            .await?;
        if member.is_none() {
            return Err(ServiceError::NotFound { field: "siteLeadUserId" });
        }
    }
    let txn = db.begin().await?;
    let mut active: project_site::ActiveModel = site.clone().into();
    active.status = Set(if accept { SiteStatus::Accepted } else { SiteStatus::Declined });
    active.responded_at = Set(Some(db.now()));
    active.site_lead_user_id = Set(if accept { site_lead_user_id.or(site.site_lead_user_id) } else { None });
    let updated = sea_orm::ActiveModelTrait::update(active, &txn).await?;
    let action = if accept { "project_site.accept" } else { "project_site.decline" };
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(site.institution_id),
        action,
        Subject { kind: "ProjectSite", id: site.id },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
