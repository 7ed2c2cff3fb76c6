use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

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
    Date, GlobalId, GqlResult, Instant, NodeKind, Paged, UserError, actor, compute, connection,
    load_children, load_one, page_request, request,
};
use crate::institutions::graphql::InstitutionProfile;
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
    ProjectStatus <=> DbProjectStatus {
        /// Being prepared by the lead; only the lead and the sites invited to it see it.
        Draft,
        /// A bid submitted to its programme, awaiting the funder's decision; it takes no changes
        /// but withdrawal.
        Submitted,
        /// Funded by the programme's funder after passing the funding gate; not yet started.
        Funded,
        /// Running: the funder has started the funded project.
        Active,
        /// Finished, as the lead declared; takes only shared results and observations for periods
        /// before completion. Final.
        Completed,
        /// The funder declined the bid. Final.
        Declined,
        /// The lead withdrew the project. Final.
        Withdrawn,
    }
}

mirror_enum! {
    /// A host's answer to being named a site.
    SiteStatus <=> DbSiteStatus {
        /// Named by the lead; the host has not answered yet.
        Invited,
        /// The host takes part in the project.
        Accepted,
        /// The host declined; final for the host, which no longer sees the project.
        Declined,
    }
}

mirror_enum! {
    /// A role in a project's springboard team.
    ProjectRole <=> DbProjectRole {
        /// The clinician who leads the project.
        ClinicalLead,
        /// Manages the project day to day; a current project manager may report team time for
        /// anyone on the team.
        ProjectManager,
        /// A senior leader who sponsors the project within the organisation.
        ExecutiveSponsor,
        /// Collects and analyses the project's data.
        DataAnalyst,
        /// Advises on quality-improvement method.
        ImprovementAdvisor,
        /// Speaks for patients and service users.
        ServiceUserRepresentative,
        /// Evaluates the project.
        Evaluator,
        /// Any other member of the team.
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

    /// The project an ID field names, as the actor may see it: what an object link resolves to.
    pub async fn linked(ctx: &Context<'_>, id: uuid::Uuid) -> async_graphql::Result<Option<Self>> {
        Ok(load_one::<VisibleProjects>(ctx, id).await?.map(Project))
    }
}

/// A QI project: a bid by a royal college or professional body, run at host sites.
#[Object(name = "Project")]
impl Project {
    /// The project's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Project, self.0.id)
    }
    /// The project's title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What the project sets out to improve, as the lead states it.
    async fn aim_statement(&self) -> &str {
        &self.0.aim_statement
    }
    /// The clinical area the project works in, as the lead names it.
    async fn clinical_area(&self) -> &str {
        &self.0.clinical_area
    }
    /// The day the project starts (`YYYY-MM-DD`); null until the lead sets it.
    async fn starts_on(&self) -> Option<Date> {
        self.0.starts_on.map(Into::into)
    }
    /// The day the project ends (`YYYY-MM-DD`), never before `startsOn`; null until the lead sets
    /// it.
    async fn ends_on(&self) -> Option<Date> {
        self.0.ends_on.map(Into::into)
    }
    /// In whole pounds.
    async fn budget_requested(&self) -> Option<i64> {
        self.0.budget_requested
    }
    /// In whole pounds; set when the project is funded.
    async fn budget_awarded(&self) -> Option<i64> {
        self.0.budget_awarded
    }
    /// Where the project is in its lifecycle.
    async fn status(&self) -> ProjectStatus {
        self.0.status.into()
    }
    /// When the project last changed status (UTC); for a DRAFT, when it was created.
    async fn status_changed_at(&self) -> Instant {
        self.0.status_changed_at.into()
    }
    /// When the project was created (UTC).
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
    /// When the project's own details or status last changed (UTC); changes to its sites, team
    /// or measures do not count.
    async fn updated_at(&self) -> Instant {
        self.0.updated_at.into()
    }
    /// The royal college or professional body that leads the project.
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<InstitutionProfile> {
        InstitutionProfile::referenced(ctx, self.0.lead_institution_id).await
    }
    /// The programme the project bids into; null for a project outside any programme.
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
        let shortfalls = compute::<Readiness>(ctx, self.row()).await?.unwrap_or_default();
        let burden = compute::<MonitoringBurdens>(ctx, self.row()).await?;
        Ok(FundingReadiness {
            ready: shortfalls.is_empty(),
            failures: shortfalls.iter().map(|s| UserError::from(s.error.clone())).collect(),
            shortfalls: shortfalls.into_iter().map(Into::into).collect(),
            gaps: burden.map(|b| b.gaps()).unwrap_or_default().into_iter().map(UserError::from).collect(),
        })
    }
    /// What the project's monitoring is forecast to take each week, before funding, beside the
    /// team's committed hours and the programme's cap.
    #[graphql(complexity = "crate::graphql::cost::MONITORING_BURDEN")]
    async fn monitoring_burden(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MonitoringBurden>> {
        Ok(compute::<MonitoringBurdens>(ctx, self.row()).await?.map(Into::into))
    }
    /// Time given against time committed, month by month (oldest first) and by role, for the
    /// `months` months up to and including the current one.
    async fn team_time(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 6, desc = "How many months, counting back from the current one (1 to 24).")]
        months: i32,
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
    /// How the project's data arrives, measured from what arrived: completeness, timeliness and
    /// the share integrated from systems, per measure and accepted site and pooled, beside the
    /// monitoring burden forecast.
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

