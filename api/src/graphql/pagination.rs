//! Relay connections made from the services' plain pages, and what a connection field costs in
//! the complexity limit.

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{Context, Object, OutputType};

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

/// `totalCount`, counted only when asked for.
pub struct ConnectionInfo {
    total: Total,
}

#[Object]
impl ConnectionInfo {
    /// How many items the connection holds in all, across pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let total = self.total.get().await.gql(ctx)?;
        Ok(i64::try_from(total).unwrap_or(i64::MAX))
    }
}

pub type Paged<N> = Connection<Cursor, N, ConnectionInfo, EmptyFields>;

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
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        ConnectionInfo { total: page.total },
    );
    connection.edges = page.edges.into_iter().map(|e| Edge::new(e.cursor, node(e.node))).collect();
    connection
}

/// As `connection`, for a page a batch loader shares between fields.
pub fn shared_connection<T: Clone, N: OutputType>(page: &Page<T>, node: impl Fn(T) -> N) -> Paged<N> {
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        ConnectionInfo { total: page.total.clone() },
    );
    connection.edges = page.edges.iter().map(|e| Edge::new(e.cursor.clone(), node(e.node.clone()))).collect();
    connection
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
