//! Puts a response back in the shape the GraphQL spec gives it, before it is serialised.
//!
//! async-graphql 7 resolves an object's fields concurrently and writes each one as it finishes,
//! so keys come out in completion order rather than selection-set order; and a field whose
//! resolver failed is left out rather than being null (or, for a non-null field, making the
//! nearest nullable ancestor null). Both are repaired here from the executed document and the
//! schema's field types: keys are put in the order the spec's CollectFields gives (aliases and
//! fragments included), and each error's path gets its null.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet, Type,
    TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, PathSegment, Positioned, Response, Value};

/// The output types of the schema: each object's and interface's fields and their types.
pub struct Shapes {
    types: HashMap<String, Shape>,
}

struct Shape {
    is_object: bool,
    fields: HashMap<String, Type>,
}

impl Shapes {
    /// Reads the shapes from the schema's SDL; introspection types are left out, and lists
    /// under them are ordered without type information.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut types = HashMap::new();
        if let Ok(document) = async_graphql::parser::parse_schema(sdl) {
            for definition in document.definitions {
                let TypeSystemDefinition::Type(definition) = definition else { continue };
                let (is_object, fields) = match definition.node.kind {
                    TypeKind::Object(object) => (true, object.fields),
                    TypeKind::Interface(interface) => (false, interface.fields),
                    TypeKind::Union(_) => (false, Vec::new()),
                    _ => continue,
                };
                let fields =
                    fields.into_iter().map(|f| (f.node.name.node.to_string(), f.node.ty.node)).collect();
                types.insert(definition.node.name.node.to_string(), Shape { is_object, fields });
            }
        }
        Self { types }
    }

    fn field(&self, parent: Option<&str>, name: &str) -> Option<&Type> {
        self.types.get(parent?)?.fields.get(name)
    }

    fn is_object(&self, name: &str) -> bool {
        self.types.get(name).is_some_and(|t| t.is_object)
    }
}

fn typename(object: &IndexMap<Name, Value>) -> Option<&str> {
    match object.get("__typename") {
        Some(Value::String(name)) => Some(name),
        _ => None,
    }
}

/// The named type under any list wrappers.
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// How to put objects at one position in order: their keys in CollectFields order, and for
/// each, the plans of the objects below it (one per concrete type met there).
struct Plan<'d> {
    entries: Vec<Entry<'d>>,
}

struct Entry<'d> {
    key: &'d Name,
    subs: Vec<&'d SelectionSet>,
    child_type: Option<&'d str>,
    children: Plans<'d>,
}

type Plans<'d> = RefCell<Vec<(Option<String>, Rc<Plan<'d>>)>>;

/// One response key of an object: the field it names and every selection set asked under it.
struct Collected<'d> {
    key: &'d Name,
    field: &'d Name,
    subs: Vec<&'d SelectionSet>,
}

struct Walk<'d> {
    document: &'d ExecutableDocument,
    shapes: &'d Shapes,
}

