//! Memberships (user × institution × role) and invitations to join.

pub mod graphql;
pub mod invitations;
pub mod service;
