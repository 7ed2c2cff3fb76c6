//! PostgreSQL's row level security as a second wall: with the services' scoping bypassed (raw
//! SQL run as the runtime role, inside a request transaction for one institution), no row of
//! another institution is read and no write to one lands. And no table is left outside it.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};
use serde_json::json;
use springboard::actor::{ActiveInstitution, Actor, Principal};
use springboard::db::Db;
use uuid::Uuid;

use crate::helpers::*;
use crate::loading_fixtures::world;
use crate::project_fixtures::{api_token, create_project, ok};

async fn postgres_app() -> Option<TestApp> {
    let app = spawn_app_with(Backend::Postgres, |_| {}).await;
    if app.is_none() {
        eprintln!("TEST_DATABASE_URL is not set: this PostgreSQL-only test did not run");
    }
    app
}

async fn count(db: &Db, sql: &str) -> i64 {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let statement = Statement::from_string(db.backend(), format!("SELECT count(*) AS n FROM {sql}"));
    Count::find_by_statement(statement).one(db.conn()).await.unwrap().unwrap().n
}

/// Runs one write in a savepoint of the request's transaction, so that a refused write does not
/// end the transaction; how many rows it changed, or the database's refusal.
async fn write(db: &Db, sql: &str) -> Result<u64, DbErr> {
    let savepoint = db.begin().await.unwrap();
    let written = savepoint.execute_unprepared(sql).await.map(|done| done.rows_affected());
    if written.is_ok() {
        sea_orm::TransactionSession::commit(savepoint).await.unwrap();
    }
    written
}

#[tokio::test]
async fn another_institutions_rows_are_out_of_reach_of_raw_sql_in_a_request() {
    let Some(app) = postgres_app().await else { return };
    assert!(app.db.wall().enforced(), "the server under test connects as a role the policies bind");
    // Institution B's world: a funder, a college and a host, with every kind of tenant row.
    let b = world(&app).await;
    api_token(&app, &b.lead_token, "READ_WRITE").await;
    // Institution A: a college with a project, a measure, an API token and their audit events.
    let a = app.institution(InstitutionKind::RoyalCollege).await;
    let admin = app.member(a, Role::Admin).await;
    let token = app.sign_in(&admin, Some(a)).await;
    let project = create_project(&app, &token, None, "A's own").await;
    let measure = json!({ "input": { "projectId": project, "name": "Falls", "operationalDefinition": "d",
        "kind": "OUTCOME", "unit": "COUNT", "direction": "LOWER_IS_BETTER", "frequency": "MONTHLY" } });
    ok(&app, &token, "mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { measure { id } userErrors { code } } }", measure).await;
    ok(
        &app,
        &token,
        "mutation { createApiToken(input: {name: \"script\", scope: READ}) { secret userErrors { code } } }",
        json!({}),
    )
    .await;

    let not_a = |table: &str, column: &str| format!("{table} WHERE {column} IS DISTINCT FROM '{a}'");
    let not_as_project = |table: &str| {
        format!("{table} WHERE project_id NOT IN (SELECT id FROM projects WHERE lead_institution_id = '{a}')")
    };
    let others: Vec<(&str, String)> = vec![
        ("projects", not_a("projects", "lead_institution_id")),
        ("project_sites", not_as_project("project_sites")),
        ("team_members", not_as_project("team_members")),
        ("measures", not_as_project("measures")),
        ("observations", "observations".to_owned()),
        ("capacity_assessments", "capacity_assessments".to_owned()),
        ("commitments", not_a("commitments", "institution_id")),
        // A published PLATFORM result is for every institution; nothing else of B's is.
        (
            "shared_results",
            "shared_results WHERE NOT (status = 'PUBLISHED' AND visibility = 'PLATFORM')".to_owned(),
        ),
        ("engagement_records", "engagement_records".to_owned()),
        ("memberships", not_a("memberships", "institution_id")),
        ("invitations", not_a("invitations", "institution_id")),
        ("api_tokens", not_a("api_tokens", "institution_id")),
        ("refresh_tokens", format!("refresh_tokens WHERE user_id <> '{}'", admin.id)),
        ("audit_events", not_a("audit_events", "institution_id")),
        ("sign_in_throttles", "sign_in_throttles".to_owned()),
    ];
    // What is there to be hidden: B's rows exist (the owner-level view used for fixtures).
    for (table, rows) in &others {
        if !["invitations", "sign_in_throttles", "refresh_tokens"].contains(table) {
            assert!(count(&app.db, rows).await > 0, "the world has rows in {table} outside A");
        }
    }

    let actor = Actor {
        principal: Principal::User { user_id: admin.id, is_platform_admin: false, session_id: None },
        institution: Some(ActiveInstitution { id: a, role: Role::Admin }),
    };
    let as_a = app.request_pool.acting_for(&actor).await.unwrap();
    for (table, rows) in &others {
        assert_eq!(count(&as_a, rows).await, 0, "{table}: no row outside A is read");
    }
    // The same transaction does read A's own rows: the zeros above are the policies' doing.
    for table in ["projects", "measures", "memberships", "api_tokens", "audit_events"] {
        assert!(count(&as_a, table).await > 0, "{table}: A reads its own rows");
    }

    let b_project: Uuid = {
        #[derive(FromQueryResult)]
        struct Id {
            id: Uuid,
        }
        let sql = format!("SELECT id FROM {} LIMIT 1", not_a("projects", "lead_institution_id"));
        let statement = Statement::from_string(app.db.backend(), sql);
        Id::find_by_statement(statement).one(app.db.conn()).await.unwrap().unwrap().id
    };
    let b_institution = format!("(SELECT lead_institution_id FROM projects WHERE id = '{b_project}')");
    let changes = [
        format!("UPDATE projects SET title = 'taken' WHERE id = '{b_project}'"),
        format!(
            "UPDATE measures SET name = 'taken' WHERE project_id = ANY(SELECT id FROM projects WHERE lead_institution_id <> '{a}')"
        ),
        "DELETE FROM observations".to_owned(),
        "UPDATE capacity_assessments SET leadership_score = 0".to_owned(),
        format!("DELETE FROM memberships WHERE institution_id <> '{a}'"),
        format!("UPDATE api_tokens SET revoked_at = now() WHERE institution_id <> '{a}'"),
        "DELETE FROM audit_events".to_owned(),
        "UPDATE audit_events SET action = 'forged'".to_owned(),
    ];
    for change in &changes {
        assert_eq!(write(&as_a, change).await.unwrap(), 0, "{change}: no row of B changes");
    }
    let now = "now()";
    let inserts = [
        format!(
            "INSERT INTO measures (id, project_id, name, operational_definition, kind, unit, direction, frequency, \
             rebase_periods, created_at, updated_at) VALUES ('{}', '{b_project}', 'planted', 'd', 'OUTCOME', 'COUNT', \
             'LOWER_IS_BETTER', 'MONTHLY', '', {now}, {now})",
            Uuid::now_v7()
        ),
        format!(
            "INSERT INTO memberships (id, user_id, institution_id, role, created_at, updated_at) \
             VALUES ('{}', '{}', {b_institution}, 'ADMIN', {now}, {now})",
            Uuid::now_v7(),
            admin.id
        ),
        format!(
            "INSERT INTO audit_events (id, institution_id, actor_user_id, action, subject_type, subject_id, occurred_at) \
             VALUES ('{}', {b_institution}, '{}', 'project.update', 'Project', '{b_project}', {now})",
            Uuid::now_v7(),
            admin.id
        ),
    ];
    for insert in &inserts {
        let refused = write(&as_a, insert).await.expect_err(insert);
        assert!(refused.to_string().contains("row-level security"), "{insert}: {refused}");
    }
    as_a.finish().await.unwrap();

    assert_eq!(count(&app.db, "projects WHERE title = 'taken'").await, 0);
    assert_eq!(count(&app.db, "measures WHERE name IN ('taken', 'planted')").await, 0);
    assert!(count(&app.db, "observations").await > 0, "B's observations are all still there");
    assert_eq!(count(&app.db, &format!("memberships WHERE user_id = '{}'", admin.id)).await, 1);
    assert_eq!(count(&app.db, "audit_events WHERE action = 'forged'").await, 0);
    assert_eq!(count(&app.db, "api_tokens WHERE revoked_at IS NOT NULL").await, 0);
}

