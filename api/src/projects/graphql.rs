use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::project::{self, ProjectStatus as DbProjectStatus};
use entity::project_site::{self, SiteStatus as DbSiteStatus};
use entity::team_member::{self, ProjectRole as DbProjectRole};

use super::scopes::{SitesOfProject, TeamOfProject, VisibleProjects};
use super::service::{self, ProjectFilter, ProjectSort, Standing};
use crate::assessments::graphql::CapacityAssessment;
use crate::assessments::service::AssessmentsOfProject;
use crate::commitments::graphql::Commitment;
use crate::commitments::service::CommitmentsOfProject;
use crate::error::{ServiceError, UserErrorCode};
use crate::funding::service::Readiness;
use crate::graphql::{
    GlobalId, GqlResult, NodeKind, Paged, UserError, actor, compute, connection, load_children, load_one,
    page_request, request,
};
use crate::institutions::graphql::InstitutionProfile;
use crate::institutions::service::Directory;
use crate::measures::burden::MonitoringBurdens;
use crate::measures::burden_graphql::MonitoringBurden;
use crate::measures::data_flow::DataFlows;
use crate::measures::data_flow_graphql::ProjectDataFlow;
use crate::measures::graphql::{ImprovementSummary, Measure};
use crate::measures::rollup::ProjectImprovement;
use crate::measures::scopes::MeasuresOfProject;
use crate::mirror_enum;
use crate::programmes::criteria::FundingCriteria;
use crate::programmes::graphql::Programme;
use crate::programmes::service::VisibleProgrammes;
use crate::results::graphql::EngagementRecord;
use crate::results::scopes::EngagementOfProject;
use crate::scope::Row;
use crate::users::graphql::User;
use crate::users::service::VisibleUsers;

mirror_enum! {
    /// Where a project is in its life. DRAFT → SUBMITTED → FUNDED → ACTIVE → COMPLETED, with
    /// DECLINED (by the funder) and WITHDRAWN (by the lead) exits.
    ProjectStatus <=> DbProjectStatus { Draft, Submitted, Funded, Active, Completed, Declined, Withdrawn }
}

mirror_enum! {
    /// A host's answer to being named a site.
    SiteStatus <=> DbSiteStatus { Invited, Accepted, Declined }
}

mirror_enum! {
    /// A role in a project's springboard team.
    ProjectRole <=> DbProjectRole {
        ClinicalLead,
        ProjectManager,
        ExecutiveSponsor,
        DataAnalyst,
        ImprovementAdvisor,
        ServiceUserRepresentative,
        Evaluator,
        TeamMember,
    }
}

/// A QI project: a bid by a royal college or professional body, run at host sites.
pub struct Project(pub project::Model);

