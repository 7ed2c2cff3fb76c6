//! How rows are reached, described once per domain and loaded in batches by the GraphQL layer.
//!
//! A `Scope` is the set of rows of one table an actor may read; the service that owns the table
//! defines it (its `visible_to`). `Children` and `PagedChildren` say how the rows hang under a
//! parent row, and `Batched` names a rule computed for many keys at once (readiness, roll-ups,
//! analyses). The GraphQL layer (`graphql::loading`) turns each into a per-request batch loader,
//! so every nested list costs one statement however many parents a page holds, and no row the
//! scope excludes can reach a client through any parent.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;

use chrono::NaiveDate;
use sea_orm::{EntityTrait, Select};
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::Db;
use crate::error::ServiceError;
use crate::paging::Order;

/// Rows of `Entity` an actor may read on `today`.
pub trait Scope: Send + Sync + 'static {
    type Entity: EntityTrait;

    /// A scope that shows part of rows the actor may not read in full (a project's title and
    /// lead behind a shared result): PostgreSQL's row level policies, which grant whole rows,
    /// cannot express it, so its statements run outside them and its own filter is the wall.
    const BEYOND_ROW_POLICIES: bool = false;

    fn select(actor: &Actor, today: NaiveDate) -> Select<Self::Entity>;
}

pub type EntityOf<S> = <S as Scope>::Entity;
pub type ColumnOf<S> = <EntityOf<S> as EntityTrait>::Column;
pub type ModelOf<S> = <EntityOf<S> as EntityTrait>::Model;

/// Rows of a scope that belong to a parent row through a UUID column, all of them, in order.
pub trait Children: Send + Sync + 'static {
    type Scope: Scope;

    /// The column naming the parent.
    fn parent() -> ColumnOf<Self::Scope>;

    fn order() -> Order<EntityOf<Self::Scope>>;
}

/// As `Children`, a page at a time, with arguments that narrow and order the list.
pub trait PagedChildren: Send + Sync + 'static {
    type Scope: Scope;
    /// The list's arguments besides the page: part of each batch key, so parents asking with
    /// the same arguments share one statement.
    type Filter: Clone + Eq + Hash + Send + Sync + 'static;

    fn parent() -> ColumnOf<Self::Scope>;

    fn order(filter: &Self::Filter) -> Order<EntityOf<Self::Scope>>;

    fn narrow(select: Select<EntityOf<Self::Scope>>, filter: &Self::Filter) -> Select<EntityOf<Self::Scope>>;
}

/// A rule computed for many keys in a bounded number of statements.
pub trait Batched: Send + Sync + 'static {
    type Key: Clone + Eq + Hash + Send + Sync + 'static;
    type Value: Clone + Send + Sync + 'static;

    fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Self::Key],
    ) -> impl Future<Output = Result<HashMap<Self::Key, Self::Value>, ServiceError>> + Send;
}

/// Runs `rule` over the rows behind `keys` and keys its answers (by row id) back by row.
pub async fn by_rows<M: Clone, V, F>(keys: &[Row<M>], rule: F) -> Result<HashMap<Row<M>, V>, ServiceError>
where
    F: AsyncFnOnce(Vec<M>) -> Result<HashMap<Uuid, V>, ServiceError>,
{
    let mut found = rule(keys.iter().map(|k| k.model.as_ref().clone()).collect()).await?;
    Ok(keys.iter().filter_map(|k| Some((k.clone(), found.remove(&k.id)?))).collect())
}

/// A key that carries a row already read (so a batch need not read it again) but hashes and
/// compares by the row's id alone.
#[derive(Clone, Debug)]
pub struct Row<M> {
    pub id: Uuid,
    pub model: std::sync::Arc<M>,
}

impl<M> Row<M> {
    pub fn new(id: Uuid, model: M) -> Self {
        Self { id, model: std::sync::Arc::new(model) }
    }
}

impl<M> PartialEq for Row<M> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<M> Eq for Row<M> {}

impl<M> Hash for Row<M> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}
