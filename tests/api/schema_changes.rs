//! Clients code against a released schema: a change that can break them (a type, field, argument,
//! input field or enum value removed; a type changed so that old queries or inputs stop working;
//! a new required argument or input field) must be named in CHANGELOG.md's `## Unreleased`
//! section, by its schema coordinate (`Type.field`, `Type.field(argument:)`, `Enum.VALUE`), before
//! it lands. `tests/api/released.graphql` is the schema of the last release.

use std::collections::BTreeMap;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

/// What a type offers clients, by coordinate: output fields and their types, input positions
/// (arguments and input fields) with their types and whether they have a default, enum values,
/// union members and interfaces.
#[derive(Default)]
struct Surface {
    kinds: BTreeMap<String, &'static str>,
    outputs: BTreeMap<String, Type>,
    inputs: BTreeMap<String, (Type, bool)>,
    /// Coordinates that exist without a type of their own (enum values, members, interfaces).
    names: BTreeMap<String, ()>,
}

fn surface(sdl: &str) -> Surface {
    let document =
        async_graphql::parser::parse_schema(sdl).unwrap_or_else(|err| panic!("the SDL parses: {err}"));
    let mut out = Surface::default();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else { continue };
        let ty = ty.node;
        let name = ty.name.node.to_string();
        let kind = match &ty.kind {
            TypeKind::Scalar => "scalar",
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field = &field.node;
                    let at = format!("{name}.{}", field.name.node);
                    for argument in &field.arguments {
                        let argument = &argument.node;
                        out.inputs.insert(
                            format!("{at}({}:)", argument.name.node),
                            (argument.ty.node.clone(), argument.default_value.is_some()),
                        );
                    }
                    out.outputs.insert(at, field.ty.node.clone());
                }
                for interface in &object.implements {
                    out.names.insert(format!("{name} implements {}", interface.node), ());
                }
                "object"
            }
            TypeKind::Interface(interface) => {
                for field in &interface.fields {
                    out.outputs
                        .insert(format!("{name}.{}", field.node.name.node), field.node.ty.node.clone());
                }
                "interface"
            }
            TypeKind::Union(union) => {
                for member in &union.members {
                    out.names.insert(format!("{name}.{}", member.node), ());
                }
                "union"
            }
            TypeKind::Enum(enumeration) => {
                for value in &enumeration.values {
                    out.names.insert(format!("{name}.{}", value.node.value.node), ());
                }
                "enum"
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    let field = &field.node;
                    out.inputs.insert(
                        format!("{name}.{}", field.name.node),
                        (field.ty.node.clone(), field.default_value.is_some()),
                    );
                }
                "input"
            }
        };
        out.kinds.insert(name, kind);
    }
    out
}

/// An output may become stricter (non-null where it was nullable), never anything else.
fn output_compatible(old: &Type, new: &Type) -> bool {
    let base = |a: &BaseType, b: &BaseType| match (a, b) {
        (BaseType::Named(a), BaseType::Named(b)) => a == b,
        (BaseType::List(a), BaseType::List(b)) => output_compatible(a, b),
        _ => false,
    };
    base(&old.base, &new.base) && (new.nullable <= old.nullable)
}

/// An input may become looser (nullable where it was required), never anything else.
fn input_compatible(old: &Type, new: &Type) -> bool {
    let base = |a: &BaseType, b: &BaseType| match (a, b) {
        (BaseType::Named(a), BaseType::Named(b)) => a == b,
        (BaseType::List(a), BaseType::List(b)) => input_compatible(a, b),
        _ => false,
    };
    base(&old.base, &new.base) && (new.nullable >= old.nullable)
}

/// The breaking changes from `old` to `new`, by coordinate, with what happened.
fn breaking_changes(old: &str, new: &str) -> Vec<(String, String)> {
    let (old, new) = (surface(old), surface(new));
    let mut changes = Vec::new();
    for (name, kind) in &old.kinds {
        match new.kinds.get(name) {
            None => changes.push((name.clone(), "removed".to_owned())),
            Some(now) if now != kind => changes.push((name.clone(), format!("was {kind}, now {now}"))),
            Some(_) => {}
        }
    }
    for (at, ty) in &old.outputs {
        match new.outputs.get(at) {
            None => changes.push((at.clone(), "removed".to_owned())),
            Some(now) if !output_compatible(ty, now) => {
                changes.push((at.clone(), format!("{ty} became {now}")))
            }
            Some(_) => {}
        }
    }
    for (at, (ty, _)) in &old.inputs {
        match new.inputs.get(at) {
            None => changes.push((at.clone(), "removed".to_owned())),
            Some((now, _)) if !input_compatible(ty, now) => {
                changes.push((at.clone(), format!("{ty} became {now}")))
            }
            Some(_) => {}
        }
    }
    for (at, (ty, has_default)) in &new.inputs {
        let owner_existed = old.kinds.contains_key(at.split('.').next().unwrap_or_default());
        if owner_existed && !old.inputs.contains_key(at) && !ty.nullable && !has_default {
            changes.push((at.clone(), format!("new and required ({ty})")));
        }
    }
    for at in old.names.keys() {
        if !new.names.contains_key(at) {
            changes.push((at.clone(), "removed".to_owned()));
        }
    }
    changes
}

