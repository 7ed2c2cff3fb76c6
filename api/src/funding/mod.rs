//! The funding gate and the funder's decision.

pub mod gate;
pub mod graphql;
pub mod service;