impl Project {
    /// The project's programme as the actor may see it.
    async fn programme_row(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<entity::programme::Model>> {
        let Some(programme_id) = self.0.programme_id else { return Ok(None) };
        load_one::<VisibleProgrammes>(ctx, programme_id).await
    }

    fn row(&self) -> Row<project::Model> {
        Row::new(self.0.id, self.0.clone())
    }
}

#[Object(name = "Project")]
impl Project {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Project, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn aim_statement(&self) -> &str {
        &self.0.aim_statement
    }
    async fn clinical_area(&self) -> &str {
        &self.0.clinical_area
    }
    async fn starts_on(&self) -> Option<NaiveDate> {
        self.0.starts_on
    }
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.ends_on
    }
    /// In whole pounds.
    async fn budget_requested(&self) -> Option<i64> {
        self.0.budget_requested
    }
    /// In whole pounds; set when the project is funded.
    async fn budget_awarded(&self) -> Option<i64> {
        self.0.budget_awarded
    }
    async fn status(&self) -> ProjectStatus {
        self.0.status.into()
    }
    async fn status_changed_at(&self) -> DateTime<Utc> {
        self.0.status_changed_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<InstitutionProfile>> {
        Ok(load_one::<Directory>(ctx, self.0.lead_institution_id).await?.map(InstitutionProfile))
    }
    async fn programme(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Programme>> {
        Ok(self.programme_row(ctx).await?.map(Programme))
    }
    /// Every observation of the project's measures as one CSV table
    /// (`measure_id,measure,site,period_start,value,numerator,denominator,note`; `value` filled in
    /// for proportions), measures in the order they were defined, then by period and site; at
    /// most 100,000 rows. Also at `GET /export/projects/{projectId}.csv`.
    #[graphql(complexity = "crate::graphql::cost::OBSERVATIONS_CSV")]
    async fn observations_csv(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(compute::<crate::measures::export::ProjectExports>(ctx, self.row()).await?.unwrap_or_default())
    }
    /// A CSV file to fill in and send back with `importObservationsCsv(projectId:)`: the header
    /// `measure,site,period_start,value,numerator,denominator,note`, then a row per measure and
    /// site you may record for (every site for those who only read), at the latest period that has
    /// ended at the site, values blank. Measures are named by code where they have one, else by
    /// ID. Also at `GET /export/projects/{projectId}/template.csv`.
    #[graphql(complexity = "crate::graphql::cost::OBSERVATIONS_CSV")]
    async fn observations_csv_template(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(compute::<crate::measures::import::Templates>(ctx, self.row()).await?.unwrap_or_default())
    }
    /// The published shared result this project was started from (`adoptSharedResult`); null
    /// when it was not adopted or you can no longer see the result.
    async fn adopted_from(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::results::graphql::SharedResult>> {
        let Some(result_id) = self.0.adopted_from_result_id else { return Ok(None) };
        Ok(load_one::<crate::results::scopes::VisibleResults>(ctx, result_id)
            .await?
            .map(crate::results::graphql::SharedResult))
    }
    /// Host sites, in the order they were named.
    async fn sites(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProjectSite>> {
        Ok(load_children::<SitesOfProject>(ctx, self.0.id).await?.into_iter().map(ProjectSite).collect())
    }
    /// The springboard team.
    async fn team(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TeamMember>> {
        Ok(load_children::<TeamOfProject>(ctx, self.0.id).await?.into_iter().map(TeamMember).collect())
    }
    /// What colleges and bodies commit to the project.
    async fn commitments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Commitment>> {
        Ok(load_children::<CommitmentsOfProject>(ctx, self.0.id).await?.into_iter().map(Commitment).collect())
    }
    /// Capacity assessments of the project's sites that you may see, newest first.
    async fn assessments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CapacityAssessment>> {
        let rows = load_children::<AssessmentsOfProject>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(CapacityAssessment).collect())
    }
    /// The project's quality indicators, oldest first.
    async fn measures(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Measure>> {
        Ok(load_children::<MeasuresOfProject>(ctx, self.0.id).await?.into_iter().map(Measure).collect())
    }
    /// People engaged per month, as the lead records them.
    async fn engagement(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EngagementRecord>> {
        let rows = load_children::<EngagementOfProject>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(EngagementRecord::from).collect())
    }
    /// Verdicts of the project's measures, all sites pooled.
    #[graphql(complexity = "crate::graphql::cost::PROJECT_IMPROVEMENT")]
    async fn improvement(&self, ctx: &Context<'_>) -> async_graphql::Result<ImprovementSummary> {
        Ok(compute::<ProjectImprovement>(ctx, self.0.id).await?.unwrap_or_default().into())
    }
    /// The team's committed hours against the programme's springboard rule (the default rule for
    /// a project outside any programme).
    async fn team_capacity(&self, ctx: &Context<'_>) -> async_graphql::Result<TeamCapacity> {
        // Both loads start before either is awaited, so they join the same batches as their
        // siblings' and the statement count does not depend on timing.
        let (programme, team) = futures_util::future::join(
            self.programme_row(ctx),
            load_children::<TeamOfProject>(ctx, self.0.id),
        )
        .await;
        let rule = programme?.map(|p| FundingCriteria::from_model(&p).rule).unwrap_or_default();
        let capacity = super::team::capacity(&rule, &team?, request(ctx)?.db.today());
        Ok(TeamCapacity {
            meets_rule: capacity.meets_rule(),
            hours_by_role: capacity
                .hours_by_role
                .iter()
                .map(|(role, hours)| RoleHours { role: (*role).into(), hours: *hours })
                .collect(),
            total_hours: capacity.total_hours,
            required_hours: rule.min_weekly_hours,
            hours_short: capacity.hours_short,
            missing_role_groups: capacity
                .missing_role_groups
                .iter()
                .map(|g| g.iter().map(|r| (*r).into()).collect())
                .collect(),
        })
    }
    /// The funding gate, asked now: what would stop the funder funding this project today.
    #[graphql(complexity = "crate::graphql::cost::FUNDING_READINESS")]
    async fn funding_readiness(&self, ctx: &Context<'_>) -> async_graphql::Result<FundingReadiness> {
        let failures = compute::<Readiness>(ctx, self.row()).await?.unwrap_or_default();
        let burden = compute::<MonitoringBurdens>(ctx, self.row()).await?;
        Ok(FundingReadiness {
            ready: failures.is_empty(),
            failures: failures.into_iter().map(UserError::from).collect(),
            gaps: burden.map(|b| b.gaps()).unwrap_or_default().into_iter().map(UserError::from).collect(),
        })
    }
    /// What the project's monitoring is forecast to take each week, before funding, beside the
    /// team's committed hours and the programme's cap.
    #[graphql(complexity = "crate::graphql::cost::MONITORING_BURDEN")]
    async fn monitoring_burden(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MonitoringBurden>> {
        Ok(compute::<MonitoringBurdens>(ctx, self.row()).await?.map(Into::into))
    }
    /// How the project's data arrives, measured from what arrived: completeness, timeliness and
    /// the share integrated from systems, per measure and accepted site and pooled, beside the
    /// monitoring burden forecast.
    /// Time given against time committed, month by month and by role, for the `months` months
    /// up to this one (1 to 24; default 6).
    async fn team_time(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 6)] months: i32,
    ) -> async_graphql::Result<Vec<super::team_time_graphql::TeamTimeMonth>> {
        let count = u8::try_from(months)
            .ok()
            .filter(|m| (1..=super::team_time::MAX_MONTHS).contains(m))
            .ok_or_else(|| ServiceError::invalid("months", UserErrorCode::Invalid, "between 1 and 24 months"))
            .gql(ctx)?;
        let months =
            compute::<super::team_time::TeamTimes>(ctx, (self.row(), count)).await?.unwrap_or_default();
        Ok(months.into_iter().map(Into::into).collect())
    }
    #[graphql(complexity = "crate::graphql::cost::DATA_FLOW")]
    async fn data_flow(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProjectDataFlow>> {
        let flow = compute::<DataFlows>(ctx, self.row()).await?;
        let burden = compute::<MonitoringBurdens>(ctx, self.row()).await?;
        Ok(flow.map(|f| ProjectDataFlow::of(&f, burden.as_ref())))
    }
    /// The states you could move the project to now (preconditions aside).
    async fn available_transitions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProjectStatus>> {
        let funder = self.programme_row(ctx).await?.map(|p| p.funder_institution_id);
        let standing = Standing::of(actor(ctx)?, &self.0, funder);
        Ok(super::transitions::available(&self.0, standing).into_iter().map(Into::into).collect())
    }
}

#[derive(SimpleObject)]
pub struct RoleHours {
    pub role: ProjectRole,
    pub hours: f64,
}

#[derive(SimpleObject)]
pub struct TeamCapacity {
    pub meets_rule: bool,
    pub hours_by_role: Vec<RoleHours>,
    pub total_hours: f64,
    pub required_hours: f64,
    pub hours_short: f64,
    /// Role groups nobody fills: each needs one member holding any of its roles.
    pub missing_role_groups: Vec<Vec<ProjectRole>>,
}

/// The funding gate's verdict: each failure names its site, dimension or role in `field` and
/// says what falls short in `message`.
#[derive(SimpleObject)]
pub struct FundingReadiness {
    pub ready: bool,
    pub failures: Vec<UserError>,
    /// Evidence the gate lacks, which does not block funding on its own: measures with no
    /// estimate of their collection time (`ESTIMATE_MISSING`), left out of the monitoring
    /// burden forecast rather than counted as zero.
    pub gaps: Vec<UserError>,
}

/// A host institution's part in a project.
pub struct ProjectSite(pub project_site::Model);

#[Object]
impl ProjectSite {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::ProjectSite, self.0.id)
    }
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<InstitutionProfile>> {
        let host = load_one::<Directory>(ctx, self.0.institution_id).await?;
        Ok(host.map(InstitutionProfile))
    }
    async fn status(&self) -> SiteStatus {
        self.0.status.into()
    }
    /// The host's lead for the project, named when it accepts.
    async fn site_lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.0.site_lead_user_id else { return Ok(None) };
        let user = load_one::<VisibleUsers>(ctx, user_id).await?;
        Ok(user.map(User))
    }
    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.responded_at
    }
    async fn project_id(&self) -> ID {
        GlobalId::encode(NodeKind::Project, self.0.project_id)
    }
}

/// A person on a project's springboard team.
pub struct TeamMember(pub team_member::Model);

#[Object]
impl TeamMember {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::TeamMember, self.0.id)
    }
    /// Set for members with an account.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.0.user_id else { return Ok(None) };
        let user = load_one::<VisibleUsers>(ctx, user_id).await?;
        Ok(user.map(User))
    }
    /// Set for people without an account.
    async fn external_name(&self) -> Option<&str> {
        self.0.external_name.as_deref()
    }
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<InstitutionProfile>> {
        let institution = load_one::<Directory>(ctx, self.0.institution_id).await?;
        Ok(institution.map(InstitutionProfile))
    }
    async fn role(&self) -> ProjectRole {
        self.0.role.into()
    }
    async fn hours_per_week(&self) -> f64 {
        self.0.hours_per_week
    }
    async fn starts_on(&self) -> Option<NaiveDate> {
        self.0.starts_on
    }
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.ends_on
    }
}

