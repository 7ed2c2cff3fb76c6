//! Every batch loader reads through its scope: keys that belong to objects an actor may not
//! see (a hidden project's sites, a user reached only through a hidden team, a hidden measure's
//! observations) come back empty, while the same keys give rows to an actor who may see them.
//! Driven against the real database through the loaders the server builds per request, since
//! through the API a hidden parent never gets as far as asking for its children.

use entity::membership::Role;
use serde_json::json;
use springboard::actor::{ActiveInstitution, Actor, Principal};
use springboard::analysis::AnalysisConfig;
use springboard::assessments::service::{AssessmentsOfProject, VisibleAssessments};
use springboard::commitments::service::{CommitmentsOfProgramme, CommitmentsOfProject};
use springboard::funding::service::Readiness;
use springboard::graphql::loaders::Loaders;
use springboard::measures::analysis::{Analyses, AnalysisKey};
use springboard::measures::export::CsvExports;
use springboard::measures::rollup::ProjectImprovement;
use springboard::measures::scopes::{MeasuresOfProject, ObservationsOfMeasure, VisibleMeasures};
use springboard::measures::service::ObservationFilter;
use springboard::paging::PageRequest;
use springboard::projects::scopes::{
    ProjectsOfProgramme, SitesOfProject, TeamOfProject, VisibleProjects, VisibleSites, VisibleTeamMembers,
};
use springboard::results::scopes::{EngagementOfProject, LinksOfResult, SharesOfResult};
use springboard::scope::Row;
use springboard::users::service::VisibleUsers;
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;
use crate::loading_fixtures::*;

fn acting(institution: Uuid, role: Role) -> Actor {
    Actor {
        principal: Principal::User { user_id: Uuid::now_v7(), is_platform_admin: false, session_id: None },
        institution: Some(ActiveInstitution { id: institution, role }),
    }
}

/// What `loaders` return for the fixture's first project, its measure and its first result:
/// one count per loader.
async fn reach(app: &TestApp, w: &World, loaders: &Loaders) -> Vec<(&'static str, usize)> {
    let project = uuid_of(&w.projects[0]);
    let measure = uuid_of(&w.measures[0]);
    let result = uuid_of(&w.results[0]);
    let draft = uuid_of(&w.draft);
    let programme = uuid_of(&w.programme);
    let clinician = team_user(app, project).await;
    let project_row = loaders_free_project(app, project).await;
    let measure_row = loaders_free_measure(app, measure).await;
    let observations_page = loaders
        .pages::<ObservationsOfMeasure>()
        .load_one((measure, ObservationFilter::default(), PageRequest::first(24)))
        .await
        .unwrap()
        .unwrap();
    let projects_page = loaders
        .pages::<ProjectsOfProgramme>()
        .load_one((programme, (), PageRequest::first(100)))
        .await
        .unwrap()
        .unwrap();
    let analysis = loaders
        .computed::<Analyses>()
        .load_one(AnalysisKey {
            measure: Row::new(measure, measure_row.clone()),
            site_id: None,
            config: AnalysisConfig::default(),
            periods: Default::default(),
        })
        .await
        .unwrap()
        .unwrap();
    let csv = loaders
        .computed::<CsvExports>()
        .load_one((Row::new(measure, measure_row), None, springboard::measures::export::Layout::Import))
        .await
        .unwrap()
        .unwrap();
    let readiness = loaders
        .computed::<Readiness>()
        .load_one(Row::new(project, project_row))
        .await
        .unwrap()
        .unwrap_or_default();
    let site = loaders.children::<SitesOfProject>().load_one(project).await.unwrap().unwrap_or_default();
    vec![
        (
            "project by id",
            usize::from(loaders.by_id::<VisibleProjects>().load_one(project).await.unwrap().is_some()),
        ),
        (
            "measure by id",
            usize::from(loaders.by_id::<VisibleMeasures>().load_one(measure).await.unwrap().is_some()),
        ),
        (
            "user through the team",
            usize::from(loaders.by_id::<VisibleUsers>().load_one(clinician).await.unwrap().is_some()),
        ),
        ("sites", site.len()),
        ("team", count(loaders.children::<TeamOfProject>().load_one(project).await.unwrap())),
        ("commitments", count(loaders.children::<CommitmentsOfProject>().load_one(project).await.unwrap())),
        ("assessments", count(loaders.children::<AssessmentsOfProject>().load_one(project).await.unwrap())),
        ("measures", count(loaders.children::<MeasuresOfProject>().load_one(project).await.unwrap())),
        ("engagement", count(loaders.children::<EngagementOfProject>().load_one(project).await.unwrap())),
        (
            "links of a draft result",
            count(loaders.children::<LinksOfResult>().load_one(draft).await.unwrap()),
        ),
        ("shares of a result", count(loaders.children::<SharesOfResult>().load_one(result).await.unwrap())),
        (
            "commitments to the programme",
            count(loaders.children::<CommitmentsOfProgramme>().load_one(programme).await.unwrap()),
        ),
        ("observations", observations_page.edges.len()),
        ("observation total", usize::try_from(observations_page.total.get().await.unwrap()).unwrap()),
        ("projects of the programme", projects_page.edges.len()),
        (
            "improvement",
            loaders
                .computed::<ProjectImprovement>()
                .load_one(project)
                .await
                .unwrap()
                .map_or(0, |c| c.measures),
        ),
        ("analysis points", analysis.analysis.spc.points.len()),
        ("csv rows", csv.lines().count() - 1),
        (
            "readiness about sites",
            usize::from(
                !readiness.iter().any(|f| f.error.code == springboard::error::UserErrorCode::NoAcceptedSite),
            ),
        ),
        (
            "team member by id",
            usize::from(
                loaders
                    .by_id::<VisibleTeamMembers>()
                    .load_one(team_member(app, project).await)
                    .await
                    .unwrap()
                    .is_some(),
            ),
        ),
        (
            "site row by id",
            usize::from(
                loaders
                    .by_id::<VisibleSites>()
                    .load_one(site_id(app, project).await)
                    .await
                    .unwrap()
                    .is_some(),
            ),
        ),
        (
            "assessment by id",
            usize::from(
                loaders
                    .by_id::<VisibleAssessments>()
                    .load_one(assessment(app, project).await)
                    .await
                    .unwrap()
                    .is_some(),
            ),
        ),
    ]
}

