//! A hook called before every ref update: where fault-injection tests cut an operation.

use std::fmt;
use std::sync::Arc;

use wo_core::Result;

/// Called before every ref update a backend of this crate makes (a compare-and-swap, a forced
/// move, a push), with the ref's full name. An error stops the operation right there and is
/// returned as the operation's error, as if the process had died before that write.
///
/// For deterministic kill-point tests: [`GitRepo::with_ref_update_hook`](crate::GitRepo::with_ref_update_hook)
/// wires it to a `wo_core::testkit::KillSwitch` (feature `testkit` of wo-core).
///
/// ```
/// use wo_git::GitRepo;
///
/// let repo = GitRepo::open("/srv/git/shop-gitops.git")?.with_ref_update_hook(|name: &str| {
///     println!("about to move {name}");
///     Ok(())
/// });
/// # let _ = repo; Ok::<(), wo_core::Error>(())
/// ```
#[derive(Clone)]
pub struct RefUpdateHook(Arc<HookFn>);

/// What a [`RefUpdateHook`] calls.
type HookFn = dyn Fn(&str) -> Result<()> + Send + Sync;

impl RefUpdateHook {
    /// A hook calling `f`.
    pub fn new(f: impl Fn(&str) -> Result<()> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Calls the hook for ref `name`.
    pub(crate) fn call(&self, name: &str) -> Result<()> {
        (self.0)(name)
    }
}

impl fmt::Debug for RefUpdateHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefUpdateHook(..)")
    }
}
