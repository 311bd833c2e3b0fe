//! The test site's HTTP/1.1 server: one thread per connection, keep-alive, GET and HEAD.
//!
//! Request heads are parsed by `httparse`; what is written here is the concurrency. An acceptor
//! thread takes connections and starts a thread for each. That thread reads a request, calls
//! the handler (which sleeps the site's latency), writes the answer, and waits for the next
//! request on the same connection. So every connection is served at once, however many
//! there are, and a slow request holds up only its own connection.
//!
//! Why not tiny_http, the usual choice: tiny_http 0.12 hands connections to an internal thread
//! pool that can lose a wake-up. When several keep-alive connections arrive together, some are
//! queued with no thread to run them, and wait until another connection closes. A crawler keeps
//! its connections open for the whole crawl, so in a 32-worker crawl some requests stalled until
//! the crawler's 10 s timeout. (To see it: open 10 keep-alive connections at once to a fresh
//! tiny_http 0.12 server and send a request on each; several get no answer.)

use std::collections::HashMap;
use std::io::{self, BufWriter, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// A connection with no new request for this long is closed, as real servers do.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// What the handler sees of a request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent: `/p/3?x=1`.
    pub target: String,
    /// The `Host` header, if any.
    pub host: Option<String>,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// The first request of its connection: the site counts connections with it.
    pub first_on_connection: bool,
    /// `X-...` headers as `name: value` (name lower-cased), for tests of `--header`.
    pub x_headers: Vec<String>,
}

/// What the handler answers.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Extra headers (`Content-Type`, `Location`, ...). `Content-Length` is added here.
    pub headers: Vec<(&'static str, String)>,
    /// Shared, so the 2 MiB page is built once and never copied.
    pub body: Arc<[u8]>,
}

pub type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// Connection threads still running, so `stop` can close their sockets and join them.
#[derive(Default)]
struct Connections {
    next_id: u64,
    open: HashMap<u64, (TcpStream, JoinHandle<()>)>,
}

/// A running server. [`Server::stop`] (or dropping it) closes every connection and joins
/// every thread.
pub struct Server {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Connections>>,
}

