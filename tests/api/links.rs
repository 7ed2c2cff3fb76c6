//! Object links beside raw IDs: each names the same object its ID does, and references that can
//! never be missing are non-null in the schema.

use serde_json::{Value, json};

use crate::db_test;
use crate::project_fixtures::*;
use crate::results_fixtures::*;

const LINKS: &str = "query($p: ID!) { node(id: $p) { ... on Project {
  id lead { id }
  sites { id projectId project { id } institution { id } }
  commitments { projectId project { id } programmeId programme { id } institution { id } }
  assessments { projectId project { id } assessedInstitution { id } assessorInstitution { id } }
  monitoringBurden { measures { measureId measure { id } } }
  dataFlow { measures { measureId measure { id } sites { siteId site { id } } } }
  measures { id projectId project { id }
    observations(first: 5) { edges { node { siteId site { id project { id } } } } } }
} } }";

db_test! {
    async fn every_object_link_names_the_object_its_id_does(app) {
        let a = active_project(&app).await;
        let lead = a.setup.bid.lead_token.clone();
        let commitment = json!({ "input": { "projectId": a.setup.bid.project, "kind": "LEADERSHIP", "description": "A sponsor" } });
        ok(&app, &lead, RECORD_COMMITMENT, commitment).await;
        record_weeks(&app, &lead, &a, 1..3, |_| 5.0).await;

        let body = app.graphql(LINKS, json!({ "p": a.setup.bid.project }), Some(&lead)).await;
        assert!(body.get("errors").is_none(), "{body}");
        let project = &body["data"]["node"];
        let project_id = project["id"].clone();
        assert_eq!(project["lead"]["id"], json!(institution_id(a.setup.bid.college)));
        let site = &project["sites"][0];
        assert_eq!((site["projectId"].clone(), site["project"]["id"].clone()), (project_id.clone(), project_id.clone()));
        let commitment = &project["commitments"][0];
        assert_eq!(commitment["project"]["id"], commitment["projectId"]);
        assert_eq!((commitment["programmeId"].clone(), commitment["programme"].clone()), (Value::Null, Value::Null));
        let assessment = &project["assessments"][0];
        assert_eq!(assessment["project"]["id"], assessment["projectId"], "{assessment}");
        assert!(assessment["assessedInstitution"]["id"].is_string() && assessment["assessorInstitution"]["id"].is_string());
        let measure = &project["measures"][0];
        assert_eq!(measure["project"]["id"], project_id);
        assert_eq!(measure["projectId"], project_id);
        let observations = measure["observations"]["edges"].as_array().unwrap();
        assert_eq!(observations.len(), 2, "{measure}");
        for observation in observations {
            assert_eq!(observation["node"]["site"]["id"], observation["node"]["siteId"]);
            assert_eq!(observation["node"]["siteId"], json!(a.setup.site.id));
            assert_eq!(observation["node"]["site"]["project"]["id"], project_id);
        }

        let burden = &project["monitoringBurden"]["measures"][0];
        assert_eq!(burden["measure"]["id"], burden["measureId"], "{project}");
        let flow = &project["dataFlow"]["measures"][0];
        assert_eq!(flow["measure"]["id"], flow["measureId"], "{project}");
        assert_eq!(flow["sites"][0]["site"]["id"], flow["sites"][0]["siteId"], "{project}");
        assert!(flow["sites"][0]["siteId"].is_string(), "{project}");

        // A link to what the reader may not see is null, as the object itself would be.
        let (_, outsider) = party(&app, entity::institution::InstitutionKind::RoyalCollege).await;
        let body = app.graphql("query($m: ID!) { node(id: $m) { ... on Measure { project { id } } } }", json!({ "m": a.measure }), Some(&outsider)).await;
        assert_eq!(body["data"]["node"], Value::Null, "{body}");
    }
}

#[test]
fn references_that_cannot_be_missing_are_non_null() {
    let sdl = springboard::graphql::schema::sdl();
    // Each field's declaration within its own type, so another type's field cannot stand in.
    let declared = |ty: &str, field: &str| -> String {
        let start = sdl.find(&format!("\ntype {ty} ")).unwrap_or_else(|| panic!("type {ty}"));
        let body = &sdl[start..start + sdl[start..].find("\n}").unwrap()];
        body.lines()
            .map(str::trim)
            .find(|l| l.starts_with(&format!("{field}:")))
            .unwrap_or_default()
            .to_owned()
    };
    for (ty, field) in [
        ("Project", "lead"),
        ("Programme", "funder"),
        ("CapacityAssessment", "assessedInstitution"),
        ("CapacityAssessment", "assessorInstitution"),
        ("ProjectSite", "institution"),
        ("TeamMember", "institution"),
        ("Commitment", "institution"),
    ] {
        assert_eq!(declared(ty, field), format!("{field}: InstitutionProfile!"), "{ty}.{field}");
    }
}
