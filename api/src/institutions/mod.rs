//! Institutions: the tenants.

pub mod graphql;
pub mod service;
pub mod slug;
pub mod time_zone;