impl Server {
    /// Listens on `addr` and serves every request with `handler`.
    pub fn start(addr: &str, handler: Arc<Handler>) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stopping = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Connections::default()));
        let acceptor = {
            let (stopping, connections) = (Arc::clone(&stopping), Arc::clone(&connections));
            thread::Builder::new()
                .name("site-acceptor".to_string())
                .spawn(move || accept_loop(listener, handler, &stopping, &connections))?
        };
        Ok(Server {
            addr,
            stopping,
            acceptor: Some(acceptor),
            connections,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes every connection and joins every thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        // 1. The acceptor is blocked in `accept`: raise the flag, then connect once ourselves
        //    so that `accept` returns and the loop sees the flag.
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        let _ = acceptor.join();
        // 2. Connection threads are blocked reading their next request (or sleeping the
        //    latency). Shutting their sockets down makes the read return, or the write fail.
        let open = match self.connections.lock() {
            Ok(mut connections) => std::mem::take(&mut connections.open),
            Err(poisoned) => std::mem::take(&mut poisoned.into_inner().open),
        };
        for (stream, _) in open.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        // 3. Join them, outside the lock: each takes the lock once more on its way out.
        for (_, (_, handle)) in open {
            let _ = handle.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(
    listener: TcpListener,
    handler: Arc<Handler>,
    stopping: &AtomicBool,
    connections: &Arc<Mutex<Connections>>,
) {
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        // A failed accept (e.g. out of file descriptors) loses that connection, not the server.
        let Ok(stream) = stream else { continue };
        let Ok(copy) = stream.try_clone() else {
            continue;
        };
        let Ok(mut registry) = connections.lock() else {
            break;
        };
        let id = registry.next_id;
        registry.next_id += 1;
        let (handler, connections_for_thread) = (Arc::clone(&handler), Arc::clone(connections));
        let spawned = thread::Builder::new()
            .name(format!("site-conn-{id}"))
            .spawn(move || {
                // Errors end the connection: the client went away or sent nonsense.
                let _ = serve_connection(stream, &*handler);
                // Leaving: forget our entry. The acceptor inserted it while holding the lock we
                // wait for here, so it is there (unless `stop` already took everything).
                if let Ok(mut registry) = connections_for_thread.lock() {
                    registry.open.remove(&id);
                }
            });
        // If no thread can be started, `stream` was dropped with the closure: closed.
        if let Ok(handle) = spawned {
            registry.open.insert(id, (copy, handle));
        }
    }
}

/// Serves requests on one connection until the client closes it or asks to.
fn serve_connection(mut stream: TcpStream, handler: &Handler) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    stream.set_nodelay(true)?;
    // Bytes read but not yet used: a client may send its next request before our answer.
    let mut pending: Vec<u8> = Vec::with_capacity(4096);
    let mut first = true;
    loop {
        let Some((mut request, keep_alive, body_len)) = read_head(&mut stream, &mut pending)?
        else {
            return Ok(()); // The client closed the connection between requests.
        };
        request.first_on_connection = std::mem::take(&mut first);
        discard_body(&mut stream, &mut pending, body_len)?;
        let response = handler(&request);
        write_response(&mut stream, &request, &response, keep_alive)?;
        if !keep_alive {
            return Ok(());
        }
    }
}

/// Reads until a whole request head is in `pending`, parses it and removes it from `pending`.
/// Returns the request, whether the connection stays open, and the length of its body.
fn read_head(
    stream: &mut TcpStream,
    pending: &mut Vec<u8>,
) -> io::Result<Option<(Request, bool, usize)>> {
    let mut chunk = [0u8; 4096];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(pending) {
            Ok(httparse::Status::Complete(head_len)) => {
                let header = |name: &str| {
                    parsed
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
                };
                if header("transfer-encoding").is_some() {
                    reject(stream, 501, "chunked request bodies are not supported")?;
                    return Ok(None);
                }
                let connection = header("connection")
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                // HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 the opposite.
                let keep_alive = match parsed.version {
                    Some(1) => !connection.contains("close"),
                    _ => connection.contains("keep-alive"),
                };
                let body_len = header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let request = Request {
                    method: parsed.method.unwrap_or("GET").to_string(),
                    target: parsed.path.unwrap_or("/").to_string(),
                    host: header("host"),
                    user_agent: header("user-agent"),
                    // Set by `serve_connection`, which knows.
                    first_on_connection: false,
                    x_headers: parsed
                        .headers
                        .iter()
                        .filter(|h| h.name.to_ascii_lowercase().starts_with("x-"))
                        .map(|h| {
                            let value = String::from_utf8_lossy(h.value);
                            format!("{}: {}", h.name.to_ascii_lowercase(), value.trim())
                        })
                        .collect(),
                };
                pending.drain(..head_len);
                return Ok(Some((request, keep_alive, body_len)));
            }
            Ok(httparse::Status::Partial) if pending.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                reject(stream, 431, "request head too large")?;
                return Ok(None);
            }
            Err(e) => {
                reject(stream, 400, &format!("bad request: {e}"))?;
                return Ok(None);
            }
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        pending.extend_from_slice(&chunk[..n]);
    }
}

/// Skips a request body of `len` bytes (a GET has none; a client may still send one).
fn discard_body(stream: &mut TcpStream, pending: &mut Vec<u8>, len: usize) -> io::Result<()> {
    let from_pending = len.min(pending.len());
    pending.drain(..from_pending);
    let rest = (len - from_pending) as u64;
    let copied = io::copy(&mut stream.take(rest), &mut io::sink())?;
    if copied < rest {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

fn write_response(
    stream: &mut TcpStream,
    request: &Request,
    response: &Response,
    keep_alive: bool,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(64 * 1024, stream);
    write!(
        out,
        "HTTP/1.1 {} {}\r\nServer: threaded-scrape-site\r\nContent-Length: {}\r\n",
        response.status,
        reason(response.status),
        response.body.len()
    )?;
    for (name, value) in &response.headers {
        write!(out, "{name}: {value}\r\n")?;
    }
    if !keep_alive {
        out.write_all(b"Connection: close\r\n")?;
    }
    out.write_all(b"\r\n")?;
    if request.method != "HEAD" {
        out.write_all(&response.body)?;
    }
    out.flush()
}

/// Answers a request we cannot serve, and closes the connection.
fn reject(stream: &mut TcpStream, status: u16, why: &str) -> io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{why}",
        reason(status),
        why.len()
    )
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        _ => "",
    }
}
