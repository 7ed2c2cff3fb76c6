use entity::institution::{self, InstitutionKind, Nation};
use entity::membership::{self, Role};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Select};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{Problems, ServiceError, UserErrorCode};
use crate::members::invitations::{self, IssuedInvitation};
use crate::paging::{Order, Page, PageRequest, paginate};
use crate::text;
use crate::users::Email;

pub const MAX_NAME_CHARS: usize = 200;

/// Institutions an actor may see: platform admins see all; a person sees those they belong to;
/// a token sees its own.
pub fn visible_to(actor: &Actor) -> Select<institution::Entity> {
    let query = institution::Entity::find();
    if actor.is_platform_admin() {
        return query;
    }
    match actor.user_id() {
        Some(user_id) => query.filter(
            institution::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(
                membership::Entity::find()
                    .select_only()
                    .column(membership::Column::InstitutionId)
                    .filter(membership::Column::UserId.eq(user_id)),
            )),
        ),
        None => query.filter(institution::Column::Id.eq(actor.institution.map(|i| i.id).unwrap_or_default())),
    }
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<institution::Model>, ServiceError> {
    Ok(visible_to(actor).filter(institution::Column::Id.eq(id)).one(db.conn()).await?)
}

pub async fn list(
    db: &Db,
    actor: &Actor,
    page: &PageRequest,
) -> Result<Page<institution::Model>, ServiceError> {
    paginate(db, visible_to(actor), &Order::created(institution::Column::Id), page).await
}

pub struct NewInstitution {
    pub name: String,
    pub slug: String,
    pub kind: InstitutionKind,
    pub nation: Nation,
    /// An IANA name; the default zone when absent.
    pub time_zone: Option<String>,
    pub first_admin_email: String,
}

pub struct CreatedInstitution {
    pub institution: institution::Model,
    /// Set when the first admin already had an account: they are a member at once.
    pub membership: Option<membership::Model>,
    /// Set when they did not: they join by accepting this invitation.
    pub invitation: Option<IssuedInvitation>,
}

