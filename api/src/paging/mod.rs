//! Pages of rows in a stable order, for every list the API offers. Plain Rust: services return
//! a `Page` and the GraphQL layer alone turns it into a Relay connection.
//!
//! A page is read by keyset ("rows after this cursor"), never by offset, so it stays stable
//! under inserts. A cursor carries the sort values of its row and the name of the order it
//! belongs to, and is checked like any other client input.

mod cursor;
mod window;

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order as SortOrder, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, Statement,
};

pub use cursor::Cursor;
pub use window::{count_children, paginate_children};

use crate::db::Db;
use crate::error::{FieldError, ServiceError, UserErrorCode};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// Which rows of a list a client asked for: `first`/`after` or `last`/`before`, checked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageRequest {
    limit: u64,
    backwards: bool,
    after: Option<Cursor>,
    before: Option<Cursor>,
}

fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(vec![FieldError {
        field: vec![field.to_owned()],
        code: UserErrorCode::Invalid,
        message: message.into(),
    }])
}

impl PageRequest {
    /// The Relay arguments as a client sent them. Sizes run from 1 to `MAX_PAGE_SIZE`; `first`
    /// and `last` exclude each other.
    pub fn parse(
        first: Option<i32>,
        after: Option<&str>,
        last: Option<i32>,
        before: Option<&str>,
    ) -> Result<Self, ServiceError> {
        let size = |value: i32, field: &str| match u64::try_from(value) {
            Ok(size) if (1..=MAX_PAGE_SIZE).contains(&size) => Ok(size),
            _ => Err(invalid(field, format!("must be between 1 and {MAX_PAGE_SIZE}"))),
        };
        let (limit, backwards) = match (first, last) {
            (Some(_), Some(_)) => return Err(invalid("last", "pass either first or last, not both")),
            (Some(first), None) => (size(first, "first")?, false),
            (None, Some(last)) => (size(last, "last")?, true),
            (None, None) => (DEFAULT_PAGE_SIZE, false),
        };
        let cursor = |raw: Option<&str>, field: &str| {
            raw.map(|raw| Cursor::decode(raw).ok_or_else(|| invalid(field, "not a cursor from this API")))
                .transpose()
        };
        Ok(Self { limit, backwards, after: cursor(after, "after")?, before: cursor(before, "before")? })
    }

    /// The first `limit` rows, for lists the server reads itself.
    pub fn first(limit: u64) -> Self {
        Self { limit: limit.clamp(1, MAX_PAGE_SIZE), backwards: false, after: None, before: None }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }
}

/// A total order over a list: rows compare by `columns` left to right; the last column is
/// unique, so no two rows tie.
pub struct Order<E: EntityTrait> {
    /// Binds cursors to this order: a cursor from another order is refused, not misread.
    pub name: &'static str,
    pub columns: Vec<E::Column>,
    pub ascending: bool,
}

impl<E: EntityTrait> Order<E> {
    pub fn new(name: &'static str, columns: Vec<E::Column>, ascending: bool) -> Self {
        Self { name, columns, ascending }
    }

    /// Creation order: keys are UUID v7, so ordering by key is ordering by creation time.
    pub fn created(key: E::Column) -> Self {
        Self::new("created", vec![key], true)
    }

    fn tag(&self) -> String {
        format!("{}{}", self.name, if self.ascending { '+' } else { '-' })
    }
}

