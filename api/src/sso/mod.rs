//! Single sign-on per institution through its own OpenID Connect identity provider (Microsoft
//! Entra ID in many NHS organisations): the admins' settings, the sign-in flow, and the client
//! that talks to providers.

pub mod flow;
pub mod graphql;
pub mod provider;
pub mod providers;
