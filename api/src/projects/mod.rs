//! Projects: bids by royal colleges and professional bodies, their host sites, their
//! springboard team, and their lifecycle.

pub mod changes;
pub mod graphql;
pub mod lifecycle;
pub mod mutations;
pub mod scopes;
pub mod service;
pub mod sites;
pub mod team;
pub mod team_time;
pub mod team_time_graphql;
pub mod transitions;
