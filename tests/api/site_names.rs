//! One way to name a site everywhere: the host's slug or the site's ID, in every place a site is
//! named; a site that does not take part in the measure's project is NOT_FOUND on the field, not
//! an empty analysis.

use serde_json::json;

use crate::db_test;
use crate::helpers::*;
use crate::results_fixtures::*;

const BY_SITE: &str = "query($m: ID!, $s: ID!) { node(id: $m) { ... on Measure {
  analysis(siteId: $s) { siteId verdict { verdict } spc { points { value } } }
  observations(siteId: $s, first: 50) { totalCount }
  observationsCsv(siteId: $s)
} } }";

db_test! {
    async fn a_site_is_named_by_slug_or_id_and_a_stranger_is_not_found(app) {
        let a = active_project(&app).await;
        stable_then_shift(&app, &a, false).await;
        let lead = &a.setup.bid.lead_token;
        let slug_query = "query($i: ID!) { institution(id: $i) { slug } }";
        let slug = app.graphql(slug_query, json!({ "i": crate::project_fixtures::institution_id(a.setup.site.host) }), Some(&a.setup.site.token)).await;
        let slug = slug["data"]["institution"]["slug"].as_str().unwrap_or_else(|| panic!("{slug}")).to_owned();

        let by_id = app.graphql(BY_SITE, json!({ "m": a.measure, "s": a.setup.site.id }), Some(lead)).await;
        let by_slug = app.graphql(BY_SITE, json!({ "m": a.measure, "s": slug }), Some(lead)).await;
        assert!(by_id.get("errors").is_none(), "{by_id}");
        assert_eq!(by_id, by_slug, "the same site either way");
        assert_eq!(by_id["data"]["node"]["observations"]["totalCount"], json!(20));
        assert_eq!(by_id["data"]["node"]["analysis"]["siteId"], json!(a.setup.site.id));

        // A site of another project, and a name that is no site at all.
        let other = active_project(&app).await;
        for stranger in [other.setup.site.id.clone(), "no-such-hospital".to_owned()] {
            let body = app.graphql(BY_SITE, json!({ "m": a.measure, "s": stranger }), Some(lead)).await;
            assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
            assert!(body["data"]["node"].is_null() || body["data"].is_null(), "{body}");
        }
        // The chart URL takes the slug too.
        let response = app.client.get(app.url(&format!("/charts/measures/{}.svg?site={slug}", a.measure))).bearer_auth(lead).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
}
