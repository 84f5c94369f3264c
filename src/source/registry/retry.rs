//! The one retry policy for everything strata asks a registry: how many tries, how long each
//! may stay silent, how long to wait between them.
//!
//! Manifest and config requests retry inside `Policy::run`; a blob download counts its
//! failures (a request that fails, a stream that breaks off) in its own `Tries`, because it
//! resumes where it stopped instead of asking again. Both ask the same `Tries` whether to go
//! on and how long to wait first, so the two cannot drift apart.

use std::future::Future;
use std::time::Duration;

use oci_client::errors::OciDistributionError;

use super::failure::{Failure, Kind};

/// Tries per request or download (the first included) when failures are transient: resets,
/// timeouts, 429 and 5xx answers.
pub(super) const ATTEMPTS: u32 = 4;

/// How strata retries: a per-try time limit, `ATTEMPTS` tries, a doubling pause between them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Policy {
    /// How long one try, or a blob stream between two chunks, may stay silent.
    pub(super) timeout: Duration,
}

impl Policy {
    pub(super) fn new(timeout: Duration) -> Policy {
        Policy { timeout }
    }

    /// One try of `request`, bounded by the per-try timeout. The flag says the try timed out
    /// (the registry's own timeout or this one), which `run` may probe further.
    pub(super) async fn once<T, Fut>(&self, request: Fut) -> Result<T, (Failure, bool)>
    where
        Fut: Future<Output = oci_client::errors::Result<T>>,
    {
        match tokio::time::timeout(self.timeout, request).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                let timed_out =
                    matches!(&e, OciDistributionError::RequestError(r) if r.is_timeout());
                Err((Failure::classify(e), timed_out))
            }
            Err(_) => Err((
                Failure::new(
                    Kind::Transient,
                    format!("no answer within {} s", self.timeout.as_secs()),
                ),
                true,
            )),
        }
    }

    /// Runs `request` until it succeeds, fails for good or has had its tries. When a try
    /// times out and `probe` (the registry's `host:port`) takes no TCP connection either, the
    /// registry is unreachable (a host that is gone: its connections time out instead of
    /// being refused) and the cache may stand in at once.
    pub(super) async fn run<T, F, Fut>(
        &self,
        probe: Option<&str>,
        mut request: F,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = oci_client::errors::Result<T>>,
    {
        let mut tries = Tries::default();
        loop {
            let failure = match self.once(request()).await {
                Ok(v) => return Ok(v),
                Err((failure, true)) if failure.kind == Kind::Transient => match probe {
                    Some(address) if !takes_connections(address, self.timeout).await => {
                        return Err(Failure::new(
                            Kind::Unreachable,
                            format!("{failure}; no connection to {address}"),
                        ));
                    }
                    _ => failure,
                },
                Err((failure, _)) => failure,
            };
            tokio::time::sleep(tries.failed(failure)?).await;
        }
    }
}

/// The failures of one request or download so far.
#[derive(Debug, Default)]
pub(super) struct Tries {
    failures: u32,
}

impl Tries {
    /// Counts `failure`: `Ok` with the pause before the next try, or `Err` with the failure to
    /// report (marked with the tries made when strata gave up on a transient one).
    pub(super) fn failed(&mut self, mut failure: Failure) -> Result<Duration, Failure> {
        self.failures += 1;
        if !failure.kind.retryable() {
            return Err(failure);
        }
        if self.failures >= ATTEMPTS {
            failure.gave_up_after = Some(self.failures);
            return Err(failure);
        }
        Ok(backoff(self.failures, failure.kind))
    }

    /// The failures counted so far.
    pub(super) fn count(&self) -> u32 {
        self.failures
    }
}

/// 250 ms, 500 ms, 1 s, ... after the first, second, third failure; at least 1 s after a 429
/// (oci-client does not expose Retry-After, so strata backs off by itself, and never for as
/// long as a registry may ask).
fn backoff(failures: u32, kind: Kind) -> Duration {
    let base = Duration::from_millis(250 << failures.saturating_sub(1).min(6));
    if kind == Kind::RateLimited {
        base.max(Duration::from_secs(1))
    } else {
        base
    }
}

/// Whether a TCP connection to `address` opens within `timeout` (at most 3 s).
async fn takes_connections(address: &str, timeout: Duration) -> bool {
    let wait = timeout.min(Duration::from_secs(3));
    matches!(
        tokio::time::timeout(wait, tokio::net::TcpStream::connect(address)).await,
        Ok(Ok(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_waits_longer_after_429() {
        assert_eq!(backoff(1, Kind::Transient), Duration::from_millis(250));
        assert_eq!(backoff(2, Kind::Transient), Duration::from_millis(500));
        assert_eq!(backoff(3, Kind::Transient), Duration::from_secs(1));
        assert_eq!(backoff(1, Kind::RateLimited), Duration::from_secs(1));
        assert_eq!(backoff(3, Kind::RateLimited), Duration::from_secs(1));
    }

    #[test]
    fn transient_failures_get_four_tries_and_others_one() {
        let mut tries = Tries::default();
        for _ in 1..ATTEMPTS {
            let wait = tries.failed(Failure::new(Kind::RateLimited, ""));
            assert!(wait.is_ok_and(|w| w >= Duration::from_secs(1)));
        }
        let last = tries
            .failed(Failure::new(Kind::RateLimited, ""))
            .expect_err("the fourth failure gives up");
        assert_eq!(last.gave_up_after, Some(ATTEMPTS));
        assert_eq!(tries.count(), ATTEMPTS);

        let mut tries = Tries::default();
        let f = tries
            .failed(Failure::new(Kind::NotFound, "x"))
            .expect_err("not retried");
        assert_eq!((f.kind, f.gave_up_after), (Kind::NotFound, None));
    }
}