/// The `## Unreleased` section of the changelog: from its heading (at the start of a line, not
/// where the policy mentions it) up to the next `## ` heading.
fn unreleased(changelog: &str) -> &str {
    let Some(start) = changelog.find("\n## Unreleased\n") else { return "" };
    let rest = &changelog[start + "\n## Unreleased\n".len()..];
    rest.find("\n## ").map_or(rest, |end| &rest[..end])
}

/// Types the notes rename, written "`Old` is renamed `New`": one breaking change, named once,
/// rather than one for every position the type appears in.
fn renames(notes: &str) -> Vec<(String, String)> {
    notes
        .split("` is renamed `")
        .collect::<Vec<_>>()
        .windows(2)
        .filter_map(|pair| {
            let old = pair[0].rsplit('`').next()?;
            let new = pair[1].split('`').next()?;
            let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            (word(old) && word(new)).then(|| (old.to_owned(), new.to_owned()))
        })
        .collect()
}

/// The released SDL with renamed types under their new names.
fn renamed(sdl: &str, renames: &[(String, String)]) -> String {
    let mut out = String::with_capacity(sdl.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let replaced = renames.iter().find(|(old, _)| old == word).map_or(word.as_str(), |(_, new)| new);
        out.push_str(replaced);
        word.clear();
    };
    for c in sdl.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[test]
fn a_breaking_schema_change_is_named_in_the_changelog() {
    let root = env!("CARGO_MANIFEST_DIR");
    let released =
        std::fs::read_to_string(format!("{root}/tests/api/released.graphql")).expect("the released schema");
    let changelog = std::fs::read_to_string(format!("{root}/CHANGELOG.md")).expect("CHANGELOG.md");
    let notes = unreleased(&changelog);
    let released = renamed(&released, &renames(notes));
    let unnamed: Vec<String> = breaking_changes(&released, &springboard::graphql::schema::sdl())
        .into_iter()
        .filter(|(at, _)| !notes.contains(&format!("`{at}`")))
        .map(|(at, what)| format!("`{at}`: {what}"))
        .collect();
    assert!(
        unnamed.is_empty(),
        "breaking schema changes not named under CHANGELOG.md's `## Unreleased` (name each coordinate in \
         backticks, with what clients must do):\n{}",
        unnamed.join("\n")
    );
}

#[test]
fn the_check_finds_each_kind_of_breaking_change() {
    let old = "type Query { a: String b(x: Int): Int! c: [Int] d: E }\n\
               input I { f: Int! g: String }\nenum E { ONE TWO }\ntype Gone { x: Int }";
    let new = "type Query { b(x: String, y: Int!): Int c: [Int]! d: E }\n\
               input I { f: Int g: String h: Int! k: Int = 1 }\nenum E { ONE THREE }";
    let found: Vec<String> = breaking_changes(old, new).into_iter().map(|(at, _)| at).collect();
    assert_eq!(
        found,
        ["Gone", "Gone.x", "Query.a", "Query.b", "Query.b(x:)", "I.h", "Query.b(y:)", "E.TWO",],
        "removed type and fields, an output made nullable, an argument retyped, new required inputs, a \
         removed enum value; not: an output made stricter, an input made looser, a new optional or \
         defaulted input, a new enum value"
    );
    assert!(breaking_changes(new, new).is_empty());
}

#[test]
fn the_unreleased_section_is_read_from_its_heading_not_from_the_policy_naming_it() {
    let changelog = "# Changelog\n\nthe `## Unreleased` section names them.\n\n## Unreleased\n\n- `A.b` went\n\n## 0.1.0\n\n- `C.d`\n";
    let notes = unreleased(changelog);
    assert!(notes.contains("`A.b`") && !notes.contains("`C.d`") && !notes.contains("names them"), "{notes}");
}

#[test]
fn a_renamed_type_is_one_change_named_once() {
    let notes = "- The scalar `NaiveDate` is renamed `Date`: declare variables as `Date`.\n- `A.b` went";
    assert_eq!(renames(notes), [("NaiveDate".to_owned(), "Date".to_owned())]);
    let old = "scalar NaiveDate\ntype Query { day: NaiveDate! days(from: NaiveDate): [NaiveDate!] naiveDates: Int }";
    let new = "scalar Date\ntype Query { day: Date! days(from: Date): [Date!] naiveDates: Int }";
    assert_eq!(breaking_changes(old, new).len(), 4, "unnamed, the rename breaks every position");
    assert!(breaking_changes(&renamed(old, &renames(notes)), new).is_empty());
}
