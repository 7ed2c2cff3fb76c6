use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::graphql::ProjectRole;
use super::team_time::{self, MonthTime, RoleTime};
use crate::graphql::{Date, GlobalId, NodeKind, UserError, actor, outcome, request};

/// Hours committed and reported for one role in one month.
#[derive(SimpleObject)]
pub struct RoleTimeView {
    /// The role.
    pub role: ProjectRole,
    /// Hours the role's members were committed for in the month.
    pub committed_hours: f64,
    /// Hours the role's members reported giving in the month.
    pub reported_hours: f64,
}

/// Time given against time committed in one month. Committed: each member's weekly hours over
/// the days of the month they were on the team, / 7.
#[derive(SimpleObject)]
pub struct TeamTimeMonth {
    /// The month's first day.
    pub month: Date,
    /// Hours the whole team was committed for in the month.
    pub committed_hours: f64,
    /// Hours the whole team reported giving in the month; 0 when nobody reported.
    pub reported_hours: f64,
    /// reported / committed; null when nothing was committed.
    pub share: Option<f64>,
    /// Whether anyone reported for the month (unreported months count as 0 hours given).
    pub reported: bool,
    /// The month's figures for each role someone on the team holds, in role order.
    pub by_role: Vec<RoleTimeView>,
}

impl From<MonthTime> for TeamTimeMonth {
    fn from(m: MonthTime) -> Self {
        Self {
            month: m.month.into(),
            committed_hours: m.committed_hours,
            reported_hours: m.reported_hours,
            share: m.share(),
            reported: m.reported,
            by_role: m
                .by_role
                .into_iter()
                .map(|r: RoleTime| RoleTimeView {
                    role: r.role.into(),
                    committed_hours: r.committed_hours,
                    reported_hours: r.reported_hours,
                })
                .collect(),
        }
    }
}

/// Hours one team member gave a project in one month.
#[derive(InputObject)]
pub struct ReportTeamTimeInput {
    /// The team member's global ID (`TeamMember.id`).
    pub team_member_id: ID,
    /// The month, as its first day; this month or earlier.
    pub month: Date,
    /// Hours actually given in the month (0 to 744). A later report for the same member and
    /// month replaces it.
    pub hours: f64,
}

/// The result of `reportTeamTime`.
#[derive(SimpleObject)]
pub struct ReportTeamTimePayload {
    /// True when the hours were recorded.
    pub reported: bool,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct TeamTimeMutation;

#[Object]
impl TeamTimeMutation {
    /// A team member reports the hours they gave a FUNDED, ACTIVE or COMPLETED project in a
    /// month; the project's manager (a current PROJECT_MANAGER on its team) or the lead's admins
    /// may report for anyone on the team. People only: API tokens are refused. userErrors:
    /// NOT_FOUND, NOT_ALLOWED_IN_STATUS, INVALID.
    async fn report_team_time(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team member, the month and the hours.")] input: ReportTeamTimeInput,
    ) -> async_graphql::Result<ReportTeamTimePayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.team_member_id, NodeKind::TeamMember, "teamMemberId") {
            Ok(id) => team_time::report(db, actor, id, input.month.into(), input.hours).await,
            Err(e) => Err(e),
        };
        let (done, user_errors) = outcome(ctx, result)?;
        Ok(ReportTeamTimePayload { reported: done.is_some(), user_errors })
    }
}
