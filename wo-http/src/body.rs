//! Reading an answer's body within a size budget.

/// The largest answer body a backend reads (32 MiB): an ARM resource or page is kilobytes;
/// a larger answer is a broken or hostile server, refused before it fills the memory.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The body is longer than the limit (announced by `Content-Length`, or found while
    /// reading); nothing more is read.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge { limit } => write!(
                f,
                "the answer is larger than {} MiB, the most wo reads",
                limit / (1024 * 1024)
            ),
            BodyError::Transport(e) => write!(f, "{e}"),
        }
    }
}

/// The body of `response`, at most `limit` bytes: refused at once when its `Content-Length`
/// says more, else read chunk by chunk and refused as soon as it passes `limit`.
///
/// # Errors
/// [`BodyError::TooLarge`], or [`BodyError::Transport`] when reading fails.
pub async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
