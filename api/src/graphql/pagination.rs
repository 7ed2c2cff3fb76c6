//! Relay cursor connections over any table with a UUID v7 key. Keys are time-ordered, so
//! paging by key is paging by creation time, stable under inserts.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, Statement,
};
use uuid::Uuid;

use crate::db::Db;
use crate::error::{FieldError, ServiceError, UserErrorCode};
use crate::graphql::context::request;
use crate::graphql::errors::GqlResult;

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// Complexity of a connection field: its children count once per row it may return.
pub fn cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    1 + usize::try_from(size).unwrap_or(1) * child_complexity
}

/// The Relay arguments, as every connection field takes them.
#[derive(Clone, Debug, Default, InputObject)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn new(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Self {
        Self { first, after, last, before }
    }
}

struct Page {
    limit: u64,
    backwards: bool,
    after: Option<Cursor>,
    before: Option<Cursor>,
}

fn parse(args: &PageArgs) -> Result<Page, ServiceError> {
    let size = |value: i32, field: &str| {
        if (1..=MAX_PAGE_SIZE).contains(&value) {
            Ok(u64::try_from(value).unwrap_or(1))
        } else {
            Err(ServiceError::Invalid(vec![FieldError {
                field: vec![field.to_owned()],
                code: UserErrorCode::Invalid,
                message: format!("must be between 1 and {MAX_PAGE_SIZE}"),
            }]))
        }
    };
    let cursor = |raw: &Option<String>, field: &str| -> Result<Option<Cursor>, ServiceError> {
        raw.as_deref()
            .map(|c| {
                decode_cursor(c).ok_or_else(|| {
                    ServiceError::Invalid(vec![FieldError {
                        field: vec![field.to_owned()],
                        code: UserErrorCode::Invalid,
                        message: "not a cursor from this API".to_owned(),
                    }])
                })
            })
            .transpose()
    };
    let (limit, backwards) = match (args.first, args.last) {
        (Some(_), Some(_)) => {
            return Err(ServiceError::Invalid(vec![FieldError {
                field: vec!["last".to_owned()],
                code: UserErrorCode::Invalid,
                message: "pass either first or last, not both".to_owned(),
            }]));
        }
        (Some(first), None) => (size(first, "first")?, false),
        (None, Some(last)) => (size(last, "last")?, true),
        (None, None) => (size(DEFAULT_PAGE_SIZE, "first")?, false),
    };
    Ok(Page {
        limit,
        backwards,
        after: cursor(&args.after, "after")?,
        before: cursor(&args.before, "before")?,
    })
}

/// A position in a sorted list: the sort value (absent when sorting by creation) and the key.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Cursor {
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    sort_value: Option<String>,
    id: Uuid,
}

fn encode_cursor(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode_cursor(raw: &str) -> Option<Cursor> {
    if raw.len() > 2048 {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).ok()?).ok()
}

/// `totalCount`, computed only when asked for.
pub struct ConnectionInfo {
    count: Statement,
}

#[Object]
impl ConnectionInfo {
    /// How many items the connection holds in all, across pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let db = &request(ctx)?.db;
        let row = db.conn().query_one_raw(self.count.clone()).await.map_err(ServiceError::from).gql(ctx)?;
        row.map(|r| r.try_get::<i64>("", "total"))
            .transpose()
            .map_err(ServiceError::from)
            .gql(ctx)
            .map(Option::unwrap_or_default)
    }
}

pub type Paged<N> = Connection<String, N, ConnectionInfo, EmptyFields>;

/// One page of `select` in creation order (the key is a UUID v7), each row made a node.
pub async fn paginate<E, N>(
    db: &Db,
    select: Select<E>,
    key: E::Column,
    args: &PageArgs,
    node: impl Fn(E::Model) -> N,
) -> Result<Paged<N>, ServiceError>
where
    E: EntityTrait,
    N: OutputType,
{
    paginate_sorted(db, select, key, None, true, args, node).await
}

