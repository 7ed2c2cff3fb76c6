use sea_orm::entity::prelude::*;

/// A quality indicator of a project. `rebase_periods` is a JSON array of period starts where the
/// SPC limits start afresh; `baseline_until`, when set, fixes the limits on the points up to it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "measures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    /// Short, unique within the project, upper case: how a CSV file names the measure.
    pub code: Option<String>,
    pub operational_definition: String,
    pub kind: MeasureKind,
    pub unit: MeasureUnit,
    pub direction: MeasureDirection,
    pub frequency: MeasureFrequency,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub baseline_until: Option<Date>,
    pub rebase_periods: String,
    /// How the data is collected; `None` for measures defined before it was asked.
    pub collection_method: Option<CollectionMethod>,
    /// People's minutes per site per period to collect the data; `None` until estimated.
    pub minutes_per_site_per_period: Option<f64>,
    /// The measure of a shared result this one was copied from when its project adopted it.
    pub adopted_from_measure_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MeasureKind {
    #[sea_orm(string_value = "OUTCOME")]
    Outcome,
    #[sea_orm(string_value = "PROCESS")]
    Process,
    #[sea_orm(string_value = "BALANCING")]
    Balancing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MeasureUnit {
    #[sea_orm(string_value = "PROPORTION")]
    Proportion,
    #[sea_orm(string_value = "RATE")]
    Rate,
    #[sea_orm(string_value = "COUNT")]
    Count,
    #[sea_orm(string_value = "CONTINUOUS")]
    Continuous,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum MeasureDirection {
    #[sea_orm(string_value = "HIGHER_IS_BETTER")]
    HigherIsBetter,
    #[sea_orm(string_value = "LOWER_IS_BETTER")]
    LowerIsBetter,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MeasureFrequency {
    #[sea_orm(string_value = "WEEKLY")]
    Weekly,
    #[sea_orm(string_value = "MONTHLY")]
    Monthly,
    #[sea_orm(string_value = "QUARTERLY")]
    Quarterly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CollectionMethod {
    /// People find and record the data by hand (notes audits, tallies).
    #[sea_orm(string_value = "MANUAL_AUDIT")]
    ManualAudit,
    /// A query or report on an existing electronic system produces it.
    #[sea_orm(string_value = "EXTRACTED_FROM_SYSTEM")]
    ExtractedFromSystem,
    /// Partly extracted, partly by hand.
    #[sea_orm(string_value = "MIXED")]
    Mixed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
