use sea_orm::entity::prelude::*;

/// A credential for integration scripts. The secret is shown once; only its SHA-256 is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub institution_id: Uuid,
    pub name: String,
    pub scope: TokenScope,
    pub secret_hash: Vec<u8>,
    pub created_by: Option<Uuid>,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TokenScope {
    #[sea_orm(string_value = "READ")]
    Read,
    #[sea_orm(string_value = "READ_WRITE")]
    ReadWrite,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
