use sea_orm::entity::prelude::*;

/// One period's data point of a measure at a site. (measure, site, period) is unique: sending
/// the same key again updates the row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "observations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub measure_id: Uuid,
    pub site_id: Uuid,
    pub period_start: Date,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub note: Option<String>,
    pub recorded_by_user_id: Option<Uuid>,
    pub recorded_by_token_id: Option<Uuid>,
    pub recorded_at: DateTimeUtc,
    /// When the row first arrived; corrections leave it alone. `None` only on rows written
    /// before it was kept and not yet migrated.
    pub first_recorded_at: Option<DateTimeUtc>,
    /// How the row first arrived.
    pub arrival: Arrival,
    /// Set when the row was voided: it then leaves charts, verdicts and exports, and stays in
    /// the history. Sending the period again brings it back.
    pub voided_at: Option<DateTimeUtc>,
    pub void_reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Arrival {
    /// Sent by a script with an API token: from another system.
    #[sea_orm(string_value = "INTEGRATION_TOKEN")]
    IntegrationToken,
    /// A person uploaded a CSV file.
    #[sea_orm(string_value = "CSV_UPLOAD")]
    CsvUpload,
    /// A person sent several rows at once.
    #[sea_orm(string_value = "BULK_ENTRY")]
    BulkEntry,
    /// A person entered one row.
    #[sea_orm(string_value = "SINGLE_ENTRY")]
    SingleEntry,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
