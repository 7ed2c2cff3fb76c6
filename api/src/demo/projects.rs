//! The demo's programme and projects, seeded through the services so every rule applies:
//! - "Sepsis six within the hour": two accepted sites, a full team, passing assessments; FUNDED
//!   and ACTIVE, with two years of monitoring data (see `measures`) and three months of time
//!   reports below three quarters of the commitment.
//! - "Falls prevention on elderly care wards": SUBMITTED; the gate refuses it (no project
//!   manager, too few hours, STAFF_TIME scored 1 at Taff Valley).
//! - "Delirium screening at admission": SUBMITTED; the gate refuses it (Clydeside's only
//!   assessment is older than the programme accepts, and a weekly notes audit is forecast at
//!   more than a third of the team's 16 hours), and a measure without an estimate is a gap.
//! - "Discharge summaries within 24 hours": a DRAFT with an invited site.
//! - "Sepsis six within the hour at Taff Valley": the Society's adoption of the college's
//!   platform-wide sepsis result; FUNDED and ACTIVE, and its copy of the bundle measure improves
//!   again.

use chrono::{Duration, NaiveDate};
use entity::commitment::CommitmentKind;
use entity::project::ProjectStatus;
use entity::team_member::ProjectRole;
use uuid::Uuid;

use super::DemoWorld;
use crate::actor::Actor;
use crate::assessments::dimension::CapacityDimension;
use crate::assessments::service::{self as assessments, DimensionEntry, NewAssessment};
use crate::db::Db;
use crate::error::ServiceError;
use crate::funding::service::{self as funding, Decision};
use crate::programmes::service::{self as programmes, ProgrammeForm};
use crate::projects::service::{self as projects, ProjectForm};
use crate::projects::team::{self, TeamMemberForm};
use crate::projects::{sites, transitions};

const FUNDER: &str = "improvement-fund";
const COLLEGE: &str = "royal-college-acute-care";
const BODY: &str = "society-clinical-data";
const NORTHGATE: &str = "northgate-general";
const CLYDESIDE: &str = "clydeside-university";
const TAFF: &str = "taff-valley";

pub async fn seed(db: &Db, world: &DemoWorld) -> Result<(), ServiceError> {
    let (_, funder) = world.actor(FUNDER)?;
    let programme = programmes::create(
        db,
        &funder,
        ProgrammeForm {
            name: Some("Acute care improvement".into()),
            objectives: Some(
                "Measurable improvement in the recognition and management of acutely ill adults".into(),
            ),
            bidding_opens_on: Some(db.today() - Duration::days(30)),
            bidding_closes_on: Some(db.today() + Duration::days(60)),
            minimum_scores: Some(vec![(CapacityDimension::MonitoringAndEvaluation, 3)]),
            ..Default::default()
        },
    )
    .await?;

    let sepsis = bid(
        db,
        world,
        COLLEGE,
        programme.id,
        "Sepsis six within the hour",
        "Emergency medicine",
        &[NORTHGATE, CLYDESIDE],
    )
    .await?;
    staff(
        db,
        world,
        COLLEGE,
        sepsis,
        &[
            (COLLEGE, ProjectRole::ClinicalLead, 4.0),
            (NORTHGATE, ProjectRole::ProjectManager, 7.5),
            (CLYDESIDE, ProjectRole::DataAnalyst, 4.0),
        ],
    )
    .await?;
    transitions::transition(db, &world.actor(COLLEGE)?.1, sepsis, ProjectStatus::Submitted).await?;
    for host in [NORTHGATE, CLYDESIDE] {
        assess(db, world, &funder, sepsis, host, db.today() - Duration::days(20), [3, 3, 3, 3, 2]).await?;
    }
    funding::decide(db, &funder, sepsis, Decision::Fund, Some(95_000)).await?;
    transitions::transition(db, &funder, sepsis, ProjectStatus::Active).await?;
    report_time(db, world, sepsis).await?;
    let measures = super::measures::seed(db, world, sepsis, COLLEGE).await?;
    let platform_result = super::results::seed(db, world, sepsis, COLLEGE, measures).await?;
    adopted(db, world, &funder, programme.id, platform_result).await?;

    let falls =
        bid(db, world, BODY, programme.id, "Falls prevention on elderly care wards", "Elderly care", &[TAFF])
            .await?;
    staff(
        db,
        world,
        BODY,
        falls,
        &[(BODY, ProjectRole::ClinicalLead, 3.0), (TAFF, ProjectRole::Evaluator, 2.0)],
    )
    .await?;
    transitions::transition(db, &world.actor(BODY)?.1, falls, ProjectStatus::Submitted).await?;
    assess(db, world, &funder, falls, TAFF, db.today() - Duration::days(5), [3, 3, 3, 2, 1]).await?;

    let delirium =
        bid(db, world, BODY, programme.id, "Delirium screening at admission", "Acute medicine", &[CLYDESIDE])
            .await?;
    staff(
        db,
        world,
        BODY,
        delirium,
        &[
            (BODY, ProjectRole::ClinicalLead, 4.0),
            (CLYDESIDE, ProjectRole::ProjectManager, 8.0),
            (CLYDESIDE, ProjectRole::DataAnalyst, 4.0),
        ],
    )
    .await?;
    delirium_measures(db, world, delirium).await?;
    transitions::transition(db, &world.actor(BODY)?.1, delirium, ProjectStatus::Submitted).await?;
    assess(db, world, &funder, delirium, CLYDESIDE, db.today() - Duration::days(400), [4, 4, 4, 4, 4])
        .await?;

    let (_, college) = world.actor(COLLEGE)?;
    let discharge = projects::create(
        db,
        &college,
        Some(programme.id),
        ProjectForm {
            title: Some("Discharge summaries within 24 hours".into()),
            aim_statement: Some("90% of discharge summaries reach the GP within 24 hours".into()),
            clinical_area: Some("General medicine".into()),
            ..Default::default()
        },
    )
    .await?;
    sites::add(db, &college, discharge.id, world.actor(TAFF)?.0).await?;

    crate::commitments::service::record(
        db,
        &college,
        Some(sepsis),
        None,
        CommitmentKind::Leadership,
        "College QI faculty lead chairs the steering group",
    )
    .await?;
    let (_, body) = world.actor(BODY)?;
    crate::commitments::service::record(
        db,
        &body,
        None,
        Some(programme.id),
        CommitmentKind::ProfessionalTraining,
        "Run-chart and SPC training for every project's data analyst",
    )
    .await?;
    Ok(())
}

