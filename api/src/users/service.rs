use chrono::{DateTime, Utc};
use entity::{api_token, audit_event, invitation, membership, project_site, team_member, user};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, Select,
};
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};
use crate::identity::password::{self, Password, PasswordRules};
use crate::text;
use crate::users::Email;

pub const MAX_NAME_CHARS: usize = 200;

pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub profession: Option<String>,
    pub password: Password,
    pub is_platform_admin: bool,
}

/// Inserts a user; an email already in use is a `Taken` error on `email_field`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    new: NewUser,
    email_field: &str,
) -> Result<user::Model, ServiceError> {
    let password_hash = password::hash(new.password).await?;
    let model = user::Model {
        id: Uuid::now_v7(),
        email: new.email.into_inner(),
        name: new.name,
        profession: new.profession,
        password_hash,
        is_platform_admin: new.is_platform_admin,
        created_at: now,
        updated_at: now,
    };
    user::Entity::insert(user::ActiveModel {
        id: Set(model.id),
        email: Set(model.email.clone()),
        name: Set(model.name.clone()),
        profession: Set(model.profession.clone()),
        password_hash: Set(model.password_hash.clone()),
        is_platform_admin: Set(model.is_platform_admin),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(conn)
    .await
    .map_err(|e| ServiceError::from_unique_violation(e, email_field, "an account with this email exists"))?;
    Ok(model)
}

pub fn parse_name(raw: &str, field: &str) -> Result<String, crate::error::FieldError> {
    text::required(raw, field, MAX_NAME_CHARS)
}

pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<user::Model>, ServiceError> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(conn).await?)
}

/// Users an actor may see: itself; everyone, for platform admins; the members of its active
/// institution; and the people reached through what it may see: team members and site leads of
/// its projects, and the people behind its institution's invitations, API tokens and audit
/// events (for the admins who see those).
pub fn visible_to(actor: &Actor) -> Select<user::Entity> {
    if actor.is_platform_admin() {
        return user::Entity::find();
    }
    let mut reached = Condition::any();
    if let Some(user_id) = actor.user_id() {
        reached = reached.add(user::Column::Id.eq(user_id));
    }
    if let Some(active) = actor.institution {
        let members = Query::select()
            .column(membership::Column::UserId)
            .from(membership::Entity)
            .and_where(membership::Column::InstitutionId.eq(active.id))
            .to_owned();
        let team = crate::projects::service::visible_team(actor)
            .select_only()
            .column(team_member::Column::UserId)
            .filter(team_member::Column::UserId.is_not_null())
            .into_query();
        let site_leads = crate::projects::service::visible_sites(actor)
            .select_only()
            .column(project_site::Column::SiteLeadUserId)
            .filter(project_site::Column::SiteLeadUserId.is_not_null())
            .into_query();
        reached = reached
            .add(user::Column::Id.in_subquery(members))
            .add(user::Column::Id.in_subquery(team))
            .add(user::Column::Id.in_subquery(site_leads));
        if let Ok(admin_of) = actor.require_admin() {
            let behind = |select: SelectStatement| user::Column::Id.in_subquery(select);
            reached = reached
                .add(behind(
                    Query::select()
                        .column(invitation::Column::InvitedBy)
                        .from(invitation::Entity)
                        .and_where(invitation::Column::InstitutionId.eq(admin_of))
                        .to_owned(),
                ))
                .add(behind(
                    Query::select()
                        .column(api_token::Column::CreatedBy)
                        .from(api_token::Entity)
                        .and_where(api_token::Column::InstitutionId.eq(admin_of))
                        .to_owned(),
                ))
                .add(behind(
                    Query::select()
                        .column(audit_event::Column::ActorUserId)
                        .from(audit_event::Entity)
                        .and_where(audit_event::Column::InstitutionId.eq(admin_of))
                        .to_owned(),
                ));
        }
    }
    // `Condition::any()` with nothing in it is false: an actor with neither sees nobody.
    user::Entity::find().filter(reached)
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<user::Model>, ServiceError> {
    Ok(visible_to(actor).filter(user::Column::Id.eq(id)).one(db.conn()).await?)
}

/// Whose email the actor may read (DESIGN.md, People): their own, a platform admin anyone's, and
/// a person acting within an institution its members'; API tokens nobody's. One statement for
/// any number of users, and none when the answer needs no data.
pub struct EmailsShown;

impl crate::scope::Batched for EmailsShown {
    type Key = Uuid;
    type Value = bool;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, bool>, ServiceError> {
        let answer = |shown: &dyn Fn(Uuid) -> bool| keys.iter().map(|id| (*id, shown(*id))).collect();
        let Some(user_id) = actor.user_id() else { return Ok(answer(&|_| false)) };
        if actor.is_platform_admin() {
            return Ok(answer(&|_| true));
        }
        let Some(institution) = actor.institution else { return Ok(answer(&|id| id == user_id)) };
        let members: std::collections::HashSet<Uuid> = entity::membership::Entity::find()
            .select_only()
            .column(entity::membership::Column::UserId)
            .filter(entity::membership::Column::InstitutionId.eq(institution.id))
            .filter(entity::membership::Column::UserId.is_in(keys.iter().copied()))
            .into_tuple::<Uuid>()
            .all(db.conn())
            .await?
            .into_iter()
            .collect();
        Ok(answer(&|id| id == user_id || members.contains(&id)))
    }
}

pub struct VisibleUsers;

impl crate::scope::Scope for VisibleUsers {
    type Entity = user::Entity;

    fn select(actor: &Actor, _: chrono::NaiveDate) -> Select<user::Entity> {
        visible_to(actor)
    }
}

/// Creates a platform admin, for the `create-admin` command.
pub async fn create_platform_admin(
    db: &Db,
    rules: &PasswordRules,
    email: &str,
    name: &str,
    password: &str,
) -> Result<user::Model, ServiceError> {
    let mut problems = crate::error::Problems::default();
    let password = problems.take(rules.check(password, "password", &[email, name]));
    let email = problems.take(Email::parse(email, "email"));
    let name = problems.take(parse_name(name, "name"));
    problems.into_result()?;
    let (Some(email), Some(name), Some(password)) = (email, name, password) else {
        return Err(ServiceError::invalid("", UserErrorCode::Invalid, "invalid input"));
    };
    let txn = db.begin().await?;
    let user = insert(
        &txn,
        db.now(),
        NewUser { email, name, profession: None, password, is_platform_admin: true },
        "email",
    )
    .await?;
    crate::audit::record(
        &txn,
        db.now(),
        crate::audit::service::AuditActor::user(user.id),
        None,
        "user.create_platform_admin",
        crate::audit::Subject { kind: "User", id: user.id },
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}
