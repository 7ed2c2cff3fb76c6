//! Invitations: an admin invites an email with a role; whoever holds the token joins by
//! accepting it (creating an account if the email has none).

use chrono::{DateTime, Duration, Utc};
use entity::invitation;
use entity::membership::{self, Role};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Subject, service::AuditActor};
use crate::db::Db;
use crate::error::{Problems, ServiceError, UserErrorCode};
use crate::identity::AuthConfig;
use crate::identity::opaque::{self, Kind};
use crate::identity::password::PasswordRules;
use crate::mail::{MailKind, Outgoing};
use crate::paging::{Order, Page, PageRequest, paginate};
use crate::users::{Email, service as users};

/// A new invitation with its token, which exists only in this value.
pub struct IssuedInvitation {
    pub invitation: invitation::Model,
    pub token: String,
}

pub fn visible_to(actor: &Actor) -> Select<invitation::Entity> {
    let institution_id = actor.institution.map(|i| i.id).unwrap_or_default();
    invitation::Entity::find().filter(invitation::Column::InstitutionId.eq(institution_id))
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<invitation::Model>, ServiceError> {
    Ok(visible_to(actor).filter(invitation::Column::Id.eq(id)).one(db.conn()).await?)
}

pub async fn list_for_institution(
    db: &Db,
    actor: &Actor,
    institution_id: Uuid,
    page: &PageRequest,
) -> Result<Page<invitation::Model>, ServiceError> {
    actor.require_acting_in(institution_id)?;
    paginate(db, visible_to(actor), &Order::created(invitation::Column::Id), page).await
}

pub(crate) async fn insert(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    auth: &AuthConfig,
    actor: &Actor,
    institution_id: Uuid,
    email: Email,
    role: Role,
) -> Result<IssuedInvitation, ServiceError> {
    // A new invitation for the same email replaces any still pending.
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::val(now))
        .filter(invitation::Column::InstitutionId.eq(institution_id))
        .filter(invitation::Column::Email.eq(email.as_str()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    let minted = opaque::mint(Kind::Invitation);
    let model = invitation::Model {
        id: minted.id,
        institution_id,
        email: email.into_inner(),
        role,
        token_hash: minted.hash,
        invited_by: actor.user_id(),
        expires_at: now + Duration::seconds(auth.invitation_ttl_secs),
        accepted_at: None,
        accepted_by: None,
        revoked_at: None,
        created_at: now,
    };
    invitation::Entity::insert(invitation::ActiveModel::from(model.clone()))
        .exec_without_returning(conn)
        .await?;
    audit::record(
        conn,
        now,
        actor.into(),
        Some(institution_id),
        "invitation.create",
        Subject { kind: "Invitation", id: model.id },
    )
    .await?;
    Ok(IssuedInvitation { invitation: model, token: minted.token })
}

pub async fn invite(
    db: &Db,
    auth: &AuthConfig,
    actor: &Actor,
    email: &str,
    role: Role,
) -> Result<IssuedInvitation, ServiceError> {
    let institution_id = actor.require_admin()?;
    let email = Email::parse(email, "email").map_err(|e| ServiceError::Invalid(vec![e]))?;
    let txn = db.begin().await?;
    if let Some(user) = users::find_by_email(&txn, &email).await? {
        let member = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user.id))
            .filter(membership::Column::InstitutionId.eq(institution_id))
            .one(&txn)
            .await?;
        if member.is_some() {
            return Err(ServiceError::invalid(
                "email",
                UserErrorCode::AlreadyMember,
                "this person already belongs to the institution",
            ));
        }
    }
    let issued = insert(&txn, db.now(), auth, actor, institution_id, email, role).await?;
    let institution = entity::institution::Entity::find_by_id(institution_id).one(&txn).await?;
    txn.commit().await?;
    let institution_name = institution.map(|i| i.name).unwrap_or_default();
    send(db, auth, &issued, &institution_name);
    Ok(issued)
}

/// Emails the invitation's link to the invitee once it is committed. The token is returned to
/// the caller as well, for front ends that deliver invitations themselves.
pub(crate) fn send(db: &Db, auth: &AuthConfig, issued: &IssuedInvitation, institution_name: &str) {
    let link = auth.mailer.link("accept-invitation", &issued.token);
    let role = match issued.invitation.role {
        Role::Admin => "an administrator",
        Role::Member => "a member",
        Role::Viewer => "a viewer",
    };
    let expires = issued.invitation.expires_at.format("%Y-%m-%d %H:%M");
    let mail = Outgoing {
        kind: MailKind::Invitation,
        to: issued.invitation.email.clone(),
        subject: format!("You are invited to {institution_name} on Springboard"),
        body: format!(
            "You are invited to join {institution_name} on Springboard as {role}.\n\n\
             To accept, open this link before {expires} (UTC):\n\n{link}\n\n\
             If you do not know why you received this, ignore it: nothing happens unless the link is opened.\n"
        ),
    };
    let mailer = auth.mailer.clone();
    db.after_commit(move || mailer.send(mail));
}

