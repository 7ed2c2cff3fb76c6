use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use migration::{Migrator, MigratorTrait};
use springboard::db::{self, Db};
use springboard::settings::{DatabaseSettings, LogFormat, Settings};
use springboard::startup::Application;
use springboard::{demo, telemetry};

/// jemalloc with background threads gives memory back to the system after a burst of load: the
/// system allocator kept a busy server's peak (hundreds of MiB) for good.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Springboard: a GraphQL API for clinical quality-improvement programmes.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations and serve the API (the default).
    Serve(Box<ServeArgs>),
    /// Manage the database schema.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
        #[arg(value_enum, default_value_t = MigrateAction::Up)]
        action: MigrateAction,
        /// PostgreSQL: after `up`, create this runtime role if missing (no password: set one),
        /// grant it what the server needs and nothing more, and check that row level security
        /// binds it. Defaults to the user of `DATABASE_URL` when the owner's URL is given
        /// separately (SPRINGBOARD_MIGRATION_DATABASE_URL).
        #[arg(long, env = "SPRINGBOARD_RUNTIME_ROLE")]
        runtime_role: Option<String>,
    },
    /// Create a platform admin. The password comes from SPRINGBOARD_ADMIN_PASSWORD, a prompt, or
    /// the first line of standard input.
    CreateAdmin {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        passwords: springboard::identity::settings::PasswordSettings,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Platform admin")]
        name: String,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    settings: Settings,
    /// Seed a small demo world when the database is empty, and print how to sign in.
    #[arg(long, env = "SPRINGBOARD_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
    demo: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the latest migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Purges freed memory on its own threads, so an idle server shrinks too.
    if let Err(err) = tikv_jemalloc_ctl::background_thread::write(true) {
        eprintln!("jemalloc background threads unavailable: {err}");
    }
    let cli = Cli::parse();
    match cli.command {
        None => {
            #[derive(Parser)]
            struct Defaults {
                #[command(flatten)]
                serve: ServeArgs,
            }
            serve(Defaults::parse_from(["springboard"]).serve).await
        }
        Some(Command::Serve(args)) => serve(*args).await,
        Some(Command::Migrate { database, action, runtime_role }) => {
            let telemetry = telemetry::init(LogFormat::Text);
            let migrated = migrate(&database, action, runtime_role).await;
            telemetry.shutdown();
            migrated
        }
        Some(Command::CreateAdmin { database, passwords, email, name }) => {
            let telemetry = telemetry::init(LogFormat::Text);
            let created = create_admin(&database, passwords.rules(), &email, &name).await;
            telemetry.shutdown();
            created
        }
        Some(Command::Schema) => {
            print!("{}", springboard::graphql::schema::sdl());
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let telemetry = telemetry::init(args.settings.log_format);
    let served = serve_with(args).await;
    // Off the runtime's threads: the exporter's last send blocks.
    tokio::task::spawn_blocking(move || telemetry.shutdown()).await.ok();
    served
}

async fn serve_with(args: ServeArgs) -> anyhow::Result<()> {
    let host = args.settings.bind.rsplit_once(':').map_or("127.0.0.1", |(host, _)| host).to_owned();
    let app = Application::build(args.settings).await?;
    if args.demo {
        let base_url = format!("http://{host}:{}", app.port());
        demo::seed(&app.db(), &base_url)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo data: {e:?}"))?;
    }
    let shutdown = app.shutdown();
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("stopping: no new connections; finishing the requests in flight");
        shutdown.begin().await;
    });
    app.run_until_stopped().await.context("serving")
}

/// SIGTERM (a deploy or an orchestrator) or Ctrl-C.
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut terminate) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = interrupt.await;
            return;
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// The owner's URL: the one given for migrations, or the database URL itself.
fn owner_url(database: &DatabaseSettings) -> &str {
    database.migration_database_url.as_deref().filter(|u| !u.is_empty()).unwrap_or(&database.database_url)
}

async fn migrate(
    database: &DatabaseSettings,
    action: MigrateAction,
    runtime_role: Option<String>,
) -> anyhow::Result<()> {
    let conn = db::connect(owner_url(database), 1).await.context("connecting to the database")?;
    match action {
        MigrateAction::Up => db::migrate(&conn).await?,
        MigrateAction::Down => Migrator::down(&conn, Some(1)).await?,
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&conn).await? {
                println!("{:?}\t{}", migration.status(), migration.name());
            }
        }
    }
    let separate_owner = owner_url(database) != database.database_url;
    let role = runtime_role
        .or_else(|| separate_owner.then(|| db::wall::role_of_url(&database.database_url)).flatten());
    match (action, role) {
        (MigrateAction::Up, Some(role)) if !db::is_sqlite_url(owner_url(database)) => {
            // The runtime URL's password, when it is this role's: a new role gets it.
            let password = (db::wall::role_of_url(&database.database_url).as_deref() == Some(role.as_str()))
                .then(|| db::wall::password_of_url(&database.database_url))
                .flatten();
            prepare_runtime_role(&conn, &role, password.as_deref()).await
        }
        _ => Ok(()),
    }
}

/// Creates or checks the runtime role and says what the operator still has to do.
async fn prepare_runtime_role(
    owner: &sea_orm::DatabaseConnection,
    role: &str,
    password: Option<&str>,
) -> anyhow::Result<()> {
    let report =
        db::wall::ensure_runtime_role(owner, role, password).await.context("preparing the runtime role")?;
    if report.created && password.is_some() {
        println!("created role {role} (LOGIN, with the password DATABASE_URL gives)");
    } else if report.created {
        println!("created role {role} (LOGIN, no password)");
    } else {
        println!("role {role} exists");
    }
    println!(
        "granted {role}: USAGE on schema {schema}; SELECT, INSERT, UPDATE, DELETE on its tables; nothing on seaql_migrations",
        schema = report.schema
    );
    match db::wall::binds(owner, role).await.context("checking the runtime role")? {
        db::Wall::Enforced => println!("row level security binds {role}"),
        db::Wall::Absent(why) => {
            println!("WARNING: row level security does not bind {role}: {why}");
            println!("  run as a superuser: ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS;");
            println!("  and give the tables' ownership to the role that migrates");
        }
    }
    if report.created && password.is_none() {
        println!("still to do, as a superuser or the owner: ALTER ROLE {role} PASSWORD '<a secret>';");
    }
    println!(
        "then serve with DATABASE_URL=postgres://{role}:<secret>@<host>/<database> and \
         SPRINGBOARD_MIGRATION_DATABASE_URL=<this owner's URL>"
    );
    Ok(())
}

async fn create_admin(
    database: &DatabaseSettings,
    rules: springboard::identity::PasswordRules,
    email: &str,
    name: &str,
) -> anyhow::Result<()> {
    let password = match std::env::var("SPRINGBOARD_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) if std::io::stdin().is_terminal() => rpassword::prompt_password("Password: ")?,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    // As the owner: creating a user is not something any tenant's policy allows.
    let conn = db::connect(owner_url(database), 1).await.context("connecting to the database")?;
    db::migrate(&conn).await.context("applying migrations")?;
    let db = Db::new(conn, springboard::clock::Clock::system());
    match springboard::users::service::create_platform_admin(&db, &rules, email, name, &password).await {
        Ok(user) => {
            println!("created platform admin {} ({})", user.email, user.id);
            Ok(())
        }
        Err(springboard::error::ServiceError::Invalid(problems)) => {
            for problem in problems {
                eprintln!("{}: {}", problem.field.join("."), problem.message);
            }
            bail!("no admin created")
        }
        Err(err) => Err(anyhow::anyhow!("{err:?}")),
    }
}
