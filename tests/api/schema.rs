//! The checked-in SDL is what clients code against: it must be what the code serves.

#[test]
fn the_checked_in_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("reading {path}: {err}"));

    let generated = springboard::graphql::schema::sdl();

    assert!(
        checked_in == generated,
        "{path} is out of date with the code: run `cargo run -- schema > schema.graphql` and commit the result"
    );
}

/// Partners build on the schema without reading the source: every type, field, argument, input
/// field and enum value says what it is.
#[test]
fn every_schema_element_is_described() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    let sdl = springboard::graphql::schema::sdl();
    let document =
        async_graphql::parser::parse_schema(&sdl).unwrap_or_else(|err| panic!("the SDL parses: {err}"));
    let mut undescribed = Vec::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else { continue };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        if ty.description.is_none() {
            undescribed.push(name.to_owned());
        }
        match &ty.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field = &field.node;
                    if field.description.is_none() {
                        undescribed.push(format!("{name}.{}", field.name.node));
                    }
                    for argument in &field.arguments {
                        if argument.node.description.is_none() {
                            undescribed
                                .push(format!("{name}.{}({}:)", field.name.node, argument.node.name.node));
                        }
                    }
                }
            }
            TypeKind::Interface(interface) => {
                for field in &interface.fields {
                    if field.node.description.is_none() {
                        undescribed.push(format!("{name}.{}", field.node.name.node));
                    }
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    if field.node.description.is_none() {
                        undescribed.push(format!("{name}.{}", field.node.name.node));
                    }
                }
            }
            TypeKind::Enum(enumeration) => {
                for value in &enumeration.values {
                    if value.node.description.is_none() {
                        undescribed.push(format!("{name}.{}", value.node.value.node));
                    }
                }
            }
            TypeKind::Scalar | TypeKind::Union(_) => {}
        }
    }
    assert!(
        undescribed.is_empty(),
        "{} schema elements have no description:\n{}",
        undescribed.len(),
        undescribed.join("\n")
    );
}
