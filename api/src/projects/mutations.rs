use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::graphql::{Project, ProjectRole, ProjectSite, ProjectStatus, TeamMember};
use super::service::ProjectForm;
use super::{service, sites, team, transitions};
use crate::error::ServiceError;
use crate::graphql::{Date, GlobalId, NodeKind, UserError, actor, outcome, request};

/// A new project, led by your institution.
#[derive(InputObject)]
pub struct CreateProjectInput {
    /// An open programme your institution may bid into; leave out for a project outside any.
    pub programme_id: Option<ID>,
    /// The project's title (at most 300 characters).
    pub title: String,
    /// What the project sets out to improve (at most 10,000 characters).
    pub aim_statement: String,
    /// The clinical area it works in (at most 200 characters).
    pub clinical_area: String,
    /// The planned first day (`YYYY-MM-DD`).
    pub starts_on: Option<Date>,
    /// The planned last day (`YYYY-MM-DD`), on or after `startsOn`.
    pub ends_on: Option<Date>,
    /// Whole pounds.
    pub budget_requested: Option<i64>,
}

/// Changes to a DRAFT project's details; fields left out keep their values.
#[derive(InputObject)]
pub struct UpdateProjectInput {
    /// The project's global ID.
    pub id: ID,
    /// A new title (at most 300 characters; not blank).
    pub title: Option<String>,
    /// A new aim statement (at most 10,000 characters; not blank).
    pub aim_statement: Option<String>,
    /// A new clinical area (at most 200 characters; not blank).
    pub clinical_area: Option<String>,
    /// A new first day (`YYYY-MM-DD`).
    pub starts_on: Option<Date>,
    /// A new last day (`YYYY-MM-DD`), on or after the start.
    pub ends_on: Option<Date>,
    /// A new budget request, in whole pounds (0 to 1,000,000,000).
    pub budget_requested: Option<i64>,
}

