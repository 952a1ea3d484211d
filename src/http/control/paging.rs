//! Pages of a long list (`offset`, `limit`).

use serde::Serialize;
use utoipa::ToSchema;

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub items: Vec<T>,
}

/// A page's size: 1..=1000, default 50.
pub(super) fn page_limit(limit: Option<usize>) -> usize {
    limit.unwrap_or(50).clamp(1, 1000)
}

pub(super) fn page<T>(all: Vec<T>, offset: Option<usize>, limit: Option<usize>) -> Page<T> {
    let offset = offset.unwrap_or(0);
    let limit = page_limit(limit);
    let total = all.len();
    Page {
        total,
        offset,
        limit,
        items: all.into_iter().skip(offset).take(limit).collect(),
    }
}
