//! Tracks how far a request got (parsed, validated, executing). The HTTP layer needs this: the
//! GraphQL-over-HTTP spec gives a different status and body shape to a request that never
//! reached execution, and async-graphql's `Response` does not say.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument};
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Received,
    ParseFailed,
    ValidationFailed,
    Executing,
}

/// Put into each request's data; the extension below records the stage in it, and the
/// operation's name as the document gives it (clients often send none separately).
#[derive(Clone, Default)]
pub struct StageMarker(Arc<AtomicU8>, Arc<Mutex<Option<String>>>);

impl StageMarker {
    fn set(&self, stage: Stage) {
        let value = match stage {
            Stage::Received => 0,
            Stage::ParseFailed => 1,
            Stage::ValidationFailed => 2,
            Stage::Executing => 3,
        };
        self.0.store(value, Ordering::SeqCst);
    }

    pub fn operation_name(&self) -> Option<String> {
        self.1.lock().ok().and_then(|name| name.clone())
    }

    fn set_operation_name(&self, document: &ExecutableDocument) {
        // A document with one named operation; several need `operationName` to choose anyway.
        if let DocumentOperations::Multiple(operations) = &document.operations
            && operations.len() == 1
            && let (Some(name), Ok(mut slot)) = (operations.keys().next(), self.1.lock())
        {
            *slot = Some(name.to_string());
        }
    }

    pub fn get(&self) -> Stage {
        match self.0.load(Ordering::SeqCst) {
            1 => Stage::ParseFailed,
            2 => Stage::ValidationFailed,
            3 => Stage::Executing,
            _ => Stage::Received,
        }
    }
}

pub struct StageTracking;

impl ExtensionFactory for StageTracking {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StageTrackingExtension)
    }
}

struct StageTrackingExtension;

fn mark(ctx: &ExtensionContext<'_>, stage: Stage) {
    if let Some(marker) = ctx.data_opt::<StageMarker>() {
        marker.set(stage);
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for StageTrackingExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let result = next.run(ctx, query, variables).await;
        match (&result, ctx.data_opt::<StageMarker>()) {
            (Err(_), _) => mark(ctx, Stage::ParseFailed),
            (Ok(document), Some(marker)) => marker.set_operation_name(document),
            (Ok(_), None) => {}
        }
        result
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await;
        if result.is_err() {
            mark(ctx, Stage::ValidationFailed);
        }
        result
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        mark(ctx, Stage::Executing);
        next.run(ctx, operation_name).await
    }
}