/// The result of a mutation on a project.
#[derive(SimpleObject)]
pub struct ProjectPayload {
    /// The project as it now is; null when the mutation failed.
    pub project: Option<Project>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A move of a project along its lifecycle.
#[derive(InputObject)]
pub struct TransitionProjectInput {
    /// The project's global ID.
    pub project_id: ID,
    /// SUBMITTED, WITHDRAWN, ACTIVE or COMPLETED; funding goes through `decideFunding`.
    pub to: ProjectStatus,
}

/// A host institution to name as a site of a project.
#[derive(InputObject)]
pub struct AddProjectSiteInput {
    /// The project's global ID.
    pub project_id: ID,
    /// A HOST_INSTITUTION (see `institutionDirectory`).
    pub institution_id: ID,
}

/// A host's answer to being named a site.
#[derive(InputObject)]
pub struct RespondToProjectSiteInput {
    /// The site's global ID (`ProjectSite.id`).
    pub site_id: ID,
    /// True to accept the site role; false to decline it, which is final for your institution.
    pub accept: bool,
    /// A member of your institution who leads the project on site.
    pub site_lead_user_id: Option<ID>,
}

/// A site to remove from a project.
#[derive(InputObject)]
pub struct RemoveProjectSiteInput {
    /// The site's global ID (`ProjectSite.id`).
    pub site_id: ID,
}

/// The result of a mutation on a project site.
#[derive(SimpleObject)]
pub struct ProjectSitePayload {
    /// The site as it now is; null when the mutation failed.
    pub site: Option<ProjectSite>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `removeProjectSite`.
#[derive(SimpleObject)]
pub struct RemoveProjectSitePayload {
    /// The global ID of the site removed; null when the mutation failed.
    pub removed_site_id: Option<ID>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A person to add to a project's springboard team.
#[derive(InputObject)]
pub struct AddTeamMemberInput {
    /// The project's global ID.
    pub project_id: ID,
    /// The lead or a site of the project.
    pub institution_id: ID,
    /// A member of that institution; or give `externalName` instead.
    pub user_id: Option<ID>,
    /// The name of a person without an account (at most 200 characters); give either this or
    /// `userId`.
    pub external_name: Option<String>,
    /// The person's role in the team.
    pub role: ProjectRole,
    /// Hours per week the person commits to the project: more than 0, at most 100.
    pub hours_per_week: f64,
    /// The first day on the team (`YYYY-MM-DD`).
    pub starts_on: Option<Date>,
    /// The last day on the team (`YYYY-MM-DD`), on or after `startsOn`; leave out for open-ended.
    pub ends_on: Option<Date>,
}

/// Changes to a team member; fields left out keep their values.
#[derive(InputObject)]
pub struct UpdateTeamMemberInput {
    /// The team member's global ID (`TeamMember.id`).
    pub team_member_id: ID,
    /// A new role.
    pub role: Option<ProjectRole>,
    /// New hours per week: more than 0, at most 100.
    pub hours_per_week: Option<f64>,
    /// A new first day on the team (`YYYY-MM-DD`).
    pub starts_on: Option<Date>,
    /// A new last day on the team (`YYYY-MM-DD`), on or after the first.
    pub ends_on: Option<Date>,
}

/// A team member to remove from a project's team.
#[derive(InputObject)]
pub struct RemoveTeamMemberInput {
    /// The team member's global ID (`TeamMember.id`).
    pub team_member_id: ID,
}

/// The result of a mutation on a team member.
#[derive(SimpleObject)]
pub struct TeamMemberPayload {
    /// The team member as they now are; null when the mutation failed.
    pub team_member: Option<TeamMember>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The result of `removeTeamMember`.
#[derive(SimpleObject)]
pub struct RemoveTeamMemberPayload {
    /// The global ID of the team member removed; null when the mutation failed.
    pub removed_team_member_id: Option<ID>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

fn optional_id(raw: Option<&ID>, kind: NodeKind, field: &str) -> Result<Option<uuid::Uuid>, ServiceError> {
    raw.map(|raw| GlobalId::require(raw, kind, field)).transpose()
}

#[derive(Default)]
pub struct ProjectMutation;

#[Object]
impl ProjectMutation {
    /// A royal college's or professional body's ADMIN or MEMBER (or READ_WRITE API token) starts a
    /// project, in DRAFT, led by its institution. userErrors: REQUIRED, INVALID, NOT_FOUND
    /// (`programmeId`), BIDDING_CLOSED, NOT_ELIGIBLE (the programme does not take your kind).
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new project.")] input: CreateProjectInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match optional_id(input.programme_id.as_ref(), NodeKind::Programme, "programmeId") {
            Ok(programme_id) => {
                let form = ProjectForm {
                    title: Some(input.title),
                    aim_statement: Some(input.aim_statement),
                    clinical_area: Some(input.clinical_area),
                    starts_on: input.starts_on.map(Into::into),
                    ends_on: input.ends_on.map(Into::into),
                    budget_requested: input.budget_requested,
                };
                service::create(db, actor, programme_id, form).await
            }
            Err(e) => Err(e),
        };
        let (project, user_errors) = outcome(ctx, result)?;
        Ok(ProjectPayload { project: project.map(Project), user_errors })
    }

    /// The lead's ADMIN or MEMBER (or READ_WRITE API token) edits a DRAFT project's details.
    /// userErrors: NOT_FOUND, NOT_ALLOWED_IN_STATUS (no longer a DRAFT), REQUIRED (a blank text),
    /// INVALID.
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project and the changes.")] input: UpdateProjectInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.id, NodeKind::Project, "id") {
            Ok(id) => {
                let form = ProjectForm {
                    title: input.title,
                    aim_statement: input.aim_statement,
                    clinical_area: input.clinical_area,
                    starts_on: input.starts_on.map(Into::into),
                    ends_on: input.ends_on.map(Into::into),
                    budget_requested: input.budget_requested,
                };
                service::update(db, actor, id, form).await
            }
            Err(e) => Err(e),
        };
        let (project, user_errors) = outcome(ctx, result)?;
        Ok(ProjectPayload { project: project.map(Project), user_errors })
    }