#[derive(InputObject, Default)]
pub struct ProjectFilterInput {
    pub statuses: Option<Vec<ProjectStatus>>,
    pub programme_id: Option<ID>,
    pub lead_institution_id: Option<ID>,
    pub site_institution_id: Option<ID>,
    /// Exact, case-insensitive.
    pub clinical_area: Option<String>,
    /// A fragment of the title, case-insensitive.
    pub search: Option<String>,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProjectOrderField {
    /// Creation order.
    #[default]
    CreatedAt,
    Title,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

#[derive(InputObject, Default)]
pub struct ProjectOrder {
    #[graphql(default)]
    pub field: ProjectOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

fn parse_filter(input: ProjectFilterInput) -> Result<ProjectFilter, ServiceError> {
    let id =
        |raw: Option<ID>, kind, field: &str| raw.map(|raw| GlobalId::require(&raw, kind, field)).transpose();
    Ok(ProjectFilter {
        statuses: input.statuses.unwrap_or_default().into_iter().map(Into::into).collect(),
        programme_id: id(input.programme_id, NodeKind::Programme, "filter.programmeId")?,
        lead_institution_id: id(
            input.lead_institution_id,
            NodeKind::Institution,
            "filter.leadInstitutionId",
        )?,
        site_institution_id: id(
            input.site_institution_id,
            NodeKind::Institution,
            "filter.siteInstitutionId",
        )?,
        clinical_area: input.clinical_area,
        title_contains: input.search,
    })
}

#[derive(Default)]
pub struct ProjectQuery;

#[Object]
impl ProjectQuery {
    /// A project your institution leads, hosts or funds; null otherwise.
    async fn project(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Project>> {
        let id = GlobalId::require(&id, NodeKind::Project, "id").gql(ctx)?;
        Ok(load_one::<VisibleProjects>(ctx, id).await?.map(Project))
    }

    /// A measure of a project your institution leads, hosts or funds; null otherwise (as
    /// `node(id:)`, typed).
    async fn measure(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<crate::measures::graphql::Measure>> {
        let id = GlobalId::require(&id, NodeKind::Measure, "id").gql(ctx)?;
        Ok(load_one::<crate::measures::scopes::VisibleMeasures>(ctx, id)
            .await?
            .map(crate::measures::graphql::Measure))
    }

    /// Projects your institution leads, hosts or funds.
    #[graphql(complexity = "crate::graphql::cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProjectFilterInput>,
        order_by: Option<ProjectOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Paged<Project>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let filter = parse_filter(filter.unwrap_or_default()).gql(ctx)?;
        let order = order_by.unwrap_or_default();
        let sort = match order.field {
            ProjectOrderField::CreatedAt => ProjectSort::Created,
            ProjectOrderField::Title => ProjectSort::Title,
        };
        let page = page_request(first, after, last, before).gql(ctx)?;
        let ascending = order.direction == OrderDirection::Asc;
        let found = service::list(db, actor, filter, sort, ascending, &page).await.gql(ctx)?;
        Ok(connection(found, Project))
    }
}