fn count<T>(rows: Option<Vec<T>>) -> usize {
    rows.map_or(0, |rows| rows.len())
}

/// Rows read straight from the database, as a caller that had already seen them would hold.
async fn loaders_free_project(app: &TestApp, id: Uuid) -> entity::project::Model {
    use sea_orm::EntityTrait;
    entity::project::Entity::find_by_id(id).one(app.db.conn()).await.unwrap().unwrap()
}

async fn loaders_free_measure(app: &TestApp, id: Uuid) -> entity::measure::Model {
    use sea_orm::EntityTrait;
    entity::measure::Entity::find_by_id(id).one(app.db.conn()).await.unwrap().unwrap()
}

async fn team_row(app: &TestApp, project: Uuid) -> entity::team_member::Model {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::team_member::Entity::find()
        .filter(entity::team_member::Column::ProjectId.eq(project))
        .one(app.db.conn())
        .await
        .unwrap()
        .unwrap()
}

async fn team_user(app: &TestApp, project: Uuid) -> Uuid {
    team_row(app, project).await.user_id.unwrap()
}

async fn team_member(app: &TestApp, project: Uuid) -> Uuid {
    team_row(app, project).await.id
}

async fn site_id(app: &TestApp, project: Uuid) -> Uuid {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let site =
        entity::project_site::Entity::find().filter(entity::project_site::Column::ProjectId.eq(project));
    site.one(app.db.conn()).await.unwrap().unwrap().id
}

async fn assessment(app: &TestApp, project: Uuid) -> Uuid {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let row = entity::capacity_assessment::Entity::find()
        .filter(entity::capacity_assessment::Column::ProjectId.eq(project));
    row.one(app.db.conn()).await.unwrap().unwrap().id
}

db_test! {
    async fn no_batch_loader_gives_an_outsider_rows_of_objects_it_cannot_see(app) {
        let w = world(&app).await;
        let lead = Loaders::new(app.db.clone(), acting(w.college, Role::Admin));
        let outsider = Loaders::new(app.db.clone(), acting(w.outsider, Role::Member));

        let seen = reach(&app, &w, &lead).await;
        let hidden = reach(&app, &w, &outsider).await;

        for ((name, for_lead), (_, for_outsider)) in seen.iter().zip(&hidden) {
            assert!(*for_lead > 0, "{name}: the lead should reach it, so the outsider's empty answer means something");
            assert_eq!(*for_outsider, 0, "{name}: an outsider reached {for_outsider} rows");
        }
    }
}

db_test! {
    async fn a_result_seen_from_outside_shows_nothing_live_of_its_project(app) {
        let w = world(&app).await;
        let query = "query($id: ID!) { node(id: $id) { ... on SharedResult {
            projectTitle projectLead { name } project { id } sharedWith { name }
            measures { measure { id } frozenAnalysis { points } }
        } } }";

        let body = app.graphql(query, json!({ "id": w.results[0] }), Some(&w.outsider_token)).await;

        let node = &body["data"]["node"];
        assert_eq!(node["projectTitle"], json!("Project 00"), "{body}");
        assert!(node["projectLead"]["name"].is_string(), "{body}");
        assert_eq!(node["project"], json!(null));
        assert_eq!(node["sharedWith"], json!([]));
        assert_eq!(node["measures"][0]["measure"], json!(null));
        assert_eq!(node["measures"][0]["frozenAnalysis"]["points"], json!(3));
        let programme = "query($id: ID!) { programme(id: $id) { name projects(first: 50) { totalCount edges { node { id } } } commitments { kind } } }";
        let body = app.graphql(programme, json!({ "id": w.programme }), Some(&w.outsider_token)).await;
        assert_eq!(
            body["data"]["programme"]["projects"],
            json!({ "totalCount": 0, "edges": [] }),
            "an open call's projects are not the public's: {body}"
        );
        assert_eq!(body["data"]["programme"]["commitments"], json!([]), "{body}");
    }
}
