//! People: accounts, their profile and their password.

pub mod email;
pub mod graphql;
pub mod service;

pub use email::Email;
