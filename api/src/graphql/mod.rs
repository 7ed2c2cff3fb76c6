//! GraphQL plumbing shared by every domain module: request context, error mapping, Relay IDs
//! and connections, and the schema itself.

pub mod context;
pub mod cost;
pub mod date;
pub mod errors;
pub mod execution;
pub mod instant;
pub mod loaders;
pub mod loading;
pub mod node;
pub mod ordering;
pub mod pagination;
pub mod relay;
pub mod schema;
pub mod ticks;

pub use context::{RequestContext, actor, request};
pub use date::Date;
pub use errors::{GqlResult, UserError, outcome};
pub use instant::Instant;
pub use loaders::{compute, load_children, load_one, load_page, loaders};
pub use pagination::{Paged, connection, cost, page_request, shared_connection};
pub use relay::{GlobalId, NodeKind};

/// A count as a GraphQL `Int`, saturating rather than wrapping past 2³¹ − 1.
pub fn int(count: usize) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}
/// Declares a GraphQL enum mirroring an entity enum, with conversions both ways, so the API's
/// shape and the table's stay separate without hand-written matches.
#[macro_export]
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident <=> $entity:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl From<$entity> for $name {
            fn from(value: $entity) -> Self {
                match value { $($entity::$variant => Self::$variant),+ }
            }
        }

        impl From<$name> for $entity {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => $entity::$variant),+ }
            }
        }
    };
}
