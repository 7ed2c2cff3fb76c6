//! The service layer's error type. Resolvers map it to GraphQL exactly once (see
//! `graphql::errors`); nothing else turns errors into client messages.

use std::fmt;

use sea_orm::{DbErr, SqlErr};

/// Codes a client can act on; they reach clients as `UserError.code`.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserErrorCode {
    /// The value is not acceptable (format, range, length).
    Invalid,
    /// A required value is missing or blank.
    Required,
    /// The value is already in use (for example a slug or an email).
    Taken,
    /// The referenced object does not exist or is not visible to you.
    NotFound,
    /// Email and password do not match an account.
    InvalidCredentials,
    /// Too many failed sign-ins; try again later.
    AccountLocked,
    /// The password is common, breached, repetitive or built from the account's own details.
    WeakPassword,
    /// Too many attempts at this (password resets, second-factor codes); try again later.
    TooManyAttempts,
    /// The token is unknown, expired, revoked or already used.
    InvalidToken,
    /// The second-factor code is wrong, outside its thirty seconds, or was used before.
    InvalidCode,
    /// Two-factor sign-in is already on; turn it off first to enrol another authenticator.
    AlreadyEnabled,
    /// Two-factor sign-in cannot be turned off: platform admins, and members of an institution
    /// that requires it, must keep it.
    TwoFactorRequired,
    /// The account's institution signs its members in through its own identity provider;
    /// the message names the institution to pass to `startSingleSignOn`.
    SsoRequired,
    /// Single sign-on did not complete: the identity provider could not be reached, refused the
    /// code, or its answer could not be verified. Start again; if it persists, the institution's
    /// admin should check its settings.
    SsoFailed,
    /// The change would leave the institution without an administrator.
    LastAdmin,
    /// The user already belongs to the institution.
    AlreadyMember,
    /// The signed-in user is not the one the invitation was made for.
    WrongAccount,
    /// The project cannot make that move from its current state.
    InvalidTransition,
    /// The institution may not take part in this way (kind, programme eligibility).
    NotEligible,
    /// The programme is not open for bids today.
    BiddingClosed,
    /// The object changed meanwhile; read it again and retry.
    Conflict,
    /// A submitted assessment never changes; record a new one instead.
    Immutable,
    /// The project's status does not allow this change (a submitted bid, a closed project).
    NotAllowedInStatus,
    /// Funding gate: the project has no accepted host site.
    NoAcceptedSite,
    /// Funding gate: a site has no submitted capacity assessment.
    AssessmentMissing,
    /// Funding gate: a site's latest assessment is older than the programme allows.
    AssessmentExpired,
    /// Funding gate: a site scores below the programme's minimum on a dimension.
    ScoreBelowMinimum,
    /// Funding gate: a site falls short of the capacity the programme requires, on evidence
    /// the caller may not read (the assessor, the assessed site or the project's lead may).
    CapacityShortfall,
    /// Funding gate: no team member holds a role the springboard rule requires.
    RoleMissing,
    /// Funding gate: the team commits fewer hours a week than the rule requires.
    HoursBelowMinimum,
    /// Funding gate: the forecast monitoring burden takes more of the team's committed hours
    /// than the programme allows (`Project.monitoringBurden` has the figures).
    MonitoringBurdenAboveCapacity,
    /// Readiness evidence: a measure has no estimate of its collection time, so the monitoring
    /// burden forecast leaves it out.
    EstimateMissing,
    /// Publishing would make a claim its measures do not bear out (`warnings` in the payload say
    /// which); publish again with `acknowledgeWarnings: true` to publish anyway.
    UnacknowledgedWarnings,
}

/// A problem with one input field, reported in a mutation payload's `userErrors`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Path to the input field, e.g. `["input", "email"]`.
    pub field: Vec<String>,
    pub message: String,
    pub code: UserErrorCode,
}

impl FieldError {
    pub fn new(field: &str, code: UserErrorCode, message: impl Into<String>) -> Self {
        let mut path = vec!["input".to_owned()];
        path.extend(field.split('.').filter(|s| !s.is_empty()).map(str::to_owned));
        Self { field: path, message: message.into(), code }
    }
}

#[derive(thiserror::Error)]
pub enum ServiceError {
    /// No valid credentials were presented.
    #[error("authentication required")]
    Unauthenticated,
    /// The actor can see the object but may not do this to it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The object does not exist or the actor may not see it; the two are never distinguished.
    #[error("not found")]
    NotFound { field: &'static str },
    /// Input the client can correct.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The database cannot serve this now (unreachable, restarting, a pool wait that ran out,
    /// or a transaction aborted by a conflict); the same request may succeed if retried.
    #[error("the database is unavailable")]
    Unavailable(Transient),
    /// Anything unexpected. The display text is deliberately generic so that an accidental
    /// conversion into a client message cannot leak the cause.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Internal(cause) => write!(f, "Internal({})", error_chain(cause.as_ref())),
            Self::Invalid(errors) => f.debug_tuple("Invalid").field(errors).finish(),
            Self::NotFound { field } => write!(f, "NotFound({field})"),
            Self::Unavailable(kind) => write!(f, "Unavailable({kind:?})"),
            other => write!(f, "{other}"),
        }
    }
}

impl ServiceError {
    pub fn invalid(field: &str, code: UserErrorCode, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(cause))
    }

    /// Turns a unique-constraint violation into a `Taken` user error on `field`; any other
    /// database error stays internal.
    pub fn from_unique_violation(err: DbErr, field: &str, message: &str) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::invalid(field, UserErrorCode::Taken, message),
            _ => Self::internal(err),
        }
    }
}

impl From<DbErr> for ServiceError {
    fn from(err: DbErr) -> Self {
        match transient(&err) {
            Some(kind) => {
                tracing::warn!(error.cause_chain = %error_chain(&err), "database unavailable");
                Self::Unavailable(kind)
            }
            None => Self::internal(err),
        }
    }
}

/// Why the database could not serve a request for now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transient {
    /// Unreachable, restarting, shutting down, or no connection free in time.
    Unreachable,
    /// The transaction was aborted by a serialization failure or a deadlock; nothing of it
    /// was kept, so running it again is safe.
    Conflict,
}

/// Whether `err` is a passing condition of the database rather than a fault of the request or
/// of this program. SQLSTATE classes: 08 connection exception, 57P01–57P03 shutdown and
/// start-up, 53300 too many connections, 40001 serialization failure, 40P01 deadlock; and
/// SQLite's busy and locked.
pub fn transient(err: &DbErr) -> Option<Transient> {
    use sea_orm::{RuntimeErr, sqlx};
    let sqlx_err = match err {
        // Failing to connect at all, whatever PostgreSQL said (refused, starting up, not
        // accepting connections), is the database being unavailable.
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return Some(Transient::Unreachable),
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return None,
    };
    match sqlx_err.as_ref() {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => Some(Transient::Unreachable),
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match code.as_ref() {
                "40001" | "40P01" => Some(Transient::Conflict),
                "57P01" | "57P02" | "57P03" | "53300" => Some(Transient::Unreachable),
                // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
                "5" | "6" | "261" | "262" | "517" => Some(Transient::Unreachable),
                code if code.starts_with("08") => Some(Transient::Unreachable),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Collects field errors so a service can report all of them at once.
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Records the error of a failed parse and returns the parsed value, if any.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.0.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(self.0)) }
    }
}

/// `a: b: c` for an error and its sources, for logs.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
