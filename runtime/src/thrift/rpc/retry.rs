//! Retrying idempotent Thrift calls: a [`tower::retry::Policy`] for [`Request`]s.
//!
//! Only calls the policy is told are idempotent are retried, and only after failures that say
//! nothing reached a handler or that the outcome is unknown but harmless to repeat: socket errors,
//! a connection closed before the reply, timeouts. An answer from the server (a reply, a declared
//! exception, a `TApplicationException`) is never retried, nor are malformed replies.
//!
//! Retries wait an exponential, jittered backoff and draw from a shared
//! [`TpsBudget`](tower::retry::budget::TpsBudget) (by default at most 20% extra load on top of
//! 10 retries a second), so a failing server is not hit by a retry storm.
//!
//! ```no_run
//! use kit_runtime::thrift::rpc::{Channel, RetryPolicy, TransportKind};
//! use kit_runtime::thrift::rpc::tower::{retry::RetryLayer, ServiceBuilder};
//!
//! let channel = Channel::new("127.0.0.1:9090", TransportKind::Framed);
//! let policy = RetryPolicy::new().idempotent_methods(["getUser", "listUsers"]);
//! let svc = ServiceBuilder::new().layer(RetryLayer::new(policy)).service(channel);
//! ```

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tower::retry::budget::{Budget, TpsBudget};

use super::{BoxError, Error, Request};

/// Which methods may be retried.
type Idempotent = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// A retry policy for idempotent Thrift calls; use with [`tower::retry::RetryLayer`].
///
/// The policy is cloned per call (tower does that), so the attempt count is per call while the
/// budget is shared by every clone.
#[derive(Clone)]
pub struct RetryPolicy {
    idempotent: Idempotent,
    max_retries: u32,
    attempt: u32,
    base_backoff: Duration,
    max_backoff: Duration,
    budget: Arc<TpsBudget>,
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_retries", &self.max_retries)
            .field("attempt", &self.attempt)
            .field("base_backoff", &self.base_backoff)
            .field("max_backoff", &self.max_backoff)
            .finish_non_exhaustive()
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::new()
    }
}

impl RetryPolicy {
    /// A policy that retries nothing until told which methods are idempotent; 2 retries,
    /// 10 ms base backoff doubling up to 1 s, a budget of 20% over 10 retries/s (10 s window).
    pub fn new() -> RetryPolicy {
        RetryPolicy {
            idempotent: Arc::new(|_| false),
            max_retries: 2,
            attempt: 0,
            base_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(1),
            budget: Arc::new(TpsBudget::new(Duration::from_secs(10), 10, 0.2)),
        }
    }

    /// Retries these methods (names as in the IDL).
    pub fn idempotent_methods<I, S>(mut self, methods: I) -> RetryPolicy
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut names: Vec<String> = methods.into_iter().map(Into::into).collect();
        names.sort();
        names.dedup();
        self.idempotent = Arc::new(move |m| names.binary_search_by(|n| n.as_str().cmp(m)).is_ok());
        self
    }

    /// Retries the methods for which `f` returns true.
    pub fn idempotent_if(
        mut self,
        f: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> RetryPolicy {
        self.idempotent = Arc::new(f);
        self
    }

    /// At most `n` retries per call (so `n + 1` attempts).
    pub fn max_retries(mut self, n: u32) -> RetryPolicy {
        self.max_retries = n;
        self
    }

    /// The backoff before the first retry, doubled for each further one, capped at `max`;
    /// each wait is drawn uniformly from `[backoff/2, backoff]`.
    pub fn backoff(mut self, base: Duration, max: Duration) -> RetryPolicy {
        self.base_backoff = base;
        self.max_backoff = max.max(base);
        self
    }

    /// Replaces the shared retry budget.
    pub fn budget(mut self, budget: TpsBudget) -> RetryPolicy {
        self.budget = Arc::new(budget);
        self
    }

    fn delay(&self) -> Duration {
        let shift = self.attempt.min(20);
        let full = self
            .base_backoff
            .saturating_mul(1u32 << shift)
            .min(self.max_backoff);
        let half = full / 2;
        let nanos = half.as_nanos().min(u64::MAX as u128) as u64;
        let jitter = if nanos == 0 {
            0
        } else {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(self.attempt);
            h.finish() % (nanos + 1)
        };
        half + Duration::from_nanos(jitter)
    }
}

