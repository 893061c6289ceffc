//! Programmes: what the network produces, shares, schedules and plays.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CentreCode, ProgrammeId};
use crate::text_enum::text_enum;

text_enum!(
    /// The controlled list of programme categories. 涉农 (agriculture) drives quota rules.
    Category, "category" {
        Agriculture = "涉农",
        News = "新闻",
        Culture = "文化",
        EmergencyScience = "应急科普",
        PublicService = "公益",
        Children = "少儿",
        Entertainment = "综艺",
        Documentary = "纪录",
        Music = "音乐",
        Ident = "台标宣传",
    }
);

text_enum!(
    /// Who may see a programme: only its own centre, or the whole network.
    Sharing, "sharing" {
        Private = "private",
        Network = "network",
    }
);

text_enum!(
    /// Where a programme is in its life. Only `Ready` programmes go to air.
    ProgrammeStatus, "programme status" {
        Uploading = "uploading",
        Queued = "queued",
        Processing = "processing",
        Ready = "ready",
        Failed = "failed",
    }
);

/// A programme as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Programme {
    pub id: ProgrammeId,
    pub centre: CentreCode,
    pub title: String,
    pub series: Option<String>,
    pub episode: Option<i32>,
    pub description: String,
    pub category: Category,
    /// Spoken language, e.g. 普通话, 彝语, 四川话.
    pub language: String,
    pub tags: Vec<String>,
    pub sharing: Sharing,
    pub status: ProgrammeStatus,
    /// Why the programme failed, when it did.
    pub reason: Option<String>,
    pub duration_ms: Option<i64>,
    pub rights_from: Option<DateTime<Utc>>,
    pub rights_until: Option<DateTime<Utc>>,
    /// The QC report of the house file, as the ingest worker wrote it.
    pub qc: Option<serde_json::Value>,
    /// Source and house loudness measurements.
    pub loudness: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped on every change: the basis of optimistic concurrency.
    pub version: i64,
}

/// What a centre supplies to create a programme.
#[derive(Debug, Clone, Deserialize)]
pub struct NewProgramme {
    pub centre: CentreCode,
    pub title: String,
    #[serde(default)]
    pub series: Option<String>,
    #[serde(default)]
    pub episode: Option<i32>,
    #[serde(default)]
    pub description: String,
    pub category: Category,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default = "default_sharing")]
    pub sharing: Sharing,
    #[serde(default)]
    pub rights_from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub rights_until: Option<DateTime<Utc>>,
}

fn default_language() -> String {
    "普通话".to_string()
}

fn default_sharing() -> Sharing {
    Sharing::Private
}

impl NewProgramme {
    /// A programme for `centre` with the defaults for everything optional.
    pub fn new(centre: CentreCode, title: impl Into<String>, category: Category) -> Self {
        Self {
            centre,
            title: title.into(),
            series: None,
            episode: None,
            description: String::new(),
            category,
            language: default_language(),
            tags: Vec::new(),
            sharing: default_sharing(),
            rights_from: None,
            rights_until: None,
        }
    }

    /// Checks what types cannot: a title a person can read, a sane rights window.
    ///
    /// # Errors
    /// `Invalid` naming the field.
    pub fn check(&self) -> crate::Result<()> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err(crate::CatalogError::invalid("title", "must not be empty"));
        }
        if title.chars().count() > 200 {
            return Err(crate::CatalogError::invalid("title", "longer than 200 characters"));
        }
        if title.chars().any(char::is_control) {
            return Err(crate::CatalogError::invalid("title", "contains control characters"));
        }
        if self.description.chars().count() > 10_000 {
            return Err(crate::CatalogError::invalid("description", "longer than 10000 characters"));
        }
        if self.tags.len() > 50 || self.tags.iter().any(|t| t.trim().is_empty() || t.chars().count() > 40) {
            return Err(crate::CatalogError::invalid("tags", "at most 50 tags of 1-40 characters"));
        }
        if self.language.trim().is_empty() || self.language.chars().count() > 20 {
            return Err(crate::CatalogError::invalid("language", "1-20 characters, e.g. 普通话, 彝语, 四川话"));
        }
        if matches!(self.episode, Some(e) if e < 0) {
            return Err(crate::CatalogError::invalid("episode", "must not be negative"));
        }
        if let (Some(from), Some(until)) = (self.rights_from, self.rights_until) {
            if until <= from {
                return Err(crate::CatalogError::invalid("rights window", "rights_until is not after rights_from"));
            }
        }
        Ok(())
    }
}

/// An edit of a programme's metadata. `version` must be the version the editor saw: a
/// concurrent change makes the edit a `Conflict` instead of silently overwriting it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeEdit {
    pub version: i64,
    pub title: Option<String>,
    pub series: Option<Option<String>>,
    pub episode: Option<Option<i32>>,
    pub description: Option<String>,
    pub category: Option<Category>,
    pub language: Option<String>,
    pub tags: Option<Vec<String>>,
    pub sharing: Option<Sharing>,
    pub rights_from: Option<Option<DateTime<Utc>>>,
    pub rights_until: Option<Option<DateTime<Utc>>>,
}

impl ProgrammeEdit {
    /// The programme as it would be after the edit, checked like a new one.
    ///
    /// # Errors
    /// `Invalid` naming the field.
    pub fn apply(&self, p: &Programme) -> crate::Result<NewProgramme> {
        let n = NewProgramme {
            centre: p.centre.clone(),
            title: self.title.clone().unwrap_or_else(|| p.title.clone()),
            series: self.series.clone().unwrap_or_else(|| p.series.clone()),
            episode: self.episode.unwrap_or(p.episode),
            description: self.description.clone().unwrap_or_else(|| p.description.clone()),
            category: self.category.unwrap_or(p.category),
            language: self.language.clone().unwrap_or_else(|| p.language.clone()),
            tags: self.tags.clone().unwrap_or_else(|| p.tags.clone()),
            sharing: self.sharing.unwrap_or(p.sharing),
            rights_from: self.rights_from.unwrap_or(p.rights_from),
            rights_until: self.rights_until.unwrap_or(p.rights_until),
        };
        n.check()?;
        Ok(n)
    }
}

/// The fields the ingest worker sets as a programme moves through its lifecycle.
#[derive(Debug, Clone, Default)]
pub struct ProgrammeProgress {
    pub reason: Option<String>,
    pub duration_ms: Option<i64>,
    pub qc: Option<serde_json::Value>,
    pub loudness: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_parses_its_chinese_names_only() {
        assert_eq!(Category::parse("涉农").ok(), Some(Category::Agriculture));
        let err = Category::parse("farming").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("涉农"), "error lists the allowed values: {err}");
    }

    #[test]
    fn blank_or_control_titles_are_refused() {
        let code = CentreCode::parse("510421").unwrap();
        for bad in ["", "   ", "a\u{0}b", "x\ny"] {
            assert!(NewProgramme::new(code.clone(), bad, Category::News).check().is_err(), "{bad:?}");
        }
        assert!(NewProgramme::new(code, "攀枝花芒果种植技术", Category::Agriculture).check().is_ok());
    }
}
