//! Capacity assessments of host institutions: DRAFT until submitted, immutable after; the newest
//! submitted one is current and the history stays.

pub mod dimension;
pub mod graphql;
pub mod service;
