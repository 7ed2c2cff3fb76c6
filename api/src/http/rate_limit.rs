//! Rate limits at the HTTP edge. A request is charged the cost its operations were weighed at
//! (`overload::cost_of`, the complexity limit's numbers) before any of them runs, and answered
//! 429 with `Retry-After` when its caller's budget cannot pay (nothing is charged then). An
//! operation that did no work (it failed to parse or validate, an Idempotency-Key answer or
//! refusal stood in for it, or the database turned it away with a 503) is charged 1 and the
//! rest is given back, so a malformed query or a retry after an outage does not cost what it
//! asked for. A request dearer than the whole budget is charged the whole budget:
//! it runs on a full bucket, as admission control runs one dearer than its capacity alone.
//!
//! Every response to an authenticated request carries the budget in the header fields of
//! draft-ietf-httpapi-ratelimit-headers-10 (September 2025), the RateLimit-Policy / RateLimit
//! structured-field lists. Revisions 11 and 12 have been published since; their text was not
//! at hand when this was written, so check them before relying on a detail below:
//!
//!   RateLimit-Policy: "cost";q=100000;qu="graphql-cost";w=50
//!   RateLimit: "cost";r=94900;t=3
//!
//! `q` is the bucket's size and `w` the seconds an empty one takes to refill. `r` is what is
//! left; `t` is the seconds until the bucket is full again, except on a 429, where it is the
//! seconds until the refused request would fit, equal to `Retry-After` (the draft asks that
//! `Retry-After` not point earlier than `t`). The draft registers only `requests`,
//! `content-bytes` and `concurrent-requests` as units; ours is neither, so it is named
//! (`graphql-cost`) rather than left to default to `requests`. No partition key is sent: it
//! would identify the caller. The GraphQL response says the same per operation in
//! `extensions.cost`: `requested` (its weight), `actual` (what it was charged), `remaining`.
//! Anonymous requests have no budget (see `ratelimit`): no header, and `remaining: null`.

use actix_web::HttpResponse;
use actix_web::http::header::{HeaderName, HeaderValue};
use async_graphql::{Name, Value};
use serde_json::json;

use super::AppState;
use super::negotiate::ResponseMedia;
use crate::actor::Actor;
use crate::graphql::errors::codes;
use crate::ratelimit::{Bucket, Decision, Policy};

pub const RATELIMIT: &str = "ratelimit";
pub const RATELIMIT_POLICY: &str = "ratelimit-policy";
/// The one policy's name in both fields.
const POLICY_NAME: &str = "cost";

/// What a request was charged, and its caller's budget afterwards.
pub struct Meter {
    bucket: Option<Bucket>,
    policy: Option<Policy>,
    /// Each operation's weight, as counted before it ran.
    requested: Vec<u64>,
    /// What each operation is charged: its weight, or 1 once it is known not to have run.
    actual: Vec<u64>,
    /// What the budget was charged for the whole request.
    charged: u64,
    decision: Option<Decision>,
}

impl Meter {
    /// Charges the operations' weights to the caller's budget, or answers 429.
    pub async fn charge(
        state: &AppState,
        actor: Option<&Actor>,
        requested: Vec<u64>,
        media: ResponseMedia,
    ) -> Result<Self, HttpResponse> {
        let policy = state.rate_limits.policy().copied();
        let bucket = actor.map(Bucket::of).filter(|_| policy.is_some());
        let total = requested.iter().fold(0u64, |sum, cost| sum.saturating_add(*cost));
        let charged = policy.map_or(total, |p| total.min(p.burst));
        let mut meter =
            Self { bucket, policy, actual: requested.clone(), requested, charged, decision: None };
        let Some(bucket) = meter.bucket else { return Ok(meter) };
        meter.decision = state.rate_limits.charge(bucket, charged).await;
        match meter.decision {
            Some(decision) if !decision.allowed => Err(meter.refuse(state, media, decision)),
            _ => Ok(meter),
        }
    }

