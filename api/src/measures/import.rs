//! CSV imports: a file for one measure, or a project's file whose `measure` column names each
//! row's measure by its code or ID. Every problem (the file's, the measure names', the rows')
//! is found before anything is written and reported together, by line and by the file's own
//! column names; then every measure's rows are written in one transaction, or none.

use std::collections::HashMap;

use entity::{measure, project};
use uuid::Uuid;

use super::calendar::Calendar;
use super::csv_import::{self, Columns, FileRow, HEADER};
use super::ingest::{self, Mode, Recorded, Source};
use super::service::SiteDirectory;
use super::validate::{MAX_REPORTED_ERRORS, RawRow};
use super::{periods, service};
use crate::actor::Actor;
use crate::db::Db;
use crate::error::{FieldError, ServiceError, UserErrorCode};
use crate::ids::{NodeKind, global_id};
use crate::paging;
use crate::projects::service as projects;
use crate::scope::{Batched, Row, by_rows};

/// What a file is imported into.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// One measure; a `measure` column, if present, must name it (or be blank).
    Measure(Uuid),
    /// A project; the `measure` column names each row's measure.
    Project(Uuid),
}

/// Reads, checks and (unless a dry run) writes a file; one report per measure in the file.
pub async fn import(
    db: &Db,
    actor: &Actor,
    target: Target,
    bytes: &[u8],
    mode: Mode,
) -> Result<Vec<Recorded>, ServiceError> {
    let upload = csv_import::parse(bytes).map_err(|problems| ServiceError::Invalid(labelled(problems)))?;
    let mut problems = upload.problems;
    let columns = upload.columns;
    let groups = match target {
        Target::Measure(id) => {
            let measure =
                service::get(db, actor, id).await?.ok_or(ServiceError::NotFound { field: "measureId" })?;
            group(upload.rows, &[measure], &columns, false, &mut problems)
        }
        Target::Project(id) => {
            let project = projects::require(db, actor, id, "projectId").await?;
            if !columns.has("measure") {
                problems.push(FieldError::new(
                    "file.1",
                    UserErrorCode::Required,
                    format!(
                        "a project's file needs a `measure` column naming each row's measure by its code or ID; \
                         the header could be {HEADER}"
                    ),
                ));
                return Err(ServiceError::Invalid(labelled(problems)));
            }
            let measures = service::of_project(db, actor, project.id).await?;
            group(upload.rows, &measures, &columns, true, &mut problems)
        }
    };
    let mut prepared = Vec::with_capacity(groups.len());
    for (measure_id, rows) in groups {
        match ingest::prepare(db, actor, measure_id, rows, Source::file(&columns)).await {
            Ok(batch) => prepared.push(batch),
            Err(ServiceError::Invalid(mut found)) => problems.append(&mut found),
            Err(other) => return Err(other),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(labelled(problems)));
    }
    ingest::commit(db, actor, prepared, mode).await
}

/// The rows of each measure, in the order measures first appear in the file.
fn group(
    rows: Vec<FileRow>,
    measures: &[measure::Model],
    columns: &Columns,
    required: bool,
    problems: &mut Vec<FieldError>,
) -> Vec<(Uuid, Vec<(usize, RawRow)>)> {
    let named = |cell: &str| {
        let code = cell.to_ascii_uppercase();
        measures
            .iter()
            .find(|m| m.code.as_deref() == Some(code.as_str()) || global_id(NodeKind::Measure, m.id) == cell)
    };
    let column = columns.name_of("measure");
    let mut groups: Vec<(Uuid, Vec<(usize, RawRow)>)> = Vec::new();
    for FileRow { line, measure, row } in rows {
        let found = match (measure.as_deref(), required) {
            (None, true) => {
                problems.push(FieldError::new(
                    &format!("file.{line}.{column}"),
                    UserErrorCode::Required,
                    "name the row's measure by its code or ID",
                ));
                continue;
            }
            (None, false) => measures.first(),
            (Some(cell), _) => named(cell),
        };
        let Some(measure) = found else {
            let cell = measure.unwrap_or_default();
            let message = if required {
                format!("no measure of this project has the code or ID `{cell}`")
            } else {
                format!(
                    "`{cell}` is not the measure this file is imported into; import by projectId for several measures"
                )
            };
            problems.push(FieldError::new(
                &format!("file.{line}.{column}"),
                UserErrorCode::NotFound,
                message,
            ));
            continue;
        };
        match groups.iter_mut().find(|(id, _)| *id == measure.id) {
            Some((_, list)) => list.push((line, row)),
            None => groups.push((measure.id, vec![(line, row)])),
        }
    }
    groups
}