pub async fn revoke(db: &Db, actor: &Actor, id: Uuid) -> Result<invitation::Model, ServiceError> {
    let current = get(db, actor, id).await?.ok_or(ServiceError::NotFound { field: "invitationId" })?;
    actor.require_admin()?;
    if current.accepted_at.is_some() || current.revoked_at.is_some() {
        return Err(ServiceError::invalid(
            "invitationId",
            UserErrorCode::Invalid,
            "the invitation was already accepted or revoked",
        ));
    }
    let txn = db.begin().await?;
    let mut active: invitation::ActiveModel = current.into();
    active.revoked_at = Set(Some(db.now()));
    let updated = sea_orm::ActiveModelTrait::update(active, &txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(updated.institution_id),
        "invitation.revoke",
        Subject { kind: "Invitation", id: updated.id },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

pub struct Acceptance {
    pub token: String,
    /// For a new account: required then, ignored otherwise.
    pub name: Option<String>,
    pub password: Option<String>,
    pub profession: Option<String>,
}

/// Where an invitation stands at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationState {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

pub fn status(invitation: &invitation::Model, now: DateTime<Utc>) -> InvitationState {
    if invitation.accepted_at.is_some() {
        InvitationState::Accepted
    } else if invitation.revoked_at.is_some() {
        InvitationState::Revoked
    } else if invitation.expires_at <= now {
        InvitationState::Expired
    } else {
        InvitationState::Pending
    }
}

fn invalid_invitation() -> ServiceError {
    ServiceError::invalid(
        "token",
        UserErrorCode::InvalidToken,
        "the invitation is invalid, expired, revoked or already used",
    )
}

/// Joins the invitation's institution. If the email already has an account, the caller must be
/// signed in as it; otherwise the account is created from `name` and `password`.
pub async fn accept(
    db: &Db,
    rules: &PasswordRules,
    actor: Option<&Actor>,
    input: Acceptance,
) -> Result<Accepted, ServiceError> {
    // Identity flow: the invitee may be nobody yet (see `db::wall`).
    let db = &db.system();
    let (id, secret) = opaque::parse(Kind::Invitation, input.token.trim()).ok_or_else(invalid_invitation)?;
    let invitation = invitation::Entity::find_by_id(id)
        .one(db.conn())
        .await?
        .filter(|i| opaque::verify(&secret, &i.token_hash))
        .ok_or_else(invalid_invitation)?;
    let now = db.now();
    if status(&invitation, now) != InvitationState::Pending {
        return Err(invalid_invitation());
    }
    let email = Email::parse(&invitation.email, "token").map_err(|_| invalid_invitation())?;

    let existing = users::find_by_email(db.conn(), &email).await?;
    let new_account = match &existing {
        Some(user) => {
            if actor.and_then(Actor::user_id) != Some(user.id) {
                return Err(ServiceError::invalid(
                    "token",
                    UserErrorCode::WrongAccount,
                    "an account with this invitation's email exists: sign in as it, then accept",
                ));
            }
            None
        }
        None => {
            let mut problems = Problems::default();
            let name = problems.take(users::parse_name(input.name.as_deref().unwrap_or_default(), "name"));
            let password = problems.take(rules.check(
                input.password.as_deref().unwrap_or_default(),
                "password",
                &[&invitation.email, input.name.as_deref().unwrap_or_default()],
            ));
            let profession = problems.take(crate::text::optional(
                input.profession.as_deref(),
                "profession",
                users::MAX_NAME_CHARS,
            ));
            problems.into_result()?;
            match (name, password, profession) {
                (Some(name), Some(password), Some(profession)) => Some((name, password, profession)),
                _ => return Err(ServiceError::invalid("", UserErrorCode::Invalid, "invalid input")),
            }
        }
    };

    let txn = db.begin().await?;
    // Spend the invitation first, conditionally, so a token cannot be accepted twice at once.
    let spent = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::val(now))
        .filter(invitation::Column::Id.eq(invitation.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected == 0 {
        return Err(invalid_invitation());
    }
    let user = match (existing, new_account) {
        (Some(user), _) => user,
        (None, Some((name, password, profession))) => {
            users::insert(
                &txn,
                now,
                users::NewUser { email, name, profession, password, is_platform_admin: false },
                "token",
            )
            .await?
        }
        (None, None) => return Err(invalid_invitation()),
    };
    let user_id = user.id;
    invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedBy, Expr::val(user_id))
        .filter(invitation::Column::Id.eq(invitation.id))
        .exec(&txn)
        .await?;
    let membership =
        super::service::insert(&txn, db.now(), user_id, invitation.institution_id, invitation.role).await?;
    audit::record(
        &txn,
        db.now(),
        AuditActor::user(user_id),
        Some(invitation.institution_id),
        "invitation.accept",
        Subject { kind: "Membership", id: membership.id },
    )
    .await?;
    let institution = entity::institution::Entity::find_by_id(invitation.institution_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::internal(MissingInstitution))?;
    txn.commit().await?;
    Ok(Accepted { membership, user, institution })
}

/// What the invitee sees of a membership they just took up, before any request of theirs
/// carries it.
pub struct Accepted {
    pub membership: membership::Model,
    pub user: entity::user::Model,
    pub institution: entity::institution::Model,
}

#[derive(Debug, thiserror::Error)]
#[error("an invitation names an institution that does not exist")]
struct MissingInstitution;

pub struct VisibleInvitations;

impl crate::scope::Scope for VisibleInvitations {
    type Entity = invitation::Entity;

    fn select(actor: &Actor, today: chrono::NaiveDate) -> sea_orm::Select<invitation::Entity> {
        let _ = today;
        visible_to(actor)
    }
}