/// The hours a week one role commits across the team's current members.
#[derive(SimpleObject)]
pub struct RoleHours {
    /// The role.
    pub role: ProjectRole,
    /// Hours per week committed by the current members holding the role.
    pub hours: f64,
}

/// How the team measures up to the springboard rule today. Only current members count: those
/// whose `endsOn` has not passed.
#[derive(SimpleObject)]
pub struct TeamCapacity {
    /// Whether every required role group is filled and the team commits at least
    /// `requiredHours` hours per week.
    pub meets_rule: bool,
    /// Committed hours per week by role, one entry per role that a current member holds.
    pub hours_by_role: Vec<RoleHours>,
    /// Hours per week committed across the current team.
    pub total_hours: f64,
    /// The hours per week the rule requires of the whole team.
    pub required_hours: f64,
    /// Hours per week still needed to reach `requiredHours`; 0 when the team reaches it.
    pub hours_short: f64,
    /// Role groups nobody fills: each needs one member holding any of its roles.
    pub missing_role_groups: Vec<Vec<ProjectRole>>,
}

/// The funding gate's verdict: each failure names its site, dimension or role in `field` and
/// says what falls short in `message`.
#[derive(SimpleObject)]
pub struct FundingReadiness {
    /// Whether the gate passes today: true exactly when `failures` is empty.
    pub ready: bool,
    /// Every shortfall that would stop funding today (NO_ACCEPTED_SITE, ASSESSMENT_MISSING,
    /// ASSESSMENT_EXPIRED, SCORE_BELOW_MINIMUM, CAPACITY_SHORTFALL, ROLE_MISSING,
    /// HOURS_BELOW_MINIMUM, MONITORING_BURDEN_ABOVE_CAPACITY; NOT_ELIGIBLE outside a programme).
    pub failures: Vec<UserError>,
    /// The same shortfalls, in the same order, as objects with the figures behind each (site,
    /// dimension, score and minimum, assessment dates, roles, hours), for front ends to show
    /// without parsing `message`.
    pub shortfalls: Vec<crate::funding::graphql::FundingShortfall>,
    /// Evidence the gate lacks, which does not block funding on its own: measures with no
    /// estimate of their collection time (`ESTIMATE_MISSING`), left out of the monitoring
    /// burden forecast rather than counted as zero.
    pub gaps: Vec<UserError>,
}

/// A host institution's part in a project.
pub struct ProjectSite(pub project_site::Model);

impl ProjectSite {
    /// The site an ID field names, as the actor may see it: what an object link resolves to.
    pub async fn linked(ctx: &Context<'_>, id: uuid::Uuid) -> async_graphql::Result<Option<Self>> {
        Ok(load_one::<super::scopes::VisibleSites>(ctx, id).await?.map(ProjectSite))
    }
}

/// A host institution's part in a project.
#[Object]
impl ProjectSite {
    /// The site's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::ProjectSite, self.0.id)
    }
    /// The host institution.
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<InstitutionProfile> {
        InstitutionProfile::referenced(ctx, self.0.institution_id).await
    }
    /// The host's answer: INVITED until it accepts or declines.
    async fn status(&self) -> SiteStatus {
        self.0.status.into()
    }
    /// The host's lead for the project, named when it accepts.
    async fn site_lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.0.site_lead_user_id else { return Ok(None) };
        let user = load_one::<VisibleUsers>(ctx, user_id).await?;
        Ok(user.map(User::from))
    }
    /// When the host last accepted or declined (UTC); null while INVITED.
    async fn responded_at(&self) -> Option<Instant> {
        self.0.responded_at.map(Into::into)
    }
    /// The global ID of the project the site belongs to.
    async fn project_id(&self) -> ID {
        GlobalId::encode(NodeKind::Project, self.0.project_id)
    }
    /// The project the site belongs to (`projectId` as an object).
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Project>> {
        Project::linked(ctx, self.0.project_id).await
    }
}