    /// Moves a project along its lifecycle: the lead's ADMIN or MEMBER (or READ_WRITE API token)
    /// submits, withdraws and completes it; the programme's funder, likewise, starts a FUNDED one
    /// (ACTIVE). An illegal move is an INVALID_TRANSITION userError naming the current state and
    /// the allowed ones; others: NOT_FOUND, CONFLICT, and on submission REQUIRED or BIDDING_CLOSED
    /// (`programmeId`) and NO_ACCEPTED_SITE (no site named).
    async fn transition_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project and the status to move it to.")] input: TransitionProjectInput,
    ) -> async_graphql::Result<ProjectPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.project_id, NodeKind::Project, "projectId") {
            Ok(id) => transitions::transition(db, actor, id, input.to.into()).await,
            Err(e) => Err(e),
        };
        let (project, user_errors) = outcome(ctx, result)?;
        Ok(ProjectPayload { project: project.map(Project), user_errors })
    }

    /// The lead's ADMIN or MEMBER (or READ_WRITE API token) names a host institution as a site of
    /// a DRAFT project; the host then accepts or declines. userErrors: NOT_FOUND, NOT_ELIGIBLE
    /// (not a host institution), TAKEN (already a site), NOT_ALLOWED_IN_STATUS, INVALID.
    async fn add_project_site(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project and the host institution.")] input: AddProjectSiteInput,
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

    /// The host's ADMIN or MEMBER (or READ_WRITE API token) accepts or declines its site role
    /// while the project is a DRAFT; declining is final for the host, which then no longer sees the
    /// project. userErrors: NOT_FOUND (also a site lead who is not your member), NOT_ALLOWED_IN_STATUS,
    /// INVALID.
    async fn respond_to_project_site(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The site and your answer.")] input: RespondToProjectSiteInput,
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

    /// The lead's ADMIN or MEMBER (or READ_WRITE API token) removes a site while the project is a
    /// DRAFT. userErrors: NOT_FOUND, NOT_ALLOWED_IN_STATUS, INVALID.
    async fn remove_project_site(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The site to remove.")] input: RemoveProjectSiteInput,
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

    /// The lead's ADMIN or MEMBER (or READ_WRITE API token) adds someone to the springboard team
    /// of a DRAFT, FUNDED or ACTIVE project. userErrors: NOT_FOUND (also a user who is not a member
    /// of `institutionId`), NOT_ELIGIBLE (neither the lead nor a site), NOT_ALLOWED_IN_STATUS, INVALID.
    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project and the person.")] input: AddTeamMemberInput,
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
                    starts_on: input.starts_on.map(Into::into),
                    ends_on: input.ends_on.map(Into::into),
                };
                team::add(db, actor, project_id, form).await
            }
            Err(e) => Err(e),
        };
        let (member, user_errors) = outcome(ctx, result)?;
        Ok(TeamMemberPayload { team_member: member.map(TeamMember), user_errors })
    }

    /// The lead's ADMIN or MEMBER (or READ_WRITE API token) changes a team member's role, hours or
    /// dates while the project is DRAFT, FUNDED or ACTIVE. userErrors: NOT_FOUND,
    /// NOT_ALLOWED_IN_STATUS, INVALID.
    async fn update_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team member and the changes.")] input: UpdateTeamMemberInput,
    ) -> async_graphql::Result<TeamMemberPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.team_member_id, NodeKind::TeamMember, "teamMemberId") {
            Ok(id) => {
                let changes = team::TeamMemberChanges {
                    role: input.role.map(Into::into),
                    hours_per_week: input.hours_per_week,
                    starts_on: input.starts_on.map(Into::into),
                    ends_on: input.ends_on.map(Into::into),
                };
                team::update(db, actor, id, changes).await
            }
            Err(e) => Err(e),
        };
        let (member, user_errors) = outcome(ctx, result)?;
        Ok(TeamMemberPayload { team_member: member.map(TeamMember), user_errors })
    }

    /// The lead's ADMIN or MEMBER (or READ_WRITE API token) removes someone from the team while
    /// the project is DRAFT, FUNDED or ACTIVE. userErrors: NOT_FOUND, NOT_ALLOWED_IN_STATUS,
    /// INVALID.
    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team member to remove.")] input: RemoveTeamMemberInput,
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
