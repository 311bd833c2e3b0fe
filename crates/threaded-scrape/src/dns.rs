//! Name resolution for the blocking client, once per host rather than once per request.
//!
//! ureq resolves the host of every request before it looks in its connection pool, and with a
//! timeout set (we always set one) its default resolver starts a thread for each lookup, so
//! that a slow DNS server cannot outlast the timeout. A crawl that reuses one connection for
//! hundreds of requests would start hundreds of threads only to throw the answer away: on the
//! 500-page benchmark site that was one `clone3` per request, about a tenth of the crawl's
//! CPU, and a thread to schedule on the critical path of every request.
//!
//! So: an IP literal (`127.0.0.1`, `[::1]`) is its own answer, with no lookup and no thread;
//! a name is looked up by ureq's resolver (its thread and timeout kept) and its addresses are
//! kept for [`TTL`], as Scrapy's DNS cache and browsers do. Failed lookups are not kept: the
//! next request asks again. The trade-off: a host that moves to a new address within the TTL
//! is still reached at the old one until then (connections already open do the same).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a looked-up name's addresses are reused.
pub const TTL: Duration = Duration::from_secs(60);

/// ureq's resolver, remembered per `host:port`.
#[derive(Debug, Default)]
pub struct CachingResolver {
    inner: DefaultResolver,
    /// `host:port` to its addresses and when they were looked up.
    names: Mutex<HashMap<String, (ResolvedSocketAddrs, Instant)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let port = uri
            .port_u16()
            .or_else(|| default_port(uri.scheme_str()?))
            .ok_or(ureq::Error::BadUri(format!("{uri}: no port")))?;
        let Some(host) = uri.host() else {
            return Err(ureq::Error::BadUri(format!("{uri}: no host")));
        };
        // An IP literal needs no lookup (the `http` crate keeps IPv6's brackets).
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let key = format!("{host}:{port}");
        if let Some(addrs) = self.cached(&key) {
            return Ok(addrs);
        }
        // Outside the lock: a slow lookup holds up only the requests that wait for it.
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if let Ok(mut names) = self.names.lock() {
            names.insert(key, (addrs.clone(), Instant::now()));
        }
        Ok(addrs)
    }
}

impl CachingResolver {
    fn cached(&self, key: &str) -> Option<ResolvedSocketAddrs> {
        let names = self.names.lock().ok()?;
        let (addrs, at) = names.get(key)?;
        (at.elapsed() < TTL).then(|| addrs.clone())
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(resolver: &CachingResolver, uri: &str) -> Vec<SocketAddr> {
        let config = ureq::Agent::config_builder().build();
        let timeout = NextTimeout {
            after: Duration::from_secs(5).into(),
            reason: ureq::Timeout::Resolve,
            ..NextTimeout::default()
        };
        let uri: Uri = uri.parse().unwrap();
        let addrs = resolver.resolve(&uri, &config, timeout).unwrap();
        addrs.iter().copied().collect()
    }

    #[test]
    fn ip_literals_are_their_own_answer() {
        let r = CachingResolver::default();
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8080/x"),
            ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "https://[::1]/"),
            ["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "http://10.0.0.1/"),
            ["10.0.0.1:80".parse::<SocketAddr>().unwrap()]
        );
        // Nothing was looked up, so nothing is kept.
        assert!(r.names.lock().unwrap().is_empty());
    }

    #[test]
    fn names_are_looked_up_once_and_kept() {
        let r = CachingResolver::default();
        let first = resolve(&r, "http://localhost:8080/a");
        assert!(first
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 8080));
        assert_eq!(r.names.lock().unwrap().len(), 1);
        // A planted answer shows the second request is served from the cache.
        let planted: SocketAddr = "127.0.0.9:8080".parse().unwrap();
        let mut addrs = r.empty();
        addrs.push(planted);
        r.names
            .lock()
            .unwrap()
            .insert("localhost:8080".to_string(), (addrs, Instant::now()));
        assert_eq!(resolve(&r, "http://localhost:8080/b"), [planted]);
        // Once older than the TTL it is looked up again.
        let old = Instant::now().checked_sub(TTL + Duration::from_secs(1));
        if let Some(old) = old {
            r.names.lock().unwrap().get_mut("localhost:8080").unwrap().1 = old;
            assert_ne!(resolve(&r, "http://localhost:8080/c"), [planted]);
        }
    }
}