impl<'d> Walk<'d> {
    /// The spec's CollectFields over `sets` for an object of type `concrete` (when known):
    /// response keys in the order they first appear, with their sub-selections merged.
    fn collect(&self, sets: &[&'d SelectionSet], concrete: Option<&str>) -> Vec<Collected<'d>> {
        let mut out = Vec::new();
        let mut seen_fragments = HashSet::new();
        for set in sets {
            self.collect_into(set, concrete, &mut out, &mut seen_fragments);
        }
        out
    }

    fn collect_into(
        &self,
        set: &'d SelectionSet,
        concrete: Option<&str>,
        out: &mut Vec<Collected<'d>>,
        seen_fragments: &mut HashSet<&'d Name>,
    ) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key();
                    let sub = &field.node.selection_set.node;
                    match out.iter_mut().find(|c| c.key == &key.node) {
                        Some(collected) => collected.subs.push(sub),
                        None => out.push(Collected {
                            key: &key.node,
                            field: &field.node.name.node,
                            subs: vec![sub],
                        }),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if !seen_fragments.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name)
                        && self.applies(&fragment.node.type_condition.node.on.node, concrete)
                    {
                        self.collect_into(&fragment.node.selection_set.node, concrete, out, seen_fragments);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies = inline
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.applies(&c.node.on.node, concrete));
                    if applies {
                        self.collect_into(&inline.node.selection_set.node, concrete, out, seen_fragments);
                    }
                }
            }
        }
    }

    /// A fragment on an object type applies to that type only; one on an interface or union
    /// applies to the types the validated document allows there.
    fn applies(&self, condition: &str, concrete: Option<&str>) -> bool {
        match concrete {
            Some(concrete) => condition == concrete || !self.shapes.is_object(condition),
            None => true,
        }
    }

    /// The concrete type of an object in a position of static type `ty`: the type itself, or
    /// the `__typename` the object carries.
    fn concrete(&self, ty: Option<&'d str>, object: &IndexMap<Name, Value>) -> Option<Cow<'d, str>> {
        match ty {
            Some(ty) if self.shapes.is_object(ty) => Some(Cow::Borrowed(ty)),
            _ => typename(object).map(|name| Cow::Owned(name.to_owned())),
        }
    }

    /// As `concrete`, owned, for a walk that holds type names of its own.
    fn concrete_named(&self, ty: Option<&str>, object: &IndexMap<Name, Value>) -> Option<String> {
        match ty {
            Some(ty) if self.shapes.is_object(ty) => Some(ty.to_owned()),
            _ => typename(object).map(str::to_owned),
        }
    }

    /// The plan for objects of type `concrete` at a position, made once per position and type:
    /// a list of thousands of objects shares one.
    fn plan(
        &self,
        plans: &Plans<'d>,
        sets: &[&'d SelectionSet],
        ty: Option<&'d str>,
        concrete: Option<&str>,
    ) -> Rc<Plan<'d>> {
        if let Some((_, plan)) = plans.borrow().iter().find(|(t, _)| t.as_deref() == concrete) {
            return plan.clone();
        }
        let entries = self
            .collect(sets, concrete)
            .into_iter()
            .map(|c| Entry {
                child_type: self.shapes.field(concrete.or(ty), c.field).map(named),
                key: c.key,
                subs: c.subs,
                children: Plans::default(),
            })
            .collect();
        let plan = Rc::new(Plan { entries });
        plans.borrow_mut().push((concrete.map(str::to_owned), plan.clone()));
        plan
    }

    fn reorder(&self, value: &mut Value, ty: Option<&'d str>, sets: &[&'d SelectionSet], plans: &Plans<'d>) {
        match value {
            Value::Object(object) => {
                let concrete = self.concrete(ty, object);
                let plan = self.plan(plans, sets, ty, concrete.as_deref());
                let position =
                    |key: &Name| plan.entries.iter().position(|e| e.key == key).unwrap_or(usize::MAX);
                let mut last = 0;
                let in_order = object.keys().all(|key| {
                    let at = position(key);
                    let ordered = at >= last;
                    last = at;
                    ordered
                });
                if !in_order {
                    object.sort_by_cached_key(|key, _| position(key));
                }
                for entry in &plan.entries {
                    if let Some(child) = object.get_mut(entry.key) {
                        self.reorder(child, entry.child_type, &entry.subs, &entry.children);
                    }
                }
            }
            Value::List(items) => {
                for item in items {
                    self.reorder(item, ty, sets, plans);
                }
            }
            _ => {}
        }
    }

    /// Whether the value at each prefix of `path` may be null: entry `i` is for `path[..=i]`.
    fn nullability(
        &self,
        data: &Value,
        root: &str,
        root_set: &'d SelectionSet,
        path: &[PathSegment],
    ) -> Vec<bool> {
        let mut out = Vec::with_capacity(path.len());
        let (mut value, mut ty_name, mut sets): (Option<&Value>, Option<String>, Vec<&'d SelectionSet>) =
            (Some(data), Some(root.to_owned()), vec![root_set]);
        let mut field_type: Option<Type> = None;
        for segment in path {
            match segment {
                PathSegment::Field(key) => {
                    let object = match value {
                        Some(Value::Object(object)) => Some(object),
                        _ => None,
                    };
                    let concrete =
                        object.and_then(|o| self.concrete_named(ty_name.as_deref(), o)).or(ty_name.clone());
                    let collected = self.collect(&sets, concrete.as_deref());
                    let found = collected.into_iter().find(|c| c.key.as_str() == key.as_str());
                    let ty =
                        found.as_ref().and_then(|c| self.shapes.field(concrete.as_deref(), c.field)).cloned();
                    out.push(ty.as_ref().is_none_or(|t| t.nullable));
                    ty_name = ty.as_ref().map(|t| named(t).to_owned());
                    sets = found.map(|c| c.subs).unwrap_or_default();
                    value = object.and_then(|o| o.get(key.as_str()));
                    field_type = ty;
                }
                PathSegment::Index(index) => {
                    let item = match field_type.as_ref().map(|t| &t.base) {
                        Some(BaseType::List(item)) => Some(item.as_ref().clone()),
                        _ => None,
                    };
                    out.push(item.as_ref().is_none_or(|t| t.nullable));
                    value = match value {
                        Some(Value::List(items)) => items.get(*index),
                        _ => None,
                    };
                    field_type = item;
                }
            }
        }
        out
    }
}