/// One page of `select` ordered by the text column `sort` (then by `key`, so the order is total),
/// or by `key` alone; `ascending` gives the direction.
pub async fn paginate_sorted<E, N>(
    db: &Db,
    select: Select<E>,
    key: E::Column,
    sort: Option<E::Column>,
    ascending: bool,
    args: &PageArgs,
    node: impl Fn(E::Model) -> N,
) -> Result<Paged<N>, ServiceError>
where
    E: EntityTrait,
    N: OutputType,
{
    let page = parse(args)?;
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("total"))
        .from_subquery(select.clone().into_query(), Alias::new("base"))
        .to_owned();
    let count = db.backend().build(&count);

    let mut query = select;
    if let Some(after) = &page.after {
        query = query.filter(beyond(key, sort, after, ascending));
    }
    if let Some(before) = &page.before {
        query = query.filter(beyond(key, sort, before, !ascending));
    }
    // Backwards pages are read in reverse and turned round below.
    let read_ascending = ascending != page.backwards;
    let order = if read_ascending { Order::Asc } else { Order::Desc };
    if let Some(sort) = sort {
        query = query.order_by(sort, order.clone());
    }
    let mut rows: Vec<(Cursor, E::Model)> = query
        .order_by(key, order)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?
        .into_iter()
        .map(|model| (cursor_of::<E>(&model, key, sort), model))
        .collect();
    let has_more = rows.len() as u64 > page.limit;
    rows.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
    if page.backwards {
        rows.reverse();
    }
    let (has_previous_page, has_next_page) =
        if page.backwards { (has_more, page.before.is_some()) } else { (page.after.is_some(), has_more) };
    let mut connection =
        Connection::with_additional_fields(has_previous_page, has_next_page, ConnectionInfo { count });
    connection.edges =
        rows.into_iter().map(|(cursor, model)| Edge::new(encode_cursor(&cursor), node(model))).collect();
    Ok(connection)
}

/// Rows strictly after `cursor` in the order (`sort`, `key`), ascending or not.
fn beyond<C: ColumnTrait>(key: C, sort: Option<C>, cursor: &Cursor, ascending: bool) -> Condition {
    let past_key = if ascending { key.gt(cursor.id) } else { key.lt(cursor.id) };
    match (sort, &cursor.sort_value) {
        (Some(sort), Some(value)) => {
            let past_value = if ascending { sort.gt(value.as_str()) } else { sort.lt(value.as_str()) };
            Condition::any().add(past_value).add(Condition::all().add(sort.eq(value.as_str())).add(past_key))
        }
        _ => Condition::all().add(past_key),
    }
}

fn cursor_of<E: EntityTrait>(model: &E::Model, key: E::Column, sort: Option<E::Column>) -> Cursor {
    use sea_orm::ModelTrait;
    let id = match model.get(key) {
        sea_orm::Value::Uuid(Some(id)) => id,
        _ => Uuid::nil(),
    };
    let sort_value = sort.and_then(|column| match model.get(column) {
        sea_orm::Value::String(Some(text)) => Some(text),
        _ => None,
    });
    Cursor { sort_value, id }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_outside_one_to_a_hundred_are_refused() {
        for (first, last) in [(Some(0), None), (Some(101), None), (None, Some(-1)), (Some(5), Some(5))] {
            assert!(parse(&PageArgs::new(first, None, last, None)).is_err());
        }
        assert!(parse(&PageArgs::new(Some(100), None, None, None)).is_ok());
        assert!(parse(&PageArgs::new(None, Some("garbage".into()), None, None)).is_err());
    }

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor { sort_value: Some("Sepsis".into()), id: Uuid::now_v7() };
        assert_eq!(decode_cursor(&encode_cursor(&cursor)), Some(cursor));
        let plain = Cursor { sort_value: None, id: Uuid::now_v7() };
        assert_eq!(decode_cursor(&encode_cursor(&plain)), Some(plain));
    }

    #[test]
    fn cost_grows_with_page_size() {
        assert!(cost(Some(100), None, 3) > cost(Some(10), None, 3));
        assert_eq!(cost(None, None, 1), 1 + DEFAULT_PAGE_SIZE as usize);
    }
}
