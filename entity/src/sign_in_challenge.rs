use sea_orm::entity::prelude::*;

/// The second step of a sign-in whose password was right: short-lived, single use, and spent
/// after a few wrong codes. Only the SHA-256 of its secret is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_challenges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub institution_id: Option<Uuid>,
    pub secret_hash: Vec<u8>,
    pub step: ChallengeStep,
    pub failed_codes: i32,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ChallengeStep {
    /// A code from the person's authenticator, or a recovery code.
    #[sea_orm(string_value = "CODE")]
    Code,
    /// The person must enrol an authenticator first (their institution or role requires one).
    #[sea_orm(string_value = "ENROL")]
    Enrol,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