/// Sets the value at `path` to null, creating the key if the field was left out.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else {
        *data = Value::Null;
        return;
    };
    let mut value = data;
    for segment in parents {
        value = match (segment, value) {
            (PathSegment::Field(key), Value::Object(object)) => match object.get_mut(key.as_str()) {
                Some(child) => child,
                None => return,
            },
            (PathSegment::Index(index), Value::List(items)) => match items.get_mut(*index) {
                Some(child) => child,
                None => return,
            },
            // An ancestor is already null: nothing below it to mend.
            _ => return,
        };
    }
    match (last, value) {
        (PathSegment::Field(key), Value::Object(object)) => {
            object.insert(Name::new(key), Value::Null);
        }
        (PathSegment::Index(index), Value::List(items)) => {
            if let Some(item) = items.get_mut(*index) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

/// Mends the response of `operation` in `document`.
pub fn repair(
    response: &mut Response,
    document: &ExecutableDocument,
    operation: &Positioned<OperationDefinition>,
    shapes: &Shapes,
) {
    let root = match operation.node.ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    };
    let walk = Walk { document, shapes };
    let set = &operation.node.selection_set.node;
    for error in &response.errors {
        if error.path.is_empty() {
            continue;
        }
        let nullable = walk.nullability(&response.data, root, set, &error.path);
        // The error's own field, or failing that the nearest ancestor that may be null.
        match nullable.iter().rposition(|n| *n) {
            Some(at) => set_null(&mut response.data, &error.path[..=at]),
            None => response.data = Value::Null,
        }
    }
    walk.reorder(&mut response.data, Some(root), &[set], &Plans::default());
}

#[cfg(test)]
mod tests {
    use async_graphql::ServerError;

    use super::*;

    const SDL: &str = "
        type Query { viewer: Viewer! project(id: ID!): Project nodes(ids: [ID!]!): [Node]! }
        interface Node { id: ID! }
        type Viewer { role: String user: User! }
        type User { name: String! email: String! }
        type Project implements Node { id: ID! title: String! lead: User! }
        type Measure implements Node { id: ID! name: String! }
    ";

    fn value(json: &str) -> Value {
        Value::from_json(serde_json::from_str(json).expect("json")).expect("a value")
    }

    fn mended(query: &str, data: &str, errors: Vec<Vec<PathSegment>>) -> String {
        let mut response = Response::new(value(data));
        response.errors =
            errors.into_iter().map(|path| ServerError { path, ..ServerError::new("failed", None) }).collect();
        let document = async_graphql::parser::parse_query(query).expect("a document");
        let (_, operation) = crate::graphql::execution::select(&document, None).expect("one operation");
        repair(&mut response, &document, operation, &Shapes::from_sdl(SDL));
        serde_json::to_string(&response.data).expect("serialises")
    }

    fn field(name: &str) -> PathSegment {
        PathSegment::Field(name.to_owned())
    }

    #[test]
    fn keys_follow_the_selection_set_through_aliases_and_fragments() {
        let query = "{ viewer { b: role ...U a: role } } fragment U on Viewer { user { email name } }";
        let data = r#"{"viewer":{"a":"X","user":{"name":"n","email":"e"},"b":"X"}}"#;
        assert_eq!(
            mended(query, data, vec![]),
            r#"{"viewer":{"b":"X","user":{"email":"e","name":"n"},"a":"X"}}"#
        );
    }

    #[test]
    fn fragments_on_other_types_do_not_decide_the_order() {
        let query =
            "{ nodes(ids: []) { ... on Project { name: title } id ... on Measure { name } __typename } }";
        let data = r#"{"nodes":[{"__typename":"Measure","name":"m","id":"1"}]}"#;
        assert_eq!(
            mended(query, data, vec![]),
            r#"{"nodes":[{"id":"1","name":"m","__typename":"Measure"}]}"#
        );
    }

    #[test]
    fn a_failed_nullable_field_is_null_in_its_place() {
        let query = "{ a: viewer { role } project(id: 1) { title } b: viewer { role } }";
        let data = r#"{"b":{"role":"r"},"a":{"role":"r"}}"#;
        let mended = mended(query, data, vec![vec![field("project")]]);
        assert_eq!(mended, r#"{"a":{"role":"r"},"project":null,"b":{"role":"r"}}"#);
    }

    #[test]
    fn a_failed_non_null_field_nulls_the_nearest_nullable_ancestor() {
        let query = "{ project(id: 1) { title lead { name } } viewer { role } }";
        let data = r#"{"viewer":{"role":"r"},"project":{"title":"t","lead":{}}}"#;
        let mended = mended(query, data, vec![vec![field("project"), field("lead"), field("name")]]);
        assert_eq!(mended, r#"{"project":null,"viewer":{"role":"r"}}"#);
    }

    #[test]
    fn a_failed_non_null_root_field_nulls_the_data() {
        let data = r#"{"project":null}"#;
        assert_eq!(
            mended("{ viewer { role } project(id: 1) { id } }", data, vec![vec![field("viewer")]]),
            "null"
        );
    }
}
