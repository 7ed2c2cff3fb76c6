//! DataLoaders for a page of projects' nested lists: one statement per list kind, whatever the
//! page size. Lists with their own visibility (commitments, assessments) are scoped to the
//! request's actor, which is why these loaders, like all of them, live for one request.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{capacity_assessment, commitment, programme, project_site, team_member};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::Db;

pub struct ProgrammeLoader(pub Db);

impl Loader<Uuid> for ProgrammeLoader {
    type Value = programme::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = programme::Entity::find()
            .filter(programme::Column::Id.is_in(keys.iter().copied()))
            .all(self.0.conn())
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

fn group<T>(rows: Vec<T>, project_of: impl Fn(&T) -> Option<Uuid>) -> HashMap<Uuid, Vec<T>> {
    let mut grouped: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        if let Some(project_id) = project_of(&row) {
            grouped.entry(project_id).or_default().push(row);
        }
    }
    grouped
}

pub struct SitesByProject(pub Db);

impl Loader<Uuid> for SitesByProject {
    type Value = Vec<project_site::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = project_site::Entity::find()
            .filter(project_site::Column::ProjectId.is_in(keys.iter().copied()))
            .order_by_asc(project_site::Column::Id)
            .all(self.0.conn())
            .await
            .map_err(Arc::new)?;
        Ok(group(rows, |r| Some(r.project_id)))
    }
}

pub struct TeamByProject(pub Db);

impl Loader<Uuid> for TeamByProject {
    type Value = Vec<team_member::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = team_member::Entity::find()
            .filter(team_member::Column::ProjectId.is_in(keys.iter().copied()))
            .order_by_asc(team_member::Column::Id)
            .all(self.0.conn())
            .await
            .map_err(Arc::new)?;
        Ok(group(rows, |r| Some(r.project_id)))
    }
}

pub struct CommitmentsByProject(pub Db, pub Actor);

impl Loader<Uuid> for CommitmentsByProject {
    type Value = Vec<commitment::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = crate::commitments::service::visible_to(&self.1, self.0.today())
            .filter(commitment::Column::ProjectId.is_in(keys.iter().copied()))
            .order_by_asc(commitment::Column::Id)
            .all(self.0.conn())
            .await
            .map_err(Arc::new)?;
        Ok(group(rows, |r| r.project_id))
    }
}

pub struct AssessmentsByProject(pub Db, pub Actor);

impl Loader<Uuid> for AssessmentsByProject {
    type Value = Vec<capacity_assessment::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = crate::assessments::service::visible_to(&self.1)
            .filter(capacity_assessment::Column::ProjectId.is_in(keys.iter().copied()))
            .order_by_desc(capacity_assessment::Column::Id)
            .all(self.0.conn())
            .await
            .map_err(Arc::new)?;
        Ok(group(rows, |r| r.project_id))
    }
}
