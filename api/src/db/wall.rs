//! The second wall: PostgreSQL row level security behind the services' scoping.
//!
//! The policies (migration `m20261204_000021_row_level_security`) read who a transaction acts
//! for from transaction-local settings, which `enter` sets at the start of each request. They
//! bind only a role that neither owns the tables nor bypasses RLS: the server connects as such
//! a runtime role, and migrations run as the owner. Connections opened for identity flows
//! (authentication, sign-in, invitations: they must find a user before anyone is known) carry
//! `springboard.system=on`, which the policies let through; no request's own statements run
//! on them.

use chrono::NaiveDate;
use entity::membership::Role;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, FromQueryResult, Statement,
};

use crate::actor::{Actor, Principal};

/// The startup option that opens a connection for identity flows.
pub const SYSTEM_OPTION: (&str, &str) = ("springboard.system", "on");

/// Whether the policies bind the role the server connects as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wall {
    /// Requests run in a transaction scoped to their actor; the policies apply.
    Enforced,
    /// SQLite, or a PostgreSQL role the policies do not bind (why, in words).
    Absent(String),
}

impl Wall {
    pub fn enforced(&self) -> bool {
        matches!(self, Wall::Enforced)
    }
}

#[derive(Debug, FromQueryResult)]
struct Standing {
    role: String,
    is_superuser: bool,
    bypasses_rls: bool,
    owns_tables: bool,
}

/// Finds out whether row level security binds the role `conn` connects as.
pub async fn inspect(conn: &DatabaseConnection) -> Result<Wall, DbErr> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(Wall::Absent("SQLite has no row level security".into()));
    }
    standing(conn, None).await
}

/// Whether row level security binds `role` on the current schema's tables.
pub async fn binds(conn: &DatabaseConnection, role: &str) -> Result<Wall, DbErr> {
    standing(conn, Some(role)).await
}

async fn standing(conn: &DatabaseConnection, role: Option<&str>) -> Result<Wall, DbErr> {
    let standing = Standing::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT r.rolname::text AS role, r.rolsuper AS is_superuser, r.rolbypassrls AS bypasses_rls, \
                EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = current_schema() \
                         AND t.tableowner = r.rolname) AS owns_tables \
           FROM pg_roles r WHERE r.rolname = coalesce($1::text, current_user)",
        [role.map(str::to_owned).into()],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| DbErr::Custom(format!("no role {}", role.unwrap_or("current_user"))))?;
    let why = if standing.is_superuser {
        "is a superuser"
    } else if standing.bypasses_rls {
        "has BYPASSRLS"
    } else if standing.owns_tables {
        "owns the tables"
    } else {
        return Ok(Wall::Enforced);
    };
    Ok(Wall::Absent(format!("the role `{}` {why}", standing.role)))
}

/// The runtime role a URL connects as, if it names one.
pub fn role_of_url(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
    (!user.is_empty()).then(|| user.to_owned())
}

/// Role names are interpolated into GRANT statements, so only plain identifiers are accepted.
fn checked_identifier(role: &str) -> Result<&str, DbErr> {
    let plain = role.len() <= 63
        && role.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && role.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { Ok(role) } else { Err(DbErr::Custom(format!("`{role}` is not a plain lower-case role name"))) }
}

/// What `ensure_runtime_role` found or did, for the operator to read.
#[derive(Debug)]
pub struct RoleReport {
    pub created: bool,
    pub schema: String,
}

/// As the owner: creates the runtime role if it is missing (without a password: the operator
/// sets one) and grants it what the server needs on every table of the current schema, and no
/// more: not the migrations' own table, not ownership, not BYPASSRLS. Safe to run again; run
/// after every migration, since new tables need the grant too.
pub async fn ensure_runtime_role(owner: &DatabaseConnection, role: &str) -> Result<RoleReport, DbErr> {
    let role = checked_identifier(role)?;
    #[derive(FromQueryResult)]
    struct Found {
        schema: String,
        exists: bool,
    }
    let found = Found::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT current_schema() AS schema, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists",
        [role.into()],
    ))
    .one(owner)
    .await?
    .ok_or_else(|| DbErr::Custom("no current schema".into()))?;
    let created = !found.exists;
    if created {
        // Two replicas starting together may both try; the loser finds the role made.
        let create = format!(
            "DO $$ BEGIN CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        );
        owner.execute_unprepared(&create).await?;
    }
    let schema = found.schema.replace('"', "\"\"");
    owner
        .execute_unprepared(&format!(
            "GRANT USAGE ON SCHEMA \"{schema}\" TO {role}; \
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"{schema}\" TO {role}; \
             REVOKE ALL ON TABLE \"{schema}\".seaql_migrations FROM {role}"
        ))
        .await?;
    Ok(RoleReport { created, schema: found.schema })
}

/// Names the actor to the policies for the rest of `tx`.
pub async fn enter(tx: &DatabaseTransaction, actor: &Actor, today: NaiveDate) -> Result<(), DbErr> {
    let text = |id: Option<uuid::Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
    let role = match actor.institution.map(|i| i.role) {
        Some(Role::Admin) => "ADMIN",
        Some(Role::Member) => "MEMBER",
        Some(Role::Viewer) => "VIEWER",
        None => "",
    };
    let platform_admin = matches!(actor.principal, Principal::User { is_platform_admin: true, .. });
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('springboard.institution', $1, true), set_config('springboard.user', $2, true), \
                set_config('springboard.token', $3, true), set_config('springboard.role', $4, true), \
                set_config('springboard.platform_admin', $5, true), set_config('springboard.today', $6, true)",
        [
            text(actor.institution.map(|i| i.id)).into(),
            text(actor.user_id()).into(),
            text(actor.token_id()).into(),
            role.into(),
            (if platform_admin { "on" } else { "" }).into(),
            today.to_string().into(),
        ],
    ))
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_comes_from_the_url_user() {
        assert_eq!(role_of_url("postgres://app:secret@db:5432/sb").as_deref(), Some("app"));
        assert_eq!(role_of_url("postgres://app@db/sb?options=x").as_deref(), Some("app"));
        assert_eq!(role_of_url("postgres://db/sb"), None);
    }

    #[test]
    fn only_plain_role_names_reach_a_grant() {
        assert!(checked_identifier("springboard_app").is_ok());
        assert!(checked_identifier("app; DROP TABLE projects").is_err());
        assert!(checked_identifier("App").is_err());
        assert!(checked_identifier("").is_err());
    }
}
