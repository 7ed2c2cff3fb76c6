//! What an operation costs, worked out before it runs: the same number async-graphql's
//! complexity limit computes while validating, so that admission control can weigh an
//! operation before any of its work starts (async-graphql reports its own figure only to
//! extensions, which would slow every field down).
//!
//! The rules are async-graphql's: a field costs one plus its children, unless it declares a
//! `complexity`; a connection's children count once per row of its page (`pagination::cost`);
//! `nodes` counts its children once per ID; fields of every fragment count, whatever its type
//! condition. Declared weights live here, and the resolvers' attributes name these constants;
//! a test checks the two computations agree.

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Positioned, Value, Variables};

use super::pagination;

/// A measure's run chart, SPC chart and verdict: reads every observation of the measure.
pub const MEASURE_ANALYSIS: usize = 120;
/// A measure's observations as CSV: every observation of the measure.
pub const OBSERVATIONS_CSV: usize = 200;
/// Every measure of a project analysed.
pub const PROJECT_IMPROVEMENT: usize = 150;
/// Sites, assessments and team of a project.
pub const FUNDING_READINESS: usize = 50;
/// A project's measures, sites and team, forecast.
pub const MONITORING_BURDEN: usize = 30;
/// Every observation of a project's measures, counted by period, site and arrival.
pub const DATA_FLOW: usize = 150;
/// Every published result the caller may see.
pub const LESSONS: usize = 200;
/// An analysis drawn as SVG: text proportional to its points.
pub const CHART: usize = 20;
/// An audit event's details: up to a row of old and new values per observation written.
pub const AUDIT_DETAILS: usize = 20;
/// A result's adoptions: three statements for a batch of results.
pub const ADOPTIONS: usize = 20;
/// Every project of a programme, analysed.
pub const PROGRAMME_IMPROVEMENT: usize = 1000;
pub const PROGRAMME_EVALUATION: usize = 1000;

/// Fields with a declared weight, by type and field name.
const DECLARED: [(&str, &str, usize); 9] = [
    ("Measure", "analysis", MEASURE_ANALYSIS),
    ("Measure", "observationsCsv", OBSERVATIONS_CSV),
    ("Project", "improvement", PROJECT_IMPROVEMENT),
    ("Project", "fundingReadiness", FUNDING_READINESS),
    ("Project", "monitoringBurden", MONITORING_BURDEN),
    ("Project", "dataFlow", DATA_FLOW),
    ("Query", "lessons", LESSONS),
    ("Programme", "improvement", PROGRAMME_IMPROVEMENT),
    ("Programme", "evaluation", PROGRAMME_EVALUATION),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// One plus the children.
    Plain,
    Declared(usize),
    /// A connection: the children once per row of the page asked for.
    Page,
    /// `nodes(ids:)`: the children once per ID.
    PerId,
}

struct FieldShape {
    rule: Rule,
    /// The named type the field returns, under lists and non-null.
    returns: String,
}

struct TypeShape {
    /// Only an object's own fields carry weights; on an interface every field is plain.
    is_object: bool,
    fields: HashMap<String, FieldShape>,
}

/// The schema as costing needs it.
pub struct Costs {
    types: HashMap<String, TypeShape>,
}

impl Costs {
    pub fn from_sdl(sdl: &str) -> Self {
        let mut types = HashMap::new();
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else { return Self { types } };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else { continue };
            let type_name = definition.node.name.node.to_string();
            let (is_object, fields) = match definition.node.kind {
                TypeKind::Object(object) => (true, object.fields),
                TypeKind::Interface(interface) => (false, interface.fields),
                _ => continue,
            };
            let fields = fields
                .into_iter()
                .map(|field| {
                    let field = field.node;
                    let name = field.name.node.to_string();
                    let has = |arg: &str| field.arguments.iter().any(|a| a.node.name.node == arg);
                    let declared = DECLARED.iter().find(|(t, f, _)| *t == type_name && *f == name);
                    let rule = match declared {
                        Some((_, _, weight)) => Rule::Declared(*weight),
                        None if has("first") && has("last") => Rule::Page,
                        None if type_name == "Query" && name == "nodes" => Rule::PerId,
                        None => Rule::Plain,
                    };
                    let returns = named(&field.ty.node.base).to_owned();
                    (name, FieldShape { rule, returns })
                })
                .collect();
            types.insert(type_name, TypeShape { is_object, fields });
        }
        Self { types }
    }

    /// The cost of running `operation` of `document` with `variables`.
    pub fn of(
        &self,
        document: &ExecutableDocument,
        operation: &Positioned<OperationDefinition>,
        variables: &Variables,
    ) -> usize {
        let root = match operation.node.ty {
            async_graphql::parser::types::OperationType::Query => "Query",
            async_graphql::parser::types::OperationType::Mutation => "Mutation",
            async_graphql::parser::types::OperationType::Subscription => "Subscription",
        };
        let walk = Walk { costs: self, document, operation: &operation.node, variables };
        walk.selection_set(&operation.node.selection_set.node, Some(root), 0)
    }
}

