//! `aksbundle serve`: a bundle as a read-only Kubernetes API on 127.0.0.1, so kubectl works
//! offline. The bundle is read once by the analyzer's reader into a [`store::Store`] (raw
//! objects in memory, logs copied to a private temporary folder); [`api`] answers requests
//! over HTTPS with a certificate made at start, and only with the bearer token of the
//! kubeconfig written for this run.

pub mod api;
pub mod logs;
pub mod resources;
pub mod select;
pub mod store;
pub mod table;
mod tls;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;

use analyzer::{Limits, OpenError};

pub use store::{Store, TimeSource};

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The bundle could not be opened.
    #[error(transparent)]
    Open(OpenError),
    /// A file or socket operation failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The certificate could not be made.
    #[error("making the TLS certificate: {0}")]
    Tls(String),
    /// The listener could not start.
    #[error("listening on 127.0.0.1:{port}: {detail}")]
    Listen { port: u16, detail: String },
}

impl ServeError {
    fn io(what: &str, source: std::io::Error) -> ServeError {
        ServeError::Io {
            what: what.to_string(),
            source,
        }
    }
}

/// How to serve.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Port on 127.0.0.1; 0 (the default) picks a free one.
    pub port: u16,
    /// Reading limits, as for `analyze`.
    pub limits: Limits,
}

/// Request-handling threads: kubectl sends a few requests at a time.
const WORKERS: usize = 4;

/// A running server; stops when dropped.
pub struct Server {
    http: Arc<tiny_http::Server>,
    workers: Vec<JoinHandle<()>>,
    store: Arc<Store>,
    addr: SocketAddr,
    token: String,
    ca_pem: String,
}

impl Server {
    /// Reads the bundle and starts serving it on 127.0.0.1 — never another interface.
    pub fn start(bundle: &Path, options: &Options) -> Result<Server, ServeError> {
        let store = Arc::new(Store::open(bundle, &options.limits)?);
        let identity = tls::Identity::generate()?;
        let token = tls::random_token()?;
        let ssl = tiny_http::SslConfig {
            certificate: identity.cert_pem.into_bytes(),
            private_key: identity.key_pem.into_bytes(),
        };
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, options.port));
        let http = tiny_http::Server::https(listen, ssl).map_err(|e| ServeError::Listen {
            port: options.port,
            detail: e.to_string(),
        })?;
        let addr = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| ServeError::Listen {
                port: options.port,
                detail: "not an IP listener".into(),
            })?;
        let http = Arc::new(http);
        let workers = (0..WORKERS)
            .map(|_| {
                let http = Arc::clone(&http);
                let store = Arc::clone(&store);
                let token = token.clone();
                std::thread::spawn(move || {
                    while let Ok(request) = http.recv() {
                        respond(&store, &token, request);
                    }
                })
            })
            .collect();
        Ok(Server {
            http,
            workers,
            store,
            addr,
            token,
            ca_pem: identity.ca_pem,
        })
    }

    /// The address served: always 127.0.0.1.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The served bundle.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A kubeconfig for this server: its address, its CA, and the bearer token it requires.
    pub fn kubeconfig(&self) -> String {
        tls::kubeconfig(&self.addr, &self.ca_pem, &self.token)
    }

    /// The CA certificate (PEM) that signed the server's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for _ in 0..self.workers.len() {
            self.http.unblock();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn respond(store: &Store, token: &str, mut request: tiny_http::Request) {
    let header = |name: &'static str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_string())
    };
    let accept = header("Accept").unwrap_or_default();
    let authorization = header("Authorization");
    let method = request.method().as_str().to_string();
    let url = request.url().to_string();
    // A body (of a refused write) is not read: drain a little so the answer is seen.
    if method != "GET" {
        let _ = std::io::copy(
            &mut std::io::Read::take(request.as_reader(), 1 << 20),
            &mut std::io::sink(),
        );
    }
    let reply = api::handle(
        store,
        token,
        &api::Request {
            method: &method,
            url: &url,
            accept: &accept,
            authorization: authorization.as_deref(),
        },
    );
    let content_type =
        tiny_http::Header::from_bytes("Content-Type", reply.content_type).expect("a valid header");
    let status = tiny_http::StatusCode(reply.status);
    let _ = match reply.body {
        api::Body::Bytes(bytes) => request.respond(
            tiny_http::Response::from_data(bytes)
                .with_status_code(status)
                .with_header(content_type),
        ),
        api::Body::Log(stream) => request.respond(tiny_http::Response::new(
            status,
            vec![content_type],
            stream,
            None,
            None,
        )),
    };
}
