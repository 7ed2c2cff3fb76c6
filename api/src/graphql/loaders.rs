//! The composition root of batch loading: one `Loaders` per request, holding the actor, makes
//! each loader the first time a field asks for it. Built per request because a shared loader
//! would batch different tenants' keys together and cache rows across requests.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::Context;
use uuid::Uuid;

use super::errors::GqlResult;
use super::loading::{Batch, ById, ChildrenOf, Computed, CountsOf, PagesOf, Reader, batch};
use super::ticks::LoadQueue;
use crate::actor::Actor;
use crate::db::Db;
use crate::error::ServiceError;
use crate::paging::{Page, PageRequest};
use crate::scope::{Batched, Children, ModelOf, PagedChildren, Scope};

pub struct Loaders {
    reader: Reader,
    queue: Option<Arc<LoadQueue>>,
    made: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    /// Off for a document with mutations: a row read before one mutation must not be served
    /// after it. Batching still applies.
    cache: AtomicBool,
}

impl Loaders {
    /// Loaders whose loads start as tasks after a moment's wait, for use outside a request.
    pub fn new(db: Db, actor: Actor) -> Self {
        Self {
            reader: Reader { db, actor },
            queue: None,
            made: Mutex::default(),
            cache: AtomicBool::new(true),
        }
    }

    /// A request's loaders: their loads wait on `queue` until `ticks::drive` starts them.
    pub fn queued(db: Db, actor: Actor, queue: Arc<LoadQueue>) -> Self {
        Self { queue: Some(queue), ..Self::new(db, actor) }
    }

    /// Loaders made from now on keep no rows between batches.
    pub fn without_cache(&self) {
        self.cache.store(false, Ordering::SeqCst);
    }

    fn get<L: Send + Sync + 'static>(&self, make: impl Fn(Reader) -> L) -> Batch<L> {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        let cache = self.cache.load(Ordering::SeqCst);
        let entry = made
            .entry(TypeId::of::<L>())
            .or_insert_with(|| {
                let loader = batch(make(self.reader.clone()), self.queue.as_ref());
                loader.enable_all_cache(cache);
                loader as Arc<_>
            })
            .clone();
        drop(made);
        match entry.downcast::<async_graphql::dataloader::DataLoader<L, _>>() {
            Ok(loader) => loader,
            // The map is keyed by the loader's own type, so the downcast cannot fail; a fresh
            // loader is still correct if it ever did.
            Err(_) => batch(make(self.reader.clone()), self.queue.as_ref()),
        }
    }

    pub fn by_id<S: Scope>(&self) -> Batch<ById<S>>
    where
        ModelOf<S>: Sync,
    {
        self.get(|reader| ById(reader, PhantomData))
    }

    pub fn children<R: Children>(&self) -> Batch<ChildrenOf<R>>
    where
        ModelOf<R::Scope>: Sync,
    {
        self.get(|reader| ChildrenOf(reader, PhantomData))
    }

    pub fn pages<R: PagedChildren>(&self) -> Batch<PagesOf<R>>
    where
        ModelOf<R::Scope>: Sync,
    {
        let counts = self.get(|reader| CountsOf::<R>(reader, PhantomData));
        self.get(|reader| PagesOf(reader, counts.clone()))
    }

    pub fn computed<B: Batched>(&self) -> Batch<Computed<B>> {
        self.get(|reader| Computed(reader, PhantomData))
    }
}

/// The request's loaders; a request without credentials has none, so nothing scoped can be
/// read anonymously.
pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data_opt::<Loaders>().ok_or(ServiceError::Unauthenticated).gql(ctx)
}

/// The row of `S` with this id, if the actor may read it.
pub async fn load_one<S: Scope>(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<ModelOf<S>>>
where
    ModelOf<S>: Sync,
{
    loaders(ctx)?.by_id::<S>().load_one(id).await.map_err(ServiceError::from).gql(ctx)
}

/// The children of `parent` the actor may read, in the relation's order.
pub async fn load_children<R: Children>(
    ctx: &Context<'_>,
    parent: Uuid,
) -> async_graphql::Result<Vec<ModelOf<R::Scope>>>
where
    ModelOf<R::Scope>: Sync,
{
    let rows = loaders(ctx)?.children::<R>().load_one(parent).await.map_err(ServiceError::from).gql(ctx)?;
    Ok(rows.unwrap_or_default())
}

/// One page of `parent`'s children.
pub async fn load_page<R: PagedChildren>(
    ctx: &Context<'_>,
    parent: Uuid,
    filter: R::Filter,
    request: PageRequest,
) -> async_graphql::Result<Arc<Page<ModelOf<R::Scope>>>>
where
    ModelOf<R::Scope>: Sync,
{
    let page = loaders(ctx)?
        .pages::<R>()
        .load_one((parent, filter, request))
        .await
        .map_err(ServiceError::from)
        .gql(ctx)?;
    page.ok_or_else(|| ServiceError::internal(MissingPage)).gql(ctx)
}

/// A batched rule's value for `key`.
pub async fn compute<B: Batched>(ctx: &Context<'_>, key: B::Key) -> async_graphql::Result<Option<B::Value>>
where
    B::Key: Hash,
{
    loaders(ctx)?.computed::<B>().load_one(key).await.map_err(ServiceError::from).gql(ctx)
}

#[derive(Debug, thiserror::Error)]
#[error("a page of children was asked for and not produced")]
struct MissingPage;
