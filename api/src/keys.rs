//! Where the JWT signing keys and the data keys come from. Configured keys win. Without them, the
//! embedded SQLite setup generates each into a file beside the database (mode 0600) so that a first
//! run needs no configuration and tokens and authenticators survive restarts; PostgreSQL, being
//! production, refuses to start.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use crate::identity::jwt::JwtKeys;
use crate::identity::sealing::DataKeys;
use crate::settings::{Secret, Settings};

pub fn resolve(settings: &Settings) -> anyhow::Result<JwtKeys> {
    let (issuer, audience) = (&settings.jwt_issuer, &settings.jwt_audience);
    let spec = spec_of(settings, settings.jwt_secrets.as_ref(), "SPRINGBOARD_JWT_SECRETS", "jwt-secret")?;
    JwtKeys::parse(&spec, issuer, audience)
        .context("SPRINGBOARD_JWT_SECRETS (or its generated file) is invalid")
}

/// The keys that seal authenticator secrets, found as the JWT keys are: configured, or
/// generated beside a SQLite file.
pub fn resolve_data_keys(settings: &Settings) -> anyhow::Result<DataKeys> {
    let configured = settings.two_factor.data_keys.as_ref();
    let spec = spec_of(settings, configured, "SPRINGBOARD_DATA_KEYS", "data-key")?;
    DataKeys::parse(&spec).context("SPRINGBOARD_DATA_KEYS (or its generated file) is invalid")
}

/// The configured `kid:secret` list, or one generated into `FILE.suffix` beside a SQLite file.
fn spec_of(
    settings: &Settings,
    configured: Option<&Secret>,
    variable: &str,
    suffix: &str,
) -> anyhow::Result<Secret> {
    if let Some(spec) = configured {
        return Ok(spec.clone());
    }
    let url = &settings.database.database_url;
    if !crate::db::is_sqlite_url(url) {
        bail!("{variable} must be set when the database is not the embedded SQLite");
    }
    Ok(match sqlite_file(url) {
        Some(db_file) => {
            let path = secret_path(&db_file, suffix);
            let spec = load_or_create(&path)?;
            tracing::warn!(
                path = %path.display(),
                "no {variable} configured: using a generated key kept beside the database"
            );
            spec
        }
        None => {
            tracing::warn!(
                "no {variable} and an in-memory database: what it protects will not survive a restart"
            );
            Secret::new(format!("ephemeral:{}", random_secret()))
        }
    })
}

fn random_secret() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The file behind `sqlite://path?…`, or `None` for an in-memory database.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

fn secret_path(db_file: &Path, suffix: &str) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn load_or_create(path: &Path) -> anyhow::Result<Secret> {
    match std::fs::read_to_string(path) {
        Ok(text) => return Ok(Secret::new(text.trim())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    }
    let spec = format!("local:{}", random_secret());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(spec.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    Ok(Secret::new(spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_file("sqlite://springboard.db?mode=rwc"), Some(PathBuf::from("springboard.db")));
        assert_eq!(sqlite_file("sqlite:/tmp/x.db"), Some(PathBuf::from("/tmp/x.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_generated_key_file_is_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("sb-keys-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.jwt-secret");
        let first = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create(&path).unwrap(), first);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
