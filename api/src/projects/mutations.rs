use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;

use super::graphql::{Project, ProjectRole, ProjectSite, ProjectStatus, TeamMember};
use super::service::ProjectForm;
use super::{service, sites, team, transitions};
use crate::error::ServiceError;
use crate::graphql::{GlobalId, NodeKind, UserError, actor, outcome, request};

#[derive(InputObject)]
pub struct CreateProjectInput {
    /// An open programme your institution may bid into; leave out for a project outside any.
    pub programme_id: Option<ID>,
    pub title: String,
    pub aim_statement: String,
    pub clinical_area: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// Whole pounds.
    pub budget_requested: Option<i64>,
}

#[derive(InputObject)]
pub struct UpdateProjectInput {
    pub id: ID,
    pub title: Option<String>,
    pub aim_statement: Option<String>,
    pub clinical_area: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub budget_requested: Option<i64>,
}

#[derive(SimpleObject)]
pub struct ProjectPayload {
    pub project: Option<Project>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct TransitionProjectInput {
    pub project_id: ID,
    /// SUBMITTED, WITHDRAWN, ACTIVE or COMPLETED; funding goes through `decideFunding`.
    pub to: ProjectStatus,
}

#[derive(InputObject)]
pub struct AddProjectSiteInput {
    pub project_id: ID,
    /// A HOST_INSTITUTION (see `institutionDirectory`).
    pub institution_id: ID,
}

#[derive(InputObject)]
pub struct RespondToProjectSiteInput {
    pub site_id: ID,
    pub accept: bool,
    /// A member of your institution who leads the project on site.
    pub site_lead_user_id: Option<ID>,
}

#[derive(InputObject)]
pub struct RemoveProjectSiteInput {
    pub site_id: ID,
}

#[derive(SimpleObject)]
pub struct ProjectSitePayload {
    pub site: Option<ProjectSite>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct RemoveProjectSitePayload {
    pub removed_site_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AddTeamMemberInput {
    pub project_id: ID,
    /// The lead or a site of the project.
    pub institution_id: ID,
    /// A member of that institution; or give `externalName` instead.
    pub user_id: Option<ID>,
    pub external_name: Option<String>,
    pub role: ProjectRole,
    pub hours_per_week: f64,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct UpdateTeamMemberInput {
    pub team_member_id: ID,
    pub role: Option<ProjectRole>,
    pub hours_per_week: Option<f64>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct RemoveTeamMemberInput {
    pub team_member_id: ID,
}

#[derive(SimpleObject)]
pub struct TeamMemberPayload {
    pub team_member: Option<TeamMember>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct RemoveTeamMemberPayload {
    pub removed_team_member_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

fn optional_id(raw: Option<&ID>, kind: NodeKind, field: &str) -> Result<Option<uuid::Uuid>, ServiceError> {
    raw.map(|raw| GlobalId::require(raw, kind, field)).transpose()
}

#[derive(Default)]
pub struct ProjectMutation;

#[Object]
impl ProjectMutation {
    /// A royal college's or professional body's ADMIN or MEMBER starts a project (DRAFT).
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match optional_id(input.programme_id.as_ref(), NodeKind::Programme, "programmeId") {
            Ok(programme_id) => {
                let form = ProjectForm {
                    title: Some(input.title),
                    aim_statement: Some(input.aim_statement),
                    clinical_area: Some(input.clinical_area),
                    starts_on: input.starts_on,
                    ends_on: input.ends_on,
                    budget_requested: input.budget_requested,
                };
                service::create(db, actor, programme_id, form).await
            }
            Err(e) => Err(e),
        };
        let (project, user_errors) = outcome(ctx, result)?;
        Ok(ProjectPayload { project: project.map(Project), user_errors })
    }

    /// The lead edits a DRAFT or SUBMITTED project.
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        input: UpdateProjectInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::Project, "id") {
            Ok(id) => {
                let form = ProjectForm {
                    title: input.title,
                    aim_statement: input.aim_statement,
                    clinical_area: input.clinical_area,
                    starts_on: input.starts_on,
                    ends_on: input.ends_on,
                    budget_requested: input.budget_requested,
                };
                service::update(db, actor, id, form).await
            }
            Err(e) => Err(e),
        };
        let (project, user_errors) = outcome(ctx, result)?;
        Ok(ProjectPayload { project: project.map(Project), user_errors })
    }

    /// Moves a project along its lifecycle. An illegal move is a userError naming the current
    /// state and the allowed ones.
    async fn transition_project(
        &self,
        ctx: &Context<'_>,
        input: TransitionProjectInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.project_id, NodeKind::Project, "projectId") {
            Ok(id) => transitions::transition(db, actor, id, input.to.into()).await,
            Err(e) => Err(e),
        };
        let (project, user_errors) = outcome(ctx, result)?;
        Ok(ProjectPayload { project: project.map(Project), user_errors })
    }

    /// The lead names a host institution as a site; the host then accepts or declines.
    async fn add_project_site(
        &self,
        ctx: &Context<'_>,
        input: AddProjectSiteInput,
    ) -> async_graphql::Result<ProjectSitePayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let ids = GlobalId::require(&input.project_id, NodeKind::Project, "projectId").and_then(|p| {
            GlobalId::require(&input.institution_id, NodeKind::Institution, "institutionId").map(|i| (p, i))
        });
        let result = match ids {
            Ok((project_id, institution_id)) => sites::add(db, actor, project_id, institution_id).await,
            Err(e) => Err(e),
        };
        let (site, user_errors) = outcome(ctx, result)?;
        Ok(ProjectSitePayload { site: site.map(ProjectSite), user_errors })
    }

    /// The host's ADMIN or MEMBER accepts or declines its site role.
    async fn respond_to_project_site(
        &self,
        ctx: &Context<'_>,
        input: RespondToProjectSiteInput,
    ) -> async_graphql::Result<ProjectSitePayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let ids = GlobalId::require(&input.site_id, NodeKind::ProjectSite, "siteId").and_then(|s| {
            optional_id(input.site_lead_user_id.as_ref(), NodeKind::User, "siteLeadUserId").map(|u| (s, u))
        });
        let result = match ids {
            Ok((site_id, lead)) => sites::respond(db, actor, site_id, input.accept, lead).await,
            Err(e) => Err(e),
        };
        let (site, user_errors) = outcome(ctx, result)?;
        Ok(ProjectSitePayload { site: site.map(ProjectSite), user_errors })
    }