/// Platform admins create an institution together with its first admin.
pub async fn create(
    db: &Db,
    auth: &crate::identity::AuthConfig,
    actor: &Actor,
    input: NewInstitution,
) -> Result<CreatedInstitution, ServiceError> {
    actor.require_platform_admin()?;
    let mut problems = Problems::default();
    let name = problems.take(text::required(&input.name, "name", MAX_NAME_CHARS));
    let slug = problems.take(super::slug::parse(&input.slug, "slug"));
    let email = problems.take(Email::parse(&input.first_admin_email, "firstAdminEmail"));
    let zone = match input.time_zone.as_deref() {
        Some(raw) => problems.take(super::time_zone::parse(raw, "timeZone")),
        None => Some(super::time_zone::DEFAULT),
    };
    problems.into_result()?;
    let (Some(name), Some(slug), Some(email), Some(zone)) = (name, slug, email, zone) else {
        return Err(ServiceError::invalid("", UserErrorCode::Invalid, "invalid input"));
    };

    let now = db.now();
    let model = institution::Model {
        id: Uuid::now_v7(),
        name,
        slug,
        kind: input.kind,
        nation: input.nation,
        require_two_factor: false,
        time_zone: zone.name().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let txn = db.begin().await?;
    institution::Entity::insert(institution::ActiveModel {
        id: Set(model.id),
        name: Set(model.name.clone()),
        slug: Set(model.slug.clone()),
        kind: Set(model.kind),
        nation: Set(model.nation),
        require_two_factor: Set(false),
        time_zone: Set(model.time_zone.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await
    .map_err(|e| ServiceError::from_unique_violation(e, "slug", "another institution has this slug"))?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(model.id),
        "institution.create",
        Subject { kind: "Institution", id: model.id },
    )
    .await?;

    let existing = crate::users::service::find_by_email(&txn, &email).await?;
    let (membership, invitation) = match existing {
        Some(user) => {
            let m = crate::members::service::insert(&txn, db.now(), user.id, model.id, Role::Admin).await?;
            audit::record(
                &txn,
                db.now(),
                actor.into(),
                Some(model.id),
                "member.add",
                Subject { kind: "Membership", id: m.id },
            )
            .await?;
            (Some(m), None)
        }
        None => {
            let issued =
                invitations::insert(&txn, db.now(), auth, actor, model.id, email, Role::Admin).await?;
            (None, Some(issued))
        }
    };
    txn.commit().await?;
    if let Some(issued) = &invitation {
        invitations::send(db, auth, issued, &model.name);
    }
    Ok(CreatedInstitution { institution: model, membership, invitation })
}

pub struct InstitutionChanges {
    pub id: Uuid,
    pub name: Option<String>,
    pub nation: Option<Nation>,
    pub require_two_factor: Option<bool>,
    pub time_zone: Option<String>,
}

/// An institution's admins keep its name, nation and time zone up to date, and decide whether
/// members need a second factor.
pub async fn update(
    db: &Db,
    actor: &Actor,
    changes: InstitutionChanges,
) -> Result<institution::Model, ServiceError> {
    let Some(current) = get(db, actor, changes.id).await? else {
        return Err(ServiceError::NotFound { field: "id" });
    };
    actor.require_acting_in(current.id)?;
    actor.require_admin()?;
    let name = match changes.name.as_deref() {
        Some(raw) => {
            Some(text::required(raw, "name", MAX_NAME_CHARS).map_err(|e| ServiceError::Invalid(vec![e]))?)
        }
        None => None,
    };
    let zone = changes
        .time_zone
        .as_deref()
        .map(|raw| super::time_zone::parse(raw, "timeZone"))
        .transpose()
        .map_err(|e| ServiceError::Invalid(vec![e]))?;
    if changes.require_two_factor == Some(true) && !current.require_two_factor {
        // An admin without a second factor would lock themselves out at their next sign-in.
        let user_id = actor.require_user()?;
        if crate::identity::two_factor::confirmed_factor(db.system().conn(), user_id).await?.is_none() {
            return Err(ServiceError::invalid(
                "requireTwoFactor",
                UserErrorCode::NotAllowedInStatus,
                "turn on two-factor sign-in for yourself first (enrolTwoFactor, confirmTwoFactor)",
            ));
        }
    }
    let current_requires = current.require_two_factor;
    let txn = db.begin().await?;
    let mut active: institution::ActiveModel = current.into();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(nation) = changes.nation {
        active.nation = Set(nation);
    }
    if let Some(zone) = zone {
        active.time_zone = Set(zone.name().to_owned());
    }
    let policy_change = changes.require_two_factor.filter(|&require| require != current_requires);
    if let Some(require) = policy_change {
        active.require_two_factor = Set(require);
    }
    active.updated_at = Set(db.now());
    let updated = sea_orm::ActiveModelTrait::update(active, &txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(updated.id),
        "institution.update",
        Subject { kind: "Institution", id: updated.id },
    )
    .await?;
    if let Some(require) = policy_change {
        let action =
            if require { "institution.require_two_factor" } else { "institution.stop_requiring_two_factor" };
        let subject = Subject { kind: "Institution", id: updated.id };
        audit::record(&txn, db.now(), actor.into(), Some(updated.id), action, subject).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Public profiles of every institution, for any signed-in actor.
pub async fn directory(
    db: &Db,
    _actor: &Actor,
    kind: Option<InstitutionKind>,
    name_contains: Option<&str>,
    page: &PageRequest,
) -> Result<Page<institution::Model>, ServiceError> {
    let mut query = institution::Entity::find();
    if let Some(kind) = kind {
        query = query.filter(institution::Column::Kind.eq(kind));
    }
    let pattern = text::contains_pattern(name_contains, "nameContains", MAX_NAME_CHARS)
        .map_err(|e| ServiceError::Invalid(vec![e]))?;
    if let Some(pattern) = pattern {
        use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
        let lowered = Expr::expr(Func::lower(Expr::col(institution::Column::Name)));
        query = query.filter(lowered.like(LikeExpr::new(pattern).escape('\\')));
    }
    let order = Order::new("name", vec![institution::Column::Name, institution::Column::Id], true);
    paginate(db, query, &order, page).await
}

/// Public profiles: every institution, for any signed-in actor.
pub struct Directory;

impl crate::scope::Scope for Directory {
    type Entity = institution::Entity;

    fn select(actor: &Actor, today: chrono::NaiveDate) -> sea_orm::Select<institution::Entity> {
        let _ = (actor, today);
        institution::Entity::find()
    }
}

pub struct VisibleInstitutions;

impl crate::scope::Scope for VisibleInstitutions {
    type Entity = institution::Entity;

    fn select(actor: &Actor, today: chrono::NaiveDate) -> sea_orm::Select<institution::Entity> {
        let _ = today;
        visible_to(actor)
    }
}