/// Errors a [`RetryPolicy`] can classify: is it safe to try an idempotent call again?
pub trait RetryableError {
    /// True for failures before or instead of an answer (socket errors, closed connections,
    /// timeouts); false for answers and malformed replies.
    fn is_retryable(&self) -> bool;
}

impl RetryableError for Error {
    fn is_retryable(&self) -> bool {
        matches!(self, Error::Io(_) | Error::Closed | Error::Timeout)
            || matches!(self, Error::Other(e) if e.is_retryable())
    }
}

impl RetryableError for BoxError {
    fn is_retryable(&self) -> bool {
        if let Some(e) = self.downcast_ref::<Error>() {
            return e.is_retryable();
        }
        self.is::<tower::timeout::error::Elapsed>() || self.is::<std::io::Error>()
    }
}

impl<Res, E> tower::retry::Policy<Request, Res, E> for RetryPolicy
where
    E: RetryableError,
{
    type Future = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn retry(&mut self, req: &mut Request, result: &mut Result<Res, E>) -> Option<Self::Future> {
        match result {
            Ok(_) => {
                if self.attempt == 0 {
                    self.budget.deposit();
                }
                None
            }
            Err(e) => {
                if self.attempt >= self.max_retries
                    || !e.is_retryable()
                    || !(self.idempotent)(&req.method)
                    || !self.budget.withdraw()
                {
                    return None;
                }
                let delay = self.delay();
                self.attempt += 1;
                tracing::debug!(method = %req.method, attempt = self.attempt, ?delay, "retrying idempotent call");
                Some(Box::pin(tokio::time::sleep(delay)))
            }
        }
    }

    fn clone_request(&mut self, req: &Request) -> Option<Request> {
        (self.idempotent)(&req.method).then(|| req.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_errors() {
        assert!(Error::Closed.is_retryable());
        assert!(Error::Timeout.is_retryable());
        assert!(Error::Io(std::io::Error::other("reset")).is_retryable());
        assert!(!Error::Protocol("bad magic".into()).is_retryable());
        let app = super::super::ApplicationException::new(
            super::super::ApplicationExceptionKind::INTERNAL_ERROR,
            "boom".to_string(),
        );
        assert!(!Error::Application(app).is_retryable());
        let boxed: BoxError = Box::new(tower::timeout::error::Elapsed::new());
        assert!(boxed.is_retryable());
        let boxed: BoxError = Box::new(Error::Closed);
        assert!(boxed.is_retryable());
        let boxed: BoxError = "some middleware error".into();
        assert!(!boxed.is_retryable());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let mut p = RetryPolicy::new().backoff(Duration::from_millis(8), Duration::from_millis(50));
        for (attempt, full) in [(0u32, 8u64), (1, 16), (2, 32), (3, 50), (30, 50)] {
            p.attempt = attempt;
            let d = p.delay();
            assert!(
                d >= Duration::from_millis(full) / 2 && d <= Duration::from_millis(full),
                "{attempt}: {d:?}"
            );
        }
    }

    #[test]
    fn only_named_methods_are_idempotent() {
        let p = RetryPolicy::new().idempotent_methods(["get", "list"]);
        assert!((p.idempotent)("get") && (p.idempotent)("list"));
        assert!(!(p.idempotent)("put") && !(p.idempotent)("ge"));
        assert!(!(RetryPolicy::new().idempotent)("get"));
    }
}
