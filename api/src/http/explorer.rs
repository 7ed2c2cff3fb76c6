//! The API explorer: GraphiQL with a sign-in bar, at `GET /graphql` for a browser, and its files
//! under `/graphiql/`. Everything is compiled into the binary (see `api/assets/graphiql`): the
//! page works with no network beyond this server, and its policy lets it load nothing else.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

/// A file of the explorer. Third-party files are stored gzipped and sent as they are.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    gzipped: bool,
}

macro_rules! asset {
    ($name:literal, $type:literal, gz) => {
        Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("../../assets/graphiql/", $name, ".gz")),
            gzipped: true,
        }
    };
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("../../assets/graphiql/", $name)),
            gzipped: false,
        }
    };
}

const ASSETS: [Asset; 6] = [
    asset!("graphiql-3.8.3.min.js", "text/javascript; charset=utf-8", gz),
    asset!("graphiql-3.8.3.min.css", "text/css; charset=utf-8", gz),
    asset!("react-18.3.1.production.min.js", "text/javascript; charset=utf-8", gz),
    asset!("react-dom-18.3.1.production.min.js", "text/javascript; charset=utf-8", gz),
    asset!("explorer.js", "text/javascript; charset=utf-8"),
    asset!("explorer.css", "text/css; charset=utf-8"),
];

const PAGE: &str = include_str!("../../assets/graphiql/explorer.html");

/// Scripts and styles from this server only (GraphiQL sets inline styles), data from `/graphql`.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                      img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
                      form-action 'none'; frame-ancestors 'none'";

/// The explorer's page.
pub fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(PAGE)
}

/// `GET /graphiql/{name}`: versioned third-party files are cached for good; the explorer's own
/// script and style are checked again after five minutes.
pub async fn asset(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name.as_str()) else {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such file");
    };
    let mut answer = HttpResponse::Ok();
    answer.content_type(asset.content_type).insert_header(("X-Content-Type-Options", "nosniff"));
    if asset.gzipped {
        let accepts_gzip = req
            .headers()
            .get_all(header::ACCEPT_ENCODING)
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|coding| coding.trim().starts_with("gzip")));
        if !accepts_gzip {
            return HttpResponse::NotAcceptable()
                .content_type("text/plain; charset=utf-8")
                .body("this file is sent gzip-encoded: send Accept-Encoding: gzip");
        }
        answer
            .insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")))
            .insert_header((header::VARY, "Accept-Encoding"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"));
    } else {
        answer.insert_header((header::CACHE_CONTROL, "public, max-age=300"));
    }
    answer.body(asset.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_only_files_this_server_serves() {
        let served: Vec<String> = ASSETS.iter().map(|a| format!("/graphiql/{}", a.name)).collect();
        let referenced: Vec<&str> = PAGE.split('"').filter(|part| part.starts_with("/graphiql/")).collect();
        assert_eq!(referenced.len(), 6, "{referenced:?}");
        for path in referenced {
            assert!(served.iter().any(|s| s == path), "{path} is not served");
        }
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://"), "nothing from elsewhere");
        assert!(ASSETS.iter().filter(|a| a.gzipped).all(|a| a.bytes.starts_with(&[0x1f, 0x8b])));
    }
}
