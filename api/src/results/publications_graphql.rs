//! `resultPublished`: the push half of learning about new results (the pull half is
//! `sharedResults(filter: {publishedAfter})`). Served over WebSocket (`graphql-transport-ws`);
//! each publication is shown to a subscriber only if it may see the version, checked as itself
//! at that moment, with its credential checked again so that a revoked or expired one stops
//! the stream.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, SimpleObject, Subscription};
use entity::shared_result::{self as result, ResultStatus};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::graphql::ResultOutcome;
use super::publications::{Publications, Published};
use super::service;
use crate::db::Db;
use crate::graphql::errors::codes;
use crate::graphql::{GlobalId, Instant, NodeKind};
use crate::identity::AuthConfig;
use crate::identity::authenticate::{AuthError, authenticate};

/// Who holds a subscription connection: set when the connection is initialised.
#[derive(Clone)]
pub struct Subscriber {
    /// The `Authorization` value the connection was opened with, checked again per event.
    pub credential: String,
    pub db: Db,
    pub auth: Arc<AuthConfig>,
    pub publications: Arc<Publications>,
}

/// A version of a shared result was published (or published again after being withdrawn).
/// The fields are the version's own; read the rest with `node(id:)` over HTTP.
#[derive(SimpleObject)]
pub struct ResultPublication {
    /// The version published (`SharedResult.id`).
    pub id: ID,
    /// The result it is a version of (`SharedResult.resultId`).
    pub result_id: ID,
    /// The version's number.
    pub version: i32,
    /// Its title.
    pub title: String,
    /// Its summary.
    pub summary: String,
    /// What it reports.
    pub outcome: ResultOutcome,
    /// When it was published (UTC): a client that reconnects asks
    /// `sharedResults(filter: {publishedAfter})` from the last one it saw.
    pub published_at: Instant,
}

impl ResultPublication {
    fn of(model: result::Model, published_at: Instant) -> Self {
        Self {
            id: GlobalId::encode(NodeKind::SharedResult, model.id),
            result_id: GlobalId::encode(NodeKind::SharedResult, model.result_id),
            version: model.version,
            title: model.title,
            summary: model.summary,
            outcome: model.outcome.into(),
            published_at,
        }
    }
}

/// Why an event could not be told: the stream ends after an authentication failure.
enum Failure {
    Unauthenticated,
    Internal,
}

impl Subscriber {
    /// The publication as this subscriber may see it now, or `None`.
    async fn sees(&self, published: Published) -> Result<Option<ResultPublication>, Failure> {
        let actor = match authenticate(&self.db.system(), &self.auth, Some(&self.credential)).await {
            Ok(Some(actor)) => actor,
            Ok(None) | Err(AuthError::MalformedHeader | AuthError::InvalidToken) => {
                return Err(Failure::Unauthenticated);
            }
            Err(AuthError::Internal(err)) => {
                tracing::warn!(error.cause_chain = %crate::error::error_chain(&err), "subscription: authentication failed");
                return Err(Failure::Internal);
            }
        };
        let internal = |err: &dyn std::error::Error| {
            tracing::warn!(error = %err, "subscription: reading a publication failed");
            Failure::Internal
        };
        let db = self.db.acting_for(&actor).await.map_err(|e| internal(&e))?;
        let found = service::get(&db, &actor, published.version_id).await;
        db.finish().await.map_err(|e| internal(&e))?;
        let found = found.map_err(|e| internal(&e))?;
        Ok(found
            .filter(|version| version.status == ResultStatus::Published)
            .map(|version| ResultPublication::of(version, published.published_at.into())))
    }
}

fn error(code: &'static str, message: &str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

#[derive(Default)]
pub struct ResultSubscription;

/// What a client can be told as it happens, over WebSocket (`GET /graphql` with the
/// `graphql-transport-ws` subprotocol). Each event is checked against what the subscriber may see
/// at that moment, as a query would be.
#[Subscription(name = "Subscription")]
impl ResultSubscription {
    /// Tells of each shared-result version published from now on that you may see (by the
    /// same rules as `sharedResults`), within about a second of its publication, whichever
    /// replica it was published through. Over WebSocket only (`GET /graphql` with the
    /// `graphql-transport-ws` subprotocol), signed in by the `connection_init` payload's
    /// `Authorization` (`Bearer <token>`, an access token or an API token). Errors on the
    /// stream: UNAUTHENTICATED when the credential has expired or been revoked (the stream ends:
    /// reconnect with a fresh one), PUBLICATIONS_MISSED when the subscriber fell too far behind
    /// (catch up with `publishedAfter`), INTERNAL when one could not be checked. Publications
    /// made while disconnected are not replayed.
    async fn result_published(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ResultPublication>> + use<>> {
        let subscriber = ctx
            .data::<Subscriber>()
            .map_err(|_| {
                error(codes::UNAUTHENTICATED, "subscriptions are served over WebSocket to a signed-in client")
            })?
            .clone();
        let receiver = subscriber.publications.subscribe();
        // What was published before this moment is not news to this subscriber, whatever the
        // replica's look-back brings up.
        let subscribed_at = subscriber.db.now();
        Ok(futures_util::stream::unfold(Some((receiver, subscriber)), move |state| async move {
            let (mut receiver, subscriber) = state?;
            loop {
                let published = match receiver.recv().await {
                    Ok(published) if published.published_at < subscribed_at => continue,
                    Ok(published) => published,
                    Err(RecvError::Closed) => return None,
                    Err(RecvError::Lagged(missed)) => {
                        let message = format!(
                            "{missed} publications went by before they could be checked; catch up with \
                             sharedResults(filter: {{publishedAfter}})"
                        );
                        return Some((
                            Err(error("PUBLICATIONS_MISSED", &message)),
                            Some((receiver, subscriber)),
                        ));
                    }
                };
                match subscriber.sees(published).await {
                    Ok(Some(event)) => return Some((Ok(event), Some((receiver, subscriber)))),
                    Ok(None) => continue,
                    Err(Failure::Unauthenticated) => {
                        let message =
                            "the credential has expired or been revoked: reconnect with a fresh one";
                        return Some((Err(error(codes::UNAUTHENTICATED, message)), None));
                    }
                    Err(Failure::Internal) => {
                        let message = "a publication could not be checked; catch up with publishedAfter";
                        return Some((Err(error(codes::INTERNAL, message)), Some((receiver, subscriber))));
                    }
                }
            }
        }))
    }
}