/// A weekly audit by hand that costs Clydeside six hours a week, above the third of the team's
/// 16 committed hours the programme allows, and a measure nobody has estimated yet.
async fn delirium_measures(db: &Db, world: &DemoWorld, project: Uuid) -> Result<(), ServiceError> {
    use crate::measures::service::{self as measures, MeasureForm};
    use entity::measure::{CollectionMethod, MeasureDirection, MeasureFrequency, MeasureKind, MeasureUnit};
    let (_, lead) = world.actor(BODY)?;
    let form = |name: &str, definition: &str, frequency, minutes| MeasureForm {
        name: Some(name.into()),
        operational_definition: Some(definition.into()),
        kind: Some(MeasureKind::Process),
        unit: Some(MeasureUnit::Proportion),
        direction: Some(MeasureDirection::HigherIsBetter),
        frequency: Some(frequency),
        collection_method: Some(CollectionMethod::ManualAudit),
        minutes_per_site_per_period: minutes,
        ..Default::default()
    };
    let screened = "Patients aged 65+ admitted through the acute medical unit (numerator: 4AT completed \
                    within 24 hours, from a notes audit of every admission; denominator: all such admissions)";
    measures::create(
        db,
        &lead,
        project,
        form("4AT within 24 hours", screened, MeasureFrequency::Weekly, Some(360.0)),
    )
    .await?;
    let follow_up = "Patients with a positive 4AT (numerator: delirium care plan started the same day)";
    measures::create(
        db,
        &lead,
        project,
        form("Same-day care plan", follow_up, MeasureFrequency::Monthly, None),
    )
    .await?;
    Ok(())
}

/// Three months of time given on the sepsis project, reported by the college's admin: the
/// project manager gives nearly all of the committed time, the clinical lead and the analyst
/// about half, so the team stays below three quarters of its commitment (time pressure).
async fn report_time(db: &Db, world: &DemoWorld, project: Uuid) -> Result<(), ServiceError> {
    let (_, lead) = world.actor(COLLEGE)?;
    let members = team::of_project(db, &lead, project).await?;
    for back in 1..=3 {
        let month = crate::projects::team_time::month_of(db.today())
            .checked_sub_months(chrono::Months::new(back))
            .ok_or_else(|| {
                ServiceError::invalid("month", crate::error::UserErrorCode::Invalid, "out of range")
            })?;
        for member in &members {
            let given = match member.role {
                ProjectRole::ProjectManager => 0.95,
                _ => 0.5,
            };
            let hours = (crate::projects::team_time::committed_in(member, month) * given).round();
            crate::projects::team_time::report(db, &lead, member.id, month, hours).await?;
        }
    }
    Ok(())
}

