//! Institutional commitments: the leadership roles royal colleges and professional bodies take
//! on for a project or a programme.

pub mod graphql;
pub mod service;
