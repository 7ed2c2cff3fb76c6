//! How project rows are reached, for batch loading (see `crate::scope`). The rules themselves
//! are the `visible_*` functions of `service`.

use chrono::NaiveDate;
use entity::{project, project_site, team_member};
use sea_orm::Select;

use super::service::{visible_sites, visible_team, visible_to};
use crate::actor::Actor;
use crate::paging::Order;
use crate::scope::{Children, PagedChildren, Scope};

pub struct VisibleProjects;

impl Scope for VisibleProjects {
    type Entity = project::Entity;

    fn select(actor: &Actor, _: NaiveDate) -> Select<project::Entity> {
        visible_to(actor)
    }
}

/// A programme's projects, a page at a time.
pub struct ProjectsOfProgramme;

impl PagedChildren for ProjectsOfProgramme {
    type Scope = VisibleProjects;
    type Filter = ();

    fn parent() -> project::Column {
        project::Column::ProgrammeId
    }

    fn order(_: &()) -> Order<project::Entity> {
        Order::created(project::Column::Id)
    }

    fn narrow(select: Select<project::Entity>, _: &()) -> Select<project::Entity> {
        select
    }
}

pub struct VisibleSites;

impl Scope for VisibleSites {
    type Entity = project_site::Entity;

    fn select(actor: &Actor, _: NaiveDate) -> Select<project_site::Entity> {
        visible_sites(actor)
    }
}

/// A project's host sites, in the order they were named.
pub struct SitesOfProject;

impl Children for SitesOfProject {
    type Scope = VisibleSites;

    fn parent() -> project_site::Column {
        project_site::Column::ProjectId
    }

    fn order() -> Order<project_site::Entity> {
        Order::created(project_site::Column::Id)
    }
}

pub struct VisibleTeamMembers;

impl Scope for VisibleTeamMembers {
    type Entity = team_member::Entity;

    fn select(actor: &Actor, _: NaiveDate) -> Select<team_member::Entity> {
        visible_team(actor)
    }
}

/// A project's springboard team, in the order members were added.
pub struct TeamOfProject;

impl Children for TeamOfProject {
    type Scope = VisibleTeamMembers;

    fn parent() -> team_member::Column {
        team_member::Column::ProjectId
    }

    fn order() -> Order<team_member::Entity> {
        Order::created(team_member::Column::Id)
    }
}