/// Problems in line order, at most `MAX_REPORTED_ERRORS`, each message saying where it is.
fn labelled(mut problems: Vec<FieldError>) -> Vec<FieldError> {
    let line_of = |e: &FieldError| e.field.get(2).and_then(|l| l.parse::<usize>().ok()).unwrap_or(0);
    problems.sort_by_key(line_of);
    let more = problems.len().saturating_sub(MAX_REPORTED_ERRORS);
    problems.truncate(MAX_REPORTED_ERRORS);
    for problem in &mut problems {
        if let [_, _, line, column] = problem.field.as_slice() {
            problem.message = format!("line {line}, {column}: {}", problem.message);
        }
    }
    if more > 0 {
        problems.push(FieldError::new("file", UserErrorCode::Invalid, format!("and {more} more problems")));
    }
    problems
}

/// Files to fill in, one per project: the header, and a row per measure and site the actor may
/// record for, at the latest period that has ended at the site, values blank. Measures are
/// named by code where they have one. Three statements for any number of projects.
pub async fn templates(
    db: &Db,
    actor: &Actor,
    projects: &[project::Model],
) -> Result<HashMap<Uuid, String>, ServiceError> {
    let ids: Vec<Uuid> = projects.iter().map(|p| p.id).collect();
    let mut measures =
        paging::among(service::visible_to(actor), measure::Column::ProjectId, &ids).all(db.conn()).await?;
    measures.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let directories = service::site_directories(db, actor, &ids).await?;
    let mut out = HashMap::with_capacity(projects.len());
    for project in projects {
        let directory = directories.get(&project.id).cloned().unwrap_or_default();
        let own = measures.iter().filter(|m| m.project_id == project.id);
        out.insert(project.id, template(actor, project, own, &directory, db.now())?);
    }
    Ok(out)
}

fn template<'a>(
    actor: &Actor,
    project: &project::Model,
    measures: impl Iterator<Item = &'a measure::Model>,
    directory: &SiteDirectory,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, ServiceError> {
    // A writer's template holds the sites it may record for; anyone else's, every site.
    let writable = ingest::writable_sites(actor, project.lead_institution_id, directory).ok();
    let mut sites: Vec<(&Uuid, &String)> = directory
        .slug_of
        .iter()
        .filter(|(site, _)| writable.as_ref().is_none_or(|w| w.contains(site)))
        .collect();
    sites.sort_by(|a, b| a.1.cmp(b.1));
    let calendar = Calendar::new(now, directory.zone_of.clone());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER.split(',')).map_err(ServiceError::internal)?;
    for measure in measures {
        let name = measure.code.clone().unwrap_or_else(|| global_id(NodeKind::Measure, measure.id));
        for (site, slug) in &sites {
            let Some(period) = periods::last_ended(measure.frequency, calendar.today_at(**site)) else {
                continue;
            };
            writer
                .write_record([name.as_str(), slug.as_str(), &period.to_string(), "", "", "", ""])
                .map_err(ServiceError::internal)?;
        }
    }
    let bytes = writer.into_inner().map_err(|e| ServiceError::internal(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `templates` for the GraphQL layer's batches.
pub struct Templates;

impl Batched for Templates {
    type Key = Row<project::Model>;
    type Value = String;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Row<project::Model>],
    ) -> Result<HashMap<Row<project::Model>, String>, ServiceError> {
        by_rows(keys, async |projects| templates(db, actor, &projects).await).await
    }
}