    /// Settles once the operations are done: `executed[i]` says whether operation `i` ran.
    /// What the ones that did not run were charged beyond 1 is given back.
    pub async fn settle(&mut self, state: &AppState, executed: &[bool]) {
        for (actual, ran) in self.actual.iter_mut().zip(executed) {
            if !ran {
                *actual = (*actual).min(1);
            }
        }
        let owed = self.actual.iter().fold(0u64, |sum, cost| sum.saturating_add(*cost));
        let refund = self.charged.saturating_sub(owed);
        if let (Some(bucket), true) = (self.bucket, refund > 0) {
            self.charged -= refund;
            if let Some(decision) = state.rate_limits.refund(bucket, refund).await {
                self.decision = Some(decision);
            }
        }
    }

    /// Settles a request none of whose operations ran.
    pub async fn settle_unexecuted(&mut self, state: &AppState) {
        let none = vec![false; self.requested.len()];
        self.settle(state, &none).await;
    }

    /// `extensions.cost` of operation `index`.
    pub fn cost(&self, index: usize) -> Value {
        let requested = self.requested.get(index).copied().unwrap_or(0);
        let actual = self.actual.get(index).copied().unwrap_or(0);
        cost_value(requested, actual, self.decision.map(|d| d.remaining))
    }

    /// The RateLimit fields for this request's caller, if it has a budget.
    pub fn fields(&self) -> Vec<(HeaderName, HeaderValue)> {
        match (self.policy, self.decision) {
            (Some(policy), Some(decision)) => fields(&policy, &decision, decision.full_in_secs),
            _ => Vec::new(),
        }
    }

    /// `response` with the RateLimit fields added.
    pub fn decorate(&self, mut response: HttpResponse) -> HttpResponse {
        for (name, value) in self.fields() {
            response.headers_mut().insert(name, value);
        }
        response
    }

    fn refuse(&self, state: &AppState, media: ResponseMedia, decision: Decision) -> HttpResponse {
        state.metrics.rate_limited.inc();
        let retry = decision.retry_after_secs.unwrap_or(1);
        tracing::info!(
            rate_limit.cost = self.charged,
            rate_limit.remaining = decision.remaining,
            "rate limited"
        );
        let mut response = HttpResponse::TooManyRequests();
        response.insert_header(("Retry-After", retry.to_string()));
        if let Some(policy) = &self.policy {
            for field in fields(policy, &decision, retry) {
                response.insert_header(field);
            }
        }
        let message = format!(
            "this request costs {} and its budget has {} left; nothing was done, retry after the \
             time in Retry-After",
            self.charged, decision.remaining
        );
        let costs: Vec<serde_json::Value> = self
            .requested
            .iter()
            .map(|requested| json!({ "requested": requested, "actual": 0, "remaining": decision.remaining }))
            .collect();
        let cost = if costs.len() == 1 { costs[0].clone() } else { json!(costs) };
        response.content_type(media.content_type()).json(json!({
            "errors": [{ "message": message, "extensions": { "code": codes::RATE_LIMITED, "retryAfter": retry } }],
            "extensions": { "cost": cost },
        }))
    }
}

fn cost_value(requested: u64, actual: u64, remaining: Option<u64>) -> Value {
    let mut cost = async_graphql::indexmap::IndexMap::new();
    cost.insert(Name::new("requested"), Value::from(requested));
    cost.insert(Name::new("actual"), Value::from(actual));
    cost.insert(Name::new("remaining"), Value::from(remaining));
    Value::Object(cost)
}

/// `RateLimit-Policy` and `RateLimit`, with `t` as given.
fn fields(policy: &Policy, decision: &Decision, reset_secs: u64) -> Vec<(HeaderName, HeaderValue)> {
    let policy_value =
        format!("\"{POLICY_NAME}\";q={};qu=\"graphql-cost\";w={}", policy.burst, policy.window_secs());
    let limit_value = format!("\"{POLICY_NAME}\";r={};t={reset_secs}", decision.remaining);
    [(RATELIMIT_POLICY, policy_value), (RATELIMIT, limit_value)]
        .into_iter()
        .filter_map(|(name, value)| Some((HeaderName::from_static(name), HeaderValue::try_from(value).ok()?)))
        .collect()
}
