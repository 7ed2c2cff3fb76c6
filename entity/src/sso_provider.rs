use sea_orm::entity::prelude::*;

use crate::membership::Role;

/// An institution's OpenID Connect identity provider. The client secret is sealed with the
/// server's data key; `allowed_domains` is a comma-separated list of lower-case email domains.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub institution_id: Uuid,
    pub issuer: String,
    pub client_id: String,
    pub sealed_client_secret: String,
    pub allowed_domains: String,
    pub first_time_role: Role,
    pub redirect_uri: String,
    /// Members may sign in only through the provider.
    pub required: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
