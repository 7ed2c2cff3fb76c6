//! `serve --demo`: a small world to explore on an empty database. A funder, two bidders (a royal
//! college and a professional body), three host institutions, each with an admin, a member and a
//! viewer, plus a platform admin; then a programme with projects in several states (see
//! `projects`). Every account shares one password: `SPRINGBOARD_DEMO_PASSWORD`,
//! or a random one printed at start-up.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::institution::{self, InstitutionKind, Nation};
use entity::membership::Role;
use rand::RngCore;
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};
use uuid::Uuid;

use crate::db::Db;
use crate::error::ServiceError;
use crate::identity::password::PasswordRules;
use crate::users::{Email, service as users};

mod measures;
mod projects;
mod results;

pub struct DemoInstitution {
    pub id: Uuid,
    /// The institution's demo admin, who acts for it when later steps seed data.
    pub admin_id: Uuid,
    pub slug: &'static str,
    pub name: &'static str,
    pub kind: InstitutionKind,
}

/// What was created, for later seeding steps (projects, measures) to build on.
pub struct DemoWorld {
    pub institutions: Vec<DemoInstitution>,
    pub password: String,
}

const INSTITUTIONS: [(&str, &str, InstitutionKind, Nation); 6] = [
    ("improvement-fund", "National Improvement Fund", InstitutionKind::Funder, Nation::England),
    (
        "royal-college-acute-care",
        "Royal College of Acute Care",
        InstitutionKind::RoyalCollege,
        Nation::England,
    ),
    (
        "society-clinical-data",
        "Society for Clinical Data Practice",
        InstitutionKind::ProfessionalBody,
        Nation::Scotland,
    ),
    ("northgate-general", "Northgate General Hospital", InstitutionKind::HostInstitution, Nation::England),
    (
        "clydeside-university",
        "Clydeside University Hospital",
        InstitutionKind::HostInstitution,
        Nation::Scotland,
    ),
    ("taff-valley", "Taff Valley Hospital", InstitutionKind::HostInstitution, Nation::Wales),
];

const ROLES: [(&str, Role); 3] = [("admin", Role::Admin), ("member", Role::Member), ("viewer", Role::Viewer)];

fn demo_password() -> String {
    let chosen = std::env::var("SPRINGBOARD_DEMO_PASSWORD").ok();
    let accepted = chosen.filter(|p| {
        let ok = PasswordRules::default().check(p, "password", &[]).is_ok();
        if !ok {
            tracing::warn!(
                "SPRINGBOARD_DEMO_PASSWORD breaks the password rules: a random one is used instead"
            );
        }
        ok
    });
    accepted.unwrap_or_else(|| {
        let mut bytes = [0u8; 12];
        rand::rng().fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    })
}

fn email(role: &str, slug: &str) -> String {
    format!("{role}@{slug}.example.org")
}

/// Seeds the world unless the database already holds institutions; prints how to sign in.
pub async fn seed(db: &Db, base_url: &str) -> Result<Option<DemoWorld>, ServiceError> {
    if institution::Entity::find().count(db.conn()).await? > 0 {
        tracing::info!("the database already holds data: demo seed skipped");
        return Ok(None);
    }
    let password = demo_password();
    let txn = db.begin().await?;
    let now = db.now();
    let mut institutions = Vec::new();
    for (slug, name, kind, nation) in INSTITUTIONS {
        let id = Uuid::now_v7();
        institution::Entity::insert(institution::ActiveModel {
            id: Set(id),
            name: Set(name.to_owned()),
            slug: Set(slug.to_owned()),
            kind: Set(kind),
            nation: Set(nation),
            require_two_factor: Set(false),
            time_zone: Set(crate::institutions::time_zone::DEFAULT.name().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        let mut admin_id = Uuid::nil();
        for (role_name, role) in ROLES {
            let user = users::insert(
                &txn,
                now,
                new_user(&email(role_name, slug), &format!("{name} {role_name}"), &password)?,
                "email",
            )
            .await?;
            crate::members::service::insert(&txn, now, user.id, id, role).await?;
            if role == Role::Admin {
                admin_id = user.id;
            }
        }
        institutions.push(DemoInstitution { id, admin_id, slug, name, kind });
    }
    let mut admin = new_user("platform-admin@springboard.example.org", "Platform admin", &password)?;
    admin.is_platform_admin = true;
    users::insert(&txn, now, admin, "email").await?;
    txn.commit().await?;

    let world = DemoWorld { institutions, password };
    projects::seed(db, &world).await?;
    print_instructions(base_url, &world.password);
    Ok(Some(world))
}

fn new_user(email: &str, name: &str, password: &str) -> Result<users::NewUser, ServiceError> {
    let invalid = |e: crate::error::FieldError| ServiceError::Invalid(vec![e]);
    Ok(users::NewUser {
        email: Email::parse(email, "email").map_err(invalid)?,
        name: name.to_owned(),
        profession: None,
        password: PasswordRules::default().check(password, "password", &[]).map_err(invalid)?,
        is_platform_admin: false,
    })
}

fn print_instructions(base_url: &str, password: &str) {
    let mut text = String::new();
    text.push_str("\nSpringboard demo world ready.\n");
    text.push_str(&format!("  GraphiQL:  {base_url}/graphql (open in a browser)\n"));
    text.push_str(&format!("  Password for every demo account: {password}\n"));
    text.push_str("  Accounts (admin@, member@ and viewer@ each):\n");
    for (slug, name, _, _) in INSTITUTIONS {
        text.push_str(&format!("    {:<60} {name}\n", email("{admin,member,viewer}", slug)));
    }
    text.push_str(&format!(
        "    {:<60} platform admin (enrols an authenticator app at first sign-in)\n",
        "platform-admin@springboard.example.org"
    ));
    let sign_in = format!(
        r#"{{"query":"mutation {{ signIn(input: {{email: \"admin@northgate-general.example.org\", password: \"{password}\"}}) {{ tokens {{ accessToken }} userErrors {{ message }} }} }}"}}"#
    );
    text.push_str(&format!(
        "  Sign in:\n    curl -s {base_url}/graphql -H 'content-type: application/json' -d '{sign_in}'\n\n"
    ));
    // Printed rather than logged: it is for the person at the terminal, not the log pipeline.
    println!("{text}");
}

impl DemoWorld {
    /// The institution with `slug`, acting through its admin.
    pub fn actor(&self, slug: &str) -> Result<(Uuid, crate::actor::Actor), ServiceError> {
        let institution = self
            .institutions
            .iter()
            .find(|i| i.slug == slug)
            .ok_or_else(|| ServiceError::internal(UnknownDemoInstitution(slug.to_owned())))?;
        let actor = crate::actor::Actor {
            principal: crate::actor::Principal::User {
                user_id: institution.admin_id,
                is_platform_admin: false,
                session_id: None,
            },
            institution: Some(crate::actor::ActiveInstitution { id: institution.id, role: Role::Admin }),
        };
        Ok((institution.id, actor))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("no demo institution `{0}`")]
struct UnknownDemoInstitution(String);
