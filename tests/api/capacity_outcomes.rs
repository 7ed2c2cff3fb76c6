//! Does capacity predict improvement? The programme's funded projects grouped per dimension by
//! the assessment the funding gate counted (a project's weakest site, against the minimum
//! today), with rates only for groups of five or more, a lead's self-assessment never disclosed
//! to the funder, and the migration's reconstruction of the evidence matching what was recorded.

use entity::funding_evidence;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::loading_fixtures::uuid_of;
use crate::project_fixtures::*;
use crate::results_fixtures::*;

const TABLE: &str =
    "query($id: ID!) { node(id: $id) { ... on Programme { evaluation { improvementByCapacity {
  dimension threshold unassessed undisclosed
  below { projects measuring improving improvementRate }
  at { projects measuring improving improvementRate }
  above { projects measuring improving improvementRate }
} } } } }";

#[derive(Clone, Copy)]
enum Data {
    Improving,
    Flat,
    NoMeasure,
}

/// A new college's project in the programme, with one accepted host per score, funded on those
/// scores (assessed by the funder, or by the lead itself) and made ACTIVE, with its data.
async fn funded(app: &TestApp, funding: &Funding, scores: &[i32], self_assessed: bool, data: Data) -> String {
    let bid = draft_project(app, funding).await;
    let mut sites = Vec::new();
    for _ in scores {
        sites.push(answered_site(app, &bid, true).await);
    }
    springboard_team(app, &bid).await;
    ok(app, &bid.lead_token, TRANSITION, json!({ "p": bid.project, "to": "SUBMITTED" })).await;
    let assessor = if self_assessed { &bid.lead_token } else { &funding.funder_token };
    for (site, score) in sites.iter().zip(scores) {
        assess(app, assessor, &bid.project, site.host, *score, true).await;
    }
    let decided = ok(
        app,
        &funding.funder_token,
        DECIDE,
        json!({ "p": bid.project, "decision": "FUNDED", "budget": 10_000 }),
    )
    .await;
    assert_eq!(decided["project"]["status"], json!("FUNDED"));
    ok(app, &funding.funder_token, TRANSITION, json!({ "p": bid.project, "to": "ACTIVE" })).await;
    let project = bid.project.clone();
    if !matches!(data, Data::NoMeasure) {
        let measure = create_measure(app, &bid.lead_token, &bid.project).await;
        let funding = Funding {
            funder: funding.funder,
            funder_token: funding.funder_token.clone(),
            programme: funding.programme.clone(),
        };
        let site = sites.swap_remove(0);
        let active = Active { setup: Setup { funding, bid, site }, measure };
        stable_then_shift(app, &active, matches!(data, Data::Improving)).await;
    }
    project
}

async fn table(app: &TestApp, funding: &Funding) -> Vec<Value> {
    let body = app.graphql(TABLE, json!({ "id": funding.programme }), Some(&funding.funder_token)).await;
    body["data"]["node"]["evaluation"]["improvementByCapacity"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

fn row<'a>(table: &'a [Value], dimension: &str) -> &'a Value {
    table.iter().find(|r| r["dimension"] == json!(dimension)).unwrap_or_else(|| panic!("{dimension}"))
}

fn group(projects: i64, measuring: i64, improving: i64) -> Value {
    json!({ "projects": projects, "measuring": measuring, "improving": improving,
            "improvementRate": improving as f64 / projects as f64 })
}

fn small(projects: i64) -> Value {
    json!({ "projects": projects, "measuring": null, "improving": null, "improvementRate": null })
}

db_test! {
    async fn funded_projects_are_grouped_by_the_capacity_the_gate_counted(app) {
        let minimums: Vec<Value> = ["PROJECT_MANAGEMENT", "LEADERSHIP", "MONITORING_AND_EVALUATION", "DATA_INFRASTRUCTURE", "STAFF_TIME"]
            .iter()
            .map(|d| json!({ "dimension": d, "minimumScore": 2 }))
            .collect();
        let funding = open_programme_with(&app, json!({ "minimumScores": minimums, "leadMayAssess": true })).await;
        let mut above = Vec::new();
        for data in [Data::Improving, Data::Improving, Data::Improving, Data::Flat, Data::NoMeasure] {
            above.push(funded(&app, &funding, &[3], false, data).await);
        }
        // Placed by its weakest site: at the minimum, although one site scored above it.
        funded(&app, &funding, &[3, 2], false, Data::Flat).await;
        funded(&app, &funding, &[2], false, Data::Improving).await;
        // The lead's own assessment counted for funding; the funder may not read it.
        funded(&app, &funding, &[4], true, Data::Improving).await;
        // Not funded: not counted.
        draft_project(&app, &funding).await;

        let found = table(&app, &funding).await;
        assert_eq!(found.len(), 5, "{found:?}");
        let leadership = row(&found, "LEADERSHIP");
        assert_eq!(leadership["threshold"], json!(2));
        assert_eq!(leadership["above"], group(5, 4, 3), "{leadership}");
        assert_eq!(leadership["at"], small(2), "a group under five gives its size only: {leadership}");
        assert_eq!(leadership["below"], small(0));
        assert_eq!((leadership["undisclosed"].as_i64(), leadership["unassessed"].as_i64()), (Some(1), Some(0)));

        // The rule under test is today's: raise one minimum and the same projects fall below it.
        let raised = json!({ "id": funding.programme, "fundingCriteria": { "minimumScores": [{ "dimension": "STAFF_TIME", "minimumScore": 4 }] } });
        ok(&app, &funding.funder_token, UPDATE_PROGRAMME, json!({ "input": raised })).await;
        let found = table(&app, &funding).await;
        let staff_time = row(&found, "STAFF_TIME");
        assert_eq!(staff_time["threshold"], json!(4));
        assert_eq!(staff_time["below"], group(7, 6, 4), "{staff_time}");
        assert_eq!((staff_time["at"].clone(), staff_time["above"].clone()), (small(0), small(0)));
        assert_eq!(row(&found, "LEADERSHIP")["above"], group(5, 4, 3), "other dimensions unchanged");

        // Evidence lost for one project: it is counted as unassessed, and the group shrinks
        // below five. The migration's reconstruction finds exactly what the gate recorded.
        let recorded = funding_evidence::Entity::find().order_by_asc(funding_evidence::Column::SiteId).all(app.db.conn()).await.unwrap();
        assert_eq!(recorded.len(), 9, "one row per accepted site of each funded project");
        assert!(recorded.iter().all(|e| e.assessment_id.is_some()));
        funding_evidence::Entity::delete_many()
            .filter(funding_evidence::Column::ProjectId.eq(uuid_of(&above[0])))
            .exec(app.db.conn())
            .await
            .unwrap();
        let found = table(&app, &funding).await;
        let leadership = row(&found, "LEADERSHIP");
        assert_eq!(leadership["unassessed"], json!(1));
        assert_eq!(leadership["above"], small(4), "{leadership}");
        app.db.conn().execute_unprepared(migration::m20261205_000032_record_funding_evidence::BACKFILL).await.unwrap();
        let rebuilt = funding_evidence::Entity::find().order_by_asc(funding_evidence::Column::SiteId).all(app.db.conn()).await.unwrap();
        let pairs = |rows: &[funding_evidence::Model]| rows.iter().map(|e| (e.project_id, e.site_id, e.assessment_id)).collect::<Vec<_>>();
        assert_eq!(pairs(&rebuilt), pairs(&recorded));
        assert_eq!(row(&table(&app, &funding).await, "LEADERSHIP")["above"], group(5, 4, 3));
    }
}
