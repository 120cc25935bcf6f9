//! Placeholder filled in the next step.

use crate::func::FuncDef;

/// The functions of this theme.
pub(super) const FUNCS: &[FuncDef] = &[];
