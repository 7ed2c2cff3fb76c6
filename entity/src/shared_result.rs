use sea_orm::entity::prelude::*;

/// One version of a finding a project publishes. Versions of one result share `result_id`; a
/// published version is never edited: a change makes the next version. `publication_key` is the
/// publication time as sortable text ("" until published), for paging by publication.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shared_results")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub result_id: Uuid,
    pub version: i32,
    pub project_id: Uuid,
    /// The project's programme when the result was created (fixed from funding on).
    pub programme_id: Option<Uuid>,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub outcome: ResultOutcome,
    pub barrier_tags: String,
    pub visibility: ResultVisibility,
    pub status: ResultStatus,
    pub published_at: Option<DateTimeUtc>,
    pub publication_key: String,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ResultOutcome {
    #[sea_orm(string_value = "IMPROVEMENT")]
    Improvement,
    #[sea_orm(string_value = "NO_CHANGE")]
    NoChange,
    #[sea_orm(string_value = "DETERIORATION")]
    Deterioration,
    #[sea_orm(string_value = "LESSON")]
    Lesson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ResultVisibility {
    #[sea_orm(string_value = "PROJECT")]
    Project,
    #[sea_orm(string_value = "PROGRAMME")]
    Programme,
    #[sea_orm(string_value = "PLATFORM")]
    Platform,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ResultStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    /// Unpublished by the lead; kept, and can be published again.
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
    /// A later version of the same result was published.
    #[sea_orm(string_value = "SUPERSEDED")]
    Superseded,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