/// How many rows a list holds, counted only when a client asks.
#[derive(Clone)]
pub struct Total(Arc<dyn Fn() -> BoxFuture<'static, Result<u64, ServiceError>> + Send + Sync>);

impl Total {
    pub fn new(
        count: impl Fn() -> BoxFuture<'static, Result<u64, ServiceError>> + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(count))
    }

    pub fn known(total: u64) -> Self {
        Self::new(move || Box::pin(async move { Ok(total) }))
    }

    fn of_query(db: Db, statement: Statement) -> Self {
        Self::new(move || {
            let (db, statement) = (db.clone(), statement.clone());
            Box::pin(async move {
                let row = db.conn().query_one_raw(statement).await?;
                let total = row.map(|r| r.try_get::<i64>("", "total")).transpose()?.unwrap_or_default();
                Ok(u64::try_from(total).unwrap_or_default())
            })
        })
    }

    pub async fn get(&self) -> Result<u64, ServiceError> {
        (self.0)().await
    }
}

pub struct Edge<T> {
    /// Encoded only if a client asks for it: a page of observations has thousands of edges.
    pub cursor: Cursor,
    pub node: T,
}

/// One page of a list.
pub struct Page<T> {
    pub edges: Vec<Edge<T>>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
    pub total: Total,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Page<U> {
        Page {
            edges: self.edges.into_iter().map(|e| Edge { cursor: e.cursor, node: f(e.node) }).collect(),
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            total: self.total,
        }
    }
}

/// Rows read in the direction of the request (one more than the page, to tell whether more
/// follow), turned into a page in the order of the list.
fn assemble<M>(mut rows: Vec<(Cursor, M)>, request: &PageRequest, total: Total) -> Page<M> {
    let has_more = rows.len() as u64 > request.limit;
    rows.truncate(usize::try_from(request.limit).unwrap_or(usize::MAX));
    if request.backwards {
        rows.reverse();
    }
    let (has_previous_page, has_next_page) = if request.backwards {
        (has_more, request.before.is_some())
    } else {
        (request.after.is_some(), has_more)
    };
    let edges = rows.into_iter().map(|(cursor, node)| Edge { cursor, node }).collect();
    Page { edges, has_previous_page, has_next_page, total }
}

/// Narrows `select` to the rows strictly between the request's cursors, in `order`.
fn within<E: EntityTrait>(
    select: Select<E>,
    order: &Order<E>,
    request: &PageRequest,
) -> Result<Select<E>, ServiceError> {
    let tag = order.tag();
    let mut select = select;
    if let Some(after) = &request.after {
        select = select.filter(after.beyond(&order.columns, order.ascending, &tag, "after")?);
    }
    if let Some(before) = &request.before {
        select = select.filter(before.beyond(&order.columns, !order.ascending, &tag, "before")?);
    }
    Ok(select)
}

/// The direction rows are read in: a backwards page reads from its end and is turned round.
fn read_order<E: EntityTrait>(order: &Order<E>, request: &PageRequest) -> SortOrder {
    if order.ascending != request.backwards { SortOrder::Asc } else { SortOrder::Desc }
}

/// One page of `select` in `order`.
pub async fn paginate<E: EntityTrait>(
    db: &Db,
    select: Select<E>,
    order: &Order<E>,
    request: &PageRequest,
) -> Result<Page<E::Model>, ServiceError> {
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("total"))
        .from_subquery(select.clone().into_query(), Alias::new("base"))
        .to_owned();
    let total = Total::of_query(db.clone(), db.backend().build(&count));
    let mut query = within(select, order, request)?;
    for column in &order.columns {
        query = query.order_by(*column, read_order(order, request));
    }
    let tag = order.tag();
    let rows = query
        .limit(request.limit + 1)
        .all(db.conn())
        .await?
        .into_iter()
        .map(|model| Ok((Cursor::of(&model, &order.columns, &tag)?, model)))
        .collect::<Result<_, ServiceError>>()?;
    Ok(assemble(rows, request, total))
}

/// The id of a row's column that holds a UUID (a key or a parent's key).
pub fn uuid_of<M: sea_orm::ModelTrait>(
    model: &M,
    column: <M::Entity as EntityTrait>::Column,
) -> Option<uuid::Uuid> {
    match model.get(column) {
        sea_orm::Value::Uuid(Some(id)) => Some(id),
        _ => None,
    }
}

/// Each id once, for a batch's `IN` list.
pub fn distinct(ids: impl IntoIterator<Item = uuid::Uuid>) -> Vec<uuid::Uuid> {
    let mut ids: Vec<uuid::Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Rows of `select` whose `column` is one of `ids`: the one filter every batch shares.
pub fn among<E: EntityTrait>(select: Select<E>, column: E::Column, ids: &[uuid::Uuid]) -> Select<E> {
    select.filter(column.is_in(ids.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_outside_one_to_a_hundred_are_refused() {
        for (first, last) in [(Some(0), None), (Some(101), None), (None, Some(-1)), (Some(5), Some(5))] {
            assert!(PageRequest::parse(first, None, last, None).is_err());
        }
        assert!(PageRequest::parse(Some(100), None, None, None).is_ok());
        assert!(PageRequest::parse(None, Some("garbage"), None, None).is_err());
    }
}
