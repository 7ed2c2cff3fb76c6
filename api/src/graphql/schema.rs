use std::sync::Arc;

use async_graphql::{MergedObject, Schema};

use crate::api_tokens::graphql::ApiTokenMutation;
use crate::assessments::graphql::AssessmentMutation;
use crate::commitments::graphql::{CommitmentMutation, CommitmentQuery};
use crate::funding::graphql::FundingMutation;
use crate::graphql::node::NodeQuery;
use crate::identity::AuthConfig;
use crate::identity::graphql::SessionMutation;
use crate::identity::graphql_passwords::PasswordMutation;
use crate::identity::two_factor_graphql::TwoFactorMutation;
use crate::institutions::graphql::{DirectoryQuery, InstitutionMutation, InstitutionQuery};
use crate::measures::graphql::MeasureMutation;
use crate::members::graphql::MemberMutation;
use crate::programmes::graphql::{ProgrammeMutation, ProgrammeQuery};
use crate::projects::graphql::ProjectQuery;
use crate::projects::mutations::ProjectMutation;
use crate::projects::team_time_graphql::TeamTimeMutation;
use crate::results::graphql::{ResultMutation, ResultQuery};
use crate::results::publications_graphql::ResultSubscription;
use crate::results::spread_graphql::SpreadMutation;
use crate::sso::graphql::{SingleSignOnMutation, SingleSignOnQuery};
use crate::users::graphql::UserQuery;

/// What can be read. Every object is read as the signed-in actor may see it: an object another
/// institution may not see is reported exactly as one that does not exist (null, or absent from a
/// list). Objects with an `id` can be fetched again with `node(id:)` or `nodes(ids:)`.
#[derive(MergedObject, Default)]
pub struct Query(
    NodeQuery,
    UserQuery,
    InstitutionQuery,
    SingleSignOnQuery,
    DirectoryQuery,
    ProgrammeQuery,
    ProjectQuery,
    CommitmentQuery,
    ResultQuery,
);

/// What changes data. Each mutation takes one `input` and returns a payload whose `userErrors`
/// lists what was wrong with the input (empty on success), each with the input `field` path, a
/// stable `code` and a message; nothing is written when there are any. Failures that are not
/// about the input (not signed in, not allowed) come as GraphQL `errors` with `extensions.code`.
#[derive(MergedObject, Default)]
pub struct Mutation(
    SessionMutation,
    PasswordMutation,
    TwoFactorMutation,
    SingleSignOnMutation,
    InstitutionMutation,
    MemberMutation,
    ApiTokenMutation,
    ProgrammeMutation,
    ProjectMutation,
    FundingMutation,
    AssessmentMutation,
    CommitmentMutation,
    MeasureMutation,
    ResultMutation,
    SpreadMutation,
    TeamTimeMutation,
);

pub type AppSchema = Schema<Query, Mutation, ResultSubscription>;

#[derive(Clone, Copy, Debug)]
pub struct QueryLimits {
    pub depth: usize,
    pub complexity: usize,
}

fn builder() -> async_graphql::SchemaBuilder<Query, Mutation, ResultSubscription> {
    Schema::build(Query::default(), Mutation::default(), ResultSubscription)
        .override_input_type_description::<async_graphql::Upload>(
            "A file sent as a part of a `multipart/form-data` request, as the GraphQL multipart \
             request specification lays out (the `operations` and `map` parts name it).",
        )
}

pub fn build(auth: Arc<AuthConfig>, limits: QueryLimits) -> AppSchema {
    builder().data(auth).limit_depth(limits.depth).limit_complexity(limits.complexity).finish()
}

/// The SDL clients code against; `schema.graphql` at the repository root must equal it.
pub fn sdl() -> String {
    builder().finish().sdl()
}
