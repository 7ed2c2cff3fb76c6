//! How shared results, their links and engagement records are reached, for batch loading (see
//! `crate::scope`). The rules are in `visibility` and `engagement`.

use chrono::NaiveDate;
use entity::engagement_record as record;
use entity::{
    project, shared_result as result, shared_result_measure as linked, shared_result_series as series,
    shared_result_share as share,
};
use sea_orm::Select;

use super::{engagement, visibility};
use crate::actor::Actor;
use crate::paging::Order;
use crate::scope::{Children, Scope};

pub struct VisibleResults;

impl Scope for VisibleResults {
    type Entity = result::Entity;

    fn select(actor: &Actor, _: NaiveDate) -> Select<result::Entity> {
        visibility::visible_to(actor)
    }
}

/// Project rows as far as a result shows them (title and lead), for those who see the result.
pub struct ProjectsBehindResults;

impl Scope for ProjectsBehindResults {
    type Entity = project::Entity;

    const BEYOND_ROW_POLICIES: bool = true;

    fn select(actor: &Actor, _: NaiveDate) -> Select<project::Entity> {
        visibility::projects_behind(actor)
    }
}

pub struct VisibleLinks;

impl Scope for VisibleLinks {
    type Entity = linked::Entity;

    fn select(actor: &Actor, _: NaiveDate) -> Select<linked::Entity> {
        visibility::visible_links(actor)
    }
}

/// The measures a version rests on, in the order they were linked.
pub struct LinksOfResult;

impl Children for LinksOfResult {
    type Scope = VisibleLinks;

    fn parent() -> linked::Column {
        linked::Column::ResultVersionId
    }

    fn order() -> Order<linked::Entity> {
        Order::created(linked::Column::Id)
    }
}

/// Every version of a result the actor may see, by version number.
pub struct VersionsOfResult;

impl Children for VersionsOfResult {
    type Scope = VisibleResults;

    fn parent() -> result::Column {
        result::Column::ResultId
    }

    fn order() -> Order<result::Entity> {
        Order::new("version", vec![result::Column::Version, result::Column::Id], true)
    }
}

pub struct VisibleSeries;

impl Scope for VisibleSeries {
    type Entity = series::Entity;

    fn select(actor: &Actor, _: NaiveDate) -> Select<series::Entity> {
        visibility::visible_series(actor)
    }
}

/// A link's frozen series: all sites pooled first, then each site.
pub struct SeriesOfLink;

impl Children for SeriesOfLink {
    type Scope = VisibleSeries;

    fn parent() -> series::Column {
        series::Column::LinkId
    }

    fn order() -> Order<series::Entity> {
        Order::new("position", vec![series::Column::Position, series::Column::Id], true)
    }
}

pub struct VisibleShares;

impl Scope for VisibleShares {
    type Entity = share::Entity;

    fn select(actor: &Actor, _: NaiveDate) -> Select<share::Entity> {
        visibility::visible_shares(actor)
    }
}

/// The institutions a version is explicitly shared with (for its lead).
pub struct SharesOfResult;

impl Children for SharesOfResult {
    type Scope = VisibleShares;

    fn parent() -> share::Column {
        share::Column::ResultVersionId
    }

    fn order() -> Order<share::Entity> {
        Order::created(share::Column::Id)
    }
}

pub struct VisibleEngagement;

impl Scope for VisibleEngagement {
    type Entity = record::Entity;

    fn select(actor: &Actor, _: NaiveDate) -> Select<record::Entity> {
        engagement::visible_to(actor)
    }
}

/// A project's engagement records, oldest month first.
pub struct EngagementOfProject;

impl Children for EngagementOfProject {
    type Scope = VisibleEngagement;

    fn parent() -> record::Column {
        record::Column::ProjectId
    }

    fn order() -> Order<record::Entity> {
        Order::new("period", vec![record::Column::PeriodStart, record::Column::Id], true)
    }
}
