//! A throttling TCP proxy on loopback, for the tests and benchmarks of registry loads over a
//! slow network (issue "Open a registry image before it has downloaded"): every request
//! waits `latency` before it goes upstream, and every byte coming back shares one budget of
//! `rate` bytes a second, as one link does. Bytes pass unchanged in both directions, so any
//! HTTP/1.1 traffic (keep-alive, ranges, chunked bodies) goes through as it is.
//!
//! Standard library only: it is compiled into the test binary (`tests/support`) and, through
//! `#[path]`, into `examples/throttle_proxy.rs`, which `scripts/bench-lazy.sh` runs.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the link behaves.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    /// Bytes a second from upstream to the client, all connections together.
    pub rate: u64,
    /// Added before each request (each burst of bytes from the client after a quiet spell).
    pub latency: Duration,
}

/// A running proxy; it serves until the process ends.
pub struct Throttle {
    pub port: u16,
    /// Bytes sent to clients so far.
    pub sent: Arc<AtomicU64>,
}

/// One budget of bytes shared by every connection: a token bucket with a burst of 64 KiB.
struct Bucket {
    rate: u64,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    /// Waits until `n` bytes may go.
    fn take(&self, n: usize) {
        let n = n as f64;
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let burst = 65_536f64.max(n);
                s.0 = (s.0 + now.duration_since(s.1).as_secs_f64() * self.rate as f64).min(burst);
                s.1 = now;
                if s.0 >= n {
                    s.0 -= n;
                    return;
                }
                (n - s.0) / self.rate as f64
            };
            std::thread::sleep(Duration::from_secs_f64(wait.min(0.05)));
        }
    }
}

impl Throttle {
    /// Starts a proxy in front of `127.0.0.1:upstream`.
    pub fn start(upstream: u16, link: Link) -> std::io::Result<Throttle> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let sent = Arc::new(AtomicU64::new(0));
        let bucket = Arc::new(Bucket {
            rate: link.rate.max(1),
            state: Mutex::new((0.0, Instant::now())),
        });
        let counter = Arc::clone(&sent);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let (bucket, counter) = (Arc::clone(&bucket), Arc::clone(&counter));
                std::thread::spawn(move || {
                    let _ = relay(client, upstream, link, &bucket, &counter);
                });
            }
        });
        Ok(Throttle { port, sent })
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// Pumps one connection both ways until either side closes.
fn relay(
    client: TcpStream,
    upstream: u16,
    link: Link,
    bucket: &Bucket,
    sent: &AtomicU64,
) -> std::io::Result<()> {
    let server = TcpStream::connect(("127.0.0.1", upstream))?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut c_read, mut s_write) = (client.try_clone()?, server.try_clone()?);
    // Client to server: a request waits the latency when it starts (bytes after 5 ms of quiet).
    let up = std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 << 10];
        let mut last = Instant::now() - Duration::from_secs(1);
        loop {
            let n = match c_read.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if last.elapsed() > Duration::from_millis(5) {
                std::thread::sleep(link.latency);
            }
            if s_write.write_all(&buf[..n]).is_err() {
                break;
            }
            last = Instant::now();
        }
        let _ = s_write.shutdown(Shutdown::Write);
    });
    // Server to client, at the link's rate.
    let (mut s_read, mut c_write) = (server, client);
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let n = match s_read.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        bucket.take(n);
        if c_write.write_all(&buf[..n]).is_err() {
            break;
        }
        sent.fetch_add(n as u64, Ordering::Relaxed);
    }
    let _ = c_write.shutdown(Shutdown::Both);
    let _ = up.join();
    Ok(())
}
