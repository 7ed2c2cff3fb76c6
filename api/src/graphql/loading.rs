//! The generic batch loaders behind every nested field: rows by id (`ById`), all children of
//! many parents (`ChildrenOf`), a page of children of many parents (`PagesOf`, with `CountsOf`
//! for their totals) and rules computed in batches (`Computed`). Each reads through a `Scope`,
//! so a row the actor may not read is never loaded, whatever parent asked for it. They know no
//! domain: `graphql::loaders` builds them per request with the actor.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::{EntityTrait, Iterable, PrimaryKeyToColumn, QueryOrder};
use uuid::Uuid;

use super::ticks::LoadQueue;
use crate::actor::Actor;
use crate::db::Db;
use crate::error::ServiceError;
use crate::paging::{self, Page, PageRequest, Total, uuid_of};
use crate::scope::{Batched, Children, ColumnOf, ModelOf, PagedChildren, Scope};

/// A service error shared by every key of a failed batch.
#[derive(Clone, Debug)]
pub struct LoadError(pub Arc<ServiceError>);

impl From<ServiceError> for LoadError {
    fn from(err: ServiceError) -> Self {
        Self(Arc::new(err))
    }
}

impl From<sea_orm::DbErr> for LoadError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::from(ServiceError::from(err))
    }
}

