//! Logging, and trace export over OTLP. `RUST_LOG` filters (default `info`); the format is text
//! or JSON lines. When the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, the same spans also go to that collector over
//! OTLP/HTTP with protobuf, batched on a thread of their own, named by `OTEL_SERVICE_NAME`
//! (default `springboard`) and the other `OTEL_*` variables the OpenTelemetry SDK reads.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::settings::LogFormat;

const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";
const SERVICE_NAME: &str = "springboard";

/// Keeps the trace exporter, so that spans still buffered are sent before the process ends.
#[must_use = "call `shutdown` before exiting, or buffered spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends what is buffered and stops the exporter.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(err) = provider.shutdown()
        {
            eprintln!("OTLP trace export did not shut down cleanly: {err}");
        }
    }
}

pub fn init(format: LogFormat) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Colour codes only for a person at a terminal, never in a file or a collector's pipe.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let lines = match format {
        LogFormat::Json => lines.json().flatten_event(true).with_current_span(true).boxed(),
        LogFormat::Text => lines.with_ansi(ansi).boxed(),
    };
    let provider = configured_endpoint().and_then(|endpoint| match exporter_for(None) {
        Ok(provider) => {
            eprintln!("exporting traces over OTLP to {endpoint}");
            Some(provider)
        }
        Err(err) => {
            eprintln!("OTLP trace export is off: {err}");
            None
        }
    });
    let traces =
        provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(SERVICE_NAME)));
    // `try_init` because tests may call this more than once in a process.
    let _ = tracing_subscriber::registry().with(filter).with(lines).with(traces).try_init();
    Telemetry { provider }
}

fn configured_endpoint() -> Option<String> {
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
}

/// A tracer provider exporting to `endpoint`, or to the one the `OTEL_*` variables name. The
/// exporter's blocking HTTP client may not be built on an async runtime's thread, so it is built
/// on a thread of its own.
pub fn exporter_for(endpoint: Option<String>) -> Result<SdkTracerProvider, String> {
    let build = move || -> Result<SdkTracerProvider, String> {
        use opentelemetry_otlp::WithExportConfig as _;
        let mut exporter = opentelemetry_otlp::SpanExporter::builder().with_http();
        if let Some(endpoint) = endpoint {
            exporter = exporter.with_endpoint(endpoint);
        }
        let exporter = exporter.build().map_err(|e| e.to_string())?;
        let mut resource = Resource::builder();
        if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
            resource = resource.with_service_name(SERVICE_NAME);
        }
        Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource.build()).build())
    };
    std::thread::spawn(build).join().map_err(|_| "building the OTLP exporter panicked".to_owned())?
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::exporter_for;

    /// A span recorded through `tracing` reaches an OTLP/HTTP collector as a protobuf POST to
    /// `/v1/traces`.
    #[test]
    fn spans_reach_an_otlp_collector() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the collector");
        let port = listener.local_addr().expect("its address").port();
        listener.set_nonblocking(true).expect("a non-blocking listener");
        let collector = std::thread::spawn(move || {
            // Fails, rather than hangs, when nothing is exported.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let mut stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(_) if std::time::Instant::now() < deadline => {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    Err(err) => panic!("no export reached the collector: {err}"),
                }
            };
            stream.set_nonblocking(false).expect("a blocking stream");
            stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).expect("a timeout");
            let mut received = Vec::new();
            let mut buffer = [0u8; 8192];
            // Headers first; the body's length is in them, and only its presence matters here.
            while !received.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buffer).expect("reading the request");
                if n == 0 {
                    break;
                }
                received.extend_from_slice(&buffer[..n]);
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            String::from_utf8_lossy(&received).to_lowercase()
        });

        let provider = exporter_for(Some(format!("http://127.0.0.1:{port}/v1/traces")))
            .expect("an exporter for the collector");
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("http.request", graphql.operation = "Nested");
            let _entered = span.enter();
        });
        provider.force_flush().expect("the batch is sent");

        let request = collector.join().expect("the collector thread");
        assert!(request.starts_with("post /v1/traces "), "{request}");
        assert!(request.contains("content-type: application/x-protobuf"), "{request}");
        let _ = provider.shutdown();
    }
}