    /// The lead removes a site while the project is a draft or under review.
    async fn remove_project_site(
        &self,
        ctx: &Context<'_>,
        input: RemoveProjectSiteInput,
    ) -> async_graphql::Result<RemoveProjectSitePayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.site_id, NodeKind::ProjectSite, "siteId") {
            Ok(id) => sites::remove(db, actor, id).await,
            Err(e) => Err(e),
        };
        let (removed, user_errors) = outcome(ctx, result)?;
        Ok(RemoveProjectSitePayload {
            removed_site_id: removed.map(|id| GlobalId::encode(NodeKind::ProjectSite, id)),
            user_errors,
        })
    }

    /// The lead adds someone to the springboard team.
    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        input: AddTeamMemberInput,
    ) -> async_graphql::Result<TeamMemberPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let ids = GlobalId::require(&input.project_id, NodeKind::Project, "projectId").and_then(|p| {
            let institution =
                GlobalId::require(&input.institution_id, NodeKind::Institution, "institutionId")?;
            let user = optional_id(input.user_id.as_ref(), NodeKind::User, "userId")?;
            Ok((p, institution, user))
        });
        let result = match ids {
            Ok((project_id, institution_id, user_id)) => {
                let form = team::TeamMemberForm {
                    user_id,
                    external_name: input.external_name,
                    institution_id,
                    role: input.role.into(),
                    hours_per_week: input.hours_per_week,
                    starts_on: input.starts_on,
                    ends_on: input.ends_on,
                };
                team::add(db, actor, project_id, form).await
            }
            Err(e) => Err(e),
        };
        let (member, user_errors) = outcome(ctx, result)?;
        Ok(TeamMemberPayload { team_member: member.map(TeamMember), user_errors })
    }

    async fn update_team_member(
        &self,
        ctx: &Context<'_>,
        input: UpdateTeamMemberInput,
    ) -> async_graphql::Result<TeamMemberPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.team_member_id, NodeKind::TeamMember, "teamMemberId") {
            Ok(id) => {
                let changes = team::TeamMemberChanges {
                    role: input.role.map(Into::into),
                    hours_per_week: input.hours_per_week,
                    starts_on: input.starts_on,
                    ends_on: input.ends_on,
                };
                team::update(db, actor, id, changes).await
            }
            Err(e) => Err(e),
        };
        let (member, user_errors) = outcome(ctx, result)?;
        Ok(TeamMemberPayload { team_member: member.map(TeamMember), user_errors })
    }

    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        input: RemoveTeamMemberInput,
    ) -> async_graphql::Result<RemoveTeamMemberPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.team_member_id, NodeKind::TeamMember, "teamMemberId") {
            Ok(id) => team::remove(db, actor, id).await,
            Err(e) => Err(e),
        };
        let (removed, user_errors) = outcome(ctx, result)?;
        Ok(RemoveTeamMemberPayload {
            removed_team_member_id: removed.map(|id| GlobalId::encode(NodeKind::TeamMember, id)),
            user_errors,
        })
    }
}