/// A project led by `lead`, with `hosts` named as sites and accepted.
async fn bid(
    db: &Db,
    world: &DemoWorld,
    lead: &str,
    programme_id: Uuid,
    title: &str,
    area: &str,
    hosts: &[&str],
) -> Result<Uuid, ServiceError> {
    let (_, lead) = world.actor(lead)?;
    let project = projects::create(
        db,
        &lead,
        Some(programme_id),
        ProjectForm {
            title: Some(title.into()),
            aim_statement: Some(format!("{title}: a measurable improvement within twelve months")),
            clinical_area: Some(area.into()),
            starts_on: Some(db.today()),
            budget_requested: Some(120_000),
            ..Default::default()
        },
    )
    .await?;
    for host in hosts {
        let (host_id, host_actor) = world.actor(host)?;
        let site = sites::add(db, &lead, project.id, host_id).await?;
        sites::respond(db, &host_actor, site.id, true, None).await?;
    }
    Ok(project.id)
}

async fn staff(
    db: &Db,
    world: &DemoWorld,
    lead: &str,
    project_id: Uuid,
    members: &[(&str, ProjectRole, f64)],
) -> Result<(), ServiceError> {
    let (_, lead) = world.actor(lead)?;
    for (institution, role, hours) in members {
        let form = TeamMemberForm {
            user_id: None,
            external_name: Some(format!(
                "{} ({institution})",
                sea_orm::ActiveEnum::to_value(role).to_lowercase().replace('_', " ")
            )),
            institution_id: world.actor(institution)?.0,
            role: *role,
            hours_per_week: *hours,
            starts_on: None,
            ends_on: None,
        };
        team::add(db, &lead, project_id, form).await?;
    }
    Ok(())
}

async fn assess(
    db: &Db,
    world: &DemoWorld,
    funder: &Actor,
    project_id: Uuid,
    host: &str,
    on: NaiveDate,
    scores: [i32; 5],
) -> Result<(), ServiceError> {
    let dimensions = CapacityDimension::ALL
        .into_iter()
        .zip(scores)
        .map(|(dimension, score)| DimensionEntry {
            dimension,
            score: Some(score),
            evidence: Some("Demo evidence".into()),
        })
        .collect();
    let new = NewAssessment {
        assessed_institution_id: world.actor(host)?.0,
        project_id: Some(project_id),
        assessed_on: on,
        dimensions,
        submit: true,
    };
    assessments::create(db, funder, new).await?;
    Ok(())
}

/// The Society adopts the college's platform-wide sepsis result for Taff Valley, is funded on
/// passing scores, and the bundle measure it copied improves again.
async fn adopted(
    db: &Db,
    world: &DemoWorld,
    funder: &Actor,
    programme_id: Uuid,
    result_id: Uuid,
) -> Result<(), ServiceError> {
    use crate::results::adoption::{self, AdoptionForm};
    use sea_orm::{ColumnTrait, QueryFilter};
    let (_, body) = world.actor(BODY)?;
    let form = AdoptionForm {
        programme_id: Some(programme_id),
        title: Some("Sepsis six within the hour at Taff Valley".into()),
        aim_statement: None,
        clinical_area: Some("Emergency medicine".into()),
    };
    let project = adoption::adopt(db, &body, result_id, form).await?;
    let (taff_id, taff) = world.actor(TAFF)?;
    let site = sites::add(db, &body, project.id, taff_id).await?;
    sites::respond(db, &taff, site.id, true, None).await?;
    staff(
        db,
        world,
        BODY,
        project.id,
        &[
            (BODY, ProjectRole::ClinicalLead, 4.0),
            (TAFF, ProjectRole::ProjectManager, 7.5),
            (TAFF, ProjectRole::DataAnalyst, 4.0),
        ],
    )
    .await?;
    transitions::transition(db, &body, project.id, ProjectStatus::Submitted).await?;
    assess(db, world, funder, project.id, TAFF, db.today() - Duration::days(10), [3, 3, 3, 3, 3]).await?;
    funding::decide(db, funder, project.id, Decision::Fund, Some(60_000)).await?;
    transitions::transition(db, funder, project.id, ProjectStatus::Active).await?;
    let copied = crate::measures::service::visible_to(&body)
        .filter(entity::measure::Column::ProjectId.eq(project.id))
        .all(db.conn())
        .await?;
    for measure in copied {
        super::measures::improve_again(db, &body, measure.id, TAFF).await?;
    }
    Ok(())
}
