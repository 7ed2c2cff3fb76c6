//! Relay connections made from the services' plain pages, and what a connection field costs in
//! the complexity limit.

use std::borrow::Cow;

use async_graphql::connection::{CursorType, Edge, EmptyFields, PageInfo};
use async_graphql::{Context, Object, OutputType, TypeName};

use crate::graphql::errors::GqlResult;
use crate::paging::{Cursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest, Total};

/// Complexity of a connection field: its children count once per row it may return.
pub fn cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).and_then(|n| usize::try_from(n).ok()).unwrap_or(DEFAULT_PAGE_SIZE as usize);
    1 + size.clamp(1, MAX_PAGE_SIZE as usize) * child_complexity
}

/// The Relay arguments of a connection field, checked.
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest, crate::error::ServiceError> {
    PageRequest::parse(first, after.as_deref(), last, before.as_deref())
}

/// A page of a list, as Relay connections are: our own type rather than async-graphql's so that
/// every connection carries a description in the schema.
pub struct Paged<N: OutputType> {
    has_previous_page: bool,
    has_next_page: bool,
    edges: Vec<Edge<Cursor, N, EmptyFields>>,
    total: Total,
}

/// One page of a list: its items (`edges`), where the page sits (`pageInfo`, whose cursors go to
/// `after` or `before`) and how long the whole list is (`totalCount`). Pages hold 20 items unless
/// `first` or `last` (1 to 100) says otherwise.
#[Object(name_type)]
impl<N: OutputType> Paged<N> {
    /// Whether there are items before and after this page, and the cursors to reach them.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.encode_cursor()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.encode_cursor()),
        }
    }

    /// The items of this page, each with its cursor.
    async fn edges(&self) -> &[Edge<Cursor, N, EmptyFields>] {
        &self.edges
    }

    /// The items of this page without their cursors: the same as `edges { node }`.
    async fn nodes(&self) -> Vec<&N> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    /// How many items the connection holds in all, across pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let total = self.total.get().await.gql(ctx)?;
        Ok(i64::try_from(total).unwrap_or(i64::MAX))
    }
}

impl<N: OutputType> TypeName for Paged<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", N::type_name()).into()
    }
}

impl CursorType for Cursor {
    type Error = &'static str;

    fn decode_cursor(raw: &str) -> Result<Self, Self::Error> {
        Cursor::decode(raw).ok_or("not a cursor from this API")
    }

    fn encode_cursor(&self) -> String {
        self.encode()
    }
}

/// A page as a connection, each row made a node.
pub fn connection<T, N: OutputType>(page: Page<T>, node: impl Fn(T) -> N) -> Paged<N> {
    Paged {
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        edges: page.edges.into_iter().map(|e| Edge::new(e.cursor, node(e.node))).collect(),
        total: page.total,
    }
}

/// As `connection`, for a page a batch loader shares between fields.
pub fn shared_connection<T: Clone, N: OutputType>(page: &Page<T>, node: impl Fn(T) -> N) -> Paged<N> {
    Paged {
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        edges: page.edges.iter().map(|e| Edge::new(e.cursor.clone(), node(e.node.clone()))).collect(),
        total: page.total.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_grows_with_page_size() {
        assert!(cost(Some(100), None, 3) > cost(Some(10), None, 3));
        assert_eq!(cost(None, None, 1), 1 + DEFAULT_PAGE_SIZE as usize);
    }
}
