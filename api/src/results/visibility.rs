//! Who sees a shared result. The project's participants (lead, sites that have not declined,
//! the programme's funder) see its published versions, and the lead every version; PROGRAMME adds
//! every institution in the programme (funder, leads and sites of its projects); PLATFORM adds
//! every institution; explicit shares add exactly the named ones. Only published versions leave
//! the project; a version a later one superseded stays readable to those its publication reached
//! (the result's history), while a withdrawn one is the lead's alone again.

use entity::project_site::{self, SiteStatus};
use entity::shared_result::{self as result, ResultStatus, ResultVisibility};
use entity::{
    programme, project, shared_result_measure as linked, shared_result_series as series,
    shared_result_share as share,
};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select};
use uuid::Uuid;

use crate::actor::Actor;
use crate::projects::service as projects;

/// Programmes the institution takes part in: as funder, as a project's lead, or as a site.
fn programmes_of(institution_id: Uuid) -> SelectStatement {
    let led = Query::select()
        .column(project::Column::ProgrammeId)
        .from(project::Entity)
        .and_where(project::Column::LeadInstitutionId.eq(institution_id))
        .and_where(project::Column::ProgrammeId.is_not_null())
        .to_owned();
    let hosted_projects = Query::select()
        .column(project_site::Column::ProjectId)
        .from(project_site::Entity)
        .and_where(project_site::Column::InstitutionId.eq(institution_id))
        .and_where(project_site::Column::Status.ne(SiteStatus::Declined))
        .to_owned();
    let hosted = Query::select()
        .column(project::Column::ProgrammeId)
        .from(project::Entity)
        .and_where(project::Column::Id.in_subquery(hosted_projects))
        .and_where(project::Column::ProgrammeId.is_not_null())
        .to_owned();
    Query::select()
        .column(programme::Column::Id)
        .from(programme::Entity)
        .cond_where(
            Condition::any()
                .add(programme::Column::FunderInstitutionId.eq(institution_id))
                .add(programme::Column::Id.in_subquery(led))
                .add(programme::Column::Id.in_subquery(hosted)),
        )
        .to_owned()
}

/// The one definition of the result versions an actor may see. Results are for institutions: an
/// actor acting for none (a platform admin) sees none.
pub fn visible_to(actor: &Actor) -> Select<result::Entity> {
    let Some(institution_id) = actor.institution.map(|i| i.id) else {
        return result::Entity::find().filter(result::Column::Id.is_null());
    };
    let participant_projects =
        projects::visible_to(actor).select_only().column(project::Column::Id).into_query();
    let led_projects = Query::select()
        .column(project::Column::Id)
        .from(project::Entity)
        .and_where(project::Column::LeadInstitutionId.eq(institution_id))
        .to_owned();
    let shared = Query::select()
        .column(share::Column::ResultVersionId)
        .from(share::Entity)
        .and_where(share::Column::InstitutionId.eq(institution_id))
        .to_owned();
    let published = || result::Column::Status.is_in([ResultStatus::Published, ResultStatus::Superseded]);
    result::Entity::find().filter(
        Condition::any()
            .add(result::Column::ProjectId.in_subquery(led_projects))
            .add(
                Condition::all()
                    .add(published())
                    .add(result::Column::ProjectId.in_subquery(participant_projects)),
            )
            .add(
                Condition::all()
                    .add(published())
                    .add(result::Column::Visibility.eq(ResultVisibility::Platform)),
            )
            .add(
                Condition::all()
                    .add(published())
                    .add(result::Column::Visibility.eq(ResultVisibility::Programme))
                    .add(result::Column::ProgrammeId.in_subquery(programmes_of(institution_id))),
            )
            .add(Condition::all().add(published()).add(result::Column::Id.in_subquery(shared))),
    )
}

fn visible_ids(actor: &Actor) -> SelectStatement {
    visible_to(actor).select_only().column(result::Column::Id).into_query()
}

/// A version's linked measures are visible with the version.
pub fn visible_links(actor: &Actor) -> Select<linked::Entity> {
    linked::Entity::find().filter(linked::Column::ResultVersionId.in_subquery(visible_ids(actor)))
}

/// A link's frozen series are visible with the link.
pub fn visible_series(actor: &Actor) -> Select<series::Entity> {
    let links = visible_links(actor).select_only().column(linked::Column::Id).into_query();
    series::Entity::find().filter(series::Column::LinkId.in_subquery(links))
}

/// Whom a version is explicitly shared with is the lead's to know, nobody else's.
pub fn visible_shares(actor: &Actor) -> Select<share::Entity> {
    let led_results = Query::select()
        .column(result::Column::Id)
        .from(result::Entity)
        .and_where(
            result::Column::ProjectId.in_subquery(
                Query::select()
                    .column(project::Column::Id)
                    .from(project::Entity)
                    .and_where(
                        project::Column::LeadInstitutionId
                            .eq(actor.institution.map(|i| i.id).unwrap_or_default()),
                    )
                    .to_owned(),
            ),
        )
        .to_owned();
    share::Entity::find().filter(share::Column::ResultVersionId.in_subquery(led_results))
}

/// The projects behind the results an actor may see: whoever sees a result sees its project's
/// title and lead, even without seeing the project itself.
pub fn projects_behind(actor: &Actor) -> Select<project::Entity> {
    let behind = visible_to(actor).select_only().column(result::Column::ProjectId).into_query();
    project::Entity::find().filter(project::Column::Id.in_subquery(behind))
}