fn named(base: &async_graphql::parser::types::BaseType) -> &str {
    match base {
        async_graphql::parser::types::BaseType::Named(name) => name.as_str(),
        async_graphql::parser::types::BaseType::List(inner) => named(&inner.base),
    }
}

/// Fragments nest no deeper than this; the depth limit refuses deeper documents anyway, and a
/// fragment cycle (refused by validation) must not loop here.
const MAX_FRAGMENT_NESTING: usize = 64;

struct Walk<'a> {
    costs: &'a Costs,
    document: &'a ExecutableDocument,
    operation: &'a OperationDefinition,
    variables: &'a Variables,
}

impl Walk<'_> {
    fn selection_set(&self, set: &SelectionSet, parent: Option<&str>, nesting: usize) -> usize {
        if nesting > MAX_FRAGMENT_NESTING {
            return 0;
        }
        let mut total = 0usize;
        for selection in &set.items {
            let cost = match &selection.node {
                // async-graphql's validation does not visit `__typename`: it costs nothing.
                Selection::Field(field) if field.node.name.node == "__typename" => 0,
                Selection::Field(field) => self.field(&field.node, parent, nesting),
                Selection::InlineFragment(fragment) => {
                    let on =
                        fragment.node.type_condition.as_ref().map(|c| c.node.on.node.as_str()).or(parent);
                    self.selection_set(&fragment.node.selection_set.node, on, nesting + 1)
                }
                Selection::FragmentSpread(spread) => {
                    match self.document.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) => {
                            let on = fragment.node.type_condition.node.on.node.as_str();
                            self.selection_set(&fragment.node.selection_set.node, Some(on), nesting + 1)
                        }
                        None => 0,
                    }
                }
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn field(&self, field: &Field, parent: Option<&str>, nesting: usize) -> usize {
        let parent_shape = parent.and_then(|p| self.costs.types.get(p));
        let shape = parent_shape.and_then(|t| t.fields.get(field.name.node.as_str()));
        let children =
            self.selection_set(&field.selection_set.node, shape.map(|s| s.returns.as_str()), nesting);
        let rule = match (parent_shape, shape) {
            (Some(parent), Some(shape)) if parent.is_object => shape.rule,
            _ => Rule::Plain,
        };
        match rule {
            Rule::Plain => children.saturating_add(1),
            Rule::Declared(weight) => weight,
            Rule::Page => pagination::cost(self.int(field, "first"), self.int(field, "last"), children),
            Rule::PerId => self.list_len(field, "ids").saturating_mul(children),
        }
    }

    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let value = field.get_argument(name)?.node.clone();
        value
            .into_const_with(|variable| {
                self.variables.get(&variable).cloned().or_else(|| self.default_of(&variable)).ok_or(())
            })
            .ok()
    }

    fn default_of(&self, variable: &async_graphql::Name) -> Option<Value> {
        self.operation
            .variable_definitions
            .iter()
            .find(|d| d.node.name.node == *variable)
            .and_then(|d| d.node.default_value.as_ref().map(|v| v.node.clone()))
    }

    fn int(&self, field: &Field, name: &str) -> Option<i32> {
        match self.argument(field, name)? {
            Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
            _ => None,
        }
    }

    fn list_len(&self, field: &Field, name: &str) -> usize {
        match self.argument(field, name) {
            Some(Value::List(items)) => items.len(),
            Some(Value::Null) | None => 0,
            Some(_) => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_graphql::{Request, Variables};

    use super::*;
    use crate::graphql::execution;
    use crate::graphql::schema::{self, QueryLimits};
    use crate::identity::AuthConfig;
    use crate::identity::jwt::JwtKeys;
    use crate::settings::{Secret, Settings};

    fn schema_limited_to(complexity: usize) -> schema::AppSchema {
        let keys = JwtKeys::parse(&Secret::new("k:0123456789abcdef0123456789abcdef"), "i", "a")
            .expect("a valid key");
        let counter = prometheus::IntCounter::new("checks", "checks").expect("a counter");
        let auth = Arc::new(AuthConfig::new(keys, &Settings::with_database("sqlite::memory:"), counter));
        schema::build(auth, QueryLimits { depth: 64, complexity })
    }

    async fn too_complex(query: &str, variables: &serde_json::Value, limit: usize) -> bool {
        let request = Request::new(query).variables(Variables::from_json(variables.clone()));
        let response = schema_limited_to(limit).execute(request).await;
        response.errors.iter().any(|e| e.message.contains("too complex"))
    }

    /// Every shape the rules treat differently: plain fields, connections with literal,
    /// variable and default page sizes, declared weights, `nodes`, interfaces, inline and named
    /// fragments, aliases, and mutations.
    const CASES: [(&str, &str); 9] = [
        ("{ __typename }", "{}"),
        (
            "query($n: Int!) { projects(first: $n) { edges { node { title measures { name observations(last: 24) { edges { node { periodStart value } } } } } } } }",
            r#"{"n": 50}"#,
        ),
        (
            "{ projects { totalCount edges { node { id improvement { measures } fundingReadiness { ready } } } } }",
            "{}",
        ),
        (
            "query($id: ID!) { node(id: $id) { id ... on Measure { a: analysis { verdict { verdict } } csv: observationsCsv observations { totalCount } } ...P } } fragment P on Project { title team { role } }",
            r#"{"id": "x"}"#,
        ),
        (
            "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Project { title } } }",
            r#"{"ids": ["a", "b", "c"]}"#,
        ),
        (
            "query($n: Int = 7) { programmes(last: $n) { edges { node { evaluation { publishedResults { title } } improvement { fundedProjects } } } } }",
            "{}",
        ),
        ("{ lessons { results } sharedResults(first: 3) { edges { node { title } } } }", "{}"),
        (
            "{ viewer { user { name } memberships { role institution { name members(first: 5) { totalCount } } } } }",
            "{}",
        ),
        (
            "mutation { signIn(input: {email: \"a\", password: \"b\"}) { userErrors { code } tokens { accessToken } } }",
            "{}",
        ),
    ];

    #[tokio::test]
    async fn the_estimate_is_the_complexity_async_graphql_enforces() {
        let costs = Costs::from_sdl(&schema::sdl());
        for (query, variables) in CASES {
            let variables: serde_json::Value = serde_json::from_str(variables).expect("json variables");
            let document = async_graphql::parser::parse_query(query).expect("a valid document");
            let (_, operation) = execution::select(&document, None).expect("one operation");
            let estimate = costs.of(&document, operation, &Variables::from_json(variables.clone()));
            assert!(!too_complex(query, &variables, estimate).await, "{query}: accepted at {estimate}");
            if let Some(below) = estimate.checked_sub(1) {
                assert!(too_complex(query, &variables, below).await, "{query}: refused below {estimate}");
            }
        }
    }

    #[test]
    fn a_hundred_aliases_of_a_declared_field_outweigh_the_default_limit() {
        let costs = Costs::from_sdl(&schema::sdl());
        let aliases: Vec<String> = (0..100).map(|i| format!("a{i}: observationsCsv")).collect();
        let query = format!("{{ node(id: \"x\") {{ ... on Measure {{ {} }} }} }}", aliases.join(" "));
        let document = async_graphql::parser::parse_query(&query).expect("a valid document");
        let (_, operation) = execution::select(&document, None).expect("one operation");
        assert_eq!(costs.of(&document, operation, &Variables::default()), 1 + 100 * OBSERVATIONS_CSV);
    }
}