impl From<LoadError> for ServiceError {
    fn from(err: LoadError) -> Self {
        match Arc::try_unwrap(err.0) {
            Ok(original) => original,
            Err(shared) => match shared.as_ref() {
                ServiceError::Unauthenticated => ServiceError::Unauthenticated,
                ServiceError::Forbidden(reason) => ServiceError::Forbidden(reason),
                ServiceError::NotFound { field } => ServiceError::NotFound { field },
                ServiceError::Invalid(errors) => ServiceError::Invalid(errors.clone()),
                ServiceError::Unavailable(kind) => ServiceError::Unavailable(*kind),
                ServiceError::Internal(_) => ServiceError::internal(Shared(shared)),
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{}", crate::error::error_chain(.0.as_ref()))]
struct Shared(Arc<ServiceError>);

/// What every loader of a request shares: the database and who is asking.
#[derive(Clone)]
pub struct Reader {
    pub db: Db,
    pub actor: Actor,
}

impl Reader {
    fn scoped<S: Scope>(&self) -> sea_orm::Select<S::Entity> {
        S::select(&self.actor, self.db.today())
    }

    /// Where a scope's statements run: the request's (row-level-scoped) transaction, unless the
    /// scope shows what the policies cannot express.
    fn db_for<S: Scope>(&self) -> Db {
        if S::BEYOND_ROW_POLICIES { self.db.system() } else { self.db.clone() }
    }
}

fn key_column<S: Scope>() -> Result<ColumnOf<S>, ServiceError> {
    <S::Entity as EntityTrait>::PrimaryKey::iter()
        .next()
        .map(PrimaryKeyToColumn::into_column)
        .ok_or_else(|| ServiceError::internal(NoPrimaryKey))
}

#[derive(Debug, thiserror::Error)]
#[error("an entity loaded by id has no primary key")]
struct NoPrimaryKey;

pub type Batch<L> = Arc<DataLoader<L, HashMapCache>>;

/// A loader whose loads run on the request's queue (see `ticks`), or, outside a request, as
/// tasks started after the usual moment's wait.
pub fn batch<L>(loader: L, queue: Option<&Arc<LoadQueue>>) -> Batch<L> {
    Arc::new(match queue {
        Some(queue) => {
            DataLoader::with_cache(loader, queue.spawner(), HashMapCache::default()).delay(Duration::ZERO)
        }
        None => DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()),
    })
}

/// Rows of a scope by primary key.
pub struct ById<S>(pub Reader, pub PhantomData<S>);

impl<S: Scope> Loader<Uuid> for ById<S>
where
    ModelOf<S>: Sync,
{
    type Value = ModelOf<S>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        tracing::debug!(loader = std::any::type_name::<S>(), keys = keys.len(), "by-id batch");
        let key = key_column::<S>()?;
        let rows = paging::among(self.0.scoped::<S>(), key, keys).all(self.0.db_for::<S>().conn()).await?;
        Ok(rows.into_iter().filter_map(|row| Some((uuid_of(&row, key)?, row))).collect())
    }
}

/// Every child of many parents, in the relation's order.
pub struct ChildrenOf<R>(pub Reader, pub PhantomData<R>);

impl<R: Children> Loader<Uuid> for ChildrenOf<R>
where
    ModelOf<R::Scope>: Sync,
{
    type Value = Vec<ModelOf<R::Scope>>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        tracing::debug!(loader = std::any::type_name::<R>(), keys = keys.len(), "children batch");
        let order = R::order();
        let mut select = paging::among(self.0.scoped::<R::Scope>(), R::parent(), keys);
        for column in &order.columns {
            select = select
                .order_by(*column, if order.ascending { sea_orm::Order::Asc } else { sea_orm::Order::Desc });
        }
        let mut grouped: HashMap<Uuid, Self::Value> = HashMap::with_capacity(keys.len());
        for row in select.all(self.0.db_for::<R::Scope>().conn()).await? {
            if let Some(parent) = uuid_of(&row, R::parent()) {
                grouped.entry(parent).or_default().push(row);
            }
        }
        Ok(grouped)
    }
}

/// A page of children of many parents; parents asking with the same arguments share a
/// statement.
pub struct PagesOf<R: PagedChildren>(pub Reader, pub Batch<CountsOf<R>>);

/// The page arguments of one parent's list.
pub type PageKey<F> = (Uuid, F, PageRequest);

impl<R: PagedChildren> Loader<PageKey<R::Filter>> for PagesOf<R>
where
    ModelOf<R::Scope>: Sync,
{
    type Value = Arc<Page<ModelOf<R::Scope>>>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[PageKey<R::Filter>],
    ) -> Result<HashMap<PageKey<R::Filter>, Self::Value>, Self::Error> {
        let mut asks: HashMap<(&R::Filter, &PageRequest), Vec<Uuid>> = HashMap::new();
        for (parent, filter, request) in keys {
            asks.entry((filter, request)).or_default().push(*parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((filter, request), parents) in asks {
            let select = R::narrow(self.0.scoped::<R::Scope>(), filter);
            let counts = self.1.clone();
            let total = |parent: Uuid| {
                let (counts, filter) = (counts.clone(), filter.clone());
                Total::new(move || {
                    let (counts, key) = (counts.clone(), (parent, filter.clone()));
                    Box::pin(async move {
                        Ok(counts.load_one(key).await.map_err(ServiceError::from)?.unwrap_or_default())
                    })
                })
            };
            let order = R::order(filter);
            let pages = paging::paginate_children(
                &self.0.db_for::<R::Scope>(),
                select,
                R::parent(),
                &parents,
                &order,
                request,
                total,
            )
            .await?;
            for (parent, page) in pages {
                out.insert((parent, filter.clone(), request.clone()), Arc::new(page));
            }
        }
        Ok(out)
    }
}

/// How many children each parent's (narrowed) list holds.
pub struct CountsOf<R>(pub Reader, pub PhantomData<R>);

impl<R: PagedChildren> Loader<(Uuid, R::Filter)> for CountsOf<R> {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[(Uuid, R::Filter)]) -> Result<HashMap<(Uuid, R::Filter), u64>, Self::Error> {
        let mut asks: HashMap<&R::Filter, Vec<Uuid>> = HashMap::new();
        for (parent, filter) in keys {
            asks.entry(filter).or_default().push(*parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for (filter, parents) in asks {
            let select = R::narrow(self.0.scoped::<R::Scope>(), filter);
            for (parent, total) in
                paging::count_children(&self.0.db_for::<R::Scope>(), select, R::parent(), &parents).await?
            {
                out.insert((parent, filter.clone()), total);
            }
        }
        Ok(out)
    }
}

/// A rule computed for many keys at once.
pub struct Computed<B>(pub Reader, pub PhantomData<B>);

impl<B: Batched> Loader<B::Key> for Computed<B> {
    type Value = B::Value;
    type Error = LoadError;

    async fn load(&self, keys: &[B::Key]) -> Result<HashMap<B::Key, B::Value>, Self::Error> {
        Ok(B::run(&self.0.db, &self.0.actor, keys).await?)
    }
}
