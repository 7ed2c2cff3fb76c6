//! A shared result keeps its project's programme: who reads a PROGRAMME-visible result is then
//! decided from the result and the reader's own projects, without reading the other bidders'
//! projects (which PostgreSQL's row level security hides from them). A project takes results
//! only once funded, when its programme can no longer change.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SharedResults::Table)
                    .add_column(ColumnDef::new(SharedResults::ProgrammeId).uuid().null())
                    .to_owned(),
            )
            .await?;
        let programme = Query::select()
            .column((Projects::Table, Projects::ProgrammeId))
            .from(Projects::Table)
            .and_where(
                Expr::col((Projects::Table, Projects::Id))
                    .equals((SharedResults::Table, SharedResults::ProjectId)),
            )
            .to_owned();
        manager
            .exec_stmt(
                Query::update()
                    .table(SharedResults::Table)
                    .value(
                        SharedResults::ProgrammeId,
                        SimpleExpr::SubQuery(None, Box::new(programme.into_sub_query_statement())),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shared_results_programme_idx")
                    .table(SharedResults::Table)
                    .col(SharedResults::ProgrammeId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop().name("shared_results_programme_idx").table(SharedResults::Table).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(SharedResults::Table).drop_column(SharedResults::ProgrammeId).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SharedResults {
    Table,
    ProjectId,
    ProgrammeId,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    ProgrammeId,
}
