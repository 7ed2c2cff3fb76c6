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
