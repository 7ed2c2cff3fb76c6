use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "institutions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub kind: InstitutionKind,
    pub nation: Nation,
    /// Members must sign in with a second factor (they enrol at their next sign-in).
    pub require_two_factor: bool,
    /// An IANA time-zone name: where the institution's days begin and end.
    pub time_zone: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum InstitutionKind {
    #[sea_orm(string_value = "ROYAL_COLLEGE")]
    RoyalCollege,
    #[sea_orm(string_value = "PROFESSIONAL_BODY")]
    ProfessionalBody,
    #[sea_orm(string_value = "HOST_INSTITUTION")]
    HostInstitution,
    #[sea_orm(string_value = "FUNDER")]
    Funder,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Nation {
    #[sea_orm(string_value = "ENGLAND")]
    England,
    #[sea_orm(string_value = "SCOTLAND")]
    Scotland,
    #[sea_orm(string_value = "WALES")]
    Wales,
    #[sea_orm(string_value = "NORTHERN_IRELAND")]
    NorthernIreland,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::membership::Entity")]
    Membership,
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
