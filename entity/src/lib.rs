//! Database entities: one module per table. The API's GraphQL types live in `springboard-api`;
//! nothing here knows about GraphQL.

pub mod api_token;
pub mod audit_event;
pub mod institution;
pub mod invitation;
pub mod membership;
pub mod refresh_token;
pub mod sign_in_throttle;
pub mod user;