#[tokio::test]
async fn a_request_with_nobody_named_reads_no_tenant_row() {
    let Some(app) = postgres_app().await else { return };
    let b = world(&app).await;
    api_token(&app, &b.lead_token, "READ").await;
    // The request pool before any request names its actor: what a forgotten `acting_for` gets.
    for table in
        ["projects", "measures", "observations", "memberships", "api_tokens", "audit_events", "users"]
    {
        assert_eq!(count(&app.request_pool, table).await, 0, "{table}");
        assert!(count(&app.db, table).await > 0, "{table} has rows to hide");
    }
}

#[tokio::test]
async fn every_table_has_row_level_security_and_a_policy_beyond_identity_flows() {
    let Some(app) = postgres_app().await else { return };
    #[derive(FromQueryResult)]
    struct Table {
        name: String,
    }
    let tables = |sql: &str| {
        let statement = Statement::from_string(app.db.backend(), sql.to_owned());
        let db = app.db.clone();
        async move {
            Table::find_by_statement(statement)
                .all(db.conn())
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
        }
    };
    let unprotected = tables(
        "SELECT c.relname::text AS name FROM pg_class c
          WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
            AND NOT c.relrowsecurity AND c.relname <> 'seaql_migrations' ORDER BY 1",
    )
    .await;
    assert_eq!(unprotected, Vec::<String>::new(), "tables without row level security");
    let only_for_identity_flows = tables(
        "SELECT c.relname::text AS name FROM pg_class c
          WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
            AND c.relname <> 'seaql_migrations'
            AND NOT EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = current_schema()
                             AND p.tablename = c.relname AND p.policyname <> 'system') ORDER BY 1",
    )
    .await;
    // These are touched only by identity flows, never by a request for a tenant.
    assert_eq!(
        only_for_identity_flows,
        vec![
            "attempt_windows",
            "idempotency_keys",
            "password_resets",
            "recovery_codes",
            "sign_in_challenges",
            "sign_in_throttles",
            "sso_attempts",
            "sso_providers",
            "totp_factors"
        ]
    );
    // And the runtime role may not touch the migrations' own table.
    let statement =
        Statement::from_string(app.db.backend(), "SELECT count(*) FROM seaql_migrations".to_owned());
    let refused = app.request_pool.conn().query_one_raw(statement).await.expect_err("no access");
    assert!(refused.to_string().contains("permission denied"), "{refused}");
}
