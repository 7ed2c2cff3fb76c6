//! How measures and observations are reached, for batch loading (see `crate::scope`).

use chrono::NaiveDate;
use entity::{measure, observation};
use sea_orm::Select;

use super::service::{ObservationFilter, visible_observations, visible_to};
use crate::actor::Actor;
use crate::paging::Order;
use crate::scope::{Children, PagedChildren, Scope};

pub struct VisibleMeasures;

impl Scope for VisibleMeasures {
    type Entity = measure::Entity;

    fn select(actor: &Actor, _: NaiveDate) -> Select<measure::Entity> {
        visible_to(actor)
    }
}

/// A project's measures, oldest first.
pub struct MeasuresOfProject;

impl Children for MeasuresOfProject {
    type Scope = VisibleMeasures;

    fn parent() -> measure::Column {
        measure::Column::ProjectId
    }

    fn order() -> Order<measure::Entity> {
        Order::created(measure::Column::Id)
    }
}

pub struct VisibleObservations;

impl Scope for VisibleObservations {
    type Entity = observation::Entity;

    fn select(actor: &Actor, _: NaiveDate) -> Select<observation::Entity> {
        visible_observations(actor)
    }
}

/// A measure's observations by period (then site), a page at a time: `last: 24` is the latest
/// 24 periods.
pub struct ObservationsOfMeasure;

impl PagedChildren for ObservationsOfMeasure {
    type Scope = VisibleObservations;
    type Filter = ObservationFilter;

    fn parent() -> observation::Column {
        observation::Column::MeasureId
    }

    fn order(_: &ObservationFilter) -> Order<observation::Entity> {
        Order::new("period", vec![observation::Column::PeriodStart, observation::Column::SiteId], true)
    }

    fn narrow(
        select: Select<observation::Entity>,
        filter: &ObservationFilter,
    ) -> Select<observation::Entity> {
        filter.narrow(select)
    }
}
