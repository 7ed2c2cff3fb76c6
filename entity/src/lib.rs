//! Database entities: one module per table. The API's GraphQL types live in `springboard-api`;
//! nothing here knows about GraphQL.

pub mod api_token;
pub mod attempt_window;
pub mod audit_event;
pub mod capacity_assessment;
pub mod commitment;
pub mod engagement_record;
pub mod idempotency_key;
pub mod institution;
pub mod invitation;
pub mod measure;
pub mod membership;
pub mod observation;
pub mod password_reset;
pub mod programme;
pub mod project;
pub mod project_site;
pub mod recovery_code;
pub mod refresh_token;
pub mod shared_result;
pub mod shared_result_measure;
pub mod shared_result_share;
pub mod sign_in_challenge;
pub mod sign_in_throttle;
pub mod team_member;
pub mod totp_factor;
pub mod user;
