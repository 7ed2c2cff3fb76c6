//! Who is making a request. Every service takes an `Actor`; the permission checks below are
//! the only place roles and token scopes are interpreted.

use entity::api_token::TokenScope;
use entity::membership::Role;
use uuid::Uuid;

use crate::error::ServiceError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A person signed in with a JWT.
    User {
        user_id: Uuid,
        is_platform_admin: bool,
        /// The sign-in session the access token belongs to (its `sid`), so that a password
        /// change can end every session but this one. `None` for actors made in-process.
        session_id: Option<Uuid>,
    },
    /// An integration script with an API token of one institution.
    ApiToken { token_id: Uuid, scope: TokenScope },
}

/// The actor's standing in its active institution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveInstitution {
    pub id: Uuid,
    pub role: Role,
}

#[derive(Clone, Debug)]
pub struct Actor {
    pub principal: Principal,
    /// `None` only for a platform admin who belongs to no institution.
    pub institution: Option<ActiveInstitution>,
}

impl Actor {
    pub fn user_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::User { user_id, .. } => Some(user_id),
            Principal::ApiToken { .. } => None,
        }
    }

    pub fn token_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::ApiToken { token_id, .. } => Some(token_id),
            Principal::User { .. } => None,
        }
    }

    pub fn is_platform_admin(&self) -> bool {
        matches!(self.principal, Principal::User { is_platform_admin: true, .. })
    }

    /// The institution whose data this actor reads and writes.
    pub fn institution_id(&self) -> Result<Uuid, ServiceError> {
        self.institution.map(|i| i.id).ok_or(ServiceError::Forbidden("this needs a token for an institution"))
    }

    /// A person, not a script.
    pub fn require_user(&self) -> Result<Uuid, ServiceError> {
        self.user_id().ok_or(ServiceError::Forbidden("API tokens cannot do this"))
    }

    /// May change the institution's data: an ADMIN or MEMBER, or a READ_WRITE token.
    pub fn require_writer(&self) -> Result<Uuid, ServiceError> {
        let institution =
            self.institution.ok_or(ServiceError::Forbidden("this needs a token for an institution"))?;
        match self.principal {
            Principal::ApiToken { scope: TokenScope::Read, .. } => {
                Err(ServiceError::Forbidden("a READ token cannot make changes"))
            }
            Principal::ApiToken { scope: TokenScope::ReadWrite, .. } => Ok(institution.id),
            Principal::User { .. } => match institution.role {
                Role::Admin | Role::Member => Ok(institution.id),
                Role::Viewer => Err(ServiceError::Forbidden("viewers cannot make changes")),
            },
        }
    }

    /// May administer the institution: a person with the ADMIN role. Tokens never can.
    pub fn require_admin(&self) -> Result<Uuid, ServiceError> {
        self.require_user()?;
        match self.institution {
            Some(ActiveInstitution { id, role: Role::Admin }) => Ok(id),
            Some(_) => Err(ServiceError::Forbidden("only the institution's admins can do this")),
            None => Err(ServiceError::Forbidden("this needs a token for an institution")),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.require_admin().is_ok()
    }

    /// Tenant data of an institution (members, invitations, tokens, audit events) is for those
    /// acting within it.
    pub fn require_acting_in(&self, institution_id: Uuid) -> Result<(), ServiceError> {
        match self.institution {
            Some(active) if active.id == institution_id => Ok(()),
            _ => Err(ServiceError::Forbidden("switch to this institution to see its members and settings")),
        }
    }

    pub fn require_platform_admin(&self) -> Result<Uuid, ServiceError> {
        match self.principal {
            Principal::User { user_id, is_platform_admin: true, .. } => Ok(user_id),
            _ => Err(ServiceError::Forbidden("only platform admins can do this")),
        }
    }
}

/// A request without credentials has no actor; services that need one ask here.
pub fn require(actor: Option<&Actor>) -> Result<&Actor, ServiceError> {
    actor.ok_or(ServiceError::Unauthenticated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> Actor {
        Actor {
            principal: Principal::User {
                user_id: Uuid::now_v7(),
                is_platform_admin: false,
                session_id: None,
            },
            institution: Some(ActiveInstitution { id: Uuid::now_v7(), role }),
        }
    }

    fn token(scope: TokenScope) -> Actor {
        Actor {
            principal: Principal::ApiToken { token_id: Uuid::now_v7(), scope },
            institution: Some(ActiveInstitution { id: Uuid::now_v7(), role: Role::Member }),
        }
    }

    #[test]
    fn writers_are_admins_members_and_read_write_tokens() {
        assert!(user(Role::Admin).require_writer().is_ok());
        assert!(user(Role::Member).require_writer().is_ok());
        assert!(user(Role::Viewer).require_writer().is_err());
        assert!(token(TokenScope::ReadWrite).require_writer().is_ok());
        assert!(token(TokenScope::Read).require_writer().is_err());
    }

    #[test]
    fn only_admin_users_administer() {
        assert!(user(Role::Admin).require_admin().is_ok());
        assert!(user(Role::Member).require_admin().is_err());
        assert!(token(TokenScope::ReadWrite).require_admin().is_err());
    }
}
