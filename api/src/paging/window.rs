//! Pages of the children of many parents in one statement, so fifty measures' "last 24
//! observations" cost one query, not fifty: a lateral join on PostgreSQL, a window function on
//! SQLite (which has no lateral joins).

use std::collections::HashMap;

use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, JoinType, Query, SelectStatement, Value, ValueTuple, WindowStatement,
};
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, IdenStatic, Order as SortOrder, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use super::{Cursor, Order, Page, PageRequest, Total, among, assemble, read_order, uuid_of, within};
use crate::db::Db;
use crate::error::ServiceError;

const RANK: &str = "page_rank";

/// For each of `parents`, one page of its rows in `select` (rows whose `parent` column names
/// it), each with the total `total(parent)` gives it. Every parent gets a page, empty or not.
pub async fn paginate_children<E: EntityTrait>(
    db: &Db,
    select: Select<E>,
    parent: E::Column,
    parents: &[Uuid],
    order: &Order<E>,
    request: &PageRequest,
    total: impl Fn(Uuid) -> Total,
) -> Result<HashMap<Uuid, Page<E::Model>>, ServiceError> {
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let tag = order.tag();
    let statement = match db.backend() {
        DbBackend::Postgres => lateral(select, parent, parents, order, request)?,
        _ => windowed(select, parent, parents, order, request)?,
    };
    let rows = E::find().from_raw_sql(db.backend().build(&statement)).all(db.conn()).await?;
    let mut grouped: HashMap<Uuid, Vec<(Cursor, E::Model)>> = HashMap::with_capacity(parents.len());
    for model in rows {
        if let Some(parent_id) = uuid_of(&model, parent) {
            let cursor = Cursor::of(&model, &order.columns, &tag)?;
            grouped.entry(parent_id).or_default().push((cursor, model));
        }
    }
    Ok(parents
        .iter()
        .map(|id| (*id, assemble(grouped.remove(id).unwrap_or_default(), request, total(*id))))
        .collect())
}

/// PostgreSQL reads each parent's page straight off an index: `FROM (VALUES (p1), (p2), …)
/// JOIN LATERAL (… WHERE parent = p ORDER BY … LIMIT n + 1)`, so a parent with years of rows
/// costs what one with a page of them does.
fn lateral<E: EntityTrait>(
    select: Select<E>,
    parent: E::Column,
    parents: &[Uuid],
    order: &Order<E>,
    request: &PageRequest,
) -> Result<SelectStatement, ServiceError> {
    let outer = Alias::new("parents");
    let mut page = within(select, order, request)?
        .filter(Expr::col((E::default(), parent)).equals((outer.clone(), Alias::new("column1"))));
    for column in &order.columns {
        page = page.order_by(*column, read_order(order, request));
    }
    let page = page.limit(request.limit + 1).into_query();
    let values = parents.iter().map(|id| ValueTuple::One(Value::Uuid(Some(*id))));
    Ok(Query::select()
        .column((Alias::new("page"), Asterisk))
        .from_values(values, outer)
        .join_lateral(JoinType::InnerJoin, page, Alias::new("page"), Expr::val(true))
        .to_owned())
}

/// Elsewhere (SQLite), the rows are numbered within each parent and cut at the page size:
/// `ROW_NUMBER() OVER (PARTITION BY parent ORDER BY …) <= n + 1`.
fn windowed<E: EntityTrait>(
    select: Select<E>,
    parent: E::Column,
    parents: &[Uuid],
    order: &Order<E>,
    request: &PageRequest,
) -> Result<SelectStatement, ServiceError> {
    let mut ranked = within(among(select, parent, parents), order, request)?.into_query();
    let mut window = WindowStatement::partition_by(parent);
    for column in &order.columns {
        window.order_by(*column, read_order(order, request));
    }
    ranked.expr_window_as(Expr::cust("ROW_NUMBER()"), window, Alias::new(RANK));
    let limit = i64::try_from(request.limit + 1).unwrap_or(i64::MAX);
    // In the window's own order, so the database need not sort again: rows come grouped by
    // parent, each parent's in the order they are read.
    let mut statement = Query::select();
    statement
        .column(Asterisk)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new(RANK)).lte(limit))
        .order_by(Alias::new(parent.as_str()), SortOrder::Asc);
    for column in &order.columns {
        statement.order_by(Alias::new(column.as_str()), read_order(order, request));
    }
    Ok(statement)
}

/// How many rows of `select` each of `parents` has, in one statement.
pub async fn count_children<E: EntityTrait>(
    db: &Db,
    select: Select<E>,
    parent: E::Column,
    parents: &[Uuid],
) -> Result<HashMap<Uuid, u64>, ServiceError> {
    let parent_name = parent.as_str().to_owned();
    let statement = Query::select()
        .column(Alias::new(&parent_name))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("total"))
        .from_subquery(among(select, parent, parents).into_query(), Alias::new("base"))
        .group_by_col(Alias::new(&parent_name))
        .to_owned();
    let mut counts: HashMap<Uuid, u64> = parents.iter().map(|id| (*id, 0)).collect();
    for row in db.conn().query_all_raw(db.backend().build(&statement)).await? {
        let id: Uuid = row.try_get("", &parent_name)?;
        let total: i64 = row.try_get("", "total")?;
        counts.insert(id, u64::try_from(total).unwrap_or_default());
    }
    Ok(counts)
}
