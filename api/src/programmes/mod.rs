//! Funding programmes: run by a FUNDER, open for bids for a while, with funding criteria.

pub mod criteria;
pub mod graphql;
pub mod service;