/// A person on a project's springboard team.
pub struct TeamMember(pub team_member::Model);

/// A person on a project's springboard team.
#[Object]
impl TeamMember {
    /// The team member's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::TeamMember, self.0.id)
    }
    /// Set for members with an account.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.0.user_id else { return Ok(None) };
        let user = load_one::<VisibleUsers>(ctx, user_id).await?;
        Ok(user.map(User::from))
    }
    /// Set for people without an account.
    async fn external_name(&self) -> Option<&str> {
        self.0.external_name.as_deref()
    }
    /// The institution the person works for on the project: the lead or one of its sites.
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<InstitutionProfile> {
        InstitutionProfile::referenced(ctx, self.0.institution_id).await
    }
    /// The person's role in the team.
    async fn role(&self) -> ProjectRole {
        self.0.role.into()
    }
    /// Hours per week the person commits to the project (more than 0, at most 100).
    async fn hours_per_week(&self) -> f64 {
        self.0.hours_per_week
    }
    /// The person's first day on the team (`YYYY-MM-DD`); null when not given.
    async fn starts_on(&self) -> Option<Date> {
        self.0.starts_on.map(Into::into)
    }
    /// The person's last day on the team (`YYYY-MM-DD`), after which they no longer count
    /// towards team capacity; null when open-ended.
    async fn ends_on(&self) -> Option<Date> {
        self.0.ends_on.map(Into::into)
    }
}

/// Narrows `projects` to those matching every field given; a field left out does not narrow.
#[derive(InputObject, Default)]
pub struct ProjectFilterInput {
    /// Only projects in one of these statuses; left out or empty for any status.
    pub statuses: Option<Vec<ProjectStatus>>,
    /// Only projects in this programme (its global ID).
    pub programme_id: Option<ID>,
    /// Only projects this institution leads (its global ID).
    pub lead_institution_id: Option<ID>,
    /// Only projects that name this institution (its global ID) as a site, whatever its answer.
    pub site_institution_id: Option<ID>,
    /// Exact, case-insensitive.
    pub clinical_area: Option<String>,
    /// A fragment of the title, case-insensitive.
    pub search: Option<String>,
}

/// What `projects` is sorted by.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProjectOrderField {
    /// Creation order.
    #[default]
    CreatedAt,
    /// Title, alphabetically; projects with the same title in creation order.
    Title,
}

/// Which way a list is sorted.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Ascending: oldest, or A, first.
    #[default]
    Asc,
    /// Descending: newest, or Z, first.
    Desc,
}

/// How `projects` is sorted.
#[derive(InputObject, Default)]
pub struct ProjectOrder {
    /// What to sort by; creation order when left out.
    #[graphql(default)]
    pub field: ProjectOrderField,
    /// Which way; ascending when left out.
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
    async fn project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project's global ID.")] id: ID,
    ) -> async_graphql::Result<Option<Project>> {
        let id = GlobalId::require(&id, NodeKind::Project, "id").gql(ctx)?;
        Ok(load_one::<VisibleProjects>(ctx, id).await?.map(Project))
    }

    /// A measure of a project your institution leads, hosts or funds; null otherwise (as
    /// `node(id:)`, typed).
    async fn measure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The measure's global ID.")] id: ID,
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
        #[graphql(desc = "Narrows the list to projects matching every field given; every project \
                          you can see when left out.")]
        filter: Option<ProjectFilterInput>,
        #[graphql(desc = "The sort order; creation order, ascending, when left out or for the \
                          fields left out.")]
        order_by: Option<ProjectOrder>,
        #[graphql(desc = "Page size counting forward from `after`: 1 to 100 (20 when neither `first` \
                          nor `last` is given); not with `last`.")]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a `pageInfo.endCursor`).")] after: Option<String>,
        #[graphql(desc = "Page size back from `before`: 1 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a `pageInfo.startCursor`).")] before: Option<String>,
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
