//! DataLoaders, built afresh for every request (a shared one would batch different tenants'
//! keys together and cache across requests). They load rows by primary key for objects the
//! caller has already been allowed to see, e.g. the user behind a visible membership.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{institution, user};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::Db;
use crate::graphql::project_loaders::{
    AssessmentsByProject, CommitmentsByProject, ProgrammeLoader, SitesByProject, TeamByProject,
};

pub struct Loaders {
    pub users: DataLoader<UserLoader>,
    pub institutions: DataLoader<InstitutionLoader>,
    pub programmes: DataLoader<ProgrammeLoader>,
    pub sites: DataLoader<SitesByProject>,
    pub team: DataLoader<TeamByProject>,
    /// Empty without an actor: nothing scoped can be seen anonymously.
    pub commitments: Option<DataLoader<CommitmentsByProject>>,
    pub assessments: Option<DataLoader<AssessmentsByProject>>,
}

impl Loaders {
    pub fn new(db: &Db, actor: Option<&Actor>) -> Self {
        Self {
            users: DataLoader::new(UserLoader(db.clone()), tokio::spawn),
            institutions: DataLoader::new(InstitutionLoader(db.clone()), tokio::spawn),
            programmes: DataLoader::new(ProgrammeLoader(db.clone()), tokio::spawn),
            sites: DataLoader::new(SitesByProject(db.clone()), tokio::spawn),
            team: DataLoader::new(TeamByProject(db.clone()), tokio::spawn),
            commitments: actor
                .map(|a| DataLoader::new(CommitmentsByProject(db.clone(), a.clone()), tokio::spawn)),
            assessments: actor
                .map(|a| DataLoader::new(AssessmentsByProject(db.clone(), a.clone()), tokio::spawn)),
        }
    }
}

pub struct UserLoader(Db);

impl Loader<Uuid> for UserLoader {
    type Value = user::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().copied()))
            .all(self.0.conn())
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

pub struct InstitutionLoader(Db);

impl Loader<Uuid> for InstitutionLoader {
    type Value = institution::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = institution::Entity::find()
            .filter(institution::Column::Id.is_in(keys.iter().copied()))
            .all(self.0.conn())
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}
