//! How far a request got, and which operation it runs. The HTTP layer needs both: the
//! GraphQL-over-HTTP spec gives a different status and body shape to a request that never
//! reached execution, and async-graphql's `Response` does not say. Worked out here from the
//! document the HTTP layer parses itself (and hands to async-graphql, so it is parsed once),
//! rather than by an async-graphql extension: any extension sends every field of every response
//! through a slower resolution path.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
};
use async_graphql::{Positioned, Response, ServerError, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// No operation could be chosen (an unknown or missing operation name).
    Received,
    ParseFailed,
    ValidationFailed,
    Executing,
}

/// The operation a request runs, by name or as the document's only one, as async-graphql
/// chooses it (and with its messages).
pub fn select<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Result<(Option<String>, &'d Positioned<OperationDefinition>), ServerError> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), None) => Ok((None, operation)),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .get(name)
            .map(|operation| (Some(name.to_owned()), operation))
            .ok_or_else(|| ServerError::new(format!(r#"Unknown operation named "{name}""#), None)),
        (DocumentOperations::Single(_), Some(name)) => {
            Err(ServerError::new(format!(r#"Unknown operation named "{name}""#), None))
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            let (name, operation) =
                operations.iter().next().map(|(n, o)| (n.to_string(), o)).ok_or_else(required)?;
            Ok((Some(name), operation))
        }
        (DocumentOperations::Multiple(_), None) => Err(required()),
    }
}

fn required() -> ServerError {
    ServerError::new("Operation name required in request.", None)
}

pub fn is_mutation(operation: &Positioned<OperationDefinition>) -> bool {
    operation.node.ty == OperationType::Mutation
}

/// Whether a response of a parsed document with a chosen operation comes from execution: a
/// validation failure (limits, types, variables) has errors, none with a path, and no data.
/// Every error raised while executing has the path of its field.
pub fn stage_of(response: &Response) -> Stage {
    let refused = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if refused { Stage::ValidationFailed } else { Stage::Executing }
}
